// accuracy-cost.ts's edges pinned with hand-computed values (written against Stryker's survivors): a threshold met
// exactly, a curve with no energy, Pareto membership for inputs not already in energy order.
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
    efficiency: 0,
    efficiencyAccuracy: 'test',
  };
}

describe('accuracyCosts at a threshold met exactly', () => {
  it('counts accuracy == threshold in the first epoch as reached (upper bound)', () => {
    // a = 0.9 ≥ t = 0.9 in epoch 1: that epoch's 10 J and 100 ms, flagged as an upper bound.
    expect(accuracyCosts([epoch(1, 0.9, 10, 100)], [0.9])).toEqual([
      { threshold: 0.9, energyJ: 10, elapsedMs: 100, epoch: 1, upperBound: true },
    ]);
  });

  it('counts accuracy == threshold in a later epoch as reached (f = 1)', () => {
    // 0.5 @ 10 J/100 ms, 0.75 @ 30 J/300 ms, t = 0.75: f = (0.75 − 0.5)/(0.75 − 0.5) = 1 → 30 J, 300 ms, epoch 2.
    expect(accuracyCosts([epoch(1, 0.5, 10, 100), epoch(2, 0.75, 30, 300)], [0.75])).toEqual([
      { threshold: 0.75, energyJ: 30, elapsedMs: 300, epoch: 2, upperBound: false },
    ]);
  });
});

describe('efficiencyCurveArea with no energy', () => {
  it('is null when the only finite-accuracy epoch has 0 J (no energy axis to normalise by)', () => {
    // area = (0 − 0)·(0.5 + 0)/2 = 0, energy 0 → 0/0 would be NaN; the rule says null.
    expect(efficiencyCurveArea([epoch(1, 0.5, 0, 100)])).toBeNull();
  });

  it('is null with no epoch at all, and with only non-finite accuracies', () => {
    expect(efficiencyCurveArea([])).toBeNull();
    expect(efficiencyCurveArea([epoch(1, null, 10, 100)])).toBeNull();
  });

  it('skips a non-finite epoch between finite ones', () => {
    // (10 J, 0.5), [null at 15 J skipped], (20 J, 0.9): (10·(0.5+0)/2 + 10·(0.9+0.5)/2)/20 = (2.5 + 7)/20 = 0.475.
    const a = efficiencyCurveArea([epoch(1, 0.5, 10, 1), epoch(2, null, 15, 2), epoch(3, 0.9, 20, 3)]);
    expect(a).toBeCloseTo(0.475, 12);
  });
});

describe('paretoFront on unsorted input', () => {
  it('sorts by energy before scanning: a cheaper point listed later is still on the front', () => {
    // (20 J, 0.9): nothing cheaper is as accurate → on. (10 J, 0.8): cheapest → on.
    // (30 J, 0.85): (20 J, 0.9) is cheaper and more accurate → off.
    expect(
      paretoFront([
        { energyJ: 20, accuracy: 0.9 },
        { energyJ: 10, accuracy: 0.8 },
        { energyJ: 30, accuracy: 0.85 },
      ]),
    ).toEqual([true, true, false]);
  });

  it('within equal energy, only the most accurate is on, whichever is listed first', () => {
    // Both 10 J: (10, 0.9) dominates (10, 0.7) (same energy, strictly more accurate).
    // (20 J, 0.8): (10 J, 0.9) is cheaper and more accurate → off.
    expect(
      paretoFront([
        { energyJ: 10, accuracy: 0.7 },
        { energyJ: 10, accuracy: 0.9 },
        { energyJ: 20, accuracy: 0.8 },
      ]),
    ).toEqual([false, true, false]);
  });

  it('a later, more accurate point is on even when more expensive', () => {
    // (5 J, 0.6) cheapest → on; (50 J, 0.95) most accurate → on; (40 J, 0.5): (5 J, 0.6) dominates → off.
    expect(
      paretoFront([
        { energyJ: 50, accuracy: 0.95 },
        { energyJ: 40, accuracy: 0.5 },
        { energyJ: 5, accuracy: 0.6 },
      ]),
    ).toEqual([true, false, true]);
  });

  it('is empty for no points', () => {
    expect(paretoFront([])).toEqual([]);
  });
});
