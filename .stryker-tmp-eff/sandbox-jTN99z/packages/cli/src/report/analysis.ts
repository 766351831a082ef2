// @ts-nocheck
// Groups runs into the paper's cells (dataset × criterion × architecture × size) for display; every equation
// (Eq. 3/4 means, bootstrap CIs, ratios, the overtraining rule, which runs count) is @eff/core's.
import {
  analyzeOvertraining,
  architectureEfficiency,
  criterionKey,
  isChanceLevel,
  type OvertrainingRule,
  overallEfficiency,
  type RunExclusion,
  type RunRecord,
  runExclusion,
} from '@eff/core';
import type { LoadedRun } from './load.js';

/** Runs of one group that no mean uses, by reason (core's runExclusion), and chance-level runs that are used. */
export interface RunCounts {
  failed: number;
  diverged: number;
  zeroEnergy: number;
  /** Used in the means, but their accuracy is at chance level (core's isChanceLevel). */
  chanceLevel: number;
}

/** Mean over the usable runs of one model (architecture-size) under one criterion on one dataset (folds/seeds averaged). */
export interface ModelCell {
  dataset: string;
  criterion: string;
  architecture: string;
  size: number;
  model: string;
  runs: number;
  /** Runs of this model left out of every mean, and chance-level runs kept in. */
  counts: RunCounts;
  epochs: number;
  accuracy: number;
  trainAccuracy: number | null;
  energyJ: number;
  paperSumW: number | null;
  /** Eq. 1 averaged over the repeats, from core's architectureEfficiency (its per-size value). */
  efficiency: number;
  estimated: boolean;
  degraded: boolean;
}

export interface Interval {
  mean: number;
  low: number;
  high: number;
  n: number;
  /** Every resampled group had one value: print `n/a (one value)`, not a zero-width interval. */
  oneValue: boolean;
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
  /** test100 − test50, rounded as the rule says (core's overtrainingOf). */
  a: number;
  /** diff100 − diff50, rounded as the rule says. */
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
  /** The overtraining rule applied (Table 13's note is derived from it). */
  overtrainingRule: Partial<OvertrainingRule>;
  /** Unusable and chance-level runs per key(dataset, architecture) and per key(architecture). */
  counts: Map<string, RunCounts>;
  bootstrapResamples: number;
}

export const key = (...parts: (string | number)[]): string => parts.join('\u0000');

/** Display means of a model's accuracy, energy and epochs (not an equation: Eq. 1-4 come from core). */
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

const noCounts = (): RunCounts => ({ failed: 0, diverged: 0, zeroEnergy: 0, chanceLevel: 0 });

function count(c: RunCounts, why: RunExclusion | null, run: RunRecord): void {
  if (why === 'failed') c.failed++;
  else if (why === 'diverged') c.diverged++;
  else if (why === 'zero-energy') c.zeroEnergy++;
  else if (isChanceLevel(run) === true) c.chanceLevel++;
}

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

export interface AnalysisOptions {
  /** Overtraining rule (Table 13); default @eff/core's DEFAULT_OVERTRAINING_RULE. */
  overtrainingRule?: Partial<OvertrainingRule>;
  bootstrapResamples?: number;
}

export function analyze(loaded: LoadedRun[], options: AnalysisOptions = {}): Analysis {
  const all = loaded.map((l) => l.run);
  const resamples = options.bootstrapResamples ?? 2000;
  const overtrainingRule = options.overtrainingRule ?? {};
  // Core groups by criterionKey; the tables show criterionLabel. Both come from the same config, one to one.
  const labelOfKey = new Map(all.map((r) => [criterionKey(r), criterionLabel(r)]));
  const labelOf = (criterion: string) => labelOfKey.get(criterion) ?? criterion;

  const counts = new Map<string, RunCounts>();
  const groups = new Map<string, { runs: RunRecord[]; counts: RunCounts }>();
  for (const run of all) {
    const why = runExclusion(run);
    for (const k of [key(run.config.dataset, run.config.architecture), key(run.config.architecture)]) {
      const c = counts.get(k) ?? noCounts();
      count(c, why, run);
      counts.set(k, c);
    }
    const k = key(run.config.dataset, criterionLabel(run), run.config.architecture, run.config.size);
    const g = groups.get(k) ?? { runs: [], counts: noCounts() };
    count(g.counts, why, run);
    if (why === null) g.runs.push(run);
    groups.set(k, g);
  }

  // Eq. 3 per dataset × criterion × architecture, and each size's mean over repeats, from core.
  const usable = all.filter((r) => runExclusion(r) === null);
  const eq3Rows = usable.length
    ? architectureEfficiency(usable, { unusableRuns: 'exclude', bootstrap: { seed: 1, resamples } })
    : [];
  const eq3 = new Map<string, Interval>();
  const sizeEfficiency = new Map<string, number>();
  for (const row of eq3Rows) {
    const c = labelOf(row.criterion);
    const ci = row.ci;
    if (ci)
      eq3.set(key(row.dataset, c, row.architecture), {
        mean: row.efficiency,
        low: ci.low,
        high: ci.high,
        n: ci.n,
        oneValue: ci.oneValue,
      });
    for (const s of row.sizes)
      sizeEfficiency.set(key(row.dataset, c, row.architecture, s.size), s.efficiency);
  }

  const cells: ModelCell[] = [];
  for (const [k, { runs: ok, counts: c }] of groups) {
    const first = ok[0];
    const efficiency = sizeEfficiency.get(k);
    if (!first || efficiency === undefined) continue; // listed in the runs table; no usable run, no mean
    const paper = ok.map((r) => r.final.paperSumW).filter((x): x is number => x !== undefined);
    const trains = ok.map((r) => r.final.trainAccuracy).filter((x): x is number => x !== null);
    cells.push({
      dataset: first.config.dataset,
      criterion: criterionLabel(first),
      architecture: first.config.architecture,
      size: first.config.size,
      model: first.config.model ?? `${first.config.architecture}-${first.config.size}`,
      runs: ok.length,
      counts: c,
      epochs: mean(ok.map((r) => r.final.epochs)),
      accuracy: mean(ok.map((r) => r.final.accuracy)),
      trainAccuracy: trains.length === ok.length ? mean(trains) : null,
      energyJ: mean(ok.map((r) => r.final.energyJ.total)),
      paperSumW: paper.length === ok.length ? mean(paper) : null,
      efficiency,
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
  for (const run of all) {
    const e = fixedEpochs(run);
    if (e !== null) fixed.set(criterionLabel(run), e);
  }
  const fixedSorted = [...fixed.entries()].sort((a, b) => a[1] - b[1]);
  const shortFixedCriterion = fixedSorted.length >= 2 ? (fixedSorted[0]?.[0] ?? null) : null;
  const extensionCriterion = fixedSorted.length >= 2 ? (fixedSorted.at(-1)?.[0] ?? null) : null;
  const eq4Criteria = criteria.filter((c) => c !== extensionCriterion);

  // Eq. 4 from core: the mean of Eq. 3 over the criteria, its CI resampling sizes within each criterion.
  const eq4Keys = [...labelOfKey.entries()].filter(([, l]) => eq4Criteria.includes(l)).map(([k]) => k);
  const eq4Runs = usable.filter((r) => eq4Keys.includes(criterionKey(r)));
  const eq4 = new Map<string, Interval>();
  if (eq4Runs.length > 0) {
    for (const row of overallEfficiency(eq4Runs, {
      unusableRuns: 'exclude',
      criteria: eq4Keys,
      bootstrap: { seed: 7, resamples },
    })) {
      const ci = row.ci;
      if (ci)
        eq4.set(key(row.dataset, row.architecture), {
          mean: row.efficiency,
          low: ci.low,
          high: ci.high,
          n: ci.n,
          oneValue: ci.oneValue,
        });
    }
  }
  const table14 = new Map<string, Interval>();
  if (extensionCriterion)
    for (const d of datasets)
      for (const a of architectures) {
        const t = eq3.get(key(d, extensionCriterion, a));
        if (t) table14.set(key(d, a), t);
      }

  // Table 13: the short and long fixed-epoch cells of each model, judged by core's rule.
  const pairs: { c50: ModelCell; c100: ModelCell }[] = [];
  if (shortFixedCriterion && extensionCriterion) {
    for (const c50 of cells.filter((x) => x.criterion === shortFixedCriterion)) {
      const c100 = cells.find(
        (x) =>
          x.criterion === extensionCriterion &&
          x.dataset === c50.dataset &&
          x.architecture === c50.architecture &&
          x.size === c50.size,
      );
      if (c100 && c50.trainAccuracy !== null && c100.trainAccuracy !== null) pairs.push({ c50, c100 });
    }
  }
  const verdicts =
    pairs.length > 0
      ? analyzeOvertraining(
          pairs.map(({ c50, c100 }) => ({
            train50: c50.trainAccuracy as number,
            test50: c50.accuracy,
            train100: c100.trainAccuracy as number,
            test100: c100.accuracy,
          })),
          { rule: overtrainingRule },
        )
      : [];
  const overtraining: OvertrainingRow[] = pairs.map(({ c50 }, i) => {
    const o = verdicts[i]!;
    return {
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
    };
  });
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
    overtrainingRule,
    counts,
    bootstrapResamples: resamples,
  };
}
