// Groups runs into the paper's cells (dataset × criterion × architecture × size) and computes Eqs. 3/4, ratios, overtraining.
// The math (Eq. 3/4 means, bootstrap CIs, the overtraining rule) is @eff/core's; this file only groups the runs.
import {
  bootstrapArchitectureEfficiency,
  bootstrapOverallEfficiency,
  type OvertrainingRule,
  overallEfficiency,
  overtrainingOf,
  type RunRecord,
} from '@eff/core';
import type { LoadedRun } from './load.js';

/** Mean over completed runs of one model (architecture-size) under one criterion on one dataset (folds/seeds averaged). */
export interface ModelCell {
  dataset: string;
  criterion: string;
  architecture: string;
  size: number;
  model: string;
  runs: number;
  failedRuns: number;
  epochs: number;
  accuracy: number;
  trainAccuracy: number | null;
  energyJ: number;
  paperSumW: number | null;
  efficiency: number;
  estimated: boolean;
  degraded: boolean;
}

export interface Interval {
  mean: number;
  low: number;
  high: number;
  n: number;
}

export interface OvertrainingRow {
  dataset: string;
  architecture: string;
  size: number;
  model: string;
  train50: number;
  test50: number;
  diff50: number;
  train100: number;
  test100: number;
  diff100: number;
  /** test100 − test50, rounded to 2 decimals as in the paper. */
  a: number;
  /** diff100 − diff50, rounded to 2 decimals. */
  b: number;
  overtrained: boolean;
}

export interface Analysis {
  datasets: string[];
  criteria: string[];
  architectures: string[];
  cells: ModelCell[];
  /** Criteria that enter Eq. 4 (all but the longer fixed-epoch extension used by Table 14). */
  eq4Criteria: string[];
  /** The longer fixed-epoch criterion (Table 14), when two fixed-epoch lengths exist. */
  extensionCriterion: string | null;
  shortFixedCriterion: string | null;
  eq3: Map<string, Interval>;
  eq4: Map<string, Interval>;
  table14: Map<string, Interval>;
  overtraining: OvertrainingRow[];
}

export const key = (...parts: (string | number)[]): string => parts.join('\u0000');

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** The label a criterion gets in every table: its own label, else `name` plus its parameters. */
export function criterionLabel(run: RunRecord): string {
  const c = run.config.criterion;
  if (c.label) return c.label;
  const params = Object.entries(c.params)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  return params ? `${c.name} (${params})` : c.name;
}

/** Epoch count of a fixed-epoch criterion (params.epochs, else maxEpochs), or null for other criteria. */
function fixedEpochs(run: RunRecord): number | null {
  if (run.config.criterion.name !== 'fixedEpochs') return null;
  const e = run.config.criterion.params.epochs;
  return typeof e === 'number' ? e : run.config.maxEpochs;
}

/** 95% percentile bootstrap of the mean (core's Eq. 3 bootstrap); one value collapses the interval to it. */
export function bootstrapMean(values: number[], resamples = 2000, seed = 1): Interval {
  const ci = bootstrapArchitectureEfficiency(values, { seed, resamples });
  return { mean: ci.mean, low: ci.low, high: ci.high, n: ci.n };
}

export interface AnalysisOptions {
  /** Overtraining rule (Table 13); default @eff/core's DEFAULT_OVERTRAINING_RULE. */
  overtrainingRule?: Partial<OvertrainingRule>;
  bootstrapResamples?: number;
}

export function analyze(loaded: LoadedRun[], options: AnalysisOptions = {}): Analysis {
  const groups = new Map<string, RunRecord[]>();
  for (const { run } of loaded) {
    const k = key(run.config.dataset, criterionLabel(run), run.config.architecture, run.config.size);
    groups.set(k, [...(groups.get(k) ?? []), run]);
  }
  const cells: ModelCell[] = [];
  for (const runs of groups.values()) {
    const first = runs[0] as RunRecord;
    const ok = runs.filter((r) => r.status === 'completed');
    if (ok.length === 0) continue; // listed in the runs table; a model with no completed run has no mean
    const paper = ok.map((r) => r.final.paperSumW).filter((x): x is number => x !== undefined);
    const trains = ok.map((r) => r.final.trainAccuracy).filter((x): x is number => x !== null);
    cells.push({
      dataset: first.config.dataset,
      criterion: criterionLabel(first),
      architecture: first.config.architecture,
      size: first.config.size,
      model: first.config.model ?? `${first.config.architecture}-${first.config.size}`,
      runs: ok.length,
      failedRuns: runs.length - ok.length,
      epochs: mean(ok.map((r) => r.final.epochs)),
      accuracy: mean(ok.map((r) => r.final.accuracy)),
      trainAccuracy: trains.length === ok.length ? mean(trains) : null,
      energyJ: mean(ok.map((r) => r.final.energyJ.total)),
      paperSumW: paper.length === ok.length ? mean(paper) : null,
      efficiency: mean(ok.map((r) => r.final.efficiency)),
      estimated: ok.some((r) => r.final.estimated),
      degraded: ok.some((r) => r.final.degraded),
    });
  }
  const order = <T>(xs: T[]) => [...new Set(xs)];
  cells.sort(
    (a, b) =>
      a.dataset.localeCompare(b.dataset) ||
      a.criterion.localeCompare(b.criterion, undefined, { numeric: true }) ||
      a.architecture.localeCompare(b.architecture) ||
      a.size - b.size,
  );
  const datasets = order(cells.map((c) => c.dataset));
  const criteria = order(cells.map((c) => c.criterion));
  const architectures = order(cells.map((c) => c.architecture)).sort();

  // Fixed-epoch lengths: the shortest is the paper's "50 epoch" criterion, the longest its 100-epoch extension.
  const fixed = new Map<string, number>();
  for (const { run } of loaded) {
    const e = fixedEpochs(run);
    if (e !== null) fixed.set(criterionLabel(run), e);
  }
  const fixedSorted = [...fixed.entries()].sort((a, b) => a[1] - b[1]);
  const shortFixedCriterion = fixedSorted.length >= 2 ? (fixedSorted[0]?.[0] ?? null) : null;
  const extensionCriterion = fixedSorted.length >= 2 ? (fixedSorted.at(-1)?.[0] ?? null) : null;
  const eq4Criteria = criteria.filter((c) => c !== extensionCriterion);

  const resamples = options.bootstrapResamples ?? 2000;
  const eq3 = new Map<string, Interval>();
  for (const d of datasets)
    for (const c of criteria)
      for (const a of architectures) {
        const effs = cells
          .filter((x) => x.dataset === d && x.criterion === c && x.architecture === a)
          .map((x) => x.efficiency);
        if (effs.length > 0) eq3.set(key(d, c, a), bootstrapMean(effs, resamples));
      }
  const eq4 = new Map<string, Interval>();
  const table14 = new Map<string, Interval>();
  for (const d of datasets)
    for (const a of architectures) {
      const perCriterion = eq4Criteria
        .map((c) => eq3.get(key(d, c, a))?.mean)
        .filter((x): x is number => x !== undefined);
      // Eq. 4's CI resamples model-size efficiencies within each criterion, then averages over criteria.
      const byCriterion = eq4Criteria
        .map((c) =>
          cells
            .filter((x) => x.dataset === d && x.criterion === c && x.architecture === a)
            .map((x) => x.efficiency),
        )
        .filter((xs) => xs.length > 0);
      if (perCriterion.length > 0) {
        const ci = bootstrapOverallEfficiency(byCriterion, { seed: 7, resamples });
        eq4.set(key(d, a), {
          mean: overallEfficiency(perCriterion),
          low: ci.low,
          high: ci.high,
          n: ci.n,
        });
      }
      if (extensionCriterion) {
        const t = eq3.get(key(d, extensionCriterion, a));
        if (t) table14.set(key(d, a), t);
      }
    }

  const overtraining: OvertrainingRow[] = [];
  if (shortFixedCriterion && extensionCriterion) {
    for (const c50 of cells.filter((x) => x.criterion === shortFixedCriterion)) {
      const c100 = cells.find(
        (x) =>
          x.criterion === extensionCriterion &&
          x.dataset === c50.dataset &&
          x.architecture === c50.architecture &&
          x.size === c50.size,
      );
      if (!c100 || c50.trainAccuracy === null || c100.trainAccuracy === null) continue;
      const o = overtrainingOf(
        {
          train50: c50.trainAccuracy,
          test50: c50.accuracy,
          train100: c100.trainAccuracy,
          test100: c100.accuracy,
        },
        options.overtrainingRule,
      );
      overtraining.push({
        dataset: c50.dataset,
        architecture: c50.architecture,
        size: c50.size,
        model: c50.model,
        train50: o.train50,
        test50: o.test50,
        diff50: o.diff50,
        train100: o.train100,
        test100: o.test100,
        diff100: o.diff100,
        a: o.aRounded,
        b: o.bRounded,
        overtrained: o.overtrained,
      });
    }
  }
  return {
    datasets,
    criteria,
    architectures,
    cells,
    eq4Criteria,
    extensionCriterion,
    shortFixedCriterion,
    eq3,
    eq4,
    table14,
    overtraining,
  };
}
