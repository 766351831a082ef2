// Energy/time-to-accuracy, curve area and Pareto membership against values computed by hand.
import { describe, expect, it } from 'vitest';
import { accuracyCosts, efficiencyCurveArea, paretoFront } from './accuracy-cost.js';
import type { EpochRecord } from './schema.js';

/** An epoch with test accuracy `a` (null: not finite) after `energyJ` J and `elapsedMs` ms in all. */
function epoch(n: number, a: number | null, energyJ: number, elapsedMs: number): EpochRecord {
  return {
    epoch: n,
    trainAccuracy: null,
    validationAccuracy: null,
    testAccuracy: a,
    trainLoss: null,
    validationLoss: null,
    testLoss: null,
    durationMs: 0,
    elapsedMs,
    energyJ: { total: 0 },
    cumulativeEnergyJ: { total: energyJ },
    efficiency: a === null ? 0 : a / energyJ,
    efficiencyAccuracy: 'test',
  };
}

describe('accuracyCosts', () => {
  // 0.80 @ 100 J/1000 ms, 0.90 @ 200 J/2000 ms, 0.96 @ 300 J/3500 ms.
  const run = [epoch(1, 0.8, 100, 1000), epoch(2, 0.9, 200, 2000), epoch(3, 0.96, 300, 3500)];

  it('interpolates linearly between the epochs around the first crossing', () => {
    const [t85, t90, t95, t99] = accuracyCosts(run, [0.85, 0.9, 0.95, 0.99]);
    // 0.85 halfway between 0.8 and 0.9: 150 J, 1500 ms, first reached in epoch 2.
    expect(t85?.energyJ).toBeCloseTo(150, 9);
    expect(t85?.elapsedMs).toBeCloseTo(1500, 9);
    expect(t85?.epoch).toBe(2);
    expect(t85?.upperBound).toBe(false);
    // Exactly 0.9 at epoch 2: f = 1.
    expect(t90?.energyJ).toBeCloseTo(200, 9);
    // 0.95: f = 0.05/0.06 = 5/6 → 200 + 100·5/6 = 283.33 J; 2000 + 1500·5/6 = 3250 ms.
    expect(t95?.energyJ).toBeCloseTo(283.3333333, 6);
    expect(t95?.elapsedMs).toBeCloseTo(3250, 6);
    expect(t95?.epoch).toBe(3);
    expect(t99).toEqual({ threshold: 0.99, energyJ: null, elapsedMs: null, epoch: null, upperBound: false });
  });

  it('gives the first epoch’s values as an upper bound when the threshold is met there (nothing known before)', () => {
    const [t] = accuracyCosts(run, [0.5]);
    expect(t).toEqual({ threshold: 0.5, energyJ: 100, elapsedMs: 1000, epoch: 1, upperBound: true });
  });

  it('skips epochs without a finite accuracy and takes the first crossing, not a later one', () => {
    // Accuracy dips after reaching 0.9: the first crossing counts; epoch 2's null is skipped (from epoch 1 to 3).
    const bumpy = [
      epoch(1, 0.7, 100, 1000),
      epoch(2, null, 200, 2000),
      epoch(3, 0.95, 300, 3000),
      epoch(4, 0.8, 400, 4000),
    ];
    const [t] = accuracyCosts(bumpy, [0.9]);
    // f = 0.2 / 0.25 = 0.8 → 100 + 200·0.8 = 260 J, 1000 + 2000·0.8 = 2600 ms.
    expect(t?.energyJ).toBeCloseTo(260, 9);
    expect(t?.elapsedMs).toBeCloseTo(2600, 9);
    expect(t?.epoch).toBe(3);
  });
});

describe('efficiencyCurveArea', () => {
  it('is the trapezoidal area from (0 J, 0) divided by the run’s energy', () => {
    // (0,0)→(10,0.5): 2.5; (10,0.5)→(20,0.9): 7; 9.5 / 20 = 0.475.
    expect(efficiencyCurveArea([epoch(1, 0.5, 10, 1), epoch(2, 0.9, 20, 2)])).toBeCloseTo(0.475, 12);
  });

  it('scores a run that is accurate early higher than one that gets there late at the same energy', () => {
    const early = efficiencyCurveArea([epoch(1, 0.9, 10, 1), epoch(2, 0.9, 20, 2)]);
    const late = efficiencyCurveArea([epoch(1, 0.1, 10, 1), epoch(2, 0.9, 20, 2)]);
    // early: (4.5 + 9) / 20 = 0.675; late: (0.5 + 5) / 20 = 0.275.
    expect(early).toBeCloseTo(0.675, 12);
    expect(late).toBeCloseTo(0.275, 12);
  });

  it('is null without a finite accuracy', () => {
    expect(efficiencyCurveArea([epoch(1, null, 10, 1)])).toBeNull();
  });
});

describe('paretoFront', () => {
  it('keeps the non-dominated runs and treats identical runs as both on the front', () => {
    const points = [
      { energyJ: 100, accuracy: 0.9 }, // front: cheapest
      { energyJ: 200, accuracy: 0.95 }, // front
      { energyJ: 200, accuracy: 0.93 }, // dominated by the 0.95 at the same energy
      { energyJ: 300, accuracy: 0.95 }, // dominated: same accuracy for more energy
      { energyJ: 400, accuracy: 0.99 }, // front
      { energyJ: 400, accuracy: 0.99 }, // identical twin: front too
      { energyJ: 150, accuracy: 0.85 }, // dominated by (100, 0.9)
    ];
    expect(paretoFront(points)).toEqual([true, true, false, false, true, true, false]);
  });

  it('is empty for no runs', () => {
    expect(paretoFront([])).toEqual([]);
  });
});
