// Runs a grid (or one shard of it) one run at a time, appending each run to this process's own results file.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  carbonOf,
  type DuplicateRun,
  type GridIntensity,
  intensityFromConfig,
  type Placement,
  type RunRecord,
  readRunIndex,
  resultsFileName,
  runSummaryLine,
  withPlacement,
} from '@eff/core';
import { type CarbonCliOptions, carbonFromCli } from '../commands/carbon-option.js';
import { InterruptedError } from '../errors.js';
import type { GridConfig } from '../grid/config.js';
import { expandGrid, type PlannedRun } from '../grid/expand.js';
import { loadGridConfigFile, presetConfig } from '../grid/load.js';
import type { CliIo } from '../io.js';
import type { LiveMetrics } from '../metrics/live-metrics.js';
import { interruptOnSignals } from './interrupt.js';
import { placementFromEnv, resolveShard, type ShardSpec } from './placement.js';
import { type GridProgress, progressFor } from './progress.js';
import { selectShard } from './shard.js';
import { appendRunRecord, repairResultsFile } from './store.js';

export interface GridOutcome {
  completed: number;
  /** Runs ended by a non-finite loss or accuracy: a result (kept, not retried), not a failure. */
  diverged: number;
  failed: number;
  skipped: number;
  interrupted: boolean;
  resultsFile: string;
  /** Records written by this invocation, in order. */
  records: RunRecord[];
}

/**
 * Devices a run did not fully measure, one phrase each (`nvidia-smi gpu0 unsupported`, `rocm-smi card1 lost, 2.10 s
 * uncovered`), from the probes' per-device reports; empty when every device was measured throughout.
 */
export { deviceShortfalls } from '@eff/core';

export interface RunGridOptions {
  grid: GridConfig;
  outDir: string;
  io: CliIo;
  progress?: GridProgress;
  /** Aborted on Ctrl-C: the run in progress stops at the next batch and is not recorded. */
  signal?: AbortSignal;
  /** Run only this shard of the grid (see shard.ts); the whole grid when absent. */
  shard?: ShardSpec;
  /**
   * Where this process runs (scheduler job, array task, shard, allocation): names its results file
   * (`resultsFileName`) and goes into every record it writes. Defaults to `{ shard }` when a shard is given.
   */
  placement?: Placement;
  /** Live series (`--metrics-port`): the run in progress, its epochs, power and energy, and the runs' outcomes. */
  metrics?: LiveMetrics;
  /** Grid intensity and PUE for final.carbon (`--carbon-intensity`/`--carbon-country`); wins over the config's `carbon`. */
  carbon?: { intensity: GridIntensity; pue: number };
}

/**
 * The carbon setting a grid runs with: the CLI's, else the config's `carbon` block (a fixed intensity, else a
 * country's average, else an Electricity Maps zone's live intensity, fetched now with the token in `env` as
 * --carbon-zone does), else none. Throws CarbonApiError when a zone's intensity cannot be had.
 */
async function carbonSetting(
  options: RunGridOptions,
  env: Record<string, string | undefined>,
): Promise<{ intensity: GridIntensity; pue: number } | null> {
  if (options.carbon) return options.carbon;
  const c = options.grid.carbon;
  if (!c) return null;
  const intensity = intensityFromConfig(c, 'config');
  if (intensity) return { intensity, pue: c.pue ?? 1 };
  if (c.zone !== undefined) return carbonFromCli({ carbonZone: c.zone, pue: c.pue ?? 1 }, env);
  return null;
}

/** The resolved grid's file in a results directory: `grid-<name>.json` (what `eff status` reads). */
export function gridFileName(grid: GridConfig): string {
  return `grid-${grid.name}.json`;
}

/**
 * Writes the resolved grid beside the results as `gridFileName(grid)`, through a temporary file renamed over it, so
 * that the array tasks of one grid, each writing the same content, never leave a half-written file for a reader.
 */
export async function writeGridFile(outDir: string, grid: GridConfig): Promise<string> {
  const file = join(outDir, gridFileName(grid));
  const tmp = `${file}.${hostname()}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(grid, null, 2)}\n`);
  await rename(tmp, file);
  return file;
}

/**
 * Plan vs results: the runs of the grid (of `shard` only, when given) and which are done — a run with a final
 * outcome in any `*.jsonl` beside `resultsFile` (every shard's and every job's file) is done. `duplicates` are runs
 * whose final outcome is there more than once (counted once; the user is told).
 */
export async function planGrid(
  grid: GridConfig,
  resultsFile: string,
  shard?: ShardSpec,
): Promise<{ plan: PlannedRun[]; done: Set<string>; duplicates: DuplicateRun[] }> {
  const all = expandGrid(grid);
  const plan = shard ? selectShard(all, shard) : all;
  const index = await readRunIndex(dirname(resultsFile));
  const done = new Set([...index.runs].filter(([, e]) => e.status !== 'failed').map(([runId]) => runId));
  return { plan, done, duplicates: index.duplicates };
}

/** One line about runs found more than once in the results directory, or null when there are none. */
export function duplicatesNote(duplicates: readonly DuplicateRun[]): string | null {
  const d = duplicates[0];
  if (d === undefined) return null;
  return (
    `eff: ${duplicates.length} run(s) found more than once in the results, each counted once (first: ${d.runId} in ` +
    `${d.first.file}:${d.first.line}, again in ${d.again.file}:${d.again.line}).`
  );
}

/**
 * One line on where this process runs under a scheduler, e.g. `SLURM job 4310_1 (job id 4311): GPUs 1, 4 CPUs, node
 * shared with other jobs (CPU/RAM energy is marked as shared)`; null outside one.
 */
export function placementText(placement: Placement | undefined): string | null {
  if (placement?.scheduler !== 'slurm') return null;
  const job =
    placement.arrayJobId !== undefined && placement.arrayTaskId !== undefined
      ? `${placement.arrayJobId}_${placement.arrayTaskId} (job id ${placement.jobId})`
      : placement.jobId;
  const parts = [
    placement.allocatedGpus ? `GPUs ${placement.allocatedGpus.join(',')}` : 'no GPUs allocated',
    placement.allocatedCpus !== undefined ? `${placement.allocatedCpus} CPUs` : 'CPUs unknown',
    placement.exclusive
      ? 'node exclusive'
      : 'node shared with other jobs (CPU/RAM energy is marked as shared)',
  ];
  return `SLURM job ${job}: ${parts.join(', ')}`;
}

function shardLabel(shard: ShardSpec | undefined): string {
  return shard ? ` shard ${shard.index}/${shard.count}` : '';
}

export async function runGrid(options: RunGridOptions): Promise<GridOutcome> {
  const { grid, io } = options;
  const progress = options.progress ?? progressFor(io);
  await mkdir(options.outDir, { recursive: true });
  const placement = options.placement ?? (options.shard ? { shard: options.shard } : undefined);
  // One writer per file: this process appends only to its own file, and repairs only its own torn tail.
  const resultsFile = join(options.outDir, resultsFileName(placement));
  const repaired = await repairResultsFile(resultsFile);
  if (repaired) io.stderr.write(`${repaired}\n`);
  const { plan, done, duplicates } = await planGrid(grid, resultsFile, options.shard);
  const note = duplicatesNote(duplicates);
  if (note) io.stderr.write(`${note}\n`);
  // The resolved grid (defaults applied) is kept beside the results, so a results directory explains itself.
  await writeGridFile(options.outDir, grid);
  const todo = plan.filter((r) => !done.has(r.runId));
  // Resolved before training, so an unknown country fails at once, not after the first run.
  const carbon = await carbonSetting(options, io.env);
  const outcome: GridOutcome = {
    completed: 0,
    diverged: 0,
    failed: 0,
    skipped: plan.length - todo.length,
    interrupted: false,
    resultsFile,
    records: [],
  };
  progress.gridStart({
    total: plan.length,
    alreadyDone: outcome.skipped,
    resultsFile,
    gridName: `${grid.name}${shardLabel(options.shard)}`,
  });
  if (todo.length === 0) {
    progress.gridEnd(outcome);
    return outcome;
  }
  // tfjs and the models load only when there is something to train (a finished grid or --dry-run stays fast).
  const { openTrainingSession } = await import('./train.js');
  const session = await openTrainingSession(grid, { progress });
  try {
    // The first timed run of a process would otherwise pay for kernel compilation and cold caches (issue 16: the
    // same epochs cost 118 J first and 52 J third); an untimed warm-up on the first run's model and data absorbs it.
    if (grid.warmUp && todo[0] && !options.signal?.aborted) {
      const w = await session.warmUp(todo[0]);
      progress.message(
        `warm-up done: ${todo[0].config.model} on ${w.examples} ${todo[0].config.dataset} examples, 1 epoch, untimed (${(w.durationMs / 1000).toFixed(1)} s); warmUp: false in the grid config skips it`,
      );
    }
    let index = outcome.skipped;
    for (const run of todo) {
      if (options.signal?.aborted) break;
      index += 1;
      progress.runStart({ index, total: plan.length, label: run.label, maxEpochs: run.config.maxEpochs });
      options.metrics?.runStarted({ runId: run.runId, ...run.config });
      try {
        const record = withPlacement(
          await session.train(run, {
            signal: options.signal,
            onEpoch: (p) =>
              progress.epoch(
                carbon
                  ? { ...p, gramsCO2e: carbonOf(p.cumulativeEnergyJ, carbon.intensity, carbon.pue).gramsCO2e }
                  : p,
              ),
            ...(options.metrics ? { metrics: options.metrics } : {}),
          }),
          placement,
        );
        if (carbon) record.final.carbon = carbonOf(record.final.energyJ.total, carbon.intensity, carbon.pue);
        options.metrics?.runEnded(record.status);
        await appendRunRecord(resultsFile, record);
        outcome.records.push(record);
        if (record.status === 'completed' || record.status === 'diverged') {
          outcome[record.status] += 1;
          progress.runEnd({ label: run.label, summary: runSummaryLine(record) });
        } else {
          outcome.failed += 1;
          progress.runFailed({ label: run.label, error: record.error ?? 'unknown error' });
        }
      } catch (err) {
        if (err instanceof InterruptedError || options.signal?.aborted) break;
        throw err;
      }
    }
  } finally {
    await session.close();
  }
  outcome.interrupted = options.signal?.aborted === true;
  progress.gridEnd(outcome);
  return outcome;
}

export async function runGridCommand(
  io: CliIo,
  opts: {
    config?: string;
    preset?: string;
    out: string;
    dryRun?: boolean;
    gpus?: string[];
    shard?: string;
    tdp?: number;
    metrics?: LiveMetrics;
  } & CarbonCliOptions,
): Promise<number> {
  const carbon = await carbonFromCli(opts, io.env);
  // A bad --shard or an array that does not map onto shards fails before anything is loaded or written.
  const shard = resolveShard(opts.shard, io.env);
  const loaded = opts.preset
    ? presetConfig(opts.preset)
    : await loadGridConfigFile(resolve(io.cwd, opts.config!));
  // --gpus wins over the config's gpus (as both win over the environment).
  const withGpus = opts.gpus ? { ...loaded, gpus: opts.gpus } : loaded;
  // --tdp wins over the config's tdpW likewise.
  const grid = opts.tdp !== undefined ? { ...withGpus, tdpW: opts.tdp } : withGpus;
  const outDir = resolve(io.cwd, opts.out);
  if (opts.dryRun) {
    const { plan, done, duplicates } = await planGrid(
      grid,
      join(outDir, resultsFileName(shard ? { shard } : undefined)),
      shard,
    );
    const note = duplicatesNote(duplicates);
    if (note) io.stderr.write(`${note}\n`);
    for (const run of plan) {
      io.stdout.write(`${done.has(run.runId) ? 'done ' : 'todo '} ${run.runId}  ${run.label}\n`);
    }
    const remaining = plan.filter((r) => !done.has(r.runId)).length;
    const where = shard ? `shard ${shard.index}/${shard.count} of grid ${grid.name}` : `grid ${grid.name}`;
    io.stdout.write(
      `${plan.length} runs in ${where}: ${plan.length - remaining} done, ${remaining} to run.\n`,
    );
    return 0;
  }
  const { placement, notes } = await placementFromEnv(io.env, shard);
  for (const note of notes) io.stderr.write(`eff: ${note}\n`);
  const where = placementText(placement);
  if (where) io.stderr.write(`eff: ${where}\n`);
  const interrupt = interruptOnSignals(io);
  try {
    const outcome = await runGrid({
      grid,
      outDir,
      io,
      signal: interrupt.signal,
      shard,
      placement,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      ...(carbon ? { carbon } : {}),
    });
    if (outcome.interrupted) {
      io.stderr.write(
        `Rerun the same command to continue; ${outcome.resultsFile} keeps every finished run.\n`,
      );
      return interrupt.exitCode() ?? 130;
    }
    io.stderr.write(`Results: ${outcome.resultsFile}\nNext: eff report ${opts.out}\n`);
    return outcome.failed > 0 ? 1 : 0;
  } finally {
    interrupt.dispose();
  }
}
