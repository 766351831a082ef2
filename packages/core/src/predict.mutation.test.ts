// predict.ts's exported building blocks pinned with hand-computed values (written against Stryker's survivors): the
// error's code and name, quantile, Theil–Sen, the per-epoch trend, the energy log-sd, the power law and its fit.
import { describe, expect, it } from 'vitest';
import {
  curveAt,
  energyLogSd,
  fitPowerLaw,
  PredictError,
  perEpochTrend,
  quantile,
  theilSen,
} from './predict.js';

/** The PredictError `f` throws (fails the test when it throws nothing or something else). */
function predictError(f: () => unknown): PredictError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(PredictError);
    return err as PredictError;
  }
  throw new Error('expected a PredictError, nothing was thrown');
}

describe('PredictError', () => {
  it('carries its code and name', () => {
    const err = predictError(() => fitPowerLaw([], []));
    expect(err.code).toBe('E_PREDICT');
    expect(err.name).toBe('PredictError');
  });
});

describe('quantile (type 7)', () => {
  it('interpolates between order statistics', () => {
    // [1, 2, 3, 4], q = 0.5: h = 3 · 0.5 = 1.5 → s[1] + 0.5 · (s[2] − s[1]) = 2 + 0.5 = 2.5.
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    // [10 … 50], q = 0.1: h = 4 · 0.1 = 0.4 → 10 + 0.4 · 10 = 14; q = 0.9: h = 3.6 → 40 + 0.6 · 10 = 46.
    expect(quantile([50, 10, 40, 20, 30], 0.1)).toBeCloseTo(14, 12);
    expect(quantile([50, 10, 40, 20, 30], 0.9)).toBeCloseTo(46, 12);
  });

  it('sorts numerically (not as text) and has its ends at q = 0 and 1', () => {
    // Numerically [9, 20, 100]: q = 0 → 9, q = 0.5 → h = 1 → 20, q = 1 → 100 (as text it would be [100, 20, 9]).
    expect(quantile([100, 9, 20], 0)).toBe(9);
    expect(quantile([100, 9, 20], 0.5)).toBe(20);
    expect(quantile([100, 9, 20], 1)).toBe(100);
  });

  it('is NaN for no values', () => {
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('theilSen', () => {
  it('takes the median of an odd number of pairwise slopes', () => {
    // (0,0), (1,1), (2,4): slopes 1, 2, 3 → 2; intercepts 0 − 0, 1 − 2, 4 − 4 = 0, −1, 0 → median 0.
    expect(theilSen([0, 1, 2], [0, 1, 4])).toEqual({ slope: 2, intercept: 0 });
  });

  it('averages the middle two of an even number', () => {
    // (0,0), (1,1), (2,2), (3,10): slopes 1, 1, 10/3, 1, 9/2, 8 → sorted 1, 1, 1, 10/3, 4.5, 8 → (1 + 10/3)/2 = 13/6.
    // y − 13/6·x: 0, −7/6, −14/6, 21/6 → sorted −14/6, −7/6, 0, 21/6 → (−7/6 + 0)/2 = −7/12.
    const l = theilSen([0, 1, 2, 3], [0, 1, 2, 10]);
    expect(l.slope).toBeCloseTo(13 / 6, 12);
    expect(l.intercept).toBeCloseTo(-7 / 12, 12);
  });

  it('has slope 0 and the median y when all x are equal', () => {
    // No pair with dx ≠ 0 → slope 0; median of 5, 1, 3 = 3.
    expect(theilSen([2, 2, 2], [5, 1, 3])).toEqual({ slope: 0, intercept: 3 });
  });
});

describe('perEpochTrend', () => {
  it('fits a line from 3 epochs and clamps it at 0', () => {
    // (1,30), (2,20), (3,10): slope −10, intercept 40 → epoch 2: 20; epoch 5: 40 − 50 = −10 → 0.
    const t = perEpochTrend([1, 2, 3], [30, 20, 10]);
    expect(t(2)).toBe(20);
    expect(t(5)).toBe(0);
  });

  it('is the mean below 3 epochs', () => {
    // (10 + 20)/2 = 15 at any epoch.
    const t = perEpochTrend([1, 2], [10, 20]);
    expect(t(1)).toBe(15);
    expect(t(9)).toBe(15);
  });
});

describe('energyLogSd', () => {
  it('pools the prior (σ₀ = 0.2, weight 1) with the residuals', () => {
    // ss = 0.3² + 0.4² = 0.25; (1 · 0.04 + 0.25) / (1 + 3) = 0.0725 → √0.0725.
    expect(energyLogSd([0.3, -0.4], 3)).toBeCloseTo(Math.sqrt(0.0725), 12);
  });

  it('treats a negative dof as 0', () => {
    // (0.04 + 0.09) / (1 + 0) = 0.13 → √0.13.
    expect(energyLogSd([0.3], -1)).toBeCloseTo(Math.sqrt(0.13), 12);
  });
});

describe('curveAt', () => {
  it('is a − b·(E/scale)^(−c)', () => {
    // 0.9 − 0.4 · 2^(−1) = 0.7; with c = 2: 0.9 − 0.4 · 2^(−2) = 0.8.
    expect(curveAt({ a: 0.9, b: 0.4, c: 1, scaleJ: 100, rms: 0 }, 200)).toBeCloseTo(0.7, 12);
    expect(curveAt({ a: 0.9, b: 0.4, c: 2, scaleJ: 100, rms: 0 }, 200)).toBeCloseTo(0.8, 12);
  });
});

describe('fitPowerLaw with a fixed exponent', () => {
  it('rejects no points, mismatched lengths and non-positive energies', () => {
    predictError(() => fitPowerLaw([], []));
    predictError(() => fitPowerLaw([1, 2], [0.5]));
    predictError(() => fitPowerLaw([0, 2], [0.5, 0.6]));
  });

  it('through two points when a ≤ 1', () => {
    // u = [1, 4], c = 0.5 → x = [1, 0.5]; mx = 0.75, my = 0.55; sxx = 2 · 0.25² = 0.125;
    // sxy = 0.25 · (−0.05) + (−0.25) · 0.05 = −0.025 → b = 0.2; a = 0.55 + 0.2 · 0.75 = 0.7.
    const f = fitPowerLaw([100, 400], [0.5, 0.6], { c: 0.5 });
    expect(f.a).toBeCloseTo(0.7, 12);
    expect(f.b).toBeCloseTo(0.2, 12);
    expect(f.c).toBe(0.5);
    expect(f.scaleJ).toBe(100);
  });

  it('caps a at 1 and refits b', () => {
    // accs [0.5, 0.8]: sxy = 0.25 · (−0.15) + (−0.25) · 0.15 = −0.075 → b = 0.6; a = 0.65 + 0.45 = 1.1 > 1 →
    // a = 1, b = Σ x(1 − acc) / Σ x² = (1 · 0.5 + 0.5 · 0.2) / (1 + 0.25) = 0.6 / 1.25 = 0.48.
    const f = fitPowerLaw([100, 400], [0.5, 0.8], { c: 0.5 });
    expect(f.a).toBe(1);
    expect(f.b).toBeCloseTo(0.48, 12);
  });

  it('is flat at the mean for a falling accuracy (b ≥ 0)', () => {
    // accs [0.6, 0.5]: b = −0.2 → 0; a = mean 0.55.
    const f = fitPowerLaw([100, 400], [0.6, 0.5], { c: 0.5 });
    expect(f.b).toBe(0);
    expect(f.a).toBeCloseTo(0.55, 12);
  });

  it('one point: a = 1 and b through it', () => {
    // u = 1, x = 1: b = (1 − 0.6) / 1 = 0.4.
    const f = fitPowerLaw([50], [0.6], { c: 0.5 });
    expect(f.a).toBe(1);
    expect(f.b).toBeCloseTo(0.4, 12);
    expect(f.scaleJ).toBe(50);
  });
});

describe('fitPowerLaw over the exponent grid (3+ points)', () => {
  it('keeps the first exponent on a tie and has rms 0 with no spare degree of freedom (3 points)', () => {
    // Falling accuracies 0.7, 0.6, 0.5: for every c, x = u^(−c) falls with u, so sxy > 0 → b < 0 → b = 0, a = mean
    // 0.6, sse = 0.1² + 0 + 0.1² = 0.02, the same for every c → the first grid value, 0.05 · 80⁰ = 0.05, is kept.
    // dof = 3 − 3 = 0 → rms 0.
    const f = fitPowerLaw([100, 200, 300], [0.7, 0.6, 0.5]);
    expect(f.c).toBe(0.05);
    expect(f.b).toBe(0);
    expect(f.a).toBeCloseTo(0.6, 12);
    expect(f.rms).toBe(0);
  });

  it('rms is √(sse / n) with a spare degree of freedom (4 points)', () => {
    // 0.8, 0.7, 0.6, 0.5 falling: b = 0, a = 0.65; sse = 0.15² + 0.05² + 0.05² + 0.15² = 0.05; rms = √(0.05 / 4).
    const f = fitPowerLaw([100, 200, 300, 400], [0.8, 0.7, 0.6, 0.5]);
    expect(f.c).toBe(0.05);
    expect(f.rms).toBeCloseTo(Math.sqrt(0.0125), 12);
  });
});

describe('fitPowerLaw error texts', () => {
  it('names what it found', () => {
    expect(predictError(() => fitPowerLaw([1, 2], [0.5])).message).toBe(
      'fitPowerLaw needs as many energies as accuracies, at least one; found 2 and 1',
    );
    expect(predictError(() => fitPowerLaw([0, 2], [0.5, 0.6])).message).toBe(
      'fitPowerLaw needs energies > 0 J, found 0, 2',
    );
  });
});

describe('fitPowerLaw with all energies equal', () => {
  it('is flat at the mean (no spread in x: sxx = 0, b = 0)', () => {
    // u = [1, 1] → x = [1, 1], sxx = 0 → b = 0 (not 0/0), a = (0.5 + 0.6)/2 = 0.55.
    const f = fitPowerLaw([100, 100], [0.5, 0.6], { c: 0.5 });
    expect(f.b).toBe(0);
    expect(f.a).toBeCloseTo(0.55, 12);
  });
});
