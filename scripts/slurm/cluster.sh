#!/usr/bin/env bash
# Brings up (and stops, by pid) a real one-node SLURM cluster (Debian's slurm-wlm + munge) for eff's tests and demos.
#
# Usage: scripts/slurm/cluster.sh [--dir DIR] install|up|down|status|env
#   install  apt-get install slurm-wlm and munge when missing (needs root; CI runs it from .ci/run)
#   up       write slurm.conf/gres.conf into DIR, start munged, slurmctld and slurmd in the foreground under setsid
#            (no systemd needed), keep their pids in DIR/pids, wait until `sinfo` shows the node idle.
#            Prints `eff-slurm: started …` or, when this script's cluster in DIR is already up, `eff-slurm: reused …`.
#   down     cancel every job of the cluster, wait for the jobs to end, stop the daemons by their saved pids and wait
#            until each has exited (a zombie counts as exited); nothing of the cluster is left running.
#   status   which daemons of DIR run (pid, state) and what `sinfo`/`squeue` say; exit 0 when up, 3 when down.
#   env      prints `export SLURM_CONF=DIR/slurm.conf`: the client commands (sbatch, squeue, scancel) need it.
# DIR: --dir, else $EFF_SLURM_DIR, else /tmp/eff-slurm. Ports: $EFF_SLURM_PORT (slurmctld, default 6817) and the
# next one (slurmd). The node has 2 fake GPUs (gres gpu:2) backed by symlinks to /dev/null: SLURM then hands out
# GPU indices and sets CUDA_VISIBLE_DEVICES/SLURM_JOB_GPUS, which is all it does on a real node too (bookkeeping).
# Measured facts behind the choices below: ../shared/notes/single-node-slurm.md (kept in docs/cluster.md).
set -euo pipefail

die() {
  echo "eff-slurm: $*" >&2
  exit 1
}

DIR="${EFF_SLURM_DIR:-/tmp/eff-slurm}"
if [[ "${1:-}" == "--dir" ]]; then
  [[ $# -ge 2 ]] || die "--dir needs a directory"
  DIR="$2"
  shift 2
fi
ACTION="${1:-}"
[[ -n "$ACTION" ]] || die "usage: $0 [--dir DIR] install|up|down|status|env"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd -P)"
PORT="${EFF_SLURM_PORT:-6817}"
CONF="$DIR/slurm.conf"
PIDS="$DIR/pids"
LOGS="$DIR/log"
MUNGE_DIR="$DIR/munge"
SOCKET="$MUNGE_DIR/munge.socket.2"
DAEMONS=(munged slurmctld slurmd)
export SLURM_CONF="$CONF"

need_tools() {
  local missing=()
  for t in sbatch squeue scancel sinfo scontrol slurmctld slurmd munged mungekey setpriv setsid; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  echo "${missing[*]}"
}

# A pid is alive when /proc has it and it is not a zombie: PID 1 here reaps orphans slowly, so kill -0 is not enough.
alive() {
  local pid="$1" state
  [[ -r "/proc/$pid/stat" ]] || return 1
  state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [[ "$state" != "Z" && "$state" != "X" ]]
}

# The saved pid of daemon $1 if that process is still alive and still that program, else nothing.
saved_pid() {
  local file="$PIDS/$1.pid" pid comm
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  alive "$pid" || return 0
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  # A recycled pid belongs to some other program: never report (or kill) it as ours.
  [[ "$comm" == "$1" ]] && echo "$pid"
  return 0
}

port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

install() {
  local missing
  missing="$(need_tools)"
  if [[ -z "$missing" ]]; then
    echo "eff-slurm: $(slurmctld -V) and munge are installed"
    return 0
  fi
  [[ "$(id -u)" == 0 ]] || die "missing: $missing; install as root: apt-get install --no-install-recommends slurm-wlm munge"
  command -v apt-get >/dev/null || die "missing: $missing, and no apt-get here; install SLURM (slurm-wlm) and munge yourself"
  # The packages' post-install scripts try to start the services; a policy-rc.d that exits 101 stops that (we start
  # the daemons ourselves). Only a policy file we created is removed again.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge
  } >"$DIR/apt.log" 2>&1 || rc=$?
  [[ "$created_policy" == 1 ]] && rm -f "$policy"
  [[ "$rc" == 0 ]] || die "apt-get install slurm-wlm munge failed (exit $rc); see $DIR/apt.log: $(tail -3 "$DIR/apt.log")"
  missing="$(need_tools)"
  [[ -z "$missing" ]] || die "installed slurm-wlm and munge, but still missing: $missing"
  echo "eff-slurm: installed $(slurmctld -V) and munge"
}

write_conf() {
  local host cpus mem gpu_gres="" cgroup_v2=0
  host="$(hostname -s)"
  # slurmd -C prints this machine's NodeName line (CPUs, sockets, cores, RealMemory); the node is declared as it is.
  local node_line
  node_line="$(slurmd -C | head -1)"
  cpus="$(sed -nE 's/.*CPUs=([0-9]+).*/\1/p' <<<"$node_line")"
  mem="$(sed -nE 's/.*RealMemory=([0-9]+).*/\1/p' <<<"$node_line")"
  [[ -n "$cpus" && -n "$mem" ]] || die "cannot read CPUs/RealMemory from 'slurmd -C': $node_line"
  mkdir -p "$DIR/dev" "$DIR/state" "$DIR/spool" "$LOGS" "$PIDS"
  # gres.conf needs device files; regular files are refused, symlinks to /dev/null are accepted (see the note).
  for i in 0 1; do
    ln -sfn /dev/null "$DIR/dev/nvidia$i"
  done
  gpu_gres="Gres=gpu:2"
  [[ -f /sys/fs/cgroup/cgroup.controllers ]] && cgroup_v2=1
  cat >"$CONF" <<EOF
# Written by scripts/slurm/cluster.sh: one node ($host), no accounting database, daemons run by that script.
ClusterName=eff
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$PIDS/slurmctld.daemon.pid
SlurmdPidFile=$PIDS/slurmd.daemon.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# A job that gives no --mem gets 1 GB per CPU, not the whole node.
DefMemPerCPU=1024
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# How every job ended, one line each (sacct needs a database; this needs none).
JobCompType=jobcomp/filetxt
JobCompLoc=$LOGS/jobcomp.txt
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to 'scontrol show job' for an hour.
MinJobAge=3600
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
GresTypes=gpu
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem $gpu_gres State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  cat >"$DIR/gres.conf" <<EOF
# Two fake GPUs: device files are symlinks to /dev/null (SLURM only does the bookkeeping for GPUs anyway).
NodeName=$host Name=gpu File=$DIR/dev/nvidia[0-1]
EOF
  if [[ "$cgroup_v2" == 1 ]]; then
    # A cgroup-v2-only host without systemd (untested here; the documented route).
    printf 'CgroupPlugin=cgroup/v2\nIgnoreSystemd=yes\n' >"$DIR/cgroup.conf"
  else
    rm -f "$DIR/cgroup.conf"
  fi
}

start_munged() {
  mkdir -p "$MUNGE_DIR"
  chown munge:munge "$MUNGE_DIR"
  # Clients reach the socket through this directory: munged wants it searchable by all (0755).
  chmod 0755 "$MUNGE_DIR"
  if [[ ! -s "$MUNGE_DIR/munge.key" ]]; then
    setpriv --reuid=munge --regid=munge --init-groups mungekey --create --keyfile="$MUNGE_DIR/munge.key" >/dev/null
  fi
  rm -f "$SOCKET" "$SOCKET.lock"
  # munged refuses to run as root ("PRNG seed dir is insecure"): run it as the munge user, in the foreground.
  setsid setpriv --reuid=munge --regid=munge --init-groups \
    munged -F --socket="$SOCKET" --key-file="$MUNGE_DIR/munge.key" --pid-file="$MUNGE_DIR/munged.pid" \
    --log-file="$MUNGE_DIR/munged.log" --seed-file="$MUNGE_DIR/munged.seed" \
    </dev/null >>"$LOGS/munged.out" 2>&1 9>&- &
  echo $! >"$PIDS/munged.pid"
  wait_for "munged's socket" 10 test -S "$SOCKET"
}

# wait_for WHAT SECONDS COMMAND...: polls COMMAND every 0.2 s.
wait_for() {
  local what="$1" seconds="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "eff-slurm: $what not ready after ${seconds}s" >&2
      return 1
    fi
    sleep 0.2
  done
}

node_idle() {
  [[ "$(sinfo -h -N -o '%t' 2>/dev/null | head -1)" == "idle" ]]
}

running_pids() {
  local d pid out=()
  for d in "${DAEMONS[@]}"; do
    pid="$(saved_pid "$d")"
    [[ -n "$pid" ]] && out+=("$d=$pid")
  done
  echo "${out[*]:-}"
}

up() {
  local missing
  missing="$(need_tools)"
  [[ -z "$missing" ]] || die "missing: $missing; run '$0 install' (as root) first"
  [[ "$(id -u)" == 0 ]] || die "up needs root (the daemons run as root and munged as the munge user)"
  exec 9>"$DIR/.lock"
  flock -w 60 9 || die "another cluster.sh holds $DIR/.lock"
  local running
  running="$(running_pids)"
  if [[ -n "$running" ]]; then
    if [[ "$running" == *munged=* && "$running" == *slurmctld=* && "$running" == *slurmd=* ]] && node_idle_or_busy; then
      echo "eff-slurm: reused the cluster already up in $DIR ($running)"
      echo "export SLURM_CONF=$CONF"
      return 0
    fi
    die "a partial cluster runs in $DIR ($running); run '$0 --dir $DIR down' first"
  fi
  for p in "$PORT" $((PORT + 1)); do
    if port_busy "$p"; then
      die "port $p is in use by another program (a SLURM not started by this script?); set EFF_SLURM_PORT to another port"
    fi
  done
  write_conf
  # Fresh state every time: jobs of an earlier cluster must not come back.
  rm -rf "$DIR/state" "$DIR/spool"
  mkdir -p "$DIR/state" "$DIR/spool"
  rm -f "$PIDS"/*.pid
  start_munged || {
    stop_all
    die "munged did not start; see $LOGS/munged.out and $MUNGE_DIR/munged.log"
  }
  setsid slurmctld -D -f "$CONF" </dev/null >>"$LOGS/slurmctld.out" 2>&1 9>&- &
  echo $! >"$PIDS/slurmctld.pid"
  setsid slurmd -D -f "$CONF" </dev/null >>"$LOGS/slurmd.out" 2>&1 9>&- &
  echo $! >"$PIDS/slurmd.pid"
  if ! wait_for "the node (sinfo: idle)" 30 node_idle; then
    echo "eff-slurm: sinfo says: $(sinfo -N 2>&1 | tail -n +2)" >&2
    echo "eff-slurm: slurmctld.log: $(tail -5 "$LOGS/slurmctld.log" 2>/dev/null)" >&2
    echo "eff-slurm: slurmd.log: $(tail -5 "$LOGS/slurmd.log" 2>/dev/null)" >&2
    stop_all
    die "the cluster did not come up; logs in $LOGS"
  fi
  echo "eff-slurm: started in $DIR ($(running_pids)); node $(hostname -s) idle with $(sinfo -h -N -o '%c CPUs, gres %G')"
  echo "export SLURM_CONF=$CONF"
}

node_idle_or_busy() {
  local s
  s="$(sinfo -h -N -o '%t' 2>/dev/null | head -1)"
  [[ "$s" == idle || "$s" == mix || "$s" == alloc ]]
}

# stop PID NAME: SIGTERM, wait up to 20 s for it to end, then SIGKILL and wait again.
stop_pid() {
  local pid="$1" name="$2" i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    alive "$pid" || return 0
    sleep 0.2
  done
  echo "eff-slurm: $name (pid $pid) ignored SIGTERM for 20 s; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    alive "$pid" || return 0
    sleep 0.2
  done
  echo "eff-slurm: $name (pid $pid) is still running" >&2
  return 1
}

# Job steps run in slurmstepd processes that outlive slurmd; each holds a socket in the spool directory until it ends.
step_sockets() {
  find "$DIR/spool" -maxdepth 1 -type s 2>/dev/null | grep -v '/cred_state' || true
}

stop_all() {
  local ok=0 pid d
  for d in slurmd slurmctld munged; do
    pid="$(saved_pid "$d")"
    [[ -n "$pid" ]] || continue
    stop_pid "$pid" "$d" || ok=1
  done
  rm -f "$PIDS"/*.pid
  return "$ok"
}

down() {
  exec 9>"$DIR/.lock"
  flock -w 60 9 || die "another cluster.sh holds $DIR/.lock"
  local running
  running="$(running_pids)"
  if [[ -z "$running" ]]; then
    echo "eff-slurm: no cluster of this script runs in $DIR"
    rm -f "$PIDS"/*.pid
    return 0
  fi
  # Cancel every job first and let the steps end, so no slurmstepd (and no job) outlives the daemons.
  if [[ -n "$(saved_pid slurmctld)" ]]; then
    local jobs
    jobs="$(squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ')"
    if [[ -n "${jobs// /}" ]]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      wait_for "the cancelled jobs to end" 60 jobs_gone || echo "eff-slurm: jobs still listed: $(squeue -h 2>&1)" >&2
    fi
  fi
  wait_for "the job steps (slurmstepd) to end" 30 no_step_sockets || echo "eff-slurm: step sockets left: $(step_sockets)" >&2
  if stop_all; then
    echo "eff-slurm: stopped ($running)"
  else
    die "some daemons did not stop ($running); see above"
  fi
}

jobs_gone() {
  [[ -z "$(squeue -h -o '%A' 2>/dev/null)" ]]
}

no_step_sockets() {
  [[ -z "$(step_sockets)" ]]
}

status() {
  local running
  running="$(running_pids)"
  if [[ -z "$running" ]]; then
    echo "eff-slurm: down (no daemon of $DIR runs)"
    return 3
  fi
  echo "eff-slurm: up in $DIR ($running)"
  echo "export SLURM_CONF=$CONF"
  sinfo -N 2>&1 || true
  squeue 2>&1 || true
}

case "$ACTION" in
install) install ;;
up) up ;;
down) down ;;
status) status ;;
env) echo "export SLURM_CONF=$CONF" ;;
*) die "unknown action '$ACTION'; expected install, up, down, status or env" ;;
esac
