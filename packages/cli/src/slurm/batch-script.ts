// Renders the job-array batch script `eff slurm submit` writes into the results directory (read by people, run by sbatch).

/** Everything the batch script says; paths absolute, since compute nodes run it from SLURM's spool directory. */
export interface BatchJob {
  gridName: string;
  /** Runs in the whole grid. */
  runCount: number;
  /** Array tasks the grid is split into: task I runs shard I of `taskCount` (`eff run --shard I/taskCount`). */
  taskCount: number;
  /** Runs per task at most (`--runs-per-task`). */
  runsPerTask: number;
  /** The task ids submitted: `0-3` for all, `1,3` when only those shards still have runs to do. */
  taskIds: string;
  /** At most this many tasks at a time (`%M`); undefined: no throttle. */
  maxParallel?: number;
  /** Results directory (absolute); the tasks append their results files there. */
  outDir: string;
  /** The resolved grid config the tasks run (absolute). */
  gridFile: string;
  /** Where the tasks' stdout/stderr go (absolute). */
  logDir: string;
  cpusPerTask: number;
  memMB: number;
  /** sbatch `--time` value, e.g. `0-01:30:00`. */
  time: string;
  /** How the time limit was found, one line for the comment. */
  timeNote: string;
  gpusPerTask: number;
  /** Why GPUs are (not) requested, one line for the comment. */
  gpuNote: string;
  exclusive: boolean;
  /** Why the node is (not) asked for exclusively, one line for the comment. */
  exclusiveNote: string;
  /** Extra sbatch options, passed through as they were given (`--partition=gpu`, `--account=abc`). */
  extraSbatchArgs: readonly string[];
  /** The program that is `eff` on the nodes: node's absolute path, its flags, eff's entry point (absolute). */
  effCommand: readonly string[];
  /** The `eff slurm submit` command line that wrote the script, for the header. */
  submitCommand: string;
  /** When the script was written. */
  writtenAt: Date;
}

/** `text` quoted for bash: kept as is when it holds only safe characters, else in single quotes. */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The batch script for `job`: `#SBATCH` lines (each after a comment saying why) and a body that runs
 * `eff run --config GRID --out DIR --shard $SLURM_ARRAY_TASK_ID/T`. sbatch reads `#SBATCH` lines only up to the first
 * command, so every directive comes before `set`; comments stay on their own lines (sbatch(1), "DESCRIPTION").
 */
export function renderBatchScript(job: BatchJob): string {
  const q = shellQuote;
  const array = `${job.taskIds}${job.maxParallel === undefined ? '' : `%${job.maxParallel}`}`;
  const lines: string[] = [
    '#!/bin/bash',
    `# eff: grid "${job.gridName}" (${job.runCount} run${job.runCount === 1 ? '' : 's'}) as a SLURM job array of ${job.taskCount} task${job.taskCount === 1 ? '' : 's'}, at most ${job.runsPerTask} run${job.runsPerTask === 1 ? '' : 's'} each.`,
    `# Written by eff slurm submit at ${job.writtenAt.toISOString()}; submitted with: ${job.submitCommand}`,
    `# Task I runs shard I of ${job.taskCount} (eff run --shard I/${job.taskCount}: the grid's runIds sorted, dealt round-robin)`,
    '# and appends to its own results file in the results directory. A task whose runs are all done exits 0 at once,',
    '# so running the same eff slurm submit command again after a failure reruns only what is missing.',
    '',
    `#SBATCH --job-name=eff-${job.gridName.replace(/[^A-Za-z0-9_.-]/g, '_')}`,
    job.maxParallel === undefined
      ? `# Tasks to run (shards with runs still to do).`
      : `# Tasks to run (shards with runs still to do); %${job.maxParallel}: at most ${job.maxParallel} at a time (--max-parallel).`,
    `#SBATCH --array=${array}`,
    '# Each task logs to logs/<array job id>_<task id>.out and .err beside the results.',
    `#SBATCH --output=${job.logDir}/%A_%a.out`,
    `#SBATCH --error=${job.logDir}/%A_%a.err`,
    `# CPUs per task; eff's wasm kernels run one thread per CPU (EFF_WASM_THREADS below).`,
    `#SBATCH --cpus-per-task=${job.cpusPerTask}`,
    `# Memory: node, tfjs and the model (1.5 GB) plus the dataset's pixels twice, rounded up to whole GB (or --mem).`,
    `#SBATCH --mem=${job.memMB}M`,
    `# ${job.timeNote}`,
    `#SBATCH --time=${job.time}`,
    `# ${job.gpuNote}`,
  ];
  if (job.gpusPerTask > 0) lines.push(`#SBATCH --gres=gpu:${job.gpusPerTask}`);
  lines.push(`# ${job.exclusiveNote}`);
  if (job.exclusive) lines.push('#SBATCH --exclusive');
  if (job.extraSbatchArgs.length > 0) {
    lines.push('# Passed through from eff slurm submit (--sbatch-arg, or after --):');
    for (const arg of job.extraSbatchArgs) lines.push(`#SBATCH ${arg}`);
  }
  const run = [
    ...job.effCommand.map(q),
    'run',
    '--config',
    q(job.gridFile),
    '--out',
    q(job.outDir),
    '--shard',
    `"\${SLURM_ARRAY_TASK_ID}/${job.taskCount}"`,
  ].join(' ');
  lines.push(
    '',
    'set -euo pipefail',
    '# One training thread per allocated CPU, not one per core of the node (unless EFF_WASM_THREADS is set).',
    `export EFF_WASM_THREADS="\${EFF_WASM_THREADS:-\${SLURM_CPUS_PER_TASK:-${job.cpusPerTask}}}"`,
    "# Whether this task asked for the node alone; eff records it (scontrol's answer wins when it has one).",
    `export EFF_NODE_EXCLUSIVE=${job.exclusive ? 1 : 0}`,
    '# exec: scancel and the time limit signal eff itself, which stops the run in progress without recording it.',
    `exec ${run}`,
    '',
  );
  return lines.join('\n');
}
