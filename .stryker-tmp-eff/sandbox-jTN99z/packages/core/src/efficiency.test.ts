// @ts-nocheck
// Tests for Eqs. 1-4, ratios, overtraining (the paper's 20 rows) and bootstrap CIs on hand-computed cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import {
  analyzeOvertraining,
  architectureEfficiency,
  bootstrapArchitectureEfficiency,
  bootstrapOverallEfficiency,
  EfficiencyInputError,
  efficiency,
  efficiencyCurve,
  efficiencyRatios,
  type OvertrainingInput,
  overallEfficiency,
} from './efficiency.js';

const table13 = JSON.parse(
  readFileSync(new URL('../test/fixtures/paper-table13.json', import.meta.url), 'utf8'),
) as {
  rows: Array<
    OvertrainingInput & {
      dataset: string;
      architecture: string;
      size: number;
      diff50: number;
      diff100: number;
      paperA: number;
      paperB: number;
      paperOvertrained: boolean;
    }
  >;
};

describe('Eq. 1 and Eq. 2', () => {
  it('accuracy / joules, per epoch', () => {
    expect(efficiency(0.9, 100)).toBeCloseTo(0.009, 15);
    const curve = efficiencyCurve([
      { accuracy: 0.5, cumulativeEnergyJ: 10 },
      { accuracy: 0.8, cumulativeEnergyJ: 30 },
    ]);
    expect(curve.map((p) => p.efficiency)).toEqual([0.05, 0.8 / 30]);
    const fromRecord = efficiencyCurve(
      makeRecord({
        curve: [
          [0.5, 10],
          [0.8, 30],
        ],
      }),
    );
    expect(fromRecord).toEqual(curve);
  });

  it('names bad values', () => {
    expect(() => efficiency(1.2, 10)).toThrow(/\[0, 1\], found 1.2/);
    expect(() => efficiency(0.5, 0)).toThrow(/> 0, found 0/);
    expect(() => efficiencyCurve([{ accuracy: Number.NaN, cumulativeEnergyJ: 1 }])).toThrow(
      EfficiencyInputError,
    );
    expect(() => efficiencyCurve(makeRecord({ curve: [[0.5, 10]] }), { accuracyOn: 'train' })).toThrow(
      /epoch 1, train accuracy/,
    );
  });
});

// lenet under 50 epochs: size 1 -> 0.9/100 = 0.009; size 2 (two folds) -> mean(0.8/200, 0.6/100) = 0.005 => Eq. 3 = 0.007.
// lenet under early stopping: size 1 -> 0.9/300 = 0.003; size 2 -> 0.5/100 = 0.005 => Eq. 3 = 0.004. Eq. 4 = 0.0055.
const records = [
  makeRecord({ size: 1, accuracy: 0.9, energyJ: 100, criterionLabel: '50 epochs' }),
  makeRecord({ size: 2, fold: 0, accuracy: 0.8, energyJ: 200, criterionLabel: '50 epochs' }),
  makeRecord({ size: 2, fold: 1, accuracy: 0.6, energyJ: 100, criterionLabel: '50 epochs' }),
  makeRecord({ size: 1, accuracy: 0.9, energyJ: 300, criterion: 'earlyStopping', criterionLabel: 'ES' }),
  makeRecord({ size: 2, accuracy: 0.5, energyJ: 100, criterion: 'earlyStopping', criterionLabel: 'ES' }),
  makeRecord({ size: 3, status: 'failed', criterion: 'earlyStopping', criterionLabel: 'ES' }),
];

describe('Eq. 3 and Eq. 4', () => {
  it('on plain numbers', () => {
    expect(
      architectureEfficiency([
        { accuracy: 0.9, energyJ: 100 },
        { accuracy: 0.5, energyJ: 100 },
      ]),
    ).toBeCloseTo(0.007, 15);
    expect(overallEfficiency([0.007, 0.004])).toBeCloseTo(0.0055, 15);
  });

  it('on run records: repeats then sizes, failed runs counted', () => {
    const rows = architectureEfficiency(records);
    expect(rows).toHaveLength(2);
    const fixed = rows.find((r) => r.criterion === '50 epochs');
    expect(fixed?.efficiency).toBeCloseTo(0.007, 15);
    expect(fixed?.sizes.map((s) => [s.size, s.runs])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const es = rows.find((r) => r.criterion === 'ES');
    expect(es?.efficiency).toBeCloseTo(0.004, 15);
    expect(es?.failedRuns).toBe(1);
    const overall = overallEfficiency(records);
    expect(overall).toHaveLength(1);
    expect(overall[0]?.efficiency).toBeCloseTo(0.0055, 15);
    expect(overallEfficiency(records, { criteria: ['ES'] })[0]?.efficiency).toBeCloseTo(0.004, 15);
  });

  it('bootstrap CIs are seeded and bracket the mean', () => {
    const xs = [0.009, 0.005, 0.007, 0.002, 0.011];
    const a = bootstrapArchitectureEfficiency(xs, { seed: 42, resamples: 2000 });
    expect(bootstrapArchitectureEfficiency(xs, { seed: 42, resamples: 2000 })).toEqual(a);
    // Many distinct values, few resamples: another seed gives another interval.
    const ys = [0.1, 0.35, 0.2, 0.9, 0.41, 0.77, 0.05, 0.63, 0.28, 0.52, 0.13, 0.97];
    const s1 = bootstrapArchitectureEfficiency(ys, { seed: 1, resamples: 40 });
    const s2 = bootstrapArchitectureEfficiency(ys, { seed: 2, resamples: 40 });
    expect([s1.low, s1.high]).not.toEqual([s2.low, s2.high]);
    expect(a.mean).toBeCloseTo(0.0068, 15);
    expect(a.low).toBeLessThan(a.mean);
    expect(a.high).toBeGreaterThan(a.mean);
    expect(a.low).toBeGreaterThanOrEqual(0.002);
    expect(a.high).toBeLessThanOrEqual(0.011);
    const flat = bootstrapOverallEfficiency(
      [
        [1, 1],
        [3, 3],
      ],
      { seed: 1, resamples: 100 },
    );
    expect([flat.mean, flat.low, flat.high]).toEqual([2, 2, 2]);
    const withCi = overallEfficiency(records, { bootstrap: { seed: 3, resamples: 500 } })[0];
    expect(withCi?.ci?.low).toBeLessThanOrEqual(0.0055);
    expect(withCi?.ci?.high).toBeGreaterThanOrEqual(0.0055);
  });
});

describe('Table 12 ratios', () => {
  it('task and architecture ratios', () => {
    const r = efficiencyRatios([
      { dataset: 'mnist', architecture: 'lenet', efficiency: 8 },
      { dataset: 'cifar10', architecture: 'lenet', efficiency: 4 },
      { dataset: 'mnist', architecture: 'bcnn', efficiency: 2 },
      { dataset: 'cifar10', architecture: 'bcnn', efficiency: 0.5 },
    ]);
    expect(r.tasks).toEqual([
      { architecture: 'lenet', numerator: 'mnist', denominator: 'cifar10', ratio: 2 },
      { architecture: 'bcnn', numerator: 'mnist', denominator: 'cifar10', ratio: 4 },
    ]);
    expect(r.architectures).toEqual([
      { dataset: 'mnist', numerator: 'lenet', denominator: 'bcnn', ratio: 4 },
      { dataset: 'cifar10', numerator: 'lenet', denominator: 'bcnn', ratio: 8 },
    ]);
  });
});

describe('Table 13 overtraining', () => {
  it("reproduces the paper's A, B and classification of its 20 rows with the default rule", () => {
    const out = analyzeOvertraining(table13.rows);
    expect(out).toHaveLength(20);
    out.forEach((r, i) => {
      const p = table13.rows[i];
      expect(r.diff50).toBeCloseTo(p?.diff50 ?? Number.NaN, 7);
      expect(r.diff100).toBeCloseTo(p?.diff100 ?? Number.NaN, 7);
      expect(r.aRounded).toBe(p?.paperA);
      expect(r.bRounded).toBe(p?.paperB);
      expect(r.overtrained).toBe(p?.paperOvertrained);
    });
    expect(out.filter((r) => !r.overtrained)).toHaveLength(5);
  });

  it('the rule is a parameter', () => {
    // LeNet-1 CIFAR: A 0.04, B 0.02 -> overtrained at ratio 0.3, not at 0.6.
    const lenet1Cifar = table13.rows[10] as OvertrainingInput;
    expect(analyzeOvertraining([lenet1Cifar])[0]?.overtrained).toBe(true);
    const loose = analyzeOvertraining([lenet1Cifar], { rule: { comparableRatio: 0.6 } })[0];
    expect(loose?.overtrained).toBe(false);
    expect(loose?.reason).toContain('A = 0.04');
  });

  it('works on run records (epoch 50 and 100 of one run), skipping what it cannot use', () => {
    const curve = Array.from({ length: 100 }, (_, i): [number, number] => [0.5 + i / 1000, 10 * (i + 1)]);
    const r = makeRecord({ architecture: 'bcnn', dataset: 'cifar10', size: 1, curve });
    const e50 = r.epochs[49];
    const e100 = r.epochs[99];
    if (!e50 || !e100) throw new Error('fixture');
    Object.assign(e50, { trainAccuracy: 0.33502488, testAccuracy: 0.33920898 });
    Object.assign(e100, { trainAccuracy: 0.43809589, testAccuracy: 0.43243262 });
    const short = makeRecord({ size: 2, curve: [[0.5, 10]] });
    const res = analyzeOvertraining([r, short]);
    expect(res.rows).toHaveLength(1);
    expect(res.rows[0]?.aRounded).toBe(0.09);
    expect(res.rows[0]?.bRounded).toBe(0.01);
    expect(res.rows[0]?.overtrained).toBe(false);
    expect(res.skipped).toEqual([{ runId: short.runId, reason: 'no epoch records at both 50 and 100' }]);
  });
});
