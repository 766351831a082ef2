// What each efficiency function refuses and says, the paper-sum unit, flags and keys: gaps Stryker found in Eq. 1-4.
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import {
  analyzeOvertraining,
  architectureEfficiency,
  bootstrapArchitectureEfficiency,
  bootstrapOverallEfficiency,
  criterionKey,
  type EfficiencyInputError,
  efficiencyCurve,
  efficiencyRatios,
  overallEfficiency,
  overtrainingOf,
} from './efficiency.js';
import type { RunRecord } from './schema.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as EfficiencyInputError).code;
  }
  return undefined;
};

describe('input checks say what was found', () => {
  it('accuracy bounds are inclusive, energy must be > 0 and finite', () => {
    expect(efficiencyCurve([{ accuracy: 0, cumulativeEnergyJ: 1 }])[0]?.efficiency).toBe(0);
    expect(efficiencyCurve([{ accuracy: 1, cumulativeEnergyJ: 4 }])[0]?.efficiency).toBe(0.25);
    expect(() => efficiencyCurve([{ accuracy: -0.25, cumulativeEnergyJ: 1 }])).toThrow(
      'accuracy must be in [0, 1], found -0.25 (epoch 1)',
    );
    expect(() => efficiencyCurve([{ accuracy: 0.5, cumulativeEnergyJ: Number.POSITIVE_INFINITY }])).toThrow(
      'energy must be a finite number of joules > 0, found Infinity (epoch 1); was any probe running?',
    );
    expect(() => efficiencyCurve([{ accuracy: 0.5, cumulativeEnergyJ: -1, epoch: 7 }])).toThrow(
      /\(epoch 7\)/,
    );
    expect(codeOf(() => efficiencyCurve([{ accuracy: 2, cumulativeEnergyJ: 1 }]))).toBe('E_EFFICIENCY_INPUT');
  });

  it('epochs are numbered from 1 unless given', () => {
    const curve = efficiencyCurve([
      { accuracy: 0.5, cumulativeEnergyJ: 2 },
      { accuracy: 0.5, cumulativeEnergyJ: 4, epoch: 9 },
    ]);
    expect(curve.map((p) => p.epoch)).toEqual([1, 9]);
  });

  it('Eq. 2 on a record reads the accuracy it is told to', () => {
    const r = makeRecord({ curve: [[0.5, 10]] });
    const e = r.epochs[0];
    if (!e) throw new Error('fixture');
    Object.assign(e, { trainAccuracy: 0.75, validationAccuracy: 0.25, testAccuracy: 0.5 });
    expect(efficiencyCurve(r, { accuracyOn: 'train' })[0]?.accuracy).toBe(0.75);
    expect(efficiencyCurve(r, { accuracyOn: 'validation' })[0]?.accuracy).toBe(0.25);
    expect(efficiencyCurve(r, { accuracyOn: 'test' })[0]?.accuracy).toBe(0.5);
    expect(() => efficiencyCurve({ ...r, runId: 'r9' }, { accuracyOn: 'test' })).not.toThrow();
  });

  it('bootstrap options are checked', () => {
    const o = { seed: 1, resamples: 10 };
    expect(() => bootstrapArchitectureEfficiency([1], { ...o, seed: 1.5 })).toThrow(
      'bootstrap seed must be an integer, found 1.5',
    );
    expect(() => bootstrapArchitectureEfficiency([1], { ...o, resamples: 0 })).toThrow(
      'bootstrap resamples must be an integer >= 1, found 0',
    );
    expect(() => bootstrapArchitectureEfficiency([1], { ...o, resamples: 2.5 })).toThrow(/found 2.5/);
    expect(bootstrapArchitectureEfficiency([1, 3], { ...o, resamples: 1 }).n).toBe(2);
    expect(() => bootstrapArchitectureEfficiency([1], { ...o, level: 1 })).toThrow(
      'bootstrap level must be in (0, 1), found 1',
    );
    expect(() => bootstrapArchitectureEfficiency([1], { ...o, level: 0 })).toThrow(/found 0/);
    expect(() => bootstrapArchitectureEfficiency([], o)).toThrow('bootstrap: a group has no values');
    expect(() => bootstrapOverallEfficiency([], o)).toThrow('Eq. 4 bootstrap: no criteria');
    expect(bootstrapArchitectureEfficiency([2, 4], { ...o, level: 0.5 }).level).toBe(0.5);
  });

  it('Eq. 3 and Eq. 4 refuse empty input and bad values', () => {
    expect(() => architectureEfficiency([])).toThrow('Eq. 3 needs at least one model or run, found none');
    expect(() => overallEfficiency([])).toThrow('Eq. 4 needs at least one value or run, found none');
    expect(() => overallEfficiency([0.5, -0.25])).toThrow(
      'Eq. 4: efficiency 1 must be a finite number >= 0, found -0.25',
    );
    expect(() => overallEfficiency([Number.NaN])).toThrow(/found NaN/);
    expect(overallEfficiency([0, 0.5])).toBe(0.25);
    const r = makeRecord({ criterionLabel: 'A' });
    expect(() => overallEfficiency([r], { criteria: ['B'] })).toThrow('Eq. 4: no run matches criteria ["B"]');
    expect(() => efficiencyRatios([])).toThrow('efficiencyRatios: no input');
    expect(() => analyzeOvertraining([])).toThrow('analyzeOvertraining: no input');
  });
});

describe('records: keys, paper-sum, flags', () => {
  it('criterionKey is the label, else name and stable params', () => {
    expect(criterionKey(makeRecord({ criterionLabel: 'ES 3' }))).toBe('ES 3');
    expect(
      criterionKey(makeRecord({ criterion: 'earlyStopping', criterionParams: { patience: 3, a: 1 } })),
    ).toBe('earlyStopping {"a":1,"patience":3}');
  });

  it("energy: 'paper-sum' divides by the sum of watt readings and needs it", () => {
    const r = makeRecord({ accuracy: 0.5, energyJ: 10 });
    const withSum: RunRecord = { ...r, final: { ...r.final, paperSumW: 40 } };
    expect(architectureEfficiency([withSum], { energy: 'paper-sum' })[0]?.efficiency).toBe(0.0125);
    expect(architectureEfficiency([withSum])[0]?.efficiency).toBe(0.05);
    expect(() => architectureEfficiency([r], { energy: 'paper-sum' })).toThrow(
      `run ${r.runId} has no paperSumW; use energy: 'joules'`,
    );
    const zeroSum: RunRecord = { ...r, final: { ...r.final, paperSumW: 0 } };
    expect(
      architectureEfficiency([zeroSum, withSum], { energy: 'paper-sum', unusableRuns: 'exclude' })[0],
    ).toMatchObject({ efficiency: 0.0125, zeroEnergyRuns: 1 });
  });

  it('rows carry degraded and estimated when any run does, per group', () => {
    const a = makeRecord({ size: 1 });
    const b = makeRecord({ size: 2 });
    const degraded: RunRecord = { ...b, final: { ...b.final, degraded: true } };
    const estimated: RunRecord = { ...b, final: { ...b.final, estimated: true } };
    expect(architectureEfficiency([a, b])[0]).toMatchObject({ degraded: false, estimated: false });
    expect(architectureEfficiency([a, degraded])[0]).toMatchObject({ degraded: true, estimated: false });
    expect(architectureEfficiency([a, estimated])[0]).toMatchObject({ degraded: false, estimated: true });
    expect(overallEfficiency([a, degraded])[0]).toMatchObject({ degraded: true, estimated: false });
    expect(overallEfficiency([a, estimated])[0]).toMatchObject({ degraded: false, estimated: true });
  });

  it('sizes are sorted, groups split by dataset and architecture', () => {
    const rows = architectureEfficiency([
      makeRecord({ size: 3, accuracy: 0.3 }),
      makeRecord({ size: 1, accuracy: 0.6 }), // above chance level (0.15), so not left out
      makeRecord({ size: 2, accuracy: 0.2, dataset: 'cifar10' }),
      makeRecord({ size: 2, accuracy: 0.2, architecture: 'bcnn' }),
    ]);
    expect(rows.map((r) => [r.dataset, r.architecture, r.sizes.map((s) => s.size)])).toEqual([
      ['mnist', 'lenet', [1, 3]],
      ['cifar10', 'lenet', [2]],
      ['mnist', 'bcnn', [2]],
    ]);
    const overall = overallEfficiency([
      makeRecord({ accuracy: 0.2, criterionLabel: 'x' }),
      makeRecord({ accuracy: 0.4, criterionLabel: 'y' }),
      makeRecord({ accuracy: 0.5, architecture: 'bcnn', criterionLabel: 'x' }),
    ]);
    expect(overall.map((r) => [r.architecture, r.criteria, r.efficiency])).toEqual([
      ['lenet', ['x', 'y'], expect.closeTo(0.003, 15)],
      ['bcnn', ['x'], expect.closeTo(0.005, 15)],
    ]);
  });
});

describe('ratios', () => {
  const rows = [
    { dataset: 'mnist', architecture: 'lenet', efficiency: 8 },
    { dataset: 'cifar10', architecture: 'lenet', efficiency: 4 },
    { dataset: 'mnist', architecture: 'bcnn', efficiency: 2 },
  ];

  it('follow the order given, skip pairs with a missing side', () => {
    const r = efficiencyRatios(rows, { datasets: ['cifar10', 'mnist'], architectures: ['bcnn', 'lenet'] });
    expect(r.tasks).toEqual([
      { architecture: 'lenet', numerator: 'cifar10', denominator: 'mnist', ratio: 0.5 },
    ]);
    expect(r.architectures).toEqual([
      { dataset: 'mnist', numerator: 'bcnn', denominator: 'lenet', ratio: 0.25 },
    ]);
  });

  it('refuse a zero or non-finite efficiency, naming it', () => {
    expect(() => efficiencyRatios([...rows, { dataset: 'x', architecture: 'y', efficiency: 0 }])).toThrow(
      'efficiency of y on x must be > 0 for a ratio, found 0',
    );
    expect(() => efficiencyRatios([{ dataset: 'x', architecture: 'y', efficiency: Number.NaN }])).toThrow(
      /found NaN/,
    );
  });

  it('from records: Eq. 4 first', () => {
    const r = efficiencyRatios([
      makeRecord({ accuracy: 0.8, energyJ: 100 }),
      makeRecord({ accuracy: 0.2, energyJ: 100, architecture: 'bcnn' }),
    ]);
    expect(r.architectures).toEqual([
      { dataset: 'mnist', numerator: 'lenet', denominator: 'bcnn', ratio: expect.closeTo(4, 12) },
    ]);
  });
});

describe('overtraining details', () => {
  it('rounds half away from zero, negative values too, and never prints -0', () => {
    // A = 0.125 - 0.12 = 0.005 -> 0.01 (not 0), B = -0.005 -> -0.01
    const o = overtrainingOf({ train50: 0.12, test50: 0.12, train100: 0.125, test100: 0.125 });
    expect(o.aRounded).toBe(0.01);
    const neg = overtrainingOf({ train50: 0.5, test50: 0.5, train100: 0.5, test100: 0.496 });
    expect(Object.is(neg.aRounded, 0)).toBe(true);
    expect(neg.overtrained).toBe(true);
    expect(neg.reason).toBe('no real test gain from the extra epochs (A = 0 ≤ 0)');
  });

  it('gives each verdict its reason', () => {
    const yes = overtrainingOf({ train50: 0.5, test50: 0.5, train100: 0.7, test100: 0.6 });
    expect(yes.reason).toBe(
      'train/test divergence grew comparably to the test gain (B = 0.1 ≥ 0.3 × A = 0.1)',
    );
    const no = overtrainingOf({ train50: 0.5, test50: 0.5, train100: 0.6, test100: 0.6 });
    expect(no.reason).toBe('test gain A = 0.1 clearly exceeds the divergence B = 0');
    expect(() => overtrainingOf({ train50: 1.5, test50: 0.5, train100: 0.6, test100: 0.6 })).toThrow(
      'accuracy must be in [0, 1], found 1.5 (overtraining train50)',
    );
  });

  it('on records: custom epochs, repeats averaged per size, missing accuracies skipped with a reason', () => {
    const make = (size: number, fold: number, test30: number, test60: number) => {
      const r = makeRecord({
        size,
        fold,
        curve: Array.from({ length: 60 }, (_, i): [number, number] => [0.5, i + 1]),
      });
      Object.assign(r.epochs[29] ?? {}, { trainAccuracy: 0.5, testAccuracy: test30 });
      Object.assign(r.epochs[59] ?? {}, { trainAccuracy: 0.9, testAccuracy: test60 });
      return { ...r, runId: `${size}-${fold}` };
    };
    const noTest = make(3, 0, 0.5, 0.5);
    Object.assign(noTest.epochs[59] ?? {}, { testAccuracy: null });
    const res = analyzeOvertraining([make(1, 0, 0.5, 0.7), make(1, 1, 0.5, 0.9), noTest], {
      shortEpochs: 30,
      longEpochs: 60,
    });
    expect(res.rows).toHaveLength(1);
    expect(res.rows[0]).toMatchObject({ size: 1, runs: 2, test100: expect.closeTo(0.8, 12), aRounded: 0.3 });
    expect(res.skipped).toEqual([
      { runId: '3-0', reason: 'train or test accuracy missing at epoch 30 or 60' },
    ]);
  });
});
