// Streams the RunRecords of a results directory into per-run summaries and per-epoch curve sums for the report.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  type AccuracyOn,
  accuracyCosts,
  DEFAULT_ACCURACY_THRESHOLDS,
  type DuplicateRun,
  efficiencyCurveArea,
  ResultsFormatError,
  type RunRecord,
  readRunRecords,
  resultsFiles,
  runExclusion,
} from '@eff/core';
import { EffCliError } from '../errors.js';
import { criterionLabel } from './analysis.js';
import type { RunInsight } from './insight.js';

/** The report's input cannot be used: `file` and `line` (1-based) say where, when known. */
export class ReportInputError extends EffCliError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(message: string, file?: string, line?: number) {
    super('E_REPORT_INPUT', message, 1);
    this.file = file;
    this.line = line;
  }
}

/**
 * One run and where it came from, so the report can name its source. `run.epochs` is empty: a run's epochs go into
 * `EpochCurves` while reading, so the report holds a summary per run, not every epoch of every run.
 */
export interface LoadedRun {
  run: RunRecord;
  file: string;
  line: number;
  /** Energy/time-to-accuracy and curve area, computed from the epochs before they are dropped. */
  insight?: RunInsight;
}

/** The model name tables and figures show: the config's `model`, else `architecture-size`. */
export const modelName = (run: RunRecord): string =>
  run.config.model ?? `${run.config.architecture}-${run.config.size}`;

/** One point of an Eq. 2 curve: the mean efficiency of one model's runs after one epoch (folds/seeds averaged). */
export interface CurvePoint {
  dataset: string;
  criterion: string;
  architecture: string;
  size: number;
  model: string;
  epoch: number;
  /** The accuracy the efficiency uses (the runs' final.accuracyOn): curves of different accuracies never share a mean. */
  accuracyOn: AccuracyOn;
  /** Mean Eq. 2 efficiency, accuracy/J, over the `runs` runs with this epoch. */
  efficiency: number;
  runs: number;
}

/**
 * Per-epoch efficiency sums of completed runs, kept per (dataset, criterion, model, epoch) while the runs stream by:
 * its size grows with models × epochs, never with the number of runs (repeats add to a sum).
 */
export class EpochCurves {
  private readonly sums = new Map<string, CurvePoint & { sum: number }>();

  /**
   * Adds the epochs of a run that the means use (core's runExclusion: not failed, diverged, 0 J or at chance level)
   * with a positive efficiency (a 0 has no place on a log scale).
   */
  add(run: RunRecord): void {
    if (run.status !== 'completed' || runExclusion(run) !== null) return;
    const criterion = criterionLabel(run);
    const model = modelName(run);
    const accuracyOn = run.final.accuracyOn;
    for (const e of run.epochs) {
      if (!(e.efficiency > 0)) continue;
      const k = [run.config.dataset, criterion, accuracyOn, model, e.epoch].join('\u0000');
      const p = this.sums.get(k);
      if (p) {
        p.sum += e.efficiency;
        p.runs += 1;
      } else {
        this.sums.set(k, {
          dataset: run.config.dataset,
          criterion,
          architecture: run.config.architecture,
          size: run.config.size,
          model,
          epoch: e.epoch,
          accuracyOn,
          efficiency: 0,
          runs: 1,
          sum: e.efficiency,
        });
      }
    }
  }

  /** The mean curves, of one criterion (its label) or of all. */
  points(criterion?: string | null): CurvePoint[] {
    const out: CurvePoint[] = [];
    for (const { sum, ...p } of this.sums.values()) {
      if (criterion && p.criterion !== criterion) continue;
      out.push({ ...p, efficiency: sum / p.runs });
    }
    return out;
  }
}

/** What the report reads: summaries of every run, the curves, the files read. */
export interface LoadedResults {
  runs: LoadedRun[];
  curves: EpochCurves;
  files: string[];
}

/**
 * The results directory a user meant: a directory as given; a results file (`results.jsonl`, a shard's `*.jsonl`)
 * stands for the directory holding it, with a note saying so (every `*.jsonl` there is read, shards included).
 * Anything else throws ReportInputError saying exactly what to pass.
 */
export function resolveResultsDir(path: string): { dir: string; note: string | null } {
  if (!existsSync(path)) {
    throw new ReportInputError(
      `results directory ${path} does not exist; give the --out directory of eff run (the one holding results.jsonl).`,
    );
  }
  if (statSync(path).isDirectory()) return { dir: path, note: null };
  if (path.endsWith('.jsonl')) {
    const dir = dirname(path);
    return {
      dir,
      note: `${basename(path)} is a results file; reporting its directory ${dir} (every *.jsonl there, into ${join(dir, 'report')}).`,
    };
  }
  throw new ReportInputError(
    `${path} is a file, not a results directory; give the directory eff run wrote (the one holding results.jsonl), e.g. eff report ${dirname(path)}.`,
    path,
  );
}

/**
 * Every `*.jsonl` file directly in `resultsDir` (results.jsonl first, shards after), streamed line by line through
 * @eff/core's readRunRecords: each record is validated, its epochs are added to `curves` and dropped, so memory holds
 * one line plus a summary per run. Blank lines are allowed; anything else that is not a RunRecord throws
 * ReportInputError naming file, line and fix. Each run keeps its energy/time to `thresholds` and its curve area. A last line cut by a crash is left out (file unchanged) and a run
 * found twice is counted once; `onWarning` is told about both.
 */
export async function loadRuns(
  resultsDir: string,
  onWarning: (message: string) => void = () => {},
  thresholds: readonly number[] = DEFAULT_ACCURACY_THRESHOLDS,
): Promise<LoadedResults> {
  resultsDir = resolveResultsDir(resultsDir).dir;
  const files = resultsFiles(resultsDir);
  if (files.length === 0) {
    throw new ReportInputError(
      `${resultsDir} has no results.jsonl (no *.jsonl file at all); run eff run --out ${resultsDir} or eff demo first.`,
      join(resultsDir, 'results.jsonl'),
    );
  }
  const runs: LoadedRun[] = [];
  const curves = new EpochCurves();
  const duplicates: DuplicateRun[] = [];
  try {
    for await (const { record, file, line } of readRunRecords(resultsDir, {
      onDuplicate: (d) => duplicates.push(d),
      onTornLine: (t) =>
        onWarning(
          `${t.file}:${t.line}: the last line was cut by a crash (${t.bytes} bytes, not JSON); reporting the ` +
            `complete runs before it. The next eff run --out ${resultsDir} moves it aside and redoes its run.`,
        ),
    })) {
      curves.add(record);
      const insight = {
        costs: accuracyCosts(record.epochs, thresholds),
        curveArea: efficiencyCurveArea(record.epochs),
      };
      runs.push({ run: { ...record, epochs: [] }, file, line, insight });
    }
  } catch (err) {
    if (err instanceof ResultsFormatError) throw new ReportInputError(err.message, err.file, err.line);
    throw err;
  }
  if (duplicates.length > 0) {
    const d = duplicates[0] as DuplicateRun;
    onWarning(
      `${duplicates.length} run(s) found more than once, each counted once (first: ${d.runId} in ${d.first.file}:${d.first.line}, ` +
        `again in ${d.again.file}:${d.again.line}); a shard copied twice? remove the extra file or lines.`,
    );
  }
  if (runs.length === 0) {
    throw new ReportInputError(`${files.join(', ')} contain no runs; run eff run first.`, files[0]);
  }
  return { runs, curves, files };
}
