// diminishingReturns: its decisions on hand-made curves (the exact boundary, a window longer than the run, zero energy).
import { describe, expect, it } from 'vitest';
import { CriterionError, diminishingReturns, type EpochState, fromConfig } from './criteria.js';

/** Feeds (validation accuracy, cumulative J) pairs; returns the epoch that stopped, or null. */
function runOn(c: ReturnType<typeof diminishingReturns>, points: [number, number][]): number | null {
  const run = c.start();
  for (const [i, [acc, e]] of points.entries()) {
    const s: EpochState = {
      epoch: i + 1,
      trainAccuracy: null,
      validationAccuracy: acc,
      cumulativeEnergyJ: e,
      elapsedMs: 1000 * (i + 1),
    };
    const d = run.afterEpoch(s);
    if (d) return d.epoch;
  }
  return null;
}

describe('diminishingReturns', () => {
  const c = diminishingReturns({ window: 1, fraction: 0.5 });

  it('continues at exactly fraction × efficiency and stops just below it', () => {
    // epoch 2: gain 0.25 over 2 J = 0.125 /J; efficiency 1.0 / 4 J = 0.25 /J; 0.5 × 0.25 = 0.125: equal, continue
    expect(
      runOn(c, [
        [0.75, 2],
        [1.0, 4],
      ]),
    ).toBeNull();
    // gain 0.125 / 2 J = 0.0625 /J < 0.5 × 0.875 / 4 = 0.109 /J: stop at epoch 2
    expect(
      runOn(c, [
        [0.75, 2],
        [0.875, 4],
      ]),
    ).toBe(2);
    // gain 0.5 / 2 J = 0.25 /J > 0.5 × 1.0 / 4 = 0.125 /J: continue
    expect(
      runOn(c, [
        [0.5, 2],
        [1.0, 4],
      ]),
    ).toBeNull();
  });

  it('makes no decision while the window is longer than the epochs so far', () => {
    const w3 = diminishingReturns({ window: 3, fraction: 0.1 });
    // accuracy falls every epoch (the strongest "stop" signal) but no epoch n − 3 exists before epoch 4
    const falling: [number, number][] = [
      [0.9, 1],
      [0.8, 2],
      [0.7, 3],
      [0.6, 4],
    ];
    expect(runOn(w3, falling.slice(0, 3))).toBeNull();
    expect(runOn(w3, falling)).toBe(4);
  });

  it('makes no decision when the window spent no energy or no energy was measured', () => {
    expect(
      runOn(c, [
        [0.5, 2],
        [0.5, 2],
      ]),
    ).toBeNull(); // window energy 0 J
    expect(
      runOn(c, [
        [0.5, 0],
        [0.5, 0],
      ]),
    ).toBeNull(); // E = 0: efficiency undefined
    expect(
      runOn(c, [
        [0.5, 0],
        [0.5, 0],
        [0.5, 2],
      ]),
    ).toBe(3); // energy appears: no gain → stop
  });

  it('names itself and round-trips through fromConfig', () => {
    const d = diminishingReturns({ window: 3, fraction: 0.1 });
    expect(d.label).toBe('diminishing returns (window 3, fraction 0.1)');
    const back = fromConfig(d.toConfig());
    expect(back.name).toBe('diminishingReturns');
    expect(back.toConfig()).toEqual(d.toConfig());
    expect(
      runOn(back as ReturnType<typeof diminishingReturns>, [
        [0.9, 1],
        [0.8, 2],
        [0.7, 3],
        [0.6, 4],
      ]),
    ).toBe(4);
  });

  it('auto uses the test accuracy when the epochs have it (Eq. 2), else validation', () => {
    const run = diminishingReturns({ window: 1, fraction: 0.5 }).start();
    const base = { trainAccuracy: null, elapsedMs: 1 };
    // validation would stop (no gain); test gains 0.5 / 2 J > 0.5 × 1.0 / 4 J: continues
    expect(
      run.afterEpoch({ ...base, epoch: 1, validationAccuracy: 0.5, testAccuracy: 0.5, cumulativeEnergyJ: 2 }),
    ).toBeNull();
    expect(
      run.afterEpoch({ ...base, epoch: 2, validationAccuracy: 0.5, testAccuracy: 1.0, cumulativeEnergyJ: 4 }),
    ).toBeNull();
  });

  it('rejects bad options and a missing accuracy with CriterionError', () => {
    expect(() => diminishingReturns({ window: 0 })).toThrow(CriterionError);
    expect(() => diminishingReturns({ fraction: -1 })).toThrow(CriterionError);
    const run = diminishingReturns({ on: 'train' }).start();
    expect(() =>
      run.afterEpoch({
        epoch: 1,
        trainAccuracy: null,
        validationAccuracy: 0.5,
        cumulativeEnergyJ: 1,
        elapsedMs: 1,
      }),
    ).toThrow(/needs trainAccuracy/);
  });
});
