// @ts-nocheck
// Ties every sampling tool's process to the process that measures, so no tool outlives it however it ends.
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';

/**
 * How tools are tied to this process. `setpriv`: each tool runs under util-linux `setpriv --pdeathsig KILL`, so
 * the kernel kills it when the thread that started it ends, even on SIGKILL. `hooks`: setpriv is missing or
 * too old; tools are plain children killed by exit and signal hooks, which cannot run on SIGKILL.
 */
export interface ToolLifetimeGuard {
  method: 'setpriv' | 'hooks';
  /** Absolute path of setpriv when `method` is `setpriv`. */
  setpriv?: string;
  /** Why the weaker method is used (set when `method` is `hooks`). */
  note?: string;
}

const ORPHAN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const CHANNEL_NAME = 'eff:probe-tool-pids';

/** Tools started by this thread and not yet reaped. */
const ownChildren = new Set<ChildProcess>();
/**
 * Tools started by worker threads (main thread only), with their start time: a worker's exit hooks do not run
 * when the process ends, and a worker terminated mid-stop never reports its tool's end, so the start time keeps
 * a stale pid that the system has since reused from being killed.
 */
const workerPids = new Map<number, string | null>();
const guards = new Map<string, ToolLifetimeGuard>();
let noteShown = false;
let hooksInstalled = false;

type ChannelMessage =
  | { type: 'started'; pid: number }
  | { type: 'ended'; pid: number }
  | { type: 'note'; text: string };

let channel: BroadcastChannel | undefined;
function workerChannel(): BroadcastChannel {
  if (!channel) {
    channel = new BroadcastChannel(CHANNEL_NAME);
    (channel as unknown as { unref(): void }).unref();
  }
  return channel;
}
if (isMainThread) {
  // Workers report their tools' pids here so the main thread's exit and signal hooks can end them too.
  workerChannel().onmessage = (event: unknown) => {
    const m = (event as { data: ChannelMessage }).data;
    if (m.type === 'started') {
      for (const [pid, started] of workerPids) if (!sameProcess(pid, started)) workerPids.delete(pid);
      workerPids.set(m.pid, processStartTime(m.pid));
    } else if (m.type === 'ended') workerPids.delete(m.pid);
    else showNote(m.text);
    updateHooks();
  };
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot): with the pid, it names one process. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether `pid` is still the process that had start time `started` (unknowable without /proc: assume so). */
function sameProcess(pid: number, started: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return started === null || processStartTime(pid) === started;
}

function showNote(text: string): void {
  if (noteShown) return;
  noteShown = true;
  if (isMainThread) process.emitWarning(text, { code: 'EFF_NO_PDEATHSIG' });
  else workerChannel().postMessage({ type: 'note', text } satisfies ChannelMessage);
}

/** Finds `binary` as a shell would (PATH lookup unless it names a path); null when not an executable file. */
export function resolveExecutable(binary: string, pathVariable: string | undefined): string | null {
  const isExecutableFile = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (binary.includes('/')) {
    const p = isAbsolute(binary) ? binary : resolve(binary);
    return isExecutableFile(p) ? p : null;
  }
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, binary);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

/**
 * The guard used for tools looked up on `pathVariable` (setpriv is looked up there too), detected once per PATH
 * value and thread by asking `setpriv --help` whether it knows `--pdeathsig` (util-linux >= 2.33).
 */
export function toolLifetimeGuard(pathVariable: string | undefined = process.env.PATH): ToolLifetimeGuard {
  const key = pathVariable ?? '';
  const known = guards.get(key);
  if (known) return known;
  let guard: ToolLifetimeGuard;
  const setpriv = resolveExecutable('setpriv', pathVariable);
  if (setpriv === null) {
    guard = {
      method: 'hooks',
      note:
        'util-linux setpriv is not on PATH, so power tools run without a parent-death signal: if eff is killed ' +
        'with SIGKILL they keep running; install util-linux (setpriv) to make them end with eff',
    };
  } else {
    const help = spawnSync(setpriv, ['--help'], { encoding: 'utf8', timeout: 2000 });
    guard = `${help.stdout ?? ''}${help.stderr ?? ''}`.includes('--pdeathsig')
      ? { method: 'setpriv', setpriv }
      : {
          method: 'hooks',
          note:
            `${setpriv} does not support --pdeathsig (util-linux older than 2.33), so power tools run without a ` +
            'parent-death signal: if eff is killed with SIGKILL they keep running; update util-linux',
        };
  }
  guards.set(key, guard);
  return guard;
}

function killNow(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** SIGKILL to every tool still known; synchronous, so it works inside 'exit' and signal handlers. */
function killAllNow(): void {
  for (const child of ownChildren) killNow(child.pid);
  for (const [pid, started] of workerPids) if (sameProcess(pid, started)) killNow(pid);
}

const onExit = (): void => killAllNow();

// Alone, this handler stands for Node's default action: end the tools, then die of the same signal (the parent
// sees 128+N). Beside another handler (eff run's Ctrl-C, eff measure forwarding to its command) it does nothing:
// that handler decides when the process ends, and probes stop with it (the exit hook covers a hard exit).
const onSignal = (signal: NodeJS.Signals): void => {
  if (process.listenerCount(signal) > 1) return;
  killAllNow();
  removeHooks();
  process.kill(process.pid, signal);
};

function removeHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off('exit', onExit);
  for (const s of ORPHAN_SIGNALS) process.off(s, onSignal);
}

/** Hooks exist only while tools run, so an idle process keeps Node's default signal behaviour untouched. */
function updateHooks(): void {
  // Signals reach only the main thread, and a worker's exit hooks do not run when the whole process ends.
  if (!isMainThread) return;
  const needed = ownChildren.size > 0 || workerPids.size > 0;
  if (needed && !hooksInstalled) {
    hooksInstalled = true;
    process.on('exit', onExit);
    for (const s of ORPHAN_SIGNALS) process.on(s, onSignal);
  } else if (!needed) removeHooks();
}

/**
 * Spawns a sampling tool tied to this process: under `setpriv --pdeathsig KILL` when available (the kernel kills
 * the tool when the spawning thread ends, whatever the cause), and in every case registered so that process exit,
 * an uncaught exception and SIGINT/SIGTERM/SIGHUP (when no other handler claims them) SIGKILL it first. Without
 * setpriv a warning (code EFF_NO_PDEATHSIG) says so once per process. A binary that cannot be found is spawned
 * plainly, so the child emits Node's own 'error' (ENOENT/EACCES) exactly as `spawn` does.
 */
export function spawnTool(
  binary: string,
  args: readonly string[],
  options: Pick<SpawnOptions, 'stdio' | 'env'> = {},
): ChildProcess {
  const env = options.env ?? process.env;
  const guard = toolLifetimeGuard(env.PATH);
  if (guard.note) showNote(guard.note);
  const resolved = guard.setpriv ? resolveExecutable(binary, env.PATH) : null;
  const spawnOptions: SpawnOptions = { stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'], env };
  const child =
    guard.setpriv && resolved
      ? spawn(guard.setpriv, ['--pdeathsig', 'KILL', '--', resolved, ...args], spawnOptions)
      : spawn(binary, [...args], spawnOptions);
  if (child.pid === undefined) return child; // spawn failed; its 'error' event follows
  const pid = child.pid;
  ownChildren.add(child);
  if (!isMainThread && guard.method === 'hooks') {
    workerChannel().postMessage({ type: 'started', pid } satisfies ChannelMessage);
  }
  updateHooks();
  child.once('exit', () => {
    ownChildren.delete(child);
    if (!isMainThread && guard.method === 'hooks') {
      workerChannel().postMessage({ type: 'ended', pid } satisfies ChannelMessage);
    }
    updateHooks();
  });
  return child;
}
