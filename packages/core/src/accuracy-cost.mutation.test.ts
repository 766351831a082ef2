// accuracy-cost.ts cases accuracy-cost.test.ts leaves open: the default thresholds, the validation accuracy, a run
// of 0 J, a skipped epoch inside the area, equal-energy points given worst first (written before the first Stryker
// run of this file; values by hand).
import { describe, expect, it } from 'vitest';
import { accuracyCosts, efficiencyCurveArea, epochAccuracy, paretoFront } from './accuracy-cost.js';
import type { EpochRecord } from './schema.js';

function epoch(
  n: number,
  a: number | null,
  energyJ: number,
  on: 'test' | 'validation' = 'test',
): EpochRecord {
  return {
    epoch: n,
    trainAccuracy: 0.125,
    validationAccuracy: on === 'validation' ? a : 0.25,
    testAccuracy: on === 'test' ? a : 0.375,
    trainLoss: null,
    validationLoss: null,
    testLoss: null,
    durationMs: 0,
    elapsedMs: 1000 * n,
    energyJ: { total: 0 },
    cumulativeEnergyJ: { total: energyJ },
    efficiency: 0,
    efficiencyAccuracy: on,
  };
}

describe('accuracy costs (mutation tests)', () => {
  it('the default thresholds are 0.9, 0.95, 0.98, 0.99', () => {
    const costs = accuracyCosts([epoch(1, 0.5, 100), epoch(2, 1, 200)]);
    // 0.9 on the way from 0.5 (100 J) to 1 (200 J): f = 0.8 → 180 J, 1800 ms
    expect(costs.map((c) => c.threshold)).toEqual([0.9, 0.95, 0.98, 0.99]);
    expect(costs[0]).toMatchObject({ epoch: 2, upperBound: false });
    expect(costs[0]?.energyJ).toBeCloseTo(180, 9);
    expect(costs[0]?.elapsedMs).toBeCloseTo(1800, 9);
  });

  it('a threshold reached exactly counts as reached', () => {
    expect(accuracyCosts([epoch(1, 0.9, 100)], [0.9])).toEqual([
      { threshold: 0.9, energyJ: 100, elapsedMs: 1000, epoch: 1, upperBound: true },
    ]);
    const [t] = accuracyCosts([epoch(1, 0.5, 100), epoch(2, 0.9, 200), epoch(3, 1, 300)], [0.9]);
    expect(t).toEqual({ threshold: 0.9, energyJ: 200, elapsedMs: 2000, epoch: 2, upperBound: false });
  });

  it("an epoch's accuracy is the one Eq. 2 used (validation here), not the test accuracy", () => {
    expect(epochAccuracy(epoch(1, 0.75, 10, 'validation'))).toBe(0.75);
    expect(epochAccuracy(epoch(1, 0.75, 10, 'test'))).toBe(0.75);
    const [t] = accuracyCosts([epoch(1, 0.5, 100, 'validation'), epoch(2, 1, 200, 'validation')], [0.75]);
    expect(t?.energyJ).toBeCloseTo(150, 9);
  });

  it('the curve area: null for a run of 0 J; a skipped epoch inside the curve changes nothing', () => {
    expect(efficiencyCurveArea([epoch(1, 0.5, 0)])).toBeNull();
    expect(efficiencyCurveArea([])).toBeNull();
    // (0,0)→(10,0.5): 2.5; (10,0.5)→(20,0.9): 7; 9.5 / 20 = 0.475, with or without a diverged epoch between
    expect(efficiencyCurveArea([epoch(1, 0.5, 10), epoch(2, null, 15), epoch(3, 0.9, 20)])).toBeCloseTo(
      0.475,
      12,
    );
  });

  it('Pareto: a cheaper, more accurate point given later still dominates an earlier one', () => {
    expect(
      paretoFront([
        { energyJ: 200, accuracy: 0.8 },
        { energyJ: 300, accuracy: 0.95 },
        { energyJ: 100, accuracy: 0.9 },
      ]),
    ).toEqual([false, true, true]);
  });

  it('Pareto: at equal energy only the most accurate is on the front, whatever the input order', () => {
    expect(
      paretoFront([
        { energyJ: 200, accuracy: 0.93 },
        { energyJ: 200, accuracy: 0.95 },
        { energyJ: 100, accuracy: 0.5 },
      ]),
    ).toEqual([false, true, true]);
  });
});
