// `eff slurm submit`: plans a grid as a SLURM job array, writes its batch script and grid into DIR, submits with sbatch.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EffCliError, UsageError } from '../errors.js';
import type { GridConfig } from '../grid/config.js';
import { expandGrid } from '../grid/expand.js';
import { loadGridConfigFile, presetConfig } from '../grid/load.js';
import type { CliIo } from '../io.js';
import { shardAssignment } from '../runner/shard.js';
import { queryQueue } from '../runner/squeue.js';
import { completedRunIds } from '../runner/store.js';
import { appendSubmission, readSubmissions } from '../runner/submissions.js';
import { type BatchJob, renderBatchScript, shellQuote } from './batch-script.js';
import {
  defaultCpusPerTask,
  defaultGpusPerTask,
  estimateMemoryMB,
  estimateTaskMinutes,
  formatSlurmTime,
  measuresCpuOrRam,
  TIME_MARGIN,
} from './resources.js';

/** The grid copied into DIR for the tasks (the resolved config, defaults applied). */
export const SLURM_GRID_FILE = 'grid.json';
/** The batch script of the latest submission, kept with the results. */
export const SLURM_SCRIPT_FILE = 'slurm-job.sh';
/** The tasks' stdout/stderr, `<array job id>_<task id>.out|.err`. */
export const SLURM_LOG_DIR = 'logs';

/** sbatch is missing or refused the job: the message carries sbatch's own words. Exit code 1. */
export class SlurmSubmitError extends EffCliError {
  constructor(code: 'E_SLURM_NO_SBATCH' | 'E_SLURM_SBATCH' | 'E_SLURM_BUSY', message: string) {
    super(code, message, 1);
  }
}

export interface SlurmSubmitOptions {
  config?: string;
  preset?: string;
  out: string;
  runsPerTask: string;
  maxParallel?: string;
  cpusPerTask?: string;
  /** sbatch syntax: `4G`, `4000M`, `4000` (MB). */
  mem?: string;
  /** sbatch syntax: `90`, `1:30:00`, `2-00:00:00`. */
  time?: string;
  gpusPerTask?: string;
  /** commander's `--no-exclusive` makes this false; undefined: the default rule. */
  exclusive?: boolean;
  sbatchArg?: string[];
  print?: boolean;
}

function positiveInt(text: string | undefined, option: string, min = 1): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) {
    throw new UsageError(`${option} expects a whole number ≥ ${min}; got '${text}'.`);
  }
  return Number(text);
}

/** sbatch's --mem value in MB (`4G` → 4096, `500M` → 500, `4000` → 4000: sbatch's default unit is MB). */
export function parseMemMB(text: string): number {
  const m = /^\s*(\d+)\s*([KMGT]?)B?\s*$/i.exec(text);
  if (!m || Number(m[1]) === 0) {
    throw new UsageError(`--mem expects a size as sbatch takes it (4G, 4000M, 4000 = MB); got '${text}'.`);
  }
  const factor = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024, '': 1 }[m[2]!.toUpperCase() as 'K'];
  return Math.ceil(Number(m[1]) * factor);
}

/** Checks an sbatch --time value (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS) and returns it unchanged. */
export function checkSlurmTime(text: string): string {
  if (!/^(\d+-)?\d+(:\d+){0,2}$/.test(text.trim()) || /^\d+-\d+:\d+:\d+:\d+$/.test(text.trim())) {
    throw new UsageError(
      `--time expects sbatch's format (minutes, HH:MM:SS or D-HH:MM:SS, e.g. 90 or 1:30:00); got '${text}'.`,
    );
  }
  return text.trim();
}

/**
 * The program that is `eff` here, to run on the nodes: node's absolute path, the flags that change how it loads
 * modules (`--import`/`--loader`/`--require`, e.g. tsx when eff runs from its sources), and eff's entry point with
 * symlinks resolved (a `node_modules/.bin/eff` link would break on a node that resolves it elsewhere).
 */
export function effCommandLine(
  execPath: string = process.execPath,
  execArgv: readonly string[] = process.execArgv,
  entry: string | undefined = process.argv[1],
): string[] {
  if (entry === undefined)
    throw new EffCliError('E_SLURM_ENTRY', 'cannot tell where eff is installed (no argv[1]).');
  const loaders: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (/^--(import|loader|experimental-loader|require)$/.test(arg) || arg === '-r') {
      const value = execArgv[i + 1];
      if (value !== undefined) loaders.push(arg, value.startsWith('.') ? resolve(value) : value);
      i++;
    } else if (/^--(import|loader|experimental-loader|require)=/.test(arg)) {
      loaders.push(arg);
    }
  }
  const realEntry = existsSync(entry) ? realpathSync(entry) : resolve(entry);
  return [execPath, ...loaders, realEntry];
}

/** How a grid will be submitted, before anything is written: for `--print`, for the message and for tests. */
export interface SubmitPlan {
  grid: GridConfig;
  job: BatchJob;
  /** Shards with runs still to do and no task queued or running for them. */
  shardsToSubmit: number[];
  /** Shards whose runs are all done. */
  doneShards: number[];
  /** Shards a task of an earlier submission still has queued or running: `shard → array job id`. */
  activeShards: Map<number, string>;
}

async function loadGrid(io: CliIo, opts: SlurmSubmitOptions): Promise<GridConfig> {
  if ((opts.config === undefined) === (opts.preset === undefined)) {
    throw new UsageError('eff slurm submit needs exactly one of --config FILE or --preset NAME.');
  }
  return opts.preset ? presetConfig(opts.preset) : loadGridConfigFile(resolve(io.cwd, opts.config!));
}

/** `[0,1,2,5,7,8]` → `0-2,5,7-8` (sbatch's --array list syntax). */
export function compactIndices(indices: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < indices.length) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    parts.push(i === j ? `${indices[i]}` : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Plans the submission of `opts`' grid into `opts.out`: the split into tasks, which shards still need a task (runs
 * not done in any results file of DIR, no task of an earlier submission queued or running for them, per squeue),
 * and the resources (see resources.ts). Throws SlurmSubmitError E_SLURM_BUSY when an earlier submission with a
 * different split still has tasks queued or running (its shards would overlap the new ones).
 */
export async function planSubmission(
  io: CliIo,
  opts: SlurmSubmitOptions,
  submitCommand: string,
  effCommand: readonly string[] = effCommandLine(),
): Promise<SubmitPlan> {
  const grid = await loadGrid(io, opts);
  const outDir = resolve(io.cwd, opts.out);
  const plan = expandGrid(grid);
  const runsPerTask = positiveInt(opts.runsPerTask, '--runs-per-task') ?? 1;
  const taskCount = Math.ceil(new Set(plan.map((r) => r.runId)).size / runsPerTask);
  const maxParallel = positiveInt(opts.maxParallel, '--max-parallel');
  const cpusPerTask = positiveInt(opts.cpusPerTask, '--cpus-per-task') ?? defaultCpusPerTask(grid);
  const gpusPerTask = positiveInt(opts.gpusPerTask, '--gpus-per-task', 0) ?? defaultGpusPerTask(grid);

  const done = existsSync(outDir) ? await completedRunIds(outDir) : new Set<string>();
  const assignment = shardAssignment(plan, taskCount);
  const todoShards = new Set<number>();
  for (const run of plan) if (!done.has(run.runId)) todoShards.add(assignment.get(run.runId)!);

  const activeShards = new Map<number, string>();
  const submissions = existsSync(outDir) ? await readSubmissions(outDir) : [];
  if (submissions.length > 0) {
    const queue = await queryQueue(
      submissions.map((s) => s.arrayJobId),
      io.env,
    );
    for (const task of queue.tasks) {
      const submission = submissions.find((s) => s.arrayJobId === task.arrayJobId);
      if (!submission || task.taskId === undefined) continue;
      if (submission.shardCount !== taskCount) {
        throw new SlurmSubmitError(
          'E_SLURM_BUSY',
          `array job ${task.arrayJobId} split this grid into ${submission.shardCount} shards and still has task ${task.taskId} ${task.state.toLowerCase()}; ` +
            `a new split into ${taskCount} would run some runs twice. Wait for it (eff status ${opts.out}) or cancel it (scancel ${task.arrayJobId}), then submit again.`,
        );
      }
      activeShards.set(task.taskId, task.arrayJobId);
    }
  }
  const shardsToSubmit = [...todoShards].filter((s) => !activeShards.has(s)).sort((a, b) => a - b);
  const doneShards = Array.from({ length: taskCount }, (_, i) => i).filter((i) => !todoShards.has(i));

  const estimated = estimateTaskMinutes(
    plan.map((r) => r.config),
    runsPerTask,
  );
  const time = opts.time === undefined ? formatSlurmTime(estimated) : checkSlurmTime(opts.time);
  const exclusiveDefault = measuresCpuOrRam(grid);
  const exclusive = opts.exclusive ?? exclusiveDefault;
  const job: BatchJob = {
    gridName: grid.name,
    runCount: plan.length,
    taskCount,
    runsPerTask,
    taskIds: compactIndices(shardsToSubmit),
    ...(maxParallel === undefined ? {} : { maxParallel }),
    outDir,
    gridFile: join(outDir, SLURM_GRID_FILE),
    logDir: join(outDir, SLURM_LOG_DIR),
    cpusPerTask,
    memMB: opts.mem === undefined ? estimateMemoryMB(grid) : parseMemMB(opts.mem),
    time,
    timeNote:
      opts.time === undefined
        ? `Time limit: ${runsPerTask === 1 ? 'the slowest run' : `the ${runsPerTask} slowest runs`} of the grid at max epochs, estimated from image count and width (eff's cluster.md guide), × ${TIME_MARGIN}; --time overrides.`
        : `Time limit: given with --time (the estimate was ${formatSlurmTime(estimated)}).`,
    gpusPerTask,
    gpuNote:
      gpusPerTask > 0
        ? `${gpusPerTask} GPU${gpusPerTask === 1 ? '' : 's'} per task: eff measures (and the GPU backend trains on) the allocated GPU only (SLURM sets CUDA_VISIBLE_DEVICES).`
        : 'No GPU: the runs neither train on one (backend) nor measure one (probes); --gpus-per-task N asks for some.',
    exclusive,
    exclusiveNote: exclusive
      ? opts.exclusive === undefined
        ? 'The node to this task alone: the grid measures CPU or RAM energy, which is the whole node’s (--no-exclusive turns this off).'
        : 'The node to this task alone (--exclusive).'
      : exclusiveDefault
        ? 'Not exclusive (--no-exclusive): other jobs may share the node; eff marks CPU/RAM energy as shared, never charged to the run.'
        : 'Not exclusive: the grid measures only GPUs, and each task measures only its allocated GPU.',
    extraSbatchArgs: opts.sbatchArg ?? [],
    effCommand,
    submitCommand,
    writtenAt: new Date(),
  };
  return { grid, job, shardsToSubmit, doneShards, activeShards };
}

interface SbatchResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runSbatch(args: readonly string[], io: CliIo, cwd: string): Promise<SbatchResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('sbatch', [...args], { cwd, env: io.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(
          new SlurmSubmitError(
            'E_SLURM_NO_SBATCH',
            'sbatch is not on PATH: run eff slurm submit on a machine that submits SLURM jobs (a login node), or add --print to see the batch script without submitting.',
          ),
        );
      } else reject(err);
    });
    child.once('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Writes `text` to `file` through a temporary file and a rename, so a reader never sees half of it. */
async function writeAtomically(file: string, text: string, mode?: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text, mode === undefined ? {} : { mode });
  await rename(tmp, file);
}

/**
 * Runs `eff slurm submit`: plans (see `planSubmission`), then with `print` writes the script to stdout and nothing
 * else; otherwise writes DIR/grid.json, DIR/slurm-job.sh and DIR/logs/, submits with `sbatch --parsable` (from the
 * current directory, where the tasks then start),
 * records the array job in DIR/slurm-jobs.txt (for `eff status` and the next submission) and prints the job id.
 * Nothing to submit (every run done, or queued/running in an earlier array) is success: exit 0, no sbatch.
 * Errors: UsageError (exit 2) for bad options, ConfigError for a bad grid, SlurmSubmitError when sbatch is missing
 * (E_SLURM_NO_SBATCH) or refuses the job (E_SLURM_SBATCH, with sbatch's stderr).
 */
export async function slurmSubmitCommand(
  io: CliIo,
  opts: SlurmSubmitOptions,
  argv: readonly string[],
): Promise<number> {
  const submitCommand = ['eff', 'slurm', 'submit', ...argv].map(shellQuote).join(' ');
  const planned = await planSubmission(io, opts, submitCommand);
  const { job, grid } = planned;
  const active = [...new Set(planned.activeShards.values())];
  if (planned.shardsToSubmit.length === 0) {
    const where =
      active.length > 0
        ? `; the rest are queued or running in array job${active.length === 1 ? '' : 's'} ${active.join(', ')} (eff status ${opts.out})`
        : '';
    io.stdout.write(
      `Nothing to submit: ${planned.doneShards.length} of ${job.taskCount} tasks of grid ${grid.name} have all their runs done${where}.\n`,
    );
    return 0;
  }
  const script = renderBatchScript(job);
  if (opts.print) {
    io.stdout.write(script);
    return 0;
  }
  await mkdir(job.logDir, { recursive: true });
  await writeAtomically(job.gridFile, `${JSON.stringify(grid, null, 2)}\n`);
  const scriptFile = join(job.outDir, SLURM_SCRIPT_FILE);
  await writeAtomically(scriptFile, script, 0o755);
  // From the user's directory, as sbatch run by hand would be: the tasks start there (every path in the script is
  // absolute, so only tools that resolve from the working directory, e.g. tsx in eff's own tests, notice).
  const result = await runSbatch(['--parsable', scriptFile], io, io.cwd);
  if (result.code !== 0) {
    const said = result.stderr.trim() || result.stdout.trim() || 'no message';
    // `sbatch: fatal: …` is sbatch itself failing (no slurm.conf, slurmctld unreachable, munge down), not a job option.
    const advice =
      /sbatch: fatal:|Unable to contact slurm controller|Could not establish a configuration source|munge/i.test(
        said,
      )
        ? 'sbatch cannot reach a SLURM cluster from here (check `sinfo`, slurm.conf and munge); the job itself was not judged.'
        : 'fix the option it names (--sbatch-arg, --mem, --time, --gpus-per-task, --cpus-per-task) and run the same command again.';
    throw new SlurmSubmitError(
      'E_SLURM_SBATCH',
      `sbatch refused the job (exit ${result.code}): ${said}\nThe script is ${scriptFile}; ${advice}`,
    );
  }
  // --parsable prints `jobid` or `jobid;cluster` (sbatch(1)).
  const jobId = /^(\d+)(?:;\S+)?\s*$/m.exec(result.stdout)?.[1];
  if (jobId === undefined) {
    throw new SlurmSubmitError(
      'E_SLURM_SBATCH',
      `sbatch --parsable printed no job id: '${result.stdout.trim()}' ${result.stderr.trim()}`,
    );
  }
  await appendSubmission(job.outDir, { arrayJobId: jobId, shardCount: job.taskCount });
  const skipped: string[] = [];
  if (planned.doneShards.length > 0) skipped.push(`${planned.doneShards.length} done`);
  if (active.length > 0) {
    skipped.push(
      `${planned.activeShards.size} still queued or running in array job${active.length === 1 ? '' : 's'} ${active.join(', ')}`,
    );
  }
  io.stdout.write(
    `Submitted array job ${jobId}: tasks ${job.taskIds}${job.maxParallel === undefined ? '' : `%${job.maxParallel}`} of ${job.taskCount} ` +
      `(grid ${grid.name}, ${job.runCount} runs, at most ${job.runsPerTask} per task)` +
      `${skipped.length > 0 ? `; not submitted: ${skipped.join(', ')}` : ''}.\n` +
      `  script: ${scriptFile}\n  logs:   ${job.logDir}/${jobId}_<task>.out\n` +
      `  follow: eff status ${opts.out}   (squeue -j ${jobId})\n` +
      '  after a failure, run the same command again: only shards with runs missing are submitted.\n',
  );
  return 0;
}
