// Tests for the runs Eq. 3 cannot use (failed, diverged, zero energy), chance-level counts, one-value intervals, rule text.
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import {
  analyzeOvertraining,
  architectureEfficiency,
  bootstrapArchitectureEfficiency,
  bootstrapOverallEfficiency,
  chanceLevelAccuracy,
  DEFAULT_OVERTRAINING_RULE,
  describeOvertrainingRule,
  EfficiencyInputError,
  isChanceLevel,
  overtrainingOf,
  runExclusion,
} from './efficiency.js';
import type { RunRecord } from './schema.js';

const zeroEnergy = (r: RunRecord): RunRecord => ({
  ...r,
  runId: `${r.runId}-0J`,
  final: { ...r.final, energyJ: { total: 0 }, efficiency: 0 },
});
const withStatus = (r: RunRecord, status: RunRecord['status']): RunRecord => ({
  ...r,
  runId: `${r.runId}-${status}`,
  status,
});

describe('runs Eq. 3 cannot use', () => {
  const a1 = makeRecord({ size: 1, accuracy: 0.9, energyJ: 100 });
  const a2 = makeRecord({ size: 2, accuracy: 0.8, energyJ: 400 });

  it('runExclusion names the reason, null for a usable run', () => {
    expect(runExclusion(a1)).toBeNull();
    expect(runExclusion(withStatus(a1, 'failed'))).toBe('failed');
    expect(runExclusion(withStatus(a1, 'diverged'))).toBe('diverged');
    expect(runExclusion(zeroEnergy(a1))).toBe('zero-energy');
  });

  it('a zero-energy completed run is refused by default, naming the run', () => {
    expect(() => architectureEfficiency([a1, zeroEnergy(a2)])).toThrow(EfficiencyInputError);
    expect(() => architectureEfficiency([a1, zeroEnergy(a2)])).toThrow(/energy must be .* > 0, found 0/);
  });

  it("with unusableRuns 'exclude' it is left out of the mean and counted", () => {
    const [row] = architectureEfficiency([a1, a2, zeroEnergy(a2)], { unusableRuns: 'exclude' });
    // (0.9/100 + 0.8/400) / 2, not averaged with a 0
    expect(row?.efficiency).toBeCloseTo((0.009 + 0.002) / 2, 15);
    expect(row?.zeroEnergyRuns).toBe(1);
    expect(row?.sizes.map((s) => s.runs)).toEqual([1, 1]);
  });

  it('failed and diverged runs are left out and counted apart', () => {
    const [row] = architectureEfficiency([
      a1,
      a2,
      withStatus(a1, 'failed'),
      withStatus(a2, 'diverged'),
      withStatus(a1, 'diverged'),
    ]);
    expect(row?.efficiency).toBeCloseTo(0.0055, 15);
    expect(row?.failedRuns).toBe(1);
    expect(row?.divergedRuns).toBe(2);
    expect(row?.zeroEnergyRuns).toBe(0);
  });

  it('a group with no usable run is an error by default and has no row with exclude', () => {
    const only = [withStatus(a1, 'diverged')];
    expect(() => architectureEfficiency(only)).toThrow(
      /no usable run .* \(0 failed, 1 diverged, 0 at chance level\)/,
    );
    const bcnn = makeRecord({ architecture: 'bcnn', accuracy: 0.5, energyJ: 50 });
    const rows = architectureEfficiency([...only, bcnn], { unusableRuns: 'exclude' });
    expect(rows.map((r) => r.architecture)).toEqual(['bcnn']);
  });

  it('chance-level runs (accuracy ≤ 1/classes + 0.05) are left out of the mean and counted', () => {
    const chance = makeRecord({ size: 3, accuracy: 0.1135, energyJ: 100 });
    const atThreshold = makeRecord({ size: 5, accuracy: 0.15, energyJ: 1 });
    const justAbove = makeRecord({ size: 4, accuracy: 0.1501, energyJ: 100 });
    expect(chanceLevelAccuracy(10)).toBeCloseTo(0.15, 15);
    expect(isChanceLevel(chance)).toBe(true);
    expect(isChanceLevel(atThreshold)).toBe(true);
    expect(isChanceLevel(justAbove)).toBe(false);
    expect(runExclusion(chance)).toBe('chance-level');
    expect(runExclusion(justAbove)).toBeNull();
    // a failed run is counted as failed, not also as chance level
    expect(runExclusion(withStatus(chance, 'failed'))).toBe('failed');
    expect(isChanceLevel(makeRecord({ dataset: 'imagenet', accuracy: 0.001 }))).toBeNull();
    expect(runExclusion(makeRecord({ dataset: 'imagenet', accuracy: 0.001 }))).toBeNull();
    expect(isChanceLevel(makeRecord({ dataset: 'imagenet', accuracy: 0.001 }), 1000)).toBe(true);
    // atThreshold alone would be 0.15 acc/J, 100× the others: it must not enter the mean
    const [row] = architectureEfficiency([a1, chance, justAbove, atThreshold]);
    expect(row?.chanceLevelRuns).toBe(2);
    expect(row?.efficiency).toBeCloseTo((0.009 + 0.001501) / 2, 15);
    expect(() => architectureEfficiency([chance])).toThrow(/no usable run .* 1 at chance level/);
  });

  it('analyzeOvertraining says which status a skipped run had', () => {
    const r = analyzeOvertraining([withStatus(a1, 'diverged')]);
    expect(r.skipped).toEqual([{ runId: `${a1.runId}-diverged`, reason: 'run diverged' }]);
  });
});

describe('intervals over one value', () => {
  it('are marked oneValue for Eq. 3 and for Eq. 4 when every criterion has one size', () => {
    expect(bootstrapArchitectureEfficiency([0.5], { seed: 1, resamples: 10 }).oneValue).toBe(true);
    expect(bootstrapArchitectureEfficiency([0.5, 0.25], { seed: 1, resamples: 10 }).oneValue).toBe(false);
    // two criteria, one size each: n = 2 but still a point
    const eq4 = bootstrapOverallEfficiency([[0.5], [0.25]], { seed: 1, resamples: 10 });
    expect(eq4.n).toBe(2);
    expect(eq4.oneValue).toBe(true);
    expect(eq4.low).toBe(eq4.high);
    expect(bootstrapOverallEfficiency([[0.5], [0.25, 0.75]], { seed: 1, resamples: 10 }).oneValue).toBe(
      false,
    );
  });
});

describe('describeOvertrainingRule', () => {
  it('states the default rule the code applies', () => {
    expect(describeOvertrainingRule()).toBe(
      'A and B are rounded to 2 decimals. Overtrained when A ≤ 0 (no real test gain) or B ≥ 0.3·A ' +
        '(the train/test divergence grew comparably to the test gain).',
    );
    expect(DEFAULT_OVERTRAINING_RULE.comparableRatio).toBe(0.3);
  });

  it('follows a changed rule, and overtrainingOf applies exactly that rule at its boundary', () => {
    const rule = { comparableRatio: 0.5, decimals: 1, minTestGain: 0.1 };
    expect(describeOvertrainingRule(rule)).toContain('rounded to 1 decimals');
    expect(describeOvertrainingRule(rule)).toContain('A ≤ 0.1');
    expect(describeOvertrainingRule(rule)).toContain('B ≥ 0.5·A');
    // A = 0.4, B = 0.2 = 0.5·A exactly: overtrained under this rule; B = 0.1 is not
    const at = overtrainingOf({ train50: 0.5, test50: 0.5, train100: 1, test100: 0.9 }, rule);
    expect([at.aRounded, at.bRounded, at.overtrained]).toEqual([0.4, 0.1, false]);
    const eq = overtrainingOf({ train50: 0.4, test50: 0.4, train100: 1, test100: 0.8 }, rule);
    expect([eq.aRounded, eq.bRounded, eq.overtrained]).toEqual([0.4, 0.2, true]);
    // A exactly at minTestGain: no real gain
    const noGain = overtrainingOf({ train50: 0.5, test50: 0.5, train100: 0.6, test100: 0.6 }, rule);
    expect([noGain.aRounded, noGain.overtrained]).toEqual([0.1, true]);
  });
});
