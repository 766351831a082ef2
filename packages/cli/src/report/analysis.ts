// Groups runs into the paper's cells (dataset × criterion × architecture × size) for display; every equation
// (Eq. 3/4 means, bootstrap CIs, ratios, the overtraining rule, which runs count) is @eff/core's.
import {
  type AccuracyOn,
  analyzeOvertraining,
  architectureEfficiency,
  criterionKey,
  type OvertrainingRule,
  overallEfficiency,
  type RunExclusion,
  type RunRecord,
  runExclusion,
} from '@eff/core';
import type { LoadedRun } from './load.js';

/** Runs of one group that no mean uses, by reason (core's runExclusion). */
export interface RunCounts {
  failed: number;
  diverged: number;
  zeroEnergy: number;
  /** Left out: their accuracy is at chance level (core's isChanceLevel, ≤ 1/classes + CHANCE_LEVEL_MARGIN). */
  chanceLevel: number;
}

/** How much one value varies between replicates: sample standard deviation over `n` replicates (n ≥ 2). */
export interface Spread {
  /** Sample standard deviation (n − 1 in the denominator), accuracy/J. */
  sd: number;
  /** Replicates behind it. */
  n: number;
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
  /** Eq. 1 averaged over the repeats, from core's architectureEfficiency (its per-size value), accuracy/J. */
  efficiency: number;
  /** Which accuracy `accuracy` and `efficiency` use (final.accuracyOn; one per cell: cells are split by it). */
  accuracyOn: AccuracyOn;
  /** Eq. 1 of each replicate (its folds averaged), accuracy/J; one value when the model ran once. */
  replicateEfficiencies: number[];
  /** Spread of replicateEfficiencies; null with fewer than two replicates. */
  spread: Spread | null;
  estimated: boolean;
  degraded: boolean;
}

/** One model's paper-sum (the authors' sum of watt readings) for the appendix, with what it depends on. */
export interface PaperSumRow {
  dataset: string;
  criterion: string;
  model: string;
  runs: number;
  paperSumW: number;
  energyJ: number;
  /** Probe sampling intervals of its runs, ms (the sum grows with the sampling rate). */
  intervalsMs: number[];
}

/** The estimate's assumptions recorded by one estimating probe (ProbeReport.estimate), with the runs using them. */
export interface EstimateAssumption {
  probe: string;
  tdpW: number;
  ramWPerGB: number;
  loadScope: 'machine' | 'process';
  runs: number;
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
  /** Unusable and chance-level runs over all the results. */
  totalCounts: RunCounts;
  bootstrapResamples: number;
  /** The accuracy every efficiency uses, or `mixed` (then each criterion label names its accuracy). */
  accuracyOn: AccuracyOn | 'mixed';
  /** Spread between replicates of each Eq. 3 value, key(dataset, criterion, architecture); absent without replicates. */
  eq3Spread: Map<string, Spread>;
  /** Most replicates any model cell has (1: every model ran once). */
  maxReplicates: number;
  /** Differences the report shows that are smaller than the spread between replicates: one sentence each. */
  replicateWarnings: string[];
  paperSums: PaperSumRow[];
  estimateAssumptions: EstimateAssumption[];
  /** Estimated runs whose record carries no assumptions (written before ProbeReport.estimate existed). */
  estimatedWithoutAssumptions: number;
}

export const key = (...parts: (string | number)[]): string => parts.join('\u0000');

/** Display means of a model's accuracy, energy and epochs (not an equation: Eq. 1-4 come from core). */
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

const noCounts = (): RunCounts => ({ failed: 0, diverged: 0, zeroEnergy: 0, chanceLevel: 0 });

function count(c: RunCounts, why: RunExclusion | null): void {
  if (why === 'failed') c.failed++;
  else if (why === 'diverged') c.diverged++;
  else if (why === 'zero-energy') c.zeroEnergy++;
  else if (why === 'chance-level') c.chanceLevel++;
}

/** Sample standard deviation (n − 1); null for fewer than two values. */
export function sampleSd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean([...xs]);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * Which replicate a run belongs to: its `config.replicate` (grids with seeds/repeats); else, without folds, each run
 * is its own replicate (repeated SDK runs); else its seed (CIFAR-10 folds of one seed are one replicate).
 */
function replicateKey(r: RunRecord): string {
  if (r.config.replicate !== undefined) return `replicate ${r.config.replicate}`;
  if (r.config.fold === null) return `run ${r.runId}`;
  return `seed ${r.config.seed ?? 0}`;
}

/** Eq. 1 per replicate, its runs (folds) averaged, in first-seen order. */
function replicateEfficiencies(runs: readonly RunRecord[]): number[] {
  const by = new Map<string, number[]>();
  for (const r of runs) {
    const k = replicateKey(r);
    by.set(k, [...(by.get(k) ?? []), r.final.accuracy / r.final.energyJ.total]);
  }
  return [...by.values()].map((xs) => mean(xs));
}

/** The label a criterion gets in every table, figure and note: its own label, else `name` plus its parameters. */
export function criterionLabel(run: RunRecord): string {
  const c = run.config.criterion;
  if (c.label) return c.label;
  const params = Object.entries(c.params)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  return params ? `${c.name} (${params})` : c.name;
}

/**
 * The criterion as the report groups and shows it: criterionLabel, followed by ` · <accuracy> accuracy` when the
 * results mix accuracies, so runs whose efficiency uses test accuracy are never averaged with validation ones.
 */
export function reportCriterion(label: string, accuracyOn: AccuracyOn, mixed: boolean): string {
  return mixed ? `${label} · ${accuracyOn} accuracy` : label;
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
  const resamples = options.bootstrapResamples ?? 2000;
  const overtrainingRule = options.overtrainingRule ?? {};
  const kinds = new Set(
    loaded.filter((l) => l.run.status === 'completed').map((l) => l.run.final.accuracyOn),
  );
  const mixed = kinds.size > 1;
  // Each run's criterion label becomes the report's (label plus accuracy when mixed), so core groups by the same key
  // the tables show: test and validation efficiencies never share a mean.
  const all = loaded.map(({ run }) => {
    const label = reportCriterion(criterionLabel(run), run.final.accuracyOn, mixed);
    return { ...run, config: { ...run.config, criterion: { ...run.config.criterion, label } } };
  });

  const counts = new Map<string, RunCounts>();
  const totalCounts = noCounts();
  const groups = new Map<string, { runs: RunRecord[]; counts: RunCounts }>();
  for (const run of all) {
    const why = runExclusion(run);
    count(totalCounts, why);
    for (const k of [key(run.config.dataset, run.config.architecture), key(run.config.architecture)]) {
      const c = counts.get(k) ?? noCounts();
      count(c, why);
      counts.set(k, c);
    }
    const k = key(run.config.dataset, criterionLabel(run), run.config.architecture, run.config.size);
    const g = groups.get(k) ?? { runs: [], counts: noCounts() };
    count(g.counts, why);
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
    const c = row.criterion;
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
    const perReplicate = replicateEfficiencies(ok);
    const sd = sampleSd(perReplicate);
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
      accuracyOn: first.final.accuracyOn,
      replicateEfficiencies: perReplicate,
      spread: sd === null ? null : { sd, n: perReplicate.length },
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
  const eq4Keys = [...new Set(all.map((r) => criterionKey(r)))].filter((k) => eq4Criteria.includes(k));
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
  const eq3Spread = eq3Spreads(cells);
  const maxReplicates = Math.max(1, ...cells.map((c) => c.replicateEfficiencies.length));
  const replicateWarnings = unresolvedDifferences(cells, eq3, eq3Spread);

  // The paper-sum of each model (a sum of watt readings): its own appendix table, never beside the joules.
  const paperSums: PaperSumRow[] = [];
  for (const [k, { runs: ok }] of groups) {
    const first = ok[0];
    if (!first || !sizeEfficiency.has(k)) continue;
    const sums = ok.map((r) => r.final.paperSumW).filter((x): x is number => x !== undefined);
    if (sums.length !== ok.length) continue;
    paperSums.push({
      dataset: first.config.dataset,
      criterion: criterionLabel(first),
      model: first.config.model ?? `${first.config.architecture}-${first.config.size}`,
      runs: ok.length,
      paperSumW: mean(sums),
      energyJ: mean(ok.map((r) => r.final.energyJ.total)),
      intervalsMs: [
        ...new Set(ok.flatMap((r) => r.probes.map((p) => p.intervalMs)).filter((x) => x !== undefined)),
      ].sort((a, b) => a - b),
    });
  }
  paperSums.sort(
    (a, b) =>
      a.dataset.localeCompare(b.dataset) ||
      a.criterion.localeCompare(b.criterion, undefined, { numeric: true }) ||
      a.model.localeCompare(b.model, undefined, { numeric: true }),
  );

  // The estimate's assumptions, from every estimated run's estimating probes (ProbeReport.estimate).
  const assumptions = new Map<string, EstimateAssumption>();
  let estimatedWithoutAssumptions = 0;
  for (const run of all) {
    if (!run.final.estimated) continue;
    const recorded = run.probes.filter((p) => p.estimated && p.estimate);
    if (recorded.length === 0) estimatedWithoutAssumptions++;
    for (const p of recorded) {
      const e = p.estimate!;
      const k = key(p.name, e.tdpW, e.ramWPerGB, e.loadScope);
      const a = assumptions.get(k) ?? { probe: p.name, ...e, runs: 0 };
      a.runs++;
      assumptions.set(k, a);
    }
  }

  return {
    accuracyOn: mixed ? 'mixed' : ([...kinds][0] ?? 'test'),
    eq3Spread,
    maxReplicates,
    replicateWarnings,
    paperSums,
    estimateAssumptions: [...assumptions.values()],
    estimatedWithoutAssumptions,
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
    totalCounts,
    bootstrapResamples: resamples,
  };
}

/**
 * Spread between replicates of each Eq. 3 value, from its sizes' spreads: Eq. 3 is a mean over K sizes, so one
 * replicate's Eq. 3 has SD √(Σ sd_k²) / K (sizes measured independently). Only where every size has replicates.
 */
function eq3Spreads(cells: readonly ModelCell[]): Map<string, Spread> {
  const by = new Map<string, ModelCell[]>();
  for (const c of cells) {
    const k = key(c.dataset, c.criterion, c.architecture);
    by.set(k, [...(by.get(k) ?? []), c]);
  }
  const out = new Map<string, Spread>();
  for (const [k, cs] of by) {
    if (!cs.every((c) => c.spread !== null)) continue;
    const sumSq = cs.reduce((s, c) => s + (c.spread as Spread).sd ** 2, 0);
    out.set(k, { sd: Math.sqrt(sumSq) / cs.length, n: Math.min(...cs.map((c) => (c.spread as Spread).n)) });
  }
  return out;
}

/** acc/J → `0.0123 acc/kJ`, for warning sentences. */
const perKJ = (x: number): string => `${Number((x * 1000).toPrecision(3))} acc/kJ`;

/** Warning sentences shown at most; the rest are counted. */
export const MAX_REPLICATE_WARNINGS = 12;

/**
 * Differences the report puts side by side that the replicates do not resolve: |a − b| < max(sd_a, sd_b), where
 * sd is the spread between replicates. Compared: neighbouring model sizes (per dataset, criterion, architecture),
 * criteria (Eq. 3, per dataset and architecture) and architectures (Eq. 3, per dataset and criterion).
 */
function unresolvedDifferences(
  cells: readonly ModelCell[],
  eq3: Map<string, Interval>,
  eq3Spread: Map<string, Spread>,
): string[] {
  const found: string[] = [];
  const check = (what: string, a: { name: string; mean: number; sd?: number }, b: typeof a) => {
    const sd = Math.max(a.sd ?? 0, b.sd ?? 0);
    const diff = Math.abs(a.mean - b.mean);
    if (sd > 0 && diff < sd)
      found.push(
        `${what}: ${a.name} and ${b.name} differ by ${perKJ(diff)}, less than the spread between replicates ` +
          `(SD ${perKJ(sd)}); the report cannot tell them apart.`,
      );
  };
  const bySeries = new Map<string, ModelCell[]>();
  for (const c of cells) {
    const k = key(c.dataset, c.criterion, c.architecture);
    bySeries.set(k, [...(bySeries.get(k) ?? []), c]);
  }
  for (const cs of bySeries.values()) {
    const sorted = [...cs].sort((a, b) => a.size - b.size);
    for (let i = 1; i < sorted.length; i++) {
      const [a, b] = [sorted[i - 1] as ModelCell, sorted[i] as ModelCell];
      check(
        `${a.dataset}, ${a.criterion}, sizes`,
        { name: a.model, mean: a.efficiency, ...(a.spread ? { sd: a.spread.sd } : {}) },
        { name: b.model, mean: b.efficiency, ...(b.spread ? { sd: b.spread.sd } : {}) },
      );
    }
  }
  const eq3Items = [...eq3.entries()].map(([k, ci]) => {
    const [dataset = '', criterion = '', architecture = ''] = k.split('\u0000');
    const spread = eq3Spread.get(k);
    return { dataset, criterion, architecture, mean: ci.mean, ...(spread ? { sd: spread.sd } : {}) };
  });
  for (let i = 0; i < eq3Items.length; i++)
    for (let j = i + 1; j < eq3Items.length; j++) {
      const a = eq3Items[i]!;
      const b = eq3Items[j]!;
      if (a.dataset !== b.dataset) continue;
      if (a.architecture === b.architecture)
        check(
          `${a.dataset}, ${a.architecture}, criteria (Eq. 3)`,
          { name: `"${a.criterion}"`, mean: a.mean, ...(a.sd === undefined ? {} : { sd: a.sd }) },
          { name: `"${b.criterion}"`, mean: b.mean, ...(b.sd === undefined ? {} : { sd: b.sd }) },
        );
      else if (a.criterion === b.criterion)
        check(
          `${a.dataset}, ${a.criterion}, architectures (Eq. 3)`,
          { name: a.architecture, mean: a.mean, ...(a.sd === undefined ? {} : { sd: a.sd }) },
          { name: b.architecture, mean: b.mean, ...(b.sd === undefined ? {} : { sd: b.sd }) },
        );
    }
  if (found.length <= MAX_REPLICATE_WARNINGS) return found;
  return [
    ...found.slice(0, MAX_REPLICATE_WARNINGS),
    `… and ${found.length - MAX_REPLICATE_WARNINGS} more such differences (see the replicates table).`,
  ];
}
