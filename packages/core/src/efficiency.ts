// Training efficiency (Eqs. 1-4), Table 12 ratios, Table 13 overtraining check and seeded bootstrap CIs, on records or numbers.
import { mean } from 'mathjs';
import { stableStringify } from './results.js';
import type { RunRecord } from './schema.js';

/** Bad efficiency input: accuracy outside [0, 1], energy <= 0 or not finite, nothing to average. */
export class EfficiencyInputError extends Error {
  readonly code = 'E_EFFICIENCY_INPUT';
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'EfficiencyInputError';
  }
}

export type AccuracyOn = 'test' | 'validation' | 'train';

function checkAccuracy(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new EfficiencyInputError(`accuracy must be in [0, 1], found ${String(v)} (${where})`, v);
  }
  return v;
}

function checkEnergy(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new EfficiencyInputError(
      `energy must be a finite number of joules > 0, found ${String(v)} (${where}); was any probe running?`,
      v,
    );
  }
  return v;
}

function avg(xs: readonly number[], what: string): number {
  if (xs.length === 0) throw new EfficiencyInputError(`cannot average ${what}: no values`, xs);
  return Number(mean([...xs]));
}

/** Eq. 1: accuracy / energy (J). */
export function efficiency(accuracy: number, energyJ: number): number {
  return checkAccuracy(accuracy, 'Eq. 1') / checkEnergy(energyJ, 'Eq. 1');
}

export interface CurvePoint {
  epoch: number;
  accuracy: number;
  cumulativeEnergyJ: number;
  /** accuracy / cumulativeEnergyJ, per J. */
  efficiency: number;
}

/**
 * Eq. 2: efficiency after every epoch, from a run record (accuracy chosen by `accuracyOn`, default the run's
 * final.accuracyOn) or from plain points `{ accuracy, cumulativeEnergyJ }` (epochs numbered from 1).
 */
export function efficiencyCurve(
  input: RunRecord | readonly { accuracy: number; cumulativeEnergyJ: number; epoch?: number }[],
  options: { accuracyOn?: AccuracyOn } = {},
): CurvePoint[] {
  if (Array.isArray(input)) {
    return input.map((p, i) => {
      const epoch = p.epoch ?? i + 1;
      const where = `epoch ${epoch}`;
      const accuracy = checkAccuracy(p.accuracy, where);
      const cumulativeEnergyJ = checkEnergy(p.cumulativeEnergyJ, where);
      return { epoch, accuracy, cumulativeEnergyJ, efficiency: accuracy / cumulativeEnergyJ };
    });
  }
  const r = input as RunRecord;
  const on = options.accuracyOn ?? r.final.accuracyOn;
  return r.epochs.map((e) => {
    const where = `run ${r.runId}, epoch ${e.epoch}, ${on} accuracy`;
    const acc = on === 'test' ? e.testAccuracy : on === 'validation' ? e.validationAccuracy : e.trainAccuracy;
    const accuracy = checkAccuracy(acc, where);
    const cumulativeEnergyJ = checkEnergy(e.cumulativeEnergyJ.total, where);
    return { epoch: e.epoch, accuracy, cumulativeEnergyJ, efficiency: accuracy / cumulativeEnergyJ };
  });
}

// ------------------------------------------------------------------ bootstrap

export interface BootstrapOptions {
  /** Seed of the resampling PRNG: the same seed gives the same interval. */
  seed: number;
  /** Number of resamples; default 10000. */
  resamples?: number;
  /** Two-sided confidence level; default 0.95. */
  level?: number;
}

export interface ConfidenceInterval {
  mean: number;
  low: number;
  high: number;
  level: number;
  /** Number of values resampled (sizes; for Eq. 4 the total over criteria). */
  n: number;
  /**
   * True when every resampled group holds one value (one model size): the "interval" is then the point itself,
   * and reports print it as `n/a (one value)` instead of a zero-width interval.
   */
  oneValue: boolean;
}

/** mulberry32: small, fast, seeded PRNG in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bootstrapGroups(groups: readonly (readonly number[])[], o: BootstrapOptions): ConfidenceInterval {
  const resamples = o.resamples ?? 10000;
  const level = o.level ?? 0.95;
  if (!Number.isInteger(o.seed))
    throw new EfficiencyInputError(`bootstrap seed must be an integer, found ${String(o.seed)}`, o.seed);
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new EfficiencyInputError(
      `bootstrap resamples must be an integer >= 1, found ${String(resamples)}`,
      resamples,
    );
  }
  if (!(level > 0 && level < 1))
    throw new EfficiencyInputError(`bootstrap level must be in (0, 1), found ${level}`, level);
  for (const g of groups)
    if (g.length === 0) throw new EfficiencyInputError('bootstrap: a group has no values', g);
  const rand = prng(o.seed);
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sumOfMeans = 0;
    for (const g of groups) {
      let s = 0;
      for (let i = 0; i < g.length; i++) s += g[Math.floor(rand() * g.length)] as number;
      sumOfMeans += s / g.length;
    }
    stats.push(sumOfMeans / groups.length);
  }
  const alpha = (1 - level) / 2;
  // Own sort + linear interpolation (R type 7, as mathjs.quantileSeq): mathjs's quickselect picks random
  // pivots, which made the last bit of the interval differ between calls with the same seed.
  stats.sort((x, y) => x - y);
  const quantile = (q: number): number => {
    const h = (stats.length - 1) * q;
    const lo = Math.floor(h);
    const a = stats[lo] as number;
    const b = stats[Math.min(lo + 1, stats.length - 1)] as number;
    return a + (h - lo) * (b - a);
  };
  return {
    mean: avg(
      groups.map((g) => avg(g, 'a group')),
      'groups',
    ),
    low: quantile(alpha),
    high: quantile(1 - alpha),
    level,
    n: groups.reduce((a, g) => a + g.length, 0),
    oneValue: groups.every((g) => g.length === 1),
  };
}

/** Percentile bootstrap CI of Eq. 3: resamples the per-size efficiencies. */
export function bootstrapArchitectureEfficiency(
  perSize: readonly number[],
  options: BootstrapOptions,
): ConfidenceInterval {
  return bootstrapGroups([perSize], options);
}

/** Percentile bootstrap CI of Eq. 4: resamples sizes within each criterion, averages per criterion, then over criteria. */
export function bootstrapOverallEfficiency(
  perCriterionPerSize: readonly (readonly number[])[],
  options: BootstrapOptions,
): ConfidenceInterval {
  if (perCriterionPerSize.length === 0)
    throw new EfficiencyInputError('Eq. 4 bootstrap: no criteria', perCriterionPerSize);
  return bootstrapGroups(perCriterionPerSize, options);
}

// ------------------------------------------------------------------ Eq. 3 / 4

/** One trained model's result, the unit Eq. 3 averages. */
export interface ModelResult {
  accuracy: number;
  energyJ: number;
}

export interface GroupOptions {
  /** `joules` (default) or `paper-sum` (the authors' sum of watt readings, for comparison with their tables). */
  energy?: 'joules' | 'paper-sum';
  bootstrap?: BootstrapOptions;
  /**
   * What a completed run with zero measured energy does: `error` (default; EfficiencyInputError, since no
   * efficiency exists) or `exclude` (left out and counted in `zeroEnergyRuns`; a group left with no usable run
   * gets no row). Failed and diverged runs are always left out and counted.
   */
  unusableRuns?: 'error' | 'exclude';
  /**
   * Runs at chance level (runExclusion's 'chance-level', isChanceLevel): `keep` (default, so existing callers get the
   * numbers they got) averages them in and counts them in `chanceLevelRuns`; `exclude` leaves them out and counts
   * them (what `eff report` does: a short run at chance level would dominate a mean or a ratio).
   */
  chanceLevelRuns?: 'keep' | 'exclude';
}

/**
 * Why a run cannot enter Eq. 3 (and so no Eq. 4 value or ratio): it failed, it diverged (non-finite loss/accuracy),
 * no energy was measured, or its accuracy is at chance level (see isChanceLevel: it learned nothing, and a short
 * run at chance level gets a large accuracy/energy that would dominate a mean or a ratio).
 */
export type RunExclusion = 'failed' | 'diverged' | 'zero-energy' | 'chance-level';

/**
 * The one rule, shared by core and `eff report`, for which runs Eq. 3 cannot use; null for a usable run. Checked in
 * this order: failed, diverged, zero energy, chance level (a run is counted under its first reason only). Eq. 3 keeps
 * chance-level runs unless told `chanceLevelRuns: 'exclude'` (the report always leaves them out). `energy`: where a
 * zero is looked for, the paper-sum with 'paper-sum', else (the default) the joules.
 */
export function runExclusion(r: RunRecord, energy?: 'joules' | 'paper-sum'): RunExclusion | null {
  if (r.status === 'failed') return 'failed';
  if (r.status === 'diverged') return 'diverged';
  const e = energy === 'paper-sum' ? r.final.paperSumW : r.final.energyJ.total;
  if (e === 0) return 'zero-energy';
  return isChanceLevel(r) === true ? 'chance-level' : null;
}

/** Classes of the datasets eff ships (MNIST, CIFAR-10), for the chance level. Other datasets: not judged. */
export const DATASET_CLASSES: Readonly<Record<string, number>> = { mnist: 10, cifar10: 10, 'cifar-10': 10 };

/**
 * Margin above chance (1 / classes) within which a run counts as "at chance level": 0.05, so 0.15 for MNIST and
 * CIFAR-10. It leaves room for class imbalance (MNIST's most frequent test class alone is 11.35 %, what a model
 * that always answers "1" scores) and for a few lucky guesses on a small test set.
 */
export const CHANCE_LEVEL_MARGIN = 0.05;

/** The accuracy at or below which a run with `classes` classes is at chance level: 1 / classes + CHANCE_LEVEL_MARGIN. */
export function chanceLevelAccuracy(classes: number): number {
  return 1 / classes + CHANCE_LEVEL_MARGIN;
}

/**
 * True when the run's final accuracy is at chance level, i.e. ≤ 1 / classes + CHANCE_LEVEL_MARGIN (0.15 for 10
 * classes); null when the dataset's number of classes is unknown (`classes` overrides DATASET_CLASSES). runExclusion
 * names such runs; `eff report` leaves them out of every mean and ratio and counts them.
 */
export function isChanceLevel(r: RunRecord, classes?: number): boolean | null {
  const k = classes ?? DATASET_CLASSES[r.config.dataset.toLowerCase()];
  if (k === undefined) return null;
  // 1e-12: 0.1 + 0.05 is 0.15000000000000002 in floating point; an accuracy of exactly 0.15 is at chance level.
  return r.final.accuracy <= chanceLevelAccuracy(k) + 1e-12;
}

export interface SizeEfficiency {
  size: number;
  /** Mean over repeats (folds, seeds) of accuracy / energy. */
  efficiency: number;
  runs: number;
}

export interface ArchitectureEfficiencyRow {
  dataset: string;
  architecture: string;
  /** Criterion key: its label, else `name` + params. */
  criterion: string;
  sizes: SizeEfficiency[];
  /** Eq. 3: mean over sizes. */
  efficiency: number;
  ci?: ConfidenceInterval;
  /** Runs left out because they failed (not silently: counted here). */
  failedRuns: number;
  /** Runs left out because a loss or accuracy became non-finite (status `diverged`). */
  divergedRuns: number;
  /** Completed runs left out because no energy was measured (only with `unusableRuns: 'exclude'`). */
  zeroEnergyRuns: number;
  /** Runs at chance level (isChanceLevel): in the mean by default, left out with `chanceLevelRuns: 'exclude'`. */
  chanceLevelRuns: number;
  degraded: boolean;
  estimated: boolean;
}

/** Criterion key used to group runs: the config label, else `name {params}`. */
export function criterionKey(r: RunRecord): string {
  const c = r.config.criterion;
  return c.label ?? `${c.name} ${stableStringify(c.params)}`;
}

function isRecords(x: readonly unknown[]): x is readonly RunRecord[] {
  const f = x[0] as { schemaVersion?: unknown } | undefined;
  return typeof f === 'object' && f !== null && 'schemaVersion' in f;
}

function runEfficiency(r: RunRecord, energy: 'joules' | 'paper-sum'): number {
  const where = `run ${r.runId}`;
  const acc = checkAccuracy(r.final.accuracy, where);
  if (energy === 'paper-sum') {
    if (r.final.paperSumW === undefined) {
      throw new EfficiencyInputError(`run ${r.runId} has no paperSumW; use energy: 'joules'`, r.runId);
    }
    return acc / checkEnergy(r.final.paperSumW, `${where} paper-sum`);
  }
  return acc / checkEnergy(r.final.energyJ.total, where);
}

/**
 * Eq. 3. With plain model results: the mean of accuracy/energy over them (one per size). With RunRecords:
 * one row per dataset × architecture × criterion, repeats of a size (folds, seeds) averaged first.
 */
export function architectureEfficiency(models: readonly ModelResult[]): number;
export function architectureEfficiency(
  records: readonly RunRecord[],
  options?: GroupOptions,
): ArchitectureEfficiencyRow[];
export function architectureEfficiency(
  input: readonly ModelResult[] | readonly RunRecord[],
  options: GroupOptions = {},
): number | ArchitectureEfficiencyRow[] {
  if (input.length === 0)
    throw new EfficiencyInputError('Eq. 3 needs at least one model or run, found none', input);
  if (!isRecords(input)) {
    return avg(
      (input as readonly ModelResult[]).map((m) => efficiency(m.accuracy, m.energyJ)),
      'model efficiencies',
    );
  }
  const energy = options.energy ?? 'joules';
  const exclude = options.unusableRuns === 'exclude';
  type Group = { rows: RunRecord[]; failed: number; diverged: number; zeroEnergy: number; chance: number };
  const groups = new Map<string, Group>();
  for (const r of input) {
    const key = stableStringify([r.config.dataset, r.config.architecture, criterionKey(r)]);
    const g = groups.get(key) ?? { rows: [], failed: 0, diverged: 0, zeroEnergy: 0, chance: 0 };
    const why = runExclusion(r, energy);
    if (why === 'failed') g.failed++;
    else if (why === 'diverged') g.diverged++;
    else if (why === 'chance-level') {
      g.chance++;
      if (options.chanceLevelRuns !== 'exclude') g.rows.push(r);
    } else if (why === 'zero-energy' && exclude) g.zeroEnergy++;
    else g.rows.push(r); // a zero-energy run without `exclude` reaches checkEnergy and is refused there
    groups.set(key, g);
  }
  const out: ArchitectureEfficiencyRow[] = [];
  for (const [key, g] of groups) {
    const [dataset, architecture, criterion] = JSON.parse(key) as [string, string, string];
    if (g.rows.length === 0) {
      if (exclude) continue;
      throw new EfficiencyInputError(
        `no usable run for ${architecture} on ${dataset} under ${criterion} (${g.failed} failed, ${g.diverged} diverged, ${g.chance} at chance level)`,
        key,
      );
    }
    const bySize = new Map<number, number[]>();
    for (const r of g.rows) {
      const list = bySize.get(r.config.size) ?? [];
      list.push(runEfficiency(r, energy));
      bySize.set(r.config.size, list);
    }
    const sizes = [...bySize.entries()]
      .sort(([a], [b]) => a - b)
      .map(([size, xs]) => ({ size, efficiency: avg(xs, 'repeats'), runs: xs.length }));
    const values = sizes.map((s) => s.efficiency);
    out.push({
      dataset,
      architecture,
      criterion,
      sizes,
      efficiency: avg(values, 'sizes'),
      ...(options.bootstrap ? { ci: bootstrapArchitectureEfficiency(values, options.bootstrap) } : {}),
      failedRuns: g.failed,
      divergedRuns: g.diverged,
      zeroEnergyRuns: g.zeroEnergy,
      chanceLevelRuns: g.chance,
      degraded: g.rows.some((r) => r.final.degraded),
      estimated: g.rows.some((r) => r.final.estimated),
    });
  }
  return out;
}

export interface OverallEfficiencyRow {
  dataset: string;
  architecture: string;
  /** Criteria averaged (keys as in ArchitectureEfficiencyRow.criterion). */
  criteria: string[];
  /** Eq. 4: mean of Eq. 3 over criteria. */
  efficiency: number;
  ci?: ConfidenceInterval;
  degraded: boolean;
  estimated: boolean;
}

export interface OverallOptions extends GroupOptions {
  /** Only these criterion keys (e.g. leave out a 100-epoch extension); default all. */
  criteria?: readonly string[];
}

/**
 * Eq. 4. With numbers (Eq. 3 per criterion): their mean. With RunRecords: one row per dataset × architecture,
 * the mean over criteria of Eq. 3.
 */
export function overallEfficiency(perCriterion: readonly number[]): number;
export function overallEfficiency(
  records: readonly RunRecord[],
  options?: OverallOptions,
): OverallEfficiencyRow[];
export function overallEfficiency(
  input: readonly number[] | readonly RunRecord[],
  options: OverallOptions = {},
): number | OverallEfficiencyRow[] {
  if (input.length === 0)
    throw new EfficiencyInputError('Eq. 4 needs at least one value or run, found none', input);
  if (!isRecords(input)) {
    (input as readonly number[]).forEach((v, i) => {
      if (!Number.isFinite(v) || v < 0) {
        throw new EfficiencyInputError(`Eq. 4: efficiency ${i} must be a finite number >= 0, found ${v}`, v);
      }
    });
    return avg(input as readonly number[], 'criteria');
  }
  const selected = options.criteria;
  const records = selected ? input.filter((r) => selected.includes(criterionKey(r))) : input;
  if (records.length === 0) {
    throw new EfficiencyInputError(`Eq. 4: no run matches criteria ${JSON.stringify(selected)}`, selected);
  }
  const { bootstrap, ...rest } = options;
  const rows = architectureEfficiency(records, rest);
  const groups = new Map<string, ArchitectureEfficiencyRow[]>();
  for (const row of rows) {
    const key = stableStringify([row.dataset, row.architecture]);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.entries()].map(([key, rs]) => {
    const [dataset, architecture] = JSON.parse(key) as [string, string];
    return {
      dataset,
      architecture,
      criteria: rs.map((r) => r.criterion),
      efficiency: avg(
        rs.map((r) => r.efficiency),
        'criteria',
      ),
      ...(bootstrap
        ? {
            ci: bootstrapOverallEfficiency(
              rs.map((r) => r.sizes.map((s) => s.efficiency)),
              bootstrap,
            ),
          }
        : {}),
      degraded: rs.some((r) => r.degraded),
      estimated: rs.some((r) => r.estimated),
    };
  });
}

// -------------------------------------------------------------------- ratios

export interface TaskRatio {
  architecture: string;
  numerator: string;
  denominator: string;
  /** Eq. 4 on `numerator` dataset / Eq. 4 on `denominator` dataset. */
  ratio: number;
}

export interface ArchitectureRatio {
  dataset: string;
  numerator: string;
  denominator: string;
  ratio: number;
}

export interface EfficiencyRatios {
  tasks: TaskRatio[];
  architectures: ArchitectureRatio[];
}

/**
 * Table 12: for every architecture, A on T1 / A on T2 for each ordered pair of datasets (in the order given,
 * default first seen); for every dataset, A1 / A2 for each ordered pair of architectures.
 * Input: Eq. 4 rows (or any `{ dataset, architecture, efficiency }`) or RunRecords (Eq. 4 computed first).
 */
export function efficiencyRatios(
  input: readonly { dataset: string; architecture: string; efficiency: number }[] | readonly RunRecord[],
  options: OverallOptions & { datasets?: readonly string[]; architectures?: readonly string[] } = {},
): EfficiencyRatios {
  if (input.length === 0) throw new EfficiencyInputError('efficiencyRatios: no input', input);
  const rows = isRecords(input) ? overallEfficiency(input, options) : input;
  const value = new Map<string, number>();
  for (const r of rows) {
    if (!Number.isFinite(r.efficiency) || r.efficiency <= 0) {
      throw new EfficiencyInputError(
        `efficiency of ${r.architecture} on ${r.dataset} must be > 0 for a ratio, found ${r.efficiency}`,
        r.efficiency,
      );
    }
    value.set(stableStringify([r.dataset, r.architecture]), r.efficiency);
  }
  const datasets = options.datasets ?? [...new Set(rows.map((r) => r.dataset))];
  const archs = options.architectures ?? [...new Set(rows.map((r) => r.architecture))];
  const get = (d: string, a: string) => value.get(stableStringify([d, a]));
  const tasks: TaskRatio[] = [];
  for (const a of archs)
    for (let i = 0; i < datasets.length; i++)
      for (let j = i + 1; j < datasets.length; j++) {
        const n = get(datasets[i] as string, a);
        const d = get(datasets[j] as string, a);
        if (n !== undefined && d !== undefined) {
          tasks.push({
            architecture: a,
            numerator: datasets[i] as string,
            denominator: datasets[j] as string,
            ratio: n / d,
          });
        }
      }
  const architectures: ArchitectureRatio[] = [];
  for (const ds of datasets)
    for (let i = 0; i < archs.length; i++)
      for (let j = i + 1; j < archs.length; j++) {
        const n = get(ds, archs[i] as string);
        const d = get(ds, archs[j] as string);
        if (n !== undefined && d !== undefined) {
          architectures.push({
            dataset: ds,
            numerator: archs[i] as string,
            denominator: archs[j] as string,
            ratio: n / d,
          });
        }
      }
  return { tasks, architectures };
}

// --------------------------------------------------------------- overtraining

export interface OvertrainingInput {
  train50: number;
  test50: number;
  train100: number;
  test100: number;
}

export interface OvertrainingRule {
  /** Decimals A and B are rounded to before judging (the paper: 2). */
  decimals: number;
  /** A rounded <= this means no real test gain -> overtrained (the paper: 0). */
  minTestGain: number;
  /** Overtrained when rounded B >= comparableRatio × rounded A ("B of the same order as A"). */
  comparableRatio: number;
}

/**
 * Default rule. The paper's 20 rows put the boundary between B/A = 0.2 (BCNN CIFAR, not overtrained) and
 * B/A = 0.5 (LeNet-1 CIFAR, overtrained); 0.3 sits inside it and reproduces all 20 classifications.
 */
export const DEFAULT_OVERTRAINING_RULE: OvertrainingRule = {
  decimals: 2,
  minTestGain: 0,
  comparableRatio: 0.3,
};

/**
 * The rule in words, for the note under Table 13: derived from the rule object, so what a report prints is
 * what overtrainingOf applies. E.g. `Overtrained when A ≤ 0 (no real test gain) or B ≥ 0.3·A (...)`.
 */
export function describeOvertrainingRule(rule: Partial<OvertrainingRule> = {}): string {
  const r = { ...DEFAULT_OVERTRAINING_RULE, ...rule };
  return (
    `A and B are rounded to ${r.decimals} decimals. Overtrained when A ≤ ${r.minTestGain} (no real test gain) ` +
    `or B ≥ ${r.comparableRatio}·A (the train/test divergence grew comparably to the test gain).`
  );
}

export interface OvertrainingResult extends OvertrainingInput {
  diff50: number;
  diff100: number;
  /** test100 − test50. */
  a: number;
  /** (train100 − test100) − (train50 − test50). */
  b: number;
  aRounded: number;
  bRounded: number;
  overtrained: boolean;
  reason: string;
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  // + 0 turns -0 into 0.
  return Math.round(x * f + Number.EPSILON * Math.sign(x)) / f + 0;
}

/** Table 13 for one model: A, B and the overtraining verdict under `rule`. */
export function overtrainingOf(
  x: OvertrainingInput,
  rule: Partial<OvertrainingRule> = {},
): OvertrainingResult {
  const r = { ...DEFAULT_OVERTRAINING_RULE, ...rule };
  for (const k of ['train50', 'test50', 'train100', 'test100'] as const)
    checkAccuracy(x[k], `overtraining ${k}`);
  const diff50 = x.train50 - x.test50;
  const diff100 = x.train100 - x.test100;
  const a = x.test100 - x.test50;
  const b = diff100 - diff50;
  const aRounded = round(a, r.decimals);
  const bRounded = round(b, r.decimals);
  let overtrained: boolean;
  let reason: string;
  if (aRounded <= r.minTestGain) {
    overtrained = true;
    reason = `no real test gain from the extra epochs (A = ${aRounded} ≤ ${r.minTestGain})`;
  } else if (bRounded >= r.comparableRatio * aRounded) {
    overtrained = true;
    reason = `train/test divergence grew comparably to the test gain (B = ${bRounded} ≥ ${r.comparableRatio} × A = ${aRounded})`;
  } else {
    overtrained = false;
    reason = `test gain A = ${aRounded} clearly exceeds the divergence B = ${bRounded}`;
  }
  return { ...x, diff50, diff100, a, b, aRounded, bRounded, overtrained, reason };
}

export interface OvertrainingRow extends OvertrainingResult {
  dataset: string;
  architecture: string;
  size: number;
  /** Runs averaged (folds, seeds). */
  runs: number;
}

export interface OvertrainingAnalysis {
  rows: OvertrainingRow[];
  /** Runs that could not be used, with why (not silently dropped). */
  skipped: Array<{ runId: string; reason: string }>;
}

/**
 * Table 13. With plain inputs: one verdict per row. With RunRecords: for every run that has epoch records at
 * `shortEpochs` and `longEpochs` (default 50, 100), train/test accuracy there; repeats averaged per
 * dataset × architecture × size before A and B are computed.
 */
export function analyzeOvertraining(
  rows: readonly OvertrainingInput[],
  options?: { rule?: Partial<OvertrainingRule> },
): OvertrainingResult[];
export function analyzeOvertraining(
  records: readonly RunRecord[],
  options?: { rule?: Partial<OvertrainingRule>; shortEpochs?: number; longEpochs?: number },
): OvertrainingAnalysis;
export function analyzeOvertraining(
  input: readonly OvertrainingInput[] | readonly RunRecord[],
  options: { rule?: Partial<OvertrainingRule>; shortEpochs?: number; longEpochs?: number } = {},
): OvertrainingResult[] | OvertrainingAnalysis {
  if (input.length === 0) throw new EfficiencyInputError('analyzeOvertraining: no input', input);
  if (!isRecords(input))
    return (input as readonly OvertrainingInput[]).map((x) => overtrainingOf(x, options.rule));
  const short = options.shortEpochs ?? 50;
  const long = options.longEpochs ?? 100;
  const skipped: OvertrainingAnalysis['skipped'] = [];
  const groups = new Map<string, OvertrainingInput[]>();
  for (const r of input) {
    if (r.status !== 'completed') {
      skipped.push({ runId: r.runId, reason: `run ${r.status}` });
      continue;
    }
    const s = r.epochs.find((e) => e.epoch === short);
    const l = r.epochs.find((e) => e.epoch === long);
    if (!s || !l) {
      skipped.push({ runId: r.runId, reason: `no epoch records at both ${short} and ${long}` });
      continue;
    }
    if (
      s.trainAccuracy === null ||
      s.testAccuracy === null ||
      l.trainAccuracy === null ||
      l.testAccuracy === null
    ) {
      skipped.push({ runId: r.runId, reason: `train or test accuracy missing at epoch ${short} or ${long}` });
      continue;
    }
    const key = stableStringify([r.config.dataset, r.config.architecture, r.config.size]);
    groups.set(key, [
      ...(groups.get(key) ?? []),
      {
        train50: s.trainAccuracy,
        test50: s.testAccuracy,
        train100: l.trainAccuracy,
        test100: l.testAccuracy,
      },
    ]);
  }
  const rows: OvertrainingRow[] = [...groups.entries()].map(([key, xs]) => {
    const [dataset, architecture, size] = JSON.parse(key) as [string, string, number];
    const m = (k: keyof OvertrainingInput) =>
      avg(
        xs.map((x) => x[k]),
        k,
      );
    return {
      dataset,
      architecture,
      size,
      runs: xs.length,
      ...overtrainingOf(
        { train50: m('train50'), test50: m('test50'), train100: m('train100'), test100: m('test100') },
        options.rule,
      ),
    };
  });
  return { rows, skipped };
}
