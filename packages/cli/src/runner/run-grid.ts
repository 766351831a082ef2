// Runs a grid one training run at a time, appending each finished run to results.jsonl; a rerun skips finished runs.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type RunRecord, runSummaryLine } from '@eff/core';
import { InterruptedError } from '../errors.js';
import type { GridConfig } from '../grid/config.js';
import { expandGrid, type PlannedRun } from '../grid/expand.js';
import { loadGridConfigFile, presetConfig } from '../grid/load.js';
import type { CliIo } from '../io.js';
import { interruptOnSignals } from './interrupt.js';
import { type GridProgress, progressFor } from './progress.js';
import { appendRunRecord, completedRunIds, RESULTS_FILE, repairResultsFile } from './store.js';

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
}

/** Plan vs results: which runs still have to be trained (every `*.jsonl` beside `resultsFile` counts, shards too). */
export async function planGrid(
  grid: GridConfig,
  resultsFile: string,
): Promise<{ plan: PlannedRun[]; done: Set<string> }> {
  const plan = expandGrid(grid);
  const done = await completedRunIds(dirname(resultsFile));
  return { plan, done };
}

export async function runGrid(options: RunGridOptions): Promise<GridOutcome> {
  const { grid, io } = options;
  const progress = options.progress ?? progressFor(io);
  await mkdir(options.outDir, { recursive: true });
  const resultsFile = join(options.outDir, RESULTS_FILE);
  const repaired = await repairResultsFile(resultsFile);
  if (repaired) io.stderr.write(`${repaired}\n`);
  const { plan, done } = await planGrid(grid, resultsFile);
  // The resolved grid (defaults applied) is kept beside the results, so a results directory explains itself.
  await writeFile(join(options.outDir, `grid-${grid.name}.json`), `${JSON.stringify(grid, null, 2)}\n`);
  const todo = plan.filter((r) => !done.has(r.runId));
  const outcome: GridOutcome = {
    completed: 0,
    diverged: 0,
    failed: 0,
    skipped: plan.length - todo.length,
    interrupted: false,
    resultsFile,
    records: [],
  };
  progress.gridStart({ total: plan.length, alreadyDone: outcome.skipped, resultsFile, gridName: grid.name });
  if (todo.length === 0) {
    progress.gridEnd(outcome);
    return outcome;
  }
  // tfjs and the models load only when there is something to train (a finished grid or --dry-run stays fast).
  const { openTrainingSession } = await import('./train.js');
  const session = await openTrainingSession(grid, { progress });
  try {
    let index = outcome.skipped;
    for (const run of todo) {
      if (options.signal?.aborted) break;
      index += 1;
      progress.runStart({ index, total: plan.length, label: run.label, maxEpochs: run.config.maxEpochs });
      try {
        const record = await session.train(run, {
          signal: options.signal,
          onEpoch: (p) => progress.epoch(p),
        });
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
  opts: { config?: string; preset?: string; out: string; dryRun?: boolean; gpus?: string[]; tdp?: number },
): Promise<number> {
  const loaded = opts.preset
    ? presetConfig(opts.preset)
    : await loadGridConfigFile(resolve(io.cwd, opts.config!));
  // --gpus wins over the config's gpus (as both win over the environment).
  const withGpus = opts.gpus ? { ...loaded, gpus: opts.gpus } : loaded;
  // --tdp wins over the config's tdpW likewise.
  const grid = opts.tdp !== undefined ? { ...withGpus, tdpW: opts.tdp } : withGpus;
  const outDir = resolve(io.cwd, opts.out);
  if (opts.dryRun) {
    const { plan, done } = await planGrid(grid, join(outDir, RESULTS_FILE));
    for (const run of plan) {
      io.stdout.write(`${done.has(run.runId) ? 'done ' : 'todo '} ${run.runId}  ${run.label}\n`);
    }
    const remaining = plan.filter((r) => !done.has(r.runId)).length;
    io.stdout.write(
      `${plan.length} runs in grid ${grid.name}: ${plan.length - remaining} done, ${remaining} to run.\n`,
    );
    return 0;
  }
  const interrupt = interruptOnSignals(io);
  try {
    const outcome = await runGrid({ grid, outDir, io, signal: interrupt.signal });
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
