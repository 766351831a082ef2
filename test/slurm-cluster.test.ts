// Must show (issue 13): a grid submitted with `eff slurm submit` to a real one-node SLURM cluster, a task cancelled and
// resubmitted, every run once; the fake GPU gres reaches the probe's device selection and the record.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runEff } from '../packages/cli/test/spawn-cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLUSTER = join(ROOT, 'scripts', 'slurm', 'cluster.sh');
// The strict fake nvidia-smi (two GPUs), first on PATH in the jobs' environment: sbatch exports the submitter's.
const FAKE_BIN = join(ROOT, 'packages', 'probes', 'test', 'fixtures', 'bin');
const CLUSTER_DIR = process.env.EFF_SLURM_DIR ?? '/tmp/eff-slurm';
const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'slurmstepd'];

// 2 architectures × 2 criteria of width 1 on 1,500 MNIST images, 1–2 epochs: 4 runs, one per array task. Runs last long
// enough (~10 s) for the fake nvidia-smi (a node script) to deliver readings on a loaded machine.
const GRID = `
name: slurm-tiny
datasets: [mnist]
architectures: [lenet, bcnn]
sizes: [1]
criteria:
  - { name: fixedEpochs, params: { epochs: 2 } }
  - { name: earlyStopping, params: { patience: 1 } }
maxEpochs: 2
batchSize: 50
mnist: { trainSize: 1500, testSize: 200 }
intervalMs: 50
probes: [nvidia-smi]
threads: 1
`;

/** Processes of the daemons' programs now running (zombies excluded): pid → name. */
function daemonProcesses(): Map<number, string> {
  const out = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) (\S)/.exec(stat);
      if (m && DAEMONS.includes(m[1]!) && m[2] !== 'Z') out.set(Number(entry), m[1]!);
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function cluster(action: string): { code: number | null; out: string } {
  const r = spawnSync('bash', [CLUSTER, action], {
    encoding: 'utf8',
    env: { ...process.env, EFF_SLURM_DIR: CLUSTER_DIR },
    timeout: 300_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

// Bring the cluster up while the file is collected, so a machine that cannot run SLURM skips with the reason.
const before = daemonProcesses();
let skipReason: string | undefined;
let startedHere = false;
const install = cluster('install');
if (install.code !== 0) {
  skipReason = `cannot install slurm-wlm/munge: ${install.out.trim()}`;
} else {
  const up = cluster('up');
  if (up.code !== 0) skipReason = `cannot start the SLURM cluster: ${up.out.trim()}`;
  else startedHere = /eff-slurm: started/.test(up.out);
}
if (skipReason) console.warn(`slurm-cluster.test.ts skipped: ${skipReason}`);
const ourPids = (): number[] =>
  ['munged', 'slurmctld', 'slurmd'].flatMap((d) => {
    const f = join(CLUSTER_DIR, 'pids', `${d}.pid`);
    return existsSync(f) ? [Number(readFileSync(f, 'utf8').trim())] : [];
  });
const pidsAtStart = ourPids();

const slurmEnv: NodeJS.ProcessEnv = {
  ...process.env,
  SLURM_CONF: join(CLUSTER_DIR, 'slurm.conf'),
  PATH: `${FAKE_BIN}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
};

function slurmCmd(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: slurmEnv, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

/** Array tasks of `jobId` squeue still lists: task id → state (RUNNING, PENDING, …). */
async function queued(jobId: string): Promise<Map<number, string>> {
  const r = await slurmCmd('squeue', ['-h', '--array', `--jobs=${jobId}`, '-o', '%K|%T']);
  const out = new Map<number, string>();
  for (const line of r.out.split('\n')) {
    const [task, state] = line.trim().split('|');
    if (task && /^\d+$/.test(task) && state) out.set(Number(task), state);
  }
  return out;
}

/** Polls `check` every 500 ms until it returns a value other than undefined; throws after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const gone = async (jobId: string) => ((await queued(jobId)).size === 0 ? true : undefined);

interface Line {
  file: string;
  text: string;
}

/** Every line of every results file of `dir`, and whether each file ends with a newline (no torn tail). */
function resultLines(dir: string): { lines: Line[]; files: string[]; unterminated: string[] } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  const lines: Line[] = [];
  const unterminated: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) unterminated.push(file);
    for (const l of text.split('\n')) if (l.trim()) lines.push({ file, text: l });
  }
  return { lines, files, unterminated };
}

/** `eff status`'s totals row: `all  runs done diverged failed not-started`. */
function statusTotals(text: string): number[] {
  const row = text.split('\n').find((l) => /^all\s/.test(l));
  if (!row) throw new Error(`no 'all' row in eff status output:\n${text}`);
  return row.trim().split(/\s+/).slice(1, 6).map(Number);
}

/** runs.csv of a report: `dataset,criterion,model,fold,status` of every run, sorted. */
async function reportedRuns(dir: string): Promise<string[]> {
  const csv = await readFile(join(dir, 'report', 'tables', 'runs.csv'), 'utf8');
  return csv
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').slice(0, 5).join(','))
    .sort();
}

afterAll(() => {
  if (skipReason || !startedHere) return;
  const pids = ourPids();
  const down = cluster('down');
  expect(down.code, down.out).toBe(0);
  // No daemon of the cluster is left: its saved pids and any slurmstepd it started are gone (zombies count as gone).
  const left = [...daemonProcesses()].filter(([pid]) => !before.has(pid));
  expect(left, `left running: ${JSON.stringify(left)} (pids were ${pids.join(', ')})`).toEqual([]);
}, 180_000);

describe.skipIf(skipReason !== undefined)('eff slurm submit on a real one-node SLURM cluster', () => {
  it('the cluster runs from the script: daemons by pid, node idle with 2 fake GPUs', async () => {
    expect(pidsAtStart).toHaveLength(3);
    const sinfo = await slurmCmd('sinfo', ['-h', '-N', '-o', '%t|%G']);
    expect(sinfo.out.trim(), sinfo.err).toMatch(/^(idle|mix|alloc)\|gpu:2/);
  });

  it('a cancelled task is resubmitted alone; every run once, eff status and eff report agree with a plain eff run', {
    // Mostly node start-ups and training, so it grows with the machine's load: 10+ min were seen at load average 35.
    timeout: 1_200_000,
  }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'eff-slurm-'));
    const config = join(work, 'grid.yaml');
    await writeFile(config, GRID);
    const out = join(work, 'results');
    const plainOut = join(work, 'plain');
    const submitArgs = [
      'slurm',
      'submit',
      '--config',
      config,
      '--out',
      out,
      '--max-parallel',
      '2',
      '--cpus-per-task',
      '1',
    ];
    const first = await runEff(submitArgs, slurmEnv);
    expect(first.code, first.stderr).toBe(0);
    // The same grid with a plain `eff run`, meanwhile: its records and report are what the cluster's must match.
    const plain = runEff(['run', '--config', config, '--out', plainOut], slurmEnv);
    const jobId = /Submitted array job (\d+): tasks 0-3%2 of 4/.exec(first.stdout)?.[1];
    expect(jobId, first.stdout).toBeDefined();
    const script = await readFile(join(out, 'slurm-job.sh'), 'utf8');
    expect(script).toContain('#SBATCH --array=0-3%2');
    expect(script).toContain('#SBATCH --gres=gpu:1');
    expect(script).not.toMatch(/^#SBATCH --exclusive/m);

    // Cancel a task while its run trains: its log says the run started, and no record of it exists yet.
    const victim = await until('a task training its run', 300_000, async () => {
      for (const [task, state] of await queued(jobId!)) {
        if (state !== 'RUNNING') continue;
        const log = join(out, 'logs', `${jobId}_${task}.err`);
        if (existsSync(log) && /run 1\/1 start/.test(readFileSync(log, 'utf8'))) return task;
      }
      return undefined;
    });
    const cancel = await slurmCmd('scancel', [`${jobId}_${victim}`]);
    expect(cancel.code, cancel.err).toBe(0);
    await until(`array job ${jobId} to end`, 300_000, () => gone(jobId!));
    const show = await slurmCmd('scontrol', ['show', 'job', `${jobId}_${victim}`]);
    expect(show.out).toMatch(/JobState=CANCELLED/);

    // Before the resubmission: 3 runs done, the cancelled shard not started; no torn line anywhere.
    const mid = resultLines(out);
    expect(mid.unterminated).toEqual([]);
    expect(mid.lines).toHaveLength(3);
    const statusBefore = await runEff(['status', out], slurmEnv);
    expect(statusBefore.code, statusBefore.stderr).toBe(3); // runs remain
    expect(statusTotals(statusBefore.stdout), statusBefore.stdout).toEqual([4, 3, 0, 0, 1]);

    // The same command again submits only the cancelled shard.
    const second = await runEff(submitArgs, slurmEnv);
    expect(second.code, second.stderr).toBe(0);
    const again = new RegExp(
      `Submitted array job (\\d+): tasks ${victim}%2 of 4 .*not submitted: 3 done`,
    ).exec(second.stdout);
    expect(again, second.stdout).not.toBeNull();
    const jobId2 = again![1]!;
    await until(`array job ${jobId2} to end`, 300_000, () => gone(jobId2));
    const show2 = await slurmCmd('scontrol', ['show', 'job', `${jobId2}_${victim}`]);
    expect(show2.out).toMatch(/JobState=COMPLETED/);

    // Every run exactly once across the results files, each line whole JSON.
    const end = resultLines(out);
    expect(end.unterminated).toEqual([]);
    const records = end.lines.map((l) => JSON.parse(l.text));
    const plainEnd = await plain;
    expect(plainEnd.code, plainEnd.stderr).toBe(0);
    const plainRecords = resultLines(plainOut).lines.map((l) => JSON.parse(l.text));
    const runIds = plainRecords.map((r) => r.runId).sort();
    expect(new Set(runIds).size).toBe(4);
    expect(records.map((r) => r.runId).sort()).toEqual(runIds);
    expect(records.every((r) => r.status === 'completed')).toBe(true);
    // One writer per file: each file holds the records of one array task only.
    for (const file of end.files) expect(file).toMatch(/^results-shard-\d-of-4-slurm-\d+_\d\.jsonl$/);
    const statusAfter = await runEff(['status', out], slurmEnv);
    expect(statusAfter.code, statusAfter.stderr).toBe(0); // every run has its outcome
    expect(statusTotals(statusAfter.stdout), statusAfter.stdout).toEqual([4, 4, 0, 0, 0]);

    // The allocated GPU reaches the probe's device selection and the record.
    for (const r of records) {
      const p = r.environment.placement;
      expect(p).toMatchObject({
        scheduler: 'slurm',
        shard: { count: 4 },
        allocatedCpus: 1,
        exclusive: false,
      });
      expect(p.arrayTaskId).toBe(p.shard.index);
      expect(p.allocatedGpus).toHaveLength(1);
      const devices = r.probes.find((x: { name: string }) => x.name === 'nvidia-smi').deviceReports;
      expect(devices).toEqual([
        expect.objectContaining({
          deviceId: `gpu${p.allocatedGpus[0]}`,
          selectedBy: 'CUDA_VISIBLE_DEVICES',
          status: 'measured',
        }),
      ]);
    }
    // The first two tasks ran side by side with one GPU each: SLURM handed out both.
    expect(new Set(records.map((r) => r.environment.placement.allocatedGpus[0]))).toEqual(
      new Set(['0', '1']),
    );

    // eff report covers every run, with the same configs as the plain run of the same grid.
    const byId = new Map(plainRecords.map((r) => [r.runId, r.config]));
    for (const r of records) expect(r.config).toEqual(byId.get(r.runId));
    const [rep, plainRep] = await Promise.all([
      runEff(['report', out], slurmEnv),
      runEff(['report', plainOut], slurmEnv),
    ]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(plainRep.code, plainRep.stderr).toBe(0);
    const reported = await reportedRuns(out);
    expect(reported).toHaveLength(4);
    expect(reported).toEqual(await reportedRuns(plainOut));
  });
});
