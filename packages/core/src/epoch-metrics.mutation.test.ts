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
    expect((caught as Error).message).toBe('trainLoss after epoch 2 must be a number, found string 0.3');
  });

  it('an accuracy that is not a number says an accuracy in [0, 1] is expected', () => {
    expect(() => screenEpochMetrics({ validationAccuracy: true } as unknown as EpochMetrics, 4)).toThrow(
      'validationAccuracy after epoch 4 must be an accuracy in [0, 1], found boolean true',
    );
  });
});
