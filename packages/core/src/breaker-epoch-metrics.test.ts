// BROKEN today (breaker): a multi-output tfjs model's per-output accuracy keys (`<output>_acc`) are neither read nor screened.
import { describe, expect, it } from 'vitest';
import { readTfjsEpochLogs } from './epoch-metrics.js';

describe('BROKEN: readTfjsEpochLogs on a two-output model (tfjs prefixes each metric with the output name)', () => {
  // tfjs-layers training.js names a multi-output model's metrics `<outputName>_<metric>` (`dense_2_acc`,
  // `val_dense_2_acc`) the way it names losses `<outputName>_loss`; losses are screened by their `_loss` suffix,
  // accuracies only by the exact single-output names, so a NaN accuracy of one output does not end the run
  it('BROKEN: a NaN `dense_1_acc` is reported as non-finite (the run diverged)', () => {
    const read = readTfjsEpochLogs({
      loss: 0.5,
      dense_1_loss: 0.2,
      dense_2_loss: 0.3,
      dense_1_acc: NaN,
      dense_2_acc: 0.5,
    });
    expect(read.otherNonFinite).toEqual({ dense_1_acc: 'NaN' });
  });

  it('BROKEN: a NaN `val_dense_1_categoricalAccuracy` is reported as non-finite', () => {
    const read = readTfjsEpochLogs({ loss: 0.5, val_loss: 0.6, val_dense_1_categoricalAccuracy: NaN });
    expect(read.otherNonFinite).toEqual({ val_dense_1_categoricalAccuracy: 'NaN' });
  });
});
