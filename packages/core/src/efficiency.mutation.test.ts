// Eq. 1's error texts and class, and Eq. 3 rows' bootstrap interval (written against Stryker's survivors).
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import {
  architectureEfficiency,
  bootstrapArchitectureEfficiency,
  EfficiencyInputError,
  efficiency,
  overallEfficiency,
} from './efficiency.js';

function thrown(f: () => unknown): EfficiencyInputError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(EfficiencyInputError);
    return err as EfficiencyInputError;
  }
  throw new Error('expected an EfficiencyInputError');
}

describe('Eq. 1 refusals (mutation tests)', () => {
  it('names Eq. 1, the value found, and the class', () => {
    const acc = thrown(() => efficiency(1.5, 10));
    expect([acc.name, acc.code, acc.value, acc.message]).toEqual([
      'EfficiencyInputError',
      'E_EFFICIENCY_INPUT',
      1.5,
      'accuracy must be in [0, 1], found 1.5 (Eq. 1)',
    ]);
    expect(thrown(() => efficiency(0.5, 0)).message).toBe(
      'energy must be a finite number of joules > 0, found 0 (Eq. 1); was any probe running?',
    );
  });

  it('Eq. 3 on the paper-sum names the run and the paper-sum when it is 0', () => {
    const r = makeRecord({ size: 1 });
    const zero = { ...r, final: { ...r.final, paperSumW: 0 } };
    expect(thrown(() => architectureEfficiency([zero], { energy: 'paper-sum' })).message).toBe(
      'energy must be a finite number of joules > 0, found 0 (run lenet-1-fixedEpochs-x paper-sum); was any probe running?',
    );
  });
});

describe("Eq. 3 rows' bootstrap interval (mutation tests)", () => {
  it('with `bootstrap`, each row carries the interval of its per-size efficiencies; without, none', () => {
    // size 1: 0.5 / 64 J = 0.0078125 acc/J; size 2: two repeats, 0.75 / 32 J and 0.25 / 32 J, mean 0.015625 acc/J
    const records = [
      makeRecord({ size: 1, accuracy: 0.5, energyJ: 64 }),
      makeRecord({ size: 2, accuracy: 0.75, energyJ: 32, fold: 0 }),
      makeRecord({ size: 2, accuracy: 0.25, energyJ: 32, fold: 1 }),
    ];
    const options = { seed: 7, resamples: 200 };
    const [row] = architectureEfficiency(records, { bootstrap: options });
    expect(row?.sizes).toEqual([
      { size: 1, efficiency: 0.0078125, runs: 1 },
      { size: 2, efficiency: 0.015625, runs: 2 },
    ]);
    expect(row?.ci).toEqual(bootstrapArchitectureEfficiency([0.0078125, 0.015625], options));
    // the mean of the two sizes, (0.0078125 + 0.015625) / 2, over n = 2 values
    expect(row?.ci).toMatchObject({ mean: 0.01171875, n: 2, level: 0.95 });
    expect(architectureEfficiency(records)[0]).not.toHaveProperty('ci');
  });
});

describe("Eq. 4 rows' flags (mutation tests)", () => {
  it('one degraded or estimated criterion makes the row degraded or estimated', () => {
    const a = makeRecord({ criterion: 'fixedEpochs' });
    const b = makeRecord({ criterion: 'earlyStopping' });
    const flagged = (r: typeof a, degraded: boolean, estimated: boolean) => ({
      ...r,
      final: { ...r.final, degraded, estimated },
    });
    expect(overallEfficiency([flagged(a, true, false), flagged(b, false, true)])[0]).toMatchObject({
      degraded: true,
      estimated: true,
    });
    expect(overallEfficiency([flagged(a, false, false), flagged(b, false, false)])[0]).toMatchObject({
      degraded: false,
      estimated: false,
    });
  });
});
