// Energy-to-finish prediction: after each epoch, how many joules and ms a run will still spend until its criterion stops it.
import type { StoppingCriterionConfig } from './criteria.js';
import { type Prediction, StoppingCriterionConfigSchema } from './schema.js';

/** One finished epoch as the predictor sees it. Accuracies in [0, 1] or null; energy of this epoch alone. */
export interface PredictorEpoch {
  /** 1-based epoch number. */
  epoch: number;
  /** Energy of this epoch (J, EnergyByComponent.total of the epoch's interval). */
  energyJ: number;
  /** Duration of this epoch, ms. */
  durationMs: number;
  trainAccuracy: number | null;
  validationAccuracy: number | null;
  testAccuracy?: number | null;
}

export interface PredictOptions {
  /** The run's hard epoch cap (criteria.withMaxEpochs). */
  maxEpochs: number;
  /**
   * Images in the validation set, when known: the validation accuracy's noise (early stopping's threshold, and the
   * measurement noise of the interval's simulated futures) is then the binomial standard error √(acc·(1−acc)/n).
   * Without it: the fit's residual RMS (4+ epochs), else NOISE_DEFAULT.
   */
  validationCount?: number;
  /** Bootstrap replicates for the interval. Default 200. */
  replicates?: number;
  /** Seed of the replicates' pseudo-random numbers (deterministic predictions). Default 1. */
  seed?: number;
}

/** Bad input to the predictor (an epoch cap below 1, epochs out of order, a negative energy). */
export class PredictError extends Error {
  readonly code = 'E_PREDICT';
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'PredictError';
  }
}

/** The epochs after which a run record keeps its prediction (RunRecord.predictions). */
export const KEPT_AFTER_EPOCHS: readonly number[] = [1, 2, 3, 5, 10];

/**
 * Exponent of the learning curve assumed while it cannot be fitted (fewer than 3 epochs): 1/√2 ≈ 0.71, the geometric
 * middle of PRIOR_C_RANGE. The range is that of stochastic gradient descent's classical rates: the expected excess
 * error falls as t^−½ for convex objectives and as t^−1 for strongly convex ones (Nemirovski et al. 2009; Bottou,
 * Curtis & Nocedal, SIAM Review 2018, Thm 4.7), t the samples seen, here ∝ cumulative energy. The interval draws c
 * log-uniformly over the range. (Before 2026-11-30 the prior was c = 0.5 over 0.25–1, the data-scaling rate of
 * Viering & Loog 2022; it was too slow for every MNIST run of the in-sample grids, see docs/prediction.md.)
 */
export const PRIOR_C = Math.SQRT1_2;
export const PRIOR_C_RANGE: readonly [number, number] = [0.5, 1];
/**
 * Coefficient of variation (as the standard deviation of ln energy) of one epoch's energy around the run's trend,
 * assumed before the run shows its own: 0.2, the upper end of the spread of identical training slices repeated on
 * the 2-core machine eff is developed on (`pnpm bench`, bench/results/2026-11-25T*.json: median CV 0.03–0.05 per
 * model and backend, the most variable 0.14–0.22 per file), since an epoch also meets load changes a short slice
 * misses. Pooled with the run's own residuals: see energyLogSd.
 */
export const ENERGY_CV_PRIOR = 0.2;
/** Weight of ENERGY_CV_PRIOR in energyLogSd, in epochs' worth of residuals (the prior counts as one residual). */
export const ENERGY_CV_PRIOR_WEIGHT = 1;
/** Accuracy noise (early stopping's threshold, the simulated futures' measurement noise) when neither the validation size nor 4+ epochs are known. */
export const NOISE_DEFAULT = 0.005;
/** The interval's quantiles (an 80% interval). */
export const INTERVAL_QUANTILES: readonly [number, number] = [0.1, 0.9];

// ------------------------------------------------------------------ fits

/** A line y = intercept + slope·x. */
export interface Line {
  intercept: number;
  slope: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

/** Linear-interpolated quantile q ∈ [0, 1] of xs (type 7, R's default). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return (s[lo] as number) + (h - lo) * ((s[hi] as number) - (s[lo] as number));
}

/**
 * Theil–Sen line (Sen 1968): slope = median of pairwise slopes, intercept = median of y − slope·x. Robust to one
 * odd epoch (e.g. the first, which pays for compilation). One point (or all x equal): slope 0, intercept median y.
 */
export function theilSen(xs: readonly number[], ys: readonly number[]): Line {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const dx = (xs[j] as number) - (xs[i] as number);
      if (dx !== 0) slopes.push(((ys[j] as number) - (ys[i] as number)) / dx);
    }
  }
  const slope = slopes.length > 0 ? median(slopes) : 0;
  return { slope, intercept: median(ys.map((y, i) => y - slope * (xs[i] as number))) };
}

/**
 * Per-epoch energy (or duration) model: epoch j → predicted value. Three or more epochs: a Theil–Sen line over
 * (epoch, value), clamped at 0; fewer: the mean (two points cannot tell a trend from noise).
 */
export function perEpochTrend(
  epochs: readonly number[],
  values: readonly number[],
): (epoch: number) => number {
  if (values.length >= 3) {
    const l = theilSen(epochs, values);
    return (j) => Math.max(0, l.intercept + l.slope * j);
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return () => mean;
}

/**
 * Standard deviation of ln(epoch energy) around the run's trend, pooled with the prior (a scaled-inverse-χ² update
 * of a normal variance, Gelman et al., Bayesian Data Analysis, 3rd ed., Sect. 2.8):
 * σ² = (w·σ₀² + Σ rᵢ²) / (w + dof), with σ₀ = ENERGY_CV_PRIOR, w = ENERGY_CV_PRIOR_WEIGHT, rᵢ = ln(eᵢ / trend(i))
 * the log residuals of the observed epochs and dof their degrees of freedom (epochs − parameters of the trend:
 * k − 1 for the mean, k − 2 for the line). One epoch (no residual, dof 0): σ₀.
 */
export function energyLogSd(logResiduals: readonly number[], dof: number): number {
  const ss = logResiduals.reduce((s, r) => s + r * r, 0);
  const d = Math.max(0, dof);
  return Math.sqrt((ENERGY_CV_PRIOR_WEIGHT * ENERGY_CV_PRIOR ** 2 + ss) / (ENERGY_CV_PRIOR_WEIGHT + d));
}

/** The log residuals ln(eᵢ / trend(i)) of the epochs with a positive energy and trend, and their dof. */
function energyResiduals(
  epochs: readonly number[],
  values: readonly number[],
  trend: (epoch: number) => number,
): { residuals: number[]; dof: number } {
  const residuals: number[] = [];
  epochs.forEach((j, i) => {
    const v = values[i] as number;
    const t = trend(j);
    if (v > 0 && t > 0) residuals.push(Math.log(v / t));
  });
  const params = values.length >= 3 ? 2 : 1;
  return { residuals, dof: residuals.length - params };
}

/**
 * The inverse power law acc(E) = a − b·(E/scaleJ)^(−c) of accuracy against cumulative energy E (J), the "pow3"
 * learning curve of Domhan et al. (2015) and the best-supported parametric form in Viering & Loog's survey (2022).
 * `scaleJ` (the first epoch's cumulative energy) only keeps b in accuracy units.
 */
export interface PowerLawCurve {
  a: number;
  b: number;
  c: number;
  scaleJ: number;
  /** Root mean square of the fit's residuals (0 when the fit has no spare degree of freedom). */
  rms: number;
}

/** acc at cumulative energy E (J) on the curve. */
export function curveAt(curve: PowerLawCurve, energyJ: number): number {
  return curve.a - curve.b * (energyJ / curve.scaleJ) ** -curve.c;
}

/** Exponents tried by the fit: 64 log-spaced values from 0.05 to 4. */
const C_GRID = Array.from({ length: 64 }, (_, i) => 0.05 * (4 / 0.05) ** (i / 63));

/**
 * Least squares of acc = a − b·x for x = u^(−c), c fixed, under 0 ≤ b and a ≤ 1 (a curve that falls, or
 * saturates above 100%, is not a learning curve): a > 1 → a = 1 and b by least squares; b < 0 → the flat mean.
 */
function fitFixedC(us: readonly number[], accs: readonly number[], c: number, aFixed?: number) {
  const xs = us.map((u) => u ** -c);
  const n = xs.length;
  const sse = (a: number, b: number) =>
    xs.reduce((s, x, i) => s + ((accs[i] as number) - (a - b * x)) ** 2, 0);
  const withA = (a: number) => {
    // acc = a − b·x ⇒ b = Σ x·(a − acc) / Σ x²
    const num = xs.reduce((s, x, i) => s + x * (a - (accs[i] as number)), 0);
    const den = xs.reduce((s, x) => s + x * x, 0);
    const b = Math.max(0, den > 0 ? num / den : 0);
    return { a, b, sse: sse(a, b) };
  };
  if (aFixed !== undefined) return withA(aFixed);
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = accs.reduce((s, y) => s + y, 0) / n;
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const sxy = xs.reduce((s, x, i) => s + (x - mx) * ((accs[i] as number) - my), 0);
  let b = sxx > 0 ? -sxy / sxx : 0;
  if (b < 0) b = 0;
  const a = my + b * mx;
  if (a > 1) return withA(1);
  return { a, b, sse: sse(a, b) };
}

/**
 * Fits the inverse power law to (cumulative energy J, accuracy) points. 3+ points: a, b by constrained least squares
 * for every exponent c on a log grid in [0.05, 4], keeping the smallest squared error. 2 points: c = `c` (default
 * PRIOR_C), a and b fitted. 1 point: c = `c`, a = 1 (the curve through the point towards 100%).
 * Throws PredictError on no points or a non-positive energy.
 */
export function fitPowerLaw(
  energiesJ: readonly number[],
  accuracies: readonly number[],
  options: { c?: number } = {},
): PowerLawCurve {
  if (energiesJ.length === 0 || energiesJ.length !== accuracies.length) {
    throw new PredictError(
      `fitPowerLaw needs as many energies as accuracies, at least one; found ${energiesJ.length} and ${accuracies.length}`,
      energiesJ,
    );
  }
  const scaleJ = energiesJ[0] as number;
  if (!energiesJ.every((e) => Number.isFinite(e) && e > 0)) {
    throw new PredictError(`fitPowerLaw needs energies > 0 J, found ${energiesJ.join(', ')}`, energiesJ);
  }
  const us = energiesJ.map((e) => e / scaleJ);
  const n = us.length;
  let best: { a: number; b: number; c: number; sse: number };
  if (n === 1 || (n === 2 && options.c === undefined) || options.c !== undefined) {
    const c = options.c ?? PRIOR_C;
    const f = fitFixedC(us, accuracies, c, n === 1 ? 1 : undefined);
    best = { ...f, c };
  } else {
    best = { a: 0, b: 0, c: 0, sse: Number.POSITIVE_INFINITY };
    for (const c of C_GRID) {
      const f = fitFixedC(us, accuracies, c);
      if (f.sse < best.sse - 1e-15) best = { ...f, c };
    }
  }
  const dof = n - 3;
  return { a: best.a, b: best.b, c: best.c, scaleJ, rms: dof > 0 ? Math.sqrt(best.sse / n) : 0 };
}

// ------------------------------------------------------------ scenarios

type AccuracyKind = 'train' | 'validation' | 'test';

/** One possible future: per-epoch energy and time, and a learning curve per accuracy kind. */
interface Scenario {
  k: number;
  energySoFarJ: number;
  maxEpochs: number;
  energyOf: (epoch: number) => number;
  msOf: (epoch: number) => number;
  curve: (on: AccuracyKind) => PowerLawCurve | null;
  noise: (on: AccuracyKind) => number;
  /**
   * A simulated future's observation noise on the accuracy after epoch j > k (what the run will measure = curve +
   * this); null for the point prediction, whose accuracies are the curve itself.
   */
  jitter: ((on: AccuracyKind, j: number) => number) | null;
  history: readonly PredictorEpoch[];
  cumulativeJ: readonly number[];
}

/** Where a criterion stops: total epochs (fractional inside an epoch) and what decided it. */
interface StopAt {
  epochs: number;
  method: Prediction['method'];
}

function accuracyOf(e: PredictorEpoch, on: AccuracyKind): number | null {
  const v = on === 'train' ? e.trainAccuracy : on === 'validation' ? e.validationAccuracy : e.testAccuracy;
  return v === undefined || v === null || !Number.isFinite(v) ? null : v;
}

/** Cumulative energy after epoch j ≥ k under the scenario (J). */
function cumulativeAt(s: Scenario, j: number): number {
  if (j <= s.k) return s.cumulativeJ[j - 1] ?? 0;
  let e = s.energySoFarJ;
  for (let i = s.k + 1; i <= j; i++) e += s.energyOf(i);
  return e;
}

/** Accuracy after epoch j: observed up to k, the curve (+ the simulated noise) after; null when there is no curve. */
function accuracyAt(s: Scenario, on: AccuracyKind, j: number): number | null {
  if (j <= 0) return null;
  if (j <= s.k) return accuracyOf(s.history[j - 1] as PredictorEpoch, on);
  const c = s.curve(on);
  if (!c) return null;
  const acc = curveAt(c, cumulativeAt(s, j));
  return s.jitter ? Math.min(1, Math.max(0, acc + s.jitter(on, j))) : acc;
}

const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** The first epoch j in (k, maxEpochs] where `hit(j)` holds, else maxEpochs. */
function firstEpoch(s: Scenario, hit: (j: number) => boolean): number {
  for (let j = s.k + 1; j <= s.maxEpochs; j++) if (hit(j)) return j;
  return s.maxEpochs;
}

function diminishingOn(s: Scenario, params: Record<string, unknown>): AccuracyKind {
  const on = params.on;
  if (on === 'train' || on === 'validation' || on === 'test') return on;
  const first = s.history[0] as PredictorEpoch;
  if (accuracyOf(first, 'test') !== null) return 'test';
  return accuracyOf(first, 'validation') !== null ? 'validation' : 'train';
}

/** Where `config` stops the run under scenario `s`, or null for a criterion the predictor does not know. */
function stopAt(config: StoppingCriterionConfig, s: Scenario): StopAt | null {
  const p = (config.params ?? {}) as Record<string, unknown>;
  switch (config.name) {
    case 'fixedEpochs':
      return { epochs: Math.max(s.k, num(p.epochs, 50)), method: 'trend' };
    case 'energyBudget': {
      const budgetJ = num(p.joules, Number.POSITIVE_INFINITY);
      if (s.energySoFarJ >= budgetJ) return { epochs: s.k, method: 'budget' };
      let e = s.energySoFarJ;
      for (let j = s.k + 1; j <= s.maxEpochs; j++) {
        const ej = s.energyOf(j);
        if (e + ej >= budgetJ) {
          // Per batch: stops inside epoch j when the budget is spent; per epoch: at the end of epoch j.
          const frac = p.checkEvery === 'batch' && ej > 0 ? (budgetJ - e) / ej : 1;
          return { epochs: j - 1 + frac, method: 'budget' };
        }
        e += ej;
      }
      return { epochs: s.maxEpochs, method: 'trend' };
    }
    case 'accuracyTarget': {
      const on: AccuracyKind = p.on === 'train' ? 'train' : 'validation';
      const target = num(p.target, 0.99);
      if (!s.curve(on)) return null;
      return {
        epochs: firstEpoch(s, (j) => (accuracyAt(s, on, j) ?? -1) >= target),
        method: 'learning-curve',
      };
    }
    case 'earlyStopping': {
      if (!s.curve('validation')) return null;
      const patience = Math.max(1, Math.round(num(p.patience, 3)));
      const minDelta = num(p.minDelta, 0);
      // The run's own state (Keras semantics), replayed over the observed validation accuracies.
      let best = Number.NEGATIVE_INFINITY;
      let wait = 0;
      for (const e of s.history) {
        const a = accuracyOf(e, 'validation');
        if (a === null) continue;
        if (a > best + minDelta) {
          best = a;
          wait = 0;
        } else wait++;
      }
      // Then the same rule over the future. A simulated future: over the accuracies the run would measure (curve +
      // noise), with the criterion's minDelta. The point prediction: over the curve itself, where a gain counts only
      // when it beats the best by more than the noise (or minDelta), since a smaller one is as likely to be lost to
      // noise as to be seen.
      const delta = s.jitter ? minDelta : Math.max(minDelta, s.noise('validation'));
      for (let j = s.k + 1; j <= s.maxEpochs; j++) {
        const a = accuracyAt(s, 'validation', j) ?? Number.NEGATIVE_INFINITY;
        if (a > best + delta) {
          best = a;
          wait = 0;
        } else wait++;
        if (wait >= patience) return { epochs: j, method: 'learning-curve' };
      }
      return { epochs: s.maxEpochs, method: 'learning-curve' };
    }
    case 'diminishingReturns': {
      const on = diminishingOn(s, p);
      if (!s.curve(on)) return null;
      const window = Math.max(1, Math.round(num(p.window, 3)));
      const fraction = num(p.fraction, 0.1);
      const hit = (j: number) => {
        if (j <= window) return false;
        const e = cumulativeAt(s, j);
        const de = e - cumulativeAt(s, j - window);
        const acc = accuracyAt(s, on, j) ?? 0;
        const gained = acc - (accuracyAt(s, on, j - window) ?? 0);
        return e > 0 && de > 0 && gained / de < (fraction * acc) / e;
      };
      return { epochs: firstEpoch(s, hit), method: 'learning-curve' };
    }
    case 'anyOf':
    case 'allOf': {
      const children = Array.isArray(p.criteria) ? (p.criteria as StoppingCriterionConfig[]) : [];
      const stops: StopAt[] = [];
      for (const c of children) {
        const parsed = StoppingCriterionConfigSchema.safeParse(c);
        const st = parsed.success ? stopAt(parsed.data, s) : null;
        // anyOf: an unknown child may stop it any time (no prediction); allOf: it only delays, so the known
        // children still give a lower bound... which would mislead: no prediction either.
        if (!st) return null;
        stops.push(st);
      }
      if (stops.length === 0) return null;
      const pick = stops.reduce((a, b) =>
        config.name === 'anyOf' ? (b.epochs < a.epochs ? b : a) : b.epochs > a.epochs ? b : a,
      );
      return pick;
    }
    default:
      return null;
  }
}

/**
 * Epochs the naive baseline assumes the criterion runs: fixedEpochs its count, an energy budget the epochs the mean
 * per-epoch energy takes to spend it, anyOf/allOf the earliest/latest child, anything else the cap.
 */
function baselineEpochs(
  config: StoppingCriterionConfig,
  meanJ: number,
  k: number,
  maxEpochs: number,
): number {
  const p = (config.params ?? {}) as Record<string, unknown>;
  const cap = (n: number) => Math.min(maxEpochs, Math.max(k, n));
  switch (config.name) {
    case 'fixedEpochs':
      return cap(num(p.epochs, 50));
    case 'energyBudget': {
      const n = meanJ > 0 ? num(p.joules, Number.POSITIVE_INFINITY) / meanJ : maxEpochs;
      return cap(p.checkEvery === 'batch' ? n : Math.ceil(n));
    }
    case 'anyOf':
    case 'allOf': {
      const children = Array.isArray(p.criteria) ? (p.criteria as StoppingCriterionConfig[]) : [];
      const ns = children.map((c) => {
        const parsed = StoppingCriterionConfigSchema.safeParse(c);
        return parsed.success ? baselineEpochs(parsed.data, meanJ, k, maxEpochs) : maxEpochs;
      });
      if (ns.length === 0) return maxEpochs;
      return config.name === 'anyOf' ? Math.min(...ns) : Math.max(...ns);
    }
    default:
      return maxEpochs;
  }
}

/** Energy and time of epochs k+1 … stop (a fractional last epoch counts its fraction). */
function remainingUntil(s: Scenario, stopEpochs: number): { energyJ: number; ms: number } {
  let energyJ = 0;
  let ms = 0;
  for (let j = s.k + 1; j < stopEpochs + 1; j++) {
    const part = Math.min(1, stopEpochs - (j - 1));
    if (part <= 0) break;
    energyJ += part * s.energyOf(j);
    ms += part * s.msOf(j);
  }
  return { energyJ, ms };
}

/** mulberry32: a small seeded generator, so that a prediction is reproducible from its inputs. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkHistory(history: readonly PredictorEpoch[], maxEpochs: number): void {
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1) {
    throw new PredictError(`maxEpochs must be an integer >= 1, found ${String(maxEpochs)}`, maxEpochs);
  }
  history.forEach((e, i) => {
    if (e.epoch !== i + 1) {
      throw new PredictError(
        `epochs must be 1, 2, … in order; found epoch ${e.epoch} at position ${i + 1}`,
        e,
      );
    }
    if (!Number.isFinite(e.energyJ) || e.energyJ < 0 || !Number.isFinite(e.durationMs) || e.durationMs < 0) {
      throw new PredictError(
        `epoch ${e.epoch}: energyJ and durationMs must be finite and >= 0, found ${e.energyJ} J, ${e.durationMs} ms`,
        e,
      );
    }
  });
}

interface Fits {
  energyOf: (j: number) => number;
  msOf: (j: number) => number;
  curves: (on: AccuracyKind) => PowerLawCurve | null;
}

/** Learning curve of one accuracy kind on (cumulative J, acc), over the epochs that have both; null if none. */
function curveFor(
  history: readonly PredictorEpoch[],
  cumulativeJ: readonly number[],
  on: AccuracyKind,
  accs: readonly (number | null)[] | null,
  c?: number,
): PowerLawCurve | null {
  const es: number[] = [];
  const as: number[] = [];
  history.forEach((e, i) => {
    const a = accs ? accs[i] : accuracyOf(e, on);
    const E = cumulativeJ[i] as number;
    if (a !== null && a !== undefined && E > 0) {
      es.push(E);
      as.push(a);
    }
  });
  if (es.length === 0) return null;
  return fitPowerLaw(es, as, c !== undefined ? { c } : {});
}

/**
 * Predicts what a run will still spend after the epochs in `history` until `criterion` (or the cap) stops it.
 *
 * - Per-epoch energy and time: perEpochTrend (Theil–Sen line from 3 epochs, the mean before).
 * - fixedEpochs: the remaining epochs on that trend (`trend`). energyBudget: the budget (`budget`; the cap wins
 *   when the trend reaches it first). accuracyTarget, earlyStopping, diminishingReturns: the inverse power law
 *   fitted to accuracy against cumulative energy (fitPowerLaw), walked epoch by epoch until the target is reached,
 *   early stopping's own rule stops it (a gain counts when it beats the best by more than the validation noise or
 *   minDelta), or the gain per joule over the window falls below fraction × acc/E (`learning-curve`). anyOf: the
 *   earliest child; allOf: the latest.
 * - Interval [low, high]: the 10th and 90th percentiles of the remaining energy over `replicates` simulated futures
 *   (widened to contain the point), each drawing: a level factor and one factor per future epoch on the trend's
 *   energy, both exp(σ·z) with σ = energyLogSd of the run's residuals around its trend, and from 3 epochs the
 *   line's slope error exp(σ/√Sxx · z · (j − ī)); the curve's parameters (fewer than 4 epochs: c log-uniform over
 *   PRIOR_C_RANGE; more: the fit's residuals resampled onto its fitted values and the curve refitted); and the
 *   noise on each future measured accuracy (curve + noise·z), to which the criterion's own rule is applied.
 * - Baseline: mean energy per epoch so far × baselineEpochs (the cap for accuracy and patience criteria).
 *
 * Returns null for an empty history, a criterion it does not know (user-registered), or a run at its cap.
 * Throws PredictError on malformed history or cap.
 */
export function predictRemaining(
  criterion: StoppingCriterionConfig,
  history: readonly PredictorEpoch[],
  options: PredictOptions,
): Prediction | null {
  const { maxEpochs } = options;
  checkHistory(history, maxEpochs);
  const k = history.length;
  if (k === 0 || k >= maxEpochs) return null;
  const epochsIdx = history.map((e) => e.epoch);
  const energies = history.map((e) => e.energyJ);
  const durations = history.map((e) => e.durationMs);
  const cumulativeJ: number[] = [];
  energies.reduce((s, e) => {
    cumulativeJ.push(s + e);
    return s + e;
  }, 0);
  const energySoFarJ = cumulativeJ[k - 1] as number;

  const noiseFor = (curves: Fits['curves']) => (on: AccuracyKind) => {
    const c = curves(on);
    if (options.validationCount && options.validationCount > 0 && on === 'validation') {
      const last = accuracyOf(history[k - 1] as PredictorEpoch, on) ?? c?.a ?? 0.5;
      return Math.sqrt((last * (1 - last)) / options.validationCount);
    }
    return c && k >= 4 && c.rms > 0 ? c.rms : NOISE_DEFAULT;
  };
  const scenario = (f: Fits, jitter: Scenario['jitter'] = null): Scenario => ({
    k,
    energySoFarJ,
    maxEpochs,
    energyOf: f.energyOf,
    msOf: f.msOf,
    curve: f.curves,
    noise: noiseFor(f.curves),
    jitter,
    history,
    cumulativeJ,
  });
  // Curves are fitted lazily, per accuracy kind the criterion asks for (a fit is 64 least-squares solves).
  const lazy = (fit: (on: AccuracyKind) => PowerLawCurve | null): Fits['curves'] => {
    const cache = new Map<AccuracyKind, PowerLawCurve | null>();
    return (on) => {
      if (!cache.has(on)) cache.set(on, fit(on));
      return cache.get(on) ?? null;
    };
  };
  const pointFits: Fits = {
    energyOf: perEpochTrend(epochsIdx, energies),
    msOf: perEpochTrend(epochsIdx, durations),
    curves: lazy((on) => curveFor(history, cumulativeJ, on, null)),
  };
  const point = scenario(pointFits);
  const stop = stopAt(criterion, point);
  if (!stop) return null;
  const clampStop = (n: number) => Math.min(maxEpochs, Math.max(k, n));
  const stopEpochs = clampStop(stop.epochs);
  const rem = remainingUntil(point, stopEpochs);

  // Simulated futures for the interval, each drawing every uncertainty the predictor knows: the per-epoch energy
  // (its level and each future epoch's own deviation), the learning curve's parameters, and the noise on the
  // accuracies the run will measure, to which the criterion's own rule is applied (so a stop lands on whole epochs).
  const { residuals: energyResid, dof } = energyResiduals(epochsIdx, energies, pointFits.energyOf);
  const sigma = energyLogSd(energyResid, dof);
  const random = rng(options.seed ?? 1);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const replicates = options.replicates ?? 200;
  const future = maxEpochs - k;
  const samples: number[] = [];
  for (let r = 0; r < replicates; r++) {
    // Everything is drawn up front, in a fixed order, so that a replicate does not depend on what the criterion
    // asks for first.
    const residualPicks = history.map(() => random());
    const [lo, hi] = PRIOR_C_RANGE;
    const priorC = lo * (hi / lo) ** random();
    const levelZ = normal();
    const slopeZ = normal();
    const epochZ = Array.from({ length: future }, normal);
    const accZ = {
      train: Array.from({ length: future }, normal),
      validation: Array.from({ length: future }, normal),
      test: Array.from({ length: future }, normal),
    };
    const curves = lazy((on) => {
      const fitted = pointFits.curves(on);
      if (!fitted) return null;
      if (k < 4) return curveFor(history, cumulativeJ, on, null, priorC);
      const observed = history.map((e) => accuracyOf(e, on));
      const residuals = observed
        .map((a, i) => (a === null ? null : a - curveAt(fitted, cumulativeJ[i] as number)))
        .filter((x): x is number => x !== null);
      const resampled = observed.map((a, i) => {
        if (a === null) return null;
        const r =
          residuals[
            Math.min(residuals.length - 1, Math.floor((residualPicks[i] as number) * residuals.length))
          ];
        return Math.min(1, Math.max(0, curveAt(fitted, cumulativeJ[i] as number) + (r as number)));
      });
      return curveFor(history, cumulativeJ, on, resampled);
    });
    // The trend scaled by a level factor (the machine's load shifts for minutes, so the future's level is about as
    // uncertain as one epoch), by the line's slope error from 3 epochs on (its standard error σ/√Sxx, Sxx = Σ(i −
    // ī)² over the epochs seen; Draper & Smith, Applied Regression Analysis, Sect. 3.1), and by each future epoch's
    // own factor. Not a line refitted to resampled epochs: with 3-4 epochs, two resampled points extrapolate to 0 J.
    const level = Math.exp(sigma * levelZ);
    const slopeSe = k >= 3 ? sigma / Math.sqrt((k * (k * k - 1)) / 12) : 0;
    const meanEpoch = (k + 1) / 2;
    const f: Fits = {
      energyOf: (j) =>
        pointFits.energyOf(j) *
        level *
        Math.exp(slopeSe * slopeZ * (j - meanEpoch) + sigma * (epochZ[j - k - 1] ?? 0)),
      msOf: pointFits.msOf,
      curves,
    };
    const noise = noiseFor(curves);
    const s = scenario(f, (on, j) => noise(on) * (accZ[on][j - k - 1] ?? 0));
    const st = stopAt(criterion, s);
    if (st) samples.push(remainingUntil(s, clampStop(st.epochs)).energyJ);
  }
  const low = samples.length > 0 ? quantile(samples, INTERVAL_QUANTILES[0]) : rem.energyJ;
  const high = samples.length > 0 ? quantile(samples, INTERVAL_QUANTILES[1]) : rem.energyJ;
  const meanJ = energySoFarJ / k;
  return {
    afterEpoch: k,
    method: stop.method,
    remainingEpochs: stopEpochs - k,
    remainingEnergyJ: rem.energyJ,
    remainingEnergyLowJ: Math.min(low, rem.energyJ),
    remainingEnergyHighJ: Math.max(high, rem.energyJ),
    remainingMs: rem.ms,
    totalEnergyJ: energySoFarJ + rem.energyJ,
    baselineTotalEnergyJ: meanJ * baselineEpochs(criterion, meanJ, k, maxEpochs),
  };
}

/** A run's predictor: feed it every epoch; it keeps the predictions made after KEPT_AFTER_EPOCHS. */
export interface RunPredictor {
  /** Adds the epoch and predicts; null when no prediction applies (see predictRemaining). */
  afterEpoch(epoch: PredictorEpoch): Prediction | null;
  /** The predictions kept so far (after epochs 1, 2, 3, 5, 10), in epoch order. */
  kept(): Prediction[];
}

/** Starts a predictor for one run of `criterion` with `options` (its cap, validation size). */
export function startPredictor(criterion: StoppingCriterionConfig, options: PredictOptions): RunPredictor {
  const history: PredictorEpoch[] = [];
  const kept: Prediction[] = [];
  return {
    afterEpoch(epoch) {
      history.push(epoch);
      const p = predictRemaining(criterion, history, options);
      if (p && KEPT_AFTER_EPOCHS.includes(p.afterEpoch)) kept.push(p);
      return p;
    },
    kept: () => [...kept],
  };
}
