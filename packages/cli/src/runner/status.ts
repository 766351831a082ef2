// `eff status DIR`: runs done / diverged / failed / not started per shard of the grid, and the SLURM queue's tasks.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  type DuplicateRun,
  ResultsFormatError,
  readRunIndex,
  readRunRecords,
  type TornLine,
} from '@eff/core';
import { ConfigError, ResultsError, UsageError } from '../errors.js';
import type { GridConfig } from '../grid/config.js';
import { expandGrid } from '../grid/expand.js';
import { loadGridConfigFile, presetConfig } from '../grid/load.js';
import type { CliIo } from '../io.js';
import { shardAssignment } from './shard.js';
import { type QueueAnswer, type QueuedTask, queryQueue } from './squeue.js';
import { readSubmissions } from './submissions.js';

/** Exit codes of `eff status` (docs/cli.md). */
export const STATUS_EXIT = {
  /** Every run of the grid has a final outcome (completed or diverged). */
  complete: 0,
  /** A results directory that cannot be read (not a directory, a bad line). */
  resultsError: 1,
  /** Bad options, or no grid to compare with. */
  usage: 2,
  /** Runs remain: failed (to be retried) or not started. */
  incomplete: 3,
} as const;

/** Counts of one shard (or of the whole grid). */
export interface RunCounts {
  runs: number;
  done: number;
  diverged: number;
  failed: number;
  notStarted: number;
}

export interface ShardStatus extends RunCounts {
  index: number;
  /** Queued or running array tasks of this shard (task id = shard index, as `eff slurm submit` numbers them). */
  tasks: QueuedTask[];
}

export interface GridStatus {
  gridName: string;
  shardCount: number;
  /** Where the shard count came from, for the header. */
  shardCountFrom: 'option' | 'submission' | 'records' | 'none';
  total: RunCounts;
  shards: ShardStatus[];
  files: string[];
  duplicates: DuplicateRun[];
  tornLines: TornLine[];
  /** Runs in the results that this grid does not have (another grid's, or the grid changed). */
  notInGrid: number;
  /** undefined when there was no array job to ask about. */
  queue: (QueueAnswer & { arrayJobIds: string[] }) | undefined;
}

/**
 * The grid of a results directory: `grid-<name>.json` written there by `eff run` (and `eff slurm submit`). Throws
 * UsageError when there is none, or several (then --config/--preset picks one).
 */
export async function storedGrid(dir: string): Promise<GridConfig> {
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => /^grid-.+\.json$/.test(n)) : [];
  if (names.length === 0) {
    throw new UsageError(
      `${dir} holds no grid-<name>.json (eff run writes it on its first start); give the grid with --config FILE or --preset NAME.`,
    );
  }
  if (names.length > 1) {
    throw new UsageError(
      `${dir} holds several grids (${names.join(', ')}); pick one with --config ${join(dir, names[0]!)}.`,
    );
  }
  return loadGridConfigFile(join(dir, names[0]!));
}

function zero(): RunCounts {
  return { runs: 0, done: 0, diverged: 0, failed: 0, notStarted: 0 };
}

/** From the records' placements: the shard count of the latest run written with one, and every array job id. */
async function placementsOf(
  dir: string,
): Promise<{ shardCount: number | undefined; arrayJobIds: Set<string> }> {
  let latest: { at: string; count: number } | undefined;
  const arrayJobIds = new Set<string>();
  for await (const { record } of readRunRecords(dir)) {
    const placement = record.environment.placement;
    const count = placement?.shard?.count;
    if (count !== undefined && (latest === undefined || record.startedAt >= latest.at)) {
      latest = { at: record.startedAt, count };
    }
    if (placement?.arrayJobId !== undefined) arrayJobIds.add(placement.arrayJobId);
  }
  return { shardCount: latest?.count, arrayJobIds };
}

/**
 * What `eff status` shows, from the grid and every `*.jsonl` in `dir`: per run its best outcome (a completed or
 * diverged record wins over failed attempts; a run found twice counts once and is listed in `duplicates`), per
 * shard the counts, and, for the array jobs recorded (DIR/slurm-jobs.txt, records' placement, results file names),
 * what squeue says.
 * The shard count is `shards` when given, else the last submission's, else the latest record's, else 1.
 */
export async function gridStatus(
  dir: string,
  grid: GridConfig,
  options: { shards?: number; env: NodeJS.ProcessEnv; askQueue?: boolean },
): Promise<GridStatus> {
  const index = await readRunIndex(dir);
  const submissions = await readSubmissions(dir);
  const placements = await placementsOf(dir);
  let shardCount = 1;
  let shardCountFrom: GridStatus['shardCountFrom'] = 'none';
  if (options.shards !== undefined) {
    shardCount = options.shards;
    shardCountFrom = 'option';
  } else if (submissions.length > 0) {
    shardCount = submissions[submissions.length - 1]!.shardCount;
    shardCountFrom = 'submission';
  } else {
    if (placements.shardCount !== undefined) {
      shardCount = placements.shardCount;
      shardCountFrom = 'records';
    }
  }
  const plan = expandGrid(grid);
  const assignment = shardAssignment(plan, shardCount);
  const shards: ShardStatus[] = Array.from({ length: shardCount }, (_, i) => ({
    index: i,
    ...zero(),
    tasks: [],
  }));
  const total = zero();
  const planned = new Set<string>();
  for (const runId of assignment.keys()) {
    planned.add(runId);
    const shard = shards[assignment.get(runId)!]!;
    const status = index.runs.get(runId)?.status;
    const key =
      status === 'completed' ? 'done' : status === 'diverged' ? 'diverged' : (status ?? 'notStarted');
    for (const c of [shard, total]) {
      c.runs += 1;
      c[key as keyof RunCounts] += 1;
    }
  }
  const notInGrid = [...index.runs.keys()].filter((id) => !planned.has(id)).length;

  let queue: GridStatus['queue'];
  if (options.askQueue !== false) {
    // Also from file names (resultsFileName's `-slurm-<A>_<a>`): a task whose records were all duplicates is still seen.
    const fromNames = index.files.flatMap((f) => /-slurm-(\d+)_\d+\.jsonl$/.exec(f)?.[1] ?? []);
    const arrayJobIds = [
      ...new Set([...submissions.map((s) => s.arrayJobId), ...placements.arrayJobIds, ...fromNames]),
    ];
    if (arrayJobIds.length > 0) {
      const answer = await queryQueue(arrayJobIds, options.env);
      queue = { ...answer, arrayJobIds };
      const counts = new Map(submissions.map((s) => [s.arrayJobId, s.shardCount]));
      for (const task of answer.tasks) {
        // A task runs shard <task id> only for an array submitted with as many tasks as there are shards now.
        const count = counts.get(task.arrayJobId);
        if (task.taskId !== undefined && (count === undefined || count === shardCount)) {
          shards[task.taskId]?.tasks.push(task);
        }
      }
    }
  }
  return {
    gridName: grid.name,
    shardCount,
    shardCountFrom,
    total,
    shards,
    files: index.files,
    duplicates: index.duplicates,
    tornLines: index.tornLines,
    notInGrid,
    queue,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i >= 1 && i <= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function taskText(tasks: readonly QueuedTask[]): string {
  return tasks.map((t) => `${t.arrayJobId}_${t.taskId} ${t.state}`).join(', ');
}

/** The status as text: a header, one row per shard (with its queued tasks), totals, then what needs attention. */
export function formatStatus(s: GridStatus): string {
  const from = {
    option: '--shards',
    submission: 'last eff slurm submit',
    records: 'the latest run',
    none: 'no shards recorded',
  }[s.shardCountFrom];
  const lines = [
    `grid ${s.gridName}: ${s.total.runs} runs in ${s.shardCount} shard${s.shardCount === 1 ? '' : 's'} (${from}); ${s.files.length} results file${s.files.length === 1 ? '' : 's'}`,
  ];
  const withQueue = s.queue?.available === true && s.queue.error === undefined;
  const header = [
    'shard',
    'runs',
    'done',
    'diverged',
    'failed',
    'not started',
    ...(withQueue ? ['slurm'] : []),
  ];
  const row = (name: string, c: RunCounts, extra?: string) => [
    name,
    String(c.runs),
    String(c.done),
    String(c.diverged),
    String(c.failed),
    String(c.notStarted),
    ...(withQueue ? [extra ?? ''] : []),
  ];
  const rows = [header, ...s.shards.map((sh) => row(`${sh.index}/${s.shardCount}`, sh, taskText(sh.tasks)))];
  rows.push(row('all', s.total));
  lines.push(table(rows));
  if (s.queue) {
    if (!s.queue.available) {
      lines.push(
        `squeue is not on PATH: queued and running array tasks of job ${s.queue.arrayJobIds.join(', ')} not shown.`,
      );
    } else if (s.queue.error) {
      lines.push(`squeue failed (${s.queue.error}): queued and running tasks not shown.`);
    } else {
      const running = s.queue.tasks.filter((t) => t.state === 'RUNNING' || t.state === 'COMPLETING');
      const pending = s.queue.tasks.filter((t) => t.state === 'PENDING');
      const other = s.queue.tasks.filter((t) => !running.includes(t) && !pending.includes(t));
      lines.push(
        `slurm job ${s.queue.arrayJobIds.join(', ')}: ${running.length} task${running.length === 1 ? '' : 's'} running, ${pending.length} pending${other.length > 0 ? `, ${other.length} ${[...new Set(other.map((t) => t.state))].join('/')}` : ''}` +
          (s.queue.tasks.length === 0 ? ' (none left in the queue)' : ''),
      );
    }
  }
  for (const d of s.duplicates.slice(0, 5)) {
    lines.push(
      `run ${d.runId} found twice: counted once (${d.first.file}:${d.first.line}), again in ${d.again.file}:${d.again.line}.`,
    );
  }
  if (s.duplicates.length > 5) lines.push(`… and ${s.duplicates.length - 5} more runs found twice.`);
  for (const t of s.tornLines) {
    lines.push(
      `${t.file}:${t.line}: last line cut by a crash (${t.bytes} bytes), left out; its run is not done.`,
    );
  }
  if (s.notInGrid > 0) {
    lines.push(
      `${s.notInGrid} run(s) in the results are not in grid ${s.gridName} (another grid, or the grid changed).`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `eff status DIR [--config F | --preset P] [--shards N]`; resolves with the exit code (see STATUS_EXIT). */
export async function runStatusCommand(
  io: CliIo,
  dirArg: string,
  opts: { config?: string; preset?: string; shards?: string },
): Promise<number> {
  let dir = resolve(io.cwd, dirArg);
  if (!existsSync(dir)) {
    throw new ResultsError(`results directory ${dir} does not exist; give the --out directory of eff run.`);
  }
  if (!statSync(dir).isDirectory()) {
    // a results file given for its directory (as eff report accepts): count the whole directory, say so
    if (!dir.endsWith('.jsonl')) {
      throw new ResultsError(
        `${dir} is a file, not a results directory; give the --out directory of eff run, e.g. eff status ${dirname(dir)}.`,
      );
    }
    io.stderr.write(
      `eff status: ${basename(dir)} is a results file; counting its directory ${dirname(dir)}.\n`,
    );
    dir = dirname(dir);
  }
  if (opts.config !== undefined && opts.preset !== undefined) {
    throw new UsageError('eff status takes at most one of --config FILE or --preset NAME.');
  }
  let shards: number | undefined;
  if (opts.shards !== undefined) {
    if (!/^\d+$/.test(opts.shards) || Number(opts.shards) < 1) {
      throw new UsageError(`--shards expects the number of shards N (1 or more); got '${opts.shards}'.`);
    }
    shards = Number(opts.shards);
  }
  let grid: GridConfig;
  try {
    grid = opts.preset
      ? presetConfig(opts.preset)
      : opts.config
        ? await loadGridConfigFile(resolve(io.cwd, opts.config))
        : await storedGrid(dir);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  let status: GridStatus;
  try {
    status = await gridStatus(dir, grid, { env: io.env, ...(shards === undefined ? {} : { shards }) });
  } catch (err) {
    if (err instanceof ResultsFormatError) throw new ResultsError(err.message);
    throw err;
  }
  io.stdout.write(formatStatus(status));
  const remaining = status.total.failed + status.total.notStarted;
  return remaining === 0 ? STATUS_EXIT.complete : STATUS_EXIT.incomplete;
}
