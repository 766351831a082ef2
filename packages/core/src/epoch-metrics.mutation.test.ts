// screenEpochMetrics' refusal of a loss that is not a number, with its message (uncovered in Stryker's run).
import { describe, expect, it } from 'vitest';
import { type EpochMetrics, EpochMetricsInputError, screenEpochMetrics } from './epoch-metrics.js';

describe('screenEpochMetrics (mutation tests)', () => {
  it('a loss that is not a number names the metric, the epoch and "a number"', () => {
    let caught: unknown;
    try {
      screenEpochMetrics({ trainLoss: '0.3' } as unknown as EpochMetrics, 2);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EpochMetricsInputError);
    expect((caught as EpochMetricsInputError).name).toBe('EpochMetricsInputError');
    expect((caught as EpochMetricsInputError).code).toBe('E_MEASURE_INPUT');
    expect((caught as Error).message).toBe('trainLoss after epoch 2 must be a number, found string 0.3');
  });

  it('an accuracy that is not a number says an accuracy in [0, 1] is expected', () => {
    expect(() => screenEpochMetrics({ validationAccuracy: true } as unknown as EpochMetrics, 4)).toThrow(
      'validationAccuracy after epoch 4 must be an accuracy in [0, 1], found boolean true',
    );
  });

  it('null and absent metrics are null, not errors; a NaN loss goes to nonFinite; other keys are merged in', () => {
    const r = screenEpochMetrics({ trainAccuracy: null, trainLoss: Number.NaN, validationAccuracy: 0.5 }, 3, {
      out_loss: 'Infinity',
      trainLoss: 'ignored: the field itself wins',
    });
    expect(r.values).toEqual({
      trainAccuracy: null,
      validationAccuracy: 0.5,
      testAccuracy: null,
      trainLoss: null,
      validationLoss: null,
      testLoss: null,
    });
    expect(r.nonFinite).toEqual({ trainLoss: 'NaN', out_loss: 'Infinity' });
  });

  it('accuracies exactly 0 and 1 are kept; up to 1 + 1e-6 is read as 1; beyond either bound is refused', () => {
    const acc = (v: number) => screenEpochMetrics({ trainAccuracy: v }, 1).values.trainAccuracy;
    expect(acc(0)).toBe(0);
    expect(acc(1)).toBe(1);
    expect(acc(1 + 1e-6)).toBe(1);
    expect(acc(0.25)).toBe(0.25);
    expect(() => acc(1 + 2e-6)).toThrow(EpochMetricsInputError);
    expect(() => acc(-1e-9)).toThrow(
      'trainAccuracy after epoch 1 must be an accuracy in [0, 1], found -1e-9',
    );
    // a loss has no bounds
    expect(screenEpochMetrics({ trainLoss: 7.5 }, 1).values.trainLoss).toBe(7.5);
  });
});
