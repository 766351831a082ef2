// Energy-to-finish predictor against hand-computed values: per-epoch trend, learning-curve fits, budget, anyOf/allOf,
// and the interval's rule (energy noise pooled with its prior, simulated futures under the criterion's own rule).
import { describe, expect, it } from 'vitest';
import {
  curveAt,
  ENERGY_CV_PRIOR,
  energyLogSd,
  fitPowerLaw,
  PredictError,
  type PredictorEpoch,
  predictRemaining,
  startPredictor,
  theilSen,
} from './predict.js';

const epochs = (energies: number[], acc: (j: number) => number | null = () => null): PredictorEpoch[] =>
  energies.map((e, i) => ({
    epoch: i + 1,
    energyJ: e,
    durationMs: 1000,
    trainAccuracy: null,
    validationAccuracy: acc(i + 1),
  }));

const fixed = (n: number) => ({ name: 'fixedEpochs', params: { epochs: n } });
const budget = (joules: number, checkEvery: 'batch' | 'epoch') => ({
  name: 'energyBudget',
  params: { joules, checkEvery },
});

describe('theilSen', () => {
  it('takes the median pairwise slope, so one odd point does not tilt the line', () => {
    // slopes: 2, 45, 2, 88, 2, −84 → median 2; intercepts y − 2x: 8, 8, 94, 8 → median 8
    expect(theilSen([1, 2, 3, 4], [10, 12, 100, 16])).toEqual({ slope: 2, intercept: 8 });
  });
  it('is flat through the median for one point', () => {
    expect(theilSen([3], [7])).toEqual({ slope: 0, intercept: 7 });
  });
});

describe('fixedEpochs: the per-epoch trend', () => {
  it('extrapolates the Theil–Sen line over the remaining epochs', () => {
    // 100, 110, 120 J → line 90 + 10·j: epochs 4 and 5 cost 130 + 140 = 270 J; baseline 110 J × 5 epochs
    const p = predictRemaining(fixed(5), epochs([100, 110, 120]), { maxEpochs: 10 });
    expect(p).toMatchObject({
      afterEpoch: 3,
      method: 'trend',
      remainingEpochs: 2,
      remainingMs: 2000,
      totalEnergyJ: 600,
      baselineTotalEnergyJ: 550,
    });
    expect(p?.remainingEnergyJ).toBeCloseTo(270, 9);
    expect(p?.remainingEnergyLowJ).toBeLessThanOrEqual(270);
    expect(p?.remainingEnergyHighJ).toBeGreaterThanOrEqual(270);
  });
  it('uses the mean before three epochs, and the cap when it comes first', () => {
    // mean 150 J; fixed 20 capped at 6 → 4 epochs left
    const p = predictRemaining(fixed(20), epochs([100, 200]), { maxEpochs: 6 });
    expect(p?.remainingEnergyJ).toBe(600);
    expect(p?.baselineTotalEnergyJ).toBe(900);
  });
  it('has a wider interval when the epochs disagree, and never a zero-width one', () => {
    const width = (energies: number[]) => {
      const p = predictRemaining(fixed(10), epochs(energies), { maxEpochs: 10 });
      return (p?.remainingEnergyHighJ ?? 0) - (p?.remainingEnergyLowJ ?? 0);
    };
    // Steady epochs still leave the prior's spread: σ² = 0.2² / (1 + 2) → σ = 0.115 per epoch.
    expect(width([100, 100, 100, 100])).toBeGreaterThan(50);
    expect(width([60, 140, 70, 130])).toBeGreaterThan(width([100, 100, 100, 100]) + 100);
  });
});

describe('energyBudget', () => {
  it('per batch: predicts the budget itself, with a fractional last epoch', () => {
    const p = predictRemaining(budget(450, 'batch'), epochs([100, 100]), { maxEpochs: 10 });
    expect(p).toMatchObject({
      method: 'budget',
      remainingEpochs: 2.5,
      remainingEnergyJ: 250,
      totalEnergyJ: 450,
    });
    expect(p?.baselineTotalEnergyJ).toBe(450);
  });
  it('per epoch: overshoots to the end of the epoch that crosses it', () => {
    const p = predictRemaining(budget(450, 'epoch'), epochs([100, 100]), { maxEpochs: 10 });
    expect(p).toMatchObject({
      method: 'budget',
      remainingEpochs: 3,
      remainingEnergyJ: 300,
      baselineTotalEnergyJ: 500,
    });
  });
  it('falls back to the cap when the trend reaches it first', () => {
    const p = predictRemaining(budget(10_000, 'batch'), epochs([100, 100]), { maxEpochs: 4 });
    expect(p).toMatchObject({ method: 'trend', remainingEpochs: 2, remainingEnergyJ: 200 });
  });
});

describe('anyOf / allOf', () => {
  const children = [fixed(8), budget(450, 'batch')];
  it('anyOf: the earliest child', () => {
    const p = predictRemaining({ name: 'anyOf', params: { criteria: children } }, epochs([100, 100]), {
      maxEpochs: 10,
    });
    expect(p).toMatchObject({ method: 'budget', remainingEnergyJ: 250, baselineTotalEnergyJ: 450 });
  });
  it('allOf: the latest child', () => {
    const p = predictRemaining({ name: 'allOf', params: { criteria: children } }, epochs([100, 100]), {
      maxEpochs: 10,
    });
    expect(p).toMatchObject({ method: 'trend', remainingEnergyJ: 600, baselineTotalEnergyJ: 800 });
  });
});

describe('fitPowerLaw', () => {
  it('recovers a, b, c of a synthetic inverse power law', () => {
    const [a, b, c] = [0.98, 0.1, 0.7];
    const es = [100, 200, 300, 400, 500, 600];
    const f = fitPowerLaw(
      es,
      es.map((e) => a - b * (e / 100) ** -c),
    );
    expect(f.a).toBeCloseTo(a, 2);
    expect(f.b).toBeCloseTo(b, 2);
    expect(Math.abs(f.c - c)).toBeLessThan(0.05);
    expect(curveAt(f, 1000)).toBeCloseTo(a - b * 10 ** -c, 3);
  });
  it('one point: a = 1 and c = 1/√2, b from the point', () => {
    expect(fitPowerLaw([50], [0.9])).toMatchObject({ a: 1, c: Math.SQRT1_2, scaleJ: 50 });
    expect(fitPowerLaw([50], [0.9]).b).toBeCloseTo(0.1, 12);
  });
  it('never saturates above 100% nor falls', () => {
    const up = fitPowerLaw([1, 2, 3], [0.5, 0.9, 0.99]);
    expect(up.a).toBeLessThanOrEqual(1);
    const down = fitPowerLaw([1, 2, 3], [0.9, 0.8, 0.7]);
    expect(down.b).toBe(0);
  });
  it('rejects non-positive energies', () => {
    expect(() => fitPowerLaw([0, 1], [0.5, 0.6])).toThrow(PredictError);
  });
});

describe('accuracyTarget: the learning curve', () => {
  const acc = (j: number) => 0.98 - 0.1 * j ** -0.7;
  it('predicts the epoch the target is reached (exact curve, 4 epochs seen)', () => {
    // 0.98 − 0.1·j^−0.7 ≥ 0.95 ⇔ j ≥ 0.3^(−1/0.7) = 5.58 → epoch 6, 2 epochs of 100 J left
    const p = predictRemaining(
      { name: 'accuracyTarget', params: { target: 0.95, on: 'validation' } },
      epochs([100, 100, 100, 100], acc),
      { maxEpochs: 20 },
    );
    expect(p).toMatchObject({ method: 'learning-curve', remainingEpochs: 2, totalEnergyJ: 600 });
    expect(p?.baselineTotalEnergyJ).toBe(2000);
  });
  it('after one epoch assumes a = 1, c = 1/√2, and its interval is not zero-width', () => {
    // b = 0.1: 1 − 0.1·j^−0.7071 ≥ 0.95 ⇔ j ≥ 2^1.4142 = 2.67 → epoch 3, 2 epochs left
    const p = predictRemaining(
      { name: 'accuracyTarget', params: { target: 0.95, on: 'validation' } },
      epochs([100], () => 0.9),
      { maxEpochs: 20 },
    );
    expect(p).toMatchObject({ remainingEpochs: 2, remainingEnergyJ: 200 });
    expect(p?.remainingEnergyLowJ).toBeLessThan(200);
    expect(p?.remainingEnergyHighJ).toBeGreaterThan(200);
  });
  it('runs to the cap when the curve saturates below the target', () => {
    const p = predictRemaining(
      { name: 'accuracyTarget', params: { target: 0.99, on: 'validation' } },
      epochs([100, 100, 100, 100], (j) => 0.9 - 0.2 * j ** -1),
      { maxEpochs: 7 },
    );
    expect(p).toMatchObject({ remainingEpochs: 3, remainingEnergyJ: 300 });
  });
});

describe('earlyStopping and diminishingReturns: the learning curve', () => {
  it('early stopping: the gain falls within the binomial noise, then patience', () => {
    // a = 1, b = 0.1, c = 1/√2: acc 0.9, 0.938745, 0.954014, 0.962479, 0.967955, 0.971831, 0.974740 (j = 1…7);
    // noise √(0.9·0.1/900) = 0.01, a gain counts when it beats the best by more: j = 2, 3 count, 4 does not
    // (0.962479 ≤ 0.964014), 5 does (0.967955 > 0.964014), 6 and 7 do not (≤ 0.977955) → stops after epoch 7: 6 left
    const p = predictRemaining(
      { name: 'earlyStopping', params: { patience: 2 } },
      epochs([100], () => 0.9),
      {
        maxEpochs: 20,
        validationCount: 900,
      },
    );
    expect(p).toMatchObject({ method: 'learning-curve', remainingEpochs: 6, remainingEnergyJ: 600 });
  });
  it('diminishing returns: the first epoch where gain per joule < fraction × acc/E', () => {
    // window 1, fraction 0.05: j·(acc_j − acc_{j−1}) vs 0.05·acc_j (c = 1/√2): j=2: 0.07749 ≥ 0.04694;
    // j=3: 0.04581 < 0.04770
    const p = predictRemaining(
      { name: 'diminishingReturns', params: { window: 1, fraction: 0.05, on: 'validation' } },
      epochs([100], () => 0.9),
      { maxEpochs: 20 },
    );
    expect(p).toMatchObject({ method: 'learning-curve', remainingEpochs: 2, remainingEnergyJ: 200 });
  });
});

describe('no prediction, bad input, kept predictions', () => {
  it('returns null for an unknown criterion, no epochs, or a run at its cap', () => {
    expect(predictRemaining({ name: 'mine', params: {} }, epochs([100]), { maxEpochs: 5 })).toBeNull();
    expect(predictRemaining(fixed(5), [], { maxEpochs: 5 })).toBeNull();
    expect(predictRemaining(fixed(9), epochs([1, 1, 1]), { maxEpochs: 3 })).toBeNull();
  });
  it('throws PredictError on epochs out of order or negative energy', () => {
    expect(() =>
      predictRemaining(fixed(5), [{ ...epochs([1])[0], epoch: 2 } as PredictorEpoch], { maxEpochs: 5 }),
    ).toThrow(/in order/);
    expect(() => predictRemaining(fixed(5), epochs([-1]), { maxEpochs: 5 })).toThrow(PredictError);
  });
  it('keeps the predictions made after epochs 1, 2, 3, 5 and 10', () => {
    const predictor = startPredictor(fixed(12), { maxEpochs: 12 });
    for (const e of epochs(Array.from({ length: 11 }, () => 10))) predictor.afterEpoch(e);
    expect(predictor.kept().map((p) => p.afterEpoch)).toEqual([1, 2, 3, 5, 10]);
    expect(predictor.kept()[4]).toMatchObject({ remainingEpochs: 2, remainingEnergyJ: 20 });
  });
});

describe('the interval: every uncertainty the predictor knows', () => {
  it("energyLogSd pools the prior CV with the run's own log residuals", () => {
    // one epoch: the prior alone
    expect(energyLogSd([], 0)).toBe(ENERGY_CV_PRIOR);
    // residuals ±ln 1.1, dof 1: √((0.2² + 2·0.0953102²) / (1 + 1)) = 0.1705404
    expect(energyLogSd([Math.log(1.1), -Math.log(1.1)], 1)).toBeCloseTo(0.1705404, 6);
    // a steady run narrows it: three zero residuals of a line (dof 1): √(0.04 / 2)
    expect(energyLogSd([0, 0, 0], 1)).toBeCloseTo(Math.sqrt(0.02), 12);
    // fewer residuals than parameters: no negative dof
    expect(energyLogSd([], -1)).toBe(ENERGY_CV_PRIOR);
  });
  it('after one epoch of a fixed-epochs run: the ln-normal quantiles of level × epoch deviation', () => {
    // 2 epochs, 1 left: remaining = 100 J · exp(σ·z_level + σ·z_epoch), σ = 0.2 → ln sd 0.2·√2; the 10th and 90th
    // percentiles are 100·exp(∓1.28155·0.28284) = 69.59 and 143.69 J
    const p = predictRemaining(fixed(2), epochs([100]), { maxEpochs: 10, replicates: 20_000 });
    expect(p?.remainingEnergyJ).toBe(100);
    expect(p?.remainingEnergyLowJ).toBeGreaterThan(69.59 * 0.97);
    expect(p?.remainingEnergyLowJ).toBeLessThan(69.59 * 1.03);
    expect(p?.remainingEnergyHighJ).toBeGreaterThan(143.69 * 0.97);
    expect(p?.remainingEnergyHighJ).toBeLessThan(143.69 * 1.03);
  });
  it("early stopping: each simulated future applies the run's own patience rule, so it stops on a whole epoch", () => {
    // best 0.95 at epoch 1, then two epochs at 0.90: with patience 3 the run has waited 2; the curve (falling data
    // → flat, b = 0, whatever c is drawn) cannot beat 0.95 within the tiny noise (n = 10⁶), so every future stops
    // after epoch 4: remaining = 100 J · exp(σ·z + σ·z' + (σ/√Sxx)·(4 − 2)·z''), σ² = 0.04 / 2 (steady line, dof 1),
    // Sxx = 2 → ln sd √(0.02 + 0.02 + 0.01·4) = 0.28284 → 100·exp(∓1.28155·0.28284) = 69.59 and 143.69 J
    const p = predictRemaining(
      { name: 'earlyStopping', params: { patience: 3 } },
      epochs([100, 100, 100], (j) => (j === 1 ? 0.95 : 0.9)),
      { maxEpochs: 20, validationCount: 1_000_000, replicates: 20_000 },
    );
    expect(p).toMatchObject({ remainingEpochs: 1, remainingEnergyJ: 100 });
    expect(p?.remainingEnergyLowJ).toBeGreaterThan(69.59 * 0.97);
    expect(p?.remainingEnergyLowJ).toBeLessThan(69.59 * 1.03);
    expect(p?.remainingEnergyHighJ).toBeGreaterThan(143.69 * 0.97);
    expect(p?.remainingEnergyHighJ).toBeLessThan(143.69 * 1.03);
  });
  it('accuracy target after one epoch: c over its prior range and the measured noise move the stop by whole epochs', () => {
    // 1 − 0.1·j^−c ≥ 0.95 ⇔ j ≥ 2^(1/c): c = 1 → epoch 2 (100 J left), c = 0.5 → epoch 4 (300 J left); the point
    // (c = 1/√2) says epoch 3. Energy noise alone (σ = 0.2) would keep 2 epochs under 200·exp(1.28·0.245) ≈ 273 J.
    const target = (t: number) =>
      predictRemaining(
        { name: 'accuracyTarget', params: { target: t, on: 'validation' } },
        epochs([100], () => 0.9),
        { maxEpochs: 20, validationCount: 400, replicates: 2000 },
      );
    const p = target(0.95);
    expect(p?.remainingEnergyHighJ ?? 0).toBeGreaterThan(300);
    expect(p?.remainingEnergyLowJ ?? 0).toBeLessThan(150);
  });
  it('the noise on the measured accuracy moves the target epoch: a small validation set widens the interval', () => {
    // An exact curve seen for 4 epochs (0.98 − 0.1·j^−0.7, no residual to resample): the target 0.95 falls at epoch 6.
    // n = 10⁶: noise 0.0002, every future stops at 6 and only the energy spreads (σ² = 0.04/3: about ±20% of 200 J).
    // n = 100: noise √(0.95·0.05/100) = 0.022, as large as the last gains, so futures stop from epoch 5 to 8 or later.
    const acc = (j: number) => 0.98 - 0.1 * j ** -0.7;
    const width = (validationCount: number) => {
      const p = predictRemaining(
        { name: 'accuracyTarget', params: { target: 0.95, on: 'validation' } },
        epochs([100, 100, 100, 100], acc),
        { maxEpochs: 20, validationCount },
      );
      expect(p).toMatchObject({ remainingEpochs: 2, remainingEnergyJ: 200 });
      return (p?.remainingEnergyHighJ ?? 0) - (p?.remainingEnergyLowJ ?? 0);
    };
    expect(width(1_000_000)).toBeLessThan(100);
    expect(width(100)).toBeGreaterThan(150);
  });
});
