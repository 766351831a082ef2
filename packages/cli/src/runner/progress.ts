// Grid progress: cli-progress bars on a terminal, one plain line per event otherwise (CI, pipes, files).
import {
  formatCarbonGrams,
  formatDuration,
  formatEnergy,
  formatRunSummary,
  type Prediction,
  type RunSummaryLine,
} from '@eff/core';
import cliProgress from 'cli-progress';
import type { CliIo } from '../io.js';
import { wantsProgressBars } from '../io.js';

// The run line's text lives in @eff/core (formatRecord), shared with SDK users.
export { formatDuration, formatEnergy, type RunSummaryLine } from '@eff/core';

export interface EpochProgress {
  epoch: number;
  maxEpochs: number;
  /** The accuracy Eq. 2 uses for this epoch, in [0, 1]. */
  accuracy: number | null;
  cumulativeEnergyJ: number;
  elapsedMs: number;
  /** The energy-to-finish prediction made after this epoch (EpochRecord.prediction), when there is one. */
  prediction?: Prediction;
  /** Carbon of cumulativeEnergyJ, g CO2e, when the grid runs with an intensity (--carbon-*, the config's carbon). */
  gramsCO2e?: number;
}

const withCarbon = (g: number | undefined) => (g === undefined ? '' : `, ${formatCarbonGrams(g)}`);

/** How many runs ended which way; `skipped` were already in the results file. */
export interface GridCounts {
  completed: number;
  diverged: number;
  failed: number;
  skipped: number;
  interrupted: boolean;
}

/** Everything the runner tells the user while a grid runs. */
export interface GridProgress {
  gridStart(info: { total: number; alreadyDone: number; resultsFile: string; gridName: string }): void;
  runStart(info: { index: number; total: number; label: string; maxEpochs: number }): void;
  epoch(p: EpochProgress): void;
  runEnd(info: { label: string; summary: RunSummaryLine }): void;
  runFailed(info: { label: string; error: string }): void;
  message(text: string): void;
  gridEnd(info: GridCounts): void;
}

/**
 * The prediction as the progress line shows it: "≈ 1.20 kJ to go (0.90 kJ–1.60 kJ), ~2m10s" (point, 80% interval,
 * remaining time); empty without a prediction.
 */
export function formatPrediction(p: Prediction | undefined): string {
  if (!p) return '';
  return `≈ ${formatEnergy(p.remainingEnergyJ)} to go (${formatEnergy(p.remainingEnergyLowJ)}–${formatEnergy(p.remainingEnergyHighJ)}), ~${formatDuration(p.remainingMs)}`;
}

const withPrediction = (p: Prediction | undefined) => (p ? `, ${formatPrediction(p)}` : '');

const pct = (x: number | null) => (x === null ? '  -  ' : `${(x * 100).toFixed(1)}%`);

function gridEndText(i: GridCounts): string {
  return `grid ${i.interrupted ? 'interrupted' : 'finished'}: ${i.completed} completed, ${i.diverged} diverged, ${i.failed} failed, ${i.skipped} skipped (already done)`;
}

/** "done" or, for a run ended by a non-finite loss or accuracy, "DIVERGED (why)". */
function runEndWord(s: RunSummaryLine): string {
  return s.diverged ? `DIVERGED (${s.diverged})` : 'done';
}

const summaryText = formatRunSummary;

/** One timestamped line per event: greppable, no control characters. */
export function lineProgress(io: CliIo): GridProgress {
  const out = (text: string) => io.stderr.write(`[${new Date().toISOString()}] ${text}\n`);
  let current = '';
  return {
    gridStart: (i) =>
      out(
        `grid ${i.gridName}: ${i.total} runs, ${i.alreadyDone} already in ${i.resultsFile}, ${i.total - i.alreadyDone} to go`,
      ),
    runStart: (i) => {
      current = i.label;
      out(`run ${i.index}/${i.total} start: ${i.label} (max ${i.maxEpochs} epochs)`);
    },
    epoch: (p) =>
      out(
        `  ${current} epoch ${p.epoch}/${p.maxEpochs}: acc ${pct(p.accuracy)}, energy ${formatEnergy(p.cumulativeEnergyJ)}${withCarbon(p.gramsCO2e)}, ${formatDuration(p.elapsedMs)}${withPrediction(p.prediction)}`,
      ),
    runEnd: (i) => out(`run ${runEndWord(i.summary)}: ${i.label}: ${summaryText(i.summary)}`),
    runFailed: (i) => out(`run FAILED: ${i.label}: ${i.error}`),
    message: (text) => out(text),
    gridEnd: (i) => out(gridEndText(i)),
  };
}

/** Two bars: the whole grid (runs) and the current run (epochs, accuracy, energy so far, ETA). */
export function barProgress(io: CliIo): GridProgress {
  const stream = io.stderr as unknown as NodeJS.WritableStream;
  const multi = new cliProgress.MultiBar(
    {
      stream,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 24,
      autopadding: true,
      format: '{name} [{bar}] {value}/{total} {detail} | ETA {eta_formatted}',
      etaBuffer: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let grid: cliProgress.SingleBar | undefined;
  let run: cliProgress.SingleBar | undefined;
  let current = '';
  return {
    gridStart: (i) => {
      grid = multi.create(i.total, i.alreadyDone, {
        name: 'grid',
        detail: `runs (${i.alreadyDone} already done)`,
      });
    },
    runStart: (i) => {
      current = i.label;
      if (run) multi.remove(run);
      run = multi.create(i.maxEpochs, 0, { name: 'run ', detail: `epochs  ${i.label}` });
    },
    epoch: (p) =>
      run?.update(p.epoch, {
        detail: `epochs  ${current}  acc ${pct(p.accuracy)}  ${formatEnergy(p.cumulativeEnergyJ)}${p.gramsCO2e === undefined ? '' : `  ${formatCarbonGrams(p.gramsCO2e)}`}${p.prediction ? `  ${formatPrediction(p.prediction)}` : ''}`,
      }),
    runEnd: (i) => {
      multi.log(
        `${i.summary.diverged ? runEndWord(i.summary) : 'done '} ${i.label}: ${summaryText(i.summary)}\n`,
      );
      grid?.increment(1);
    },
    runFailed: (i) => {
      multi.log(`FAILED ${i.label}: ${i.error}\n`);
      grid?.increment(1);
    },
    message: (text) => multi.log(`${text}\n`),
    gridEnd: (i) => {
      multi.stop();
      io.stderr.write(`${gridEndText(i)}\n`);
    },
  };
}

export function progressFor(io: CliIo): GridProgress {
  return wantsProgressBars(io) ? barProgress(io) : lineProgress(io);
}
