// Grid progress: cli-progress bars on a terminal, one plain line per event otherwise (CI, pipes, files).
import cliProgress from 'cli-progress';
import type { CliIo } from '../io.js';
import { wantsProgressBars } from '../io.js';

export interface EpochProgress {
  epoch: number;
  maxEpochs: number;
  /** The accuracy Eq. 2 uses for this epoch, in [0, 1]. */
  accuracy: number | null;
  cumulativeEnergyJ: number;
  elapsedMs: number;
}

export interface RunSummaryLine {
  epochs: number;
  accuracy: number;
  energyJ: number;
  efficiency: number;
  stoppedBy: string;
  durationMs: number;
  estimated: boolean;
  degraded: boolean;
  /** Set when a non-finite loss or accuracy ended the run: why (`training loss is Infinity after epoch 1`). */
  diverged?: string;
  /** Devices not fully measured, e.g. `nvidia-smi gpu1 lost, 2.10 s uncovered` (from the probes' device reports). */
  devices?: string[];
  /** Components whose energy is the node's, not this run's (`final.sharedComponents`: a node shared with other jobs). */
  shared?: string[];
}

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

export function formatEnergy(energyJ: number): string {
  if (energyJ >= 1e6) return `${(energyJ / 1e6).toFixed(2)} MJ`;
  if (energyJ >= 1e3) return `${(energyJ / 1e3).toFixed(2)} kJ`;
  return `${energyJ.toFixed(1)} J`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const pct = (x: number | null) => (x === null ? '  -  ' : `${(x * 100).toFixed(1)}%`);

function gridEndText(i: GridCounts): string {
  return `grid ${i.interrupted ? 'interrupted' : 'finished'}: ${i.completed} completed, ${i.diverged} diverged, ${i.failed} failed, ${i.skipped} skipped (already done)`;
}

/** "done" or, for a run ended by a non-finite loss or accuracy, "DIVERGED (why)". */
function runEndWord(s: RunSummaryLine): string {
  return s.diverged ? `DIVERGED (${s.diverged})` : 'done';
}

/**
 * The warning for a run on a node shared with other jobs: `shared node: CPU/RAM energy is the node's, not this
 * run's` (the components named are the shared ones, upper-cased).
 */
export function sharedNodeText(components: readonly string[]): string {
  return `shared node: ${components.map((c) => c.toUpperCase()).join('/')} energy is the node's, not this run's`;
}

function summaryText(s: RunSummaryLine): string {
  const flags = [
    s.estimated ? 'estimated' : '',
    s.degraded ? 'DEGRADED (energy is a lower bound)' : '',
    ...(s.devices ?? []),
    s.shared && s.shared.length > 0 ? sharedNodeText(s.shared) : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${s.epochs} epochs, acc ${pct(s.accuracy)}, ${formatEnergy(s.energyJ)}, eff ${s.efficiency.toExponential(3)} /J, stopped by ${s.stoppedBy}, ${formatDuration(s.durationMs)}${flags ? ` [${flags}]` : ''}`;
}

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
        `  ${current} epoch ${p.epoch}/${p.maxEpochs}: acc ${pct(p.accuracy)}, energy ${formatEnergy(p.cumulativeEnergyJ)}, ${formatDuration(p.elapsedMs)}`,
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
        detail: `epochs  ${current}  acc ${pct(p.accuracy)}  ${formatEnergy(p.cumulativeEnergyJ)}`,
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
