// A multi-output tfjs model's per-output accuracy keys (`<output>_acc`) are screened, and which accuracy is recorded.
import { describe, expect, it } from 'vitest';
import { readTfjsEpochLogs } from './epoch-metrics.js';

describe('readTfjsEpochLogs on a two-output model (tfjs prefixes each metric with the output name)', () => {
  // tfjs-layers training.js names a multi-output model's metrics `<outputName>_<metric>` (`dense_2_acc`,
  // `val_dense_2_acc`) the way it names losses `<outputName>_loss`; losses are screened by their `_loss` suffix,
  // accuracies were only by the exact single-output names, so a NaN accuracy of one output did not end the run
  it('a NaN `dense_1_acc` is reported as non-finite (the run diverged)', () => {
    const read = readTfjsEpochLogs({
      loss: 0.5,
      dense_1_loss: 0.2,
      dense_2_loss: 0.3,
      dense_1_acc: NaN,
      dense_2_acc: 0.5,
    });
    expect(read.otherNonFinite).toEqual({ dense_1_acc: 'NaN' });
  });

  it('a NaN `val_dense_1_categoricalAccuracy` is reported as non-finite', () => {
    const read = readTfjsEpochLogs({ loss: 0.5, val_loss: 0.6, val_dense_1_categoricalAccuracy: NaN });
    expect(read.otherNonFinite).toEqual({ val_dense_1_categoricalAccuracy: 'NaN' });
  });

  it('records the plain accuracy key when present, else none: per-output accuracies are not picked or averaged', () => {
    const perOutput = { loss: 0.5, dense_1_acc: 0.5, dense_2_acc: 0.7, val_dense_1_acc: 0.4 };
    expect(readTfjsEpochLogs(perOutput).metrics).toMatchObject({
      trainAccuracy: null,
      validationAccuracy: null,
    });
    expect(readTfjsEpochLogs({ ...perOutput, acc: 0.6, val_acc: 0.55 }).metrics).toMatchObject({
      trainAccuracy: 0.6,
      validationAccuracy: 0.55,
    });
  });

  it('a finite per-output accuracy or a non-accuracy key ending like one is not reported', () => {
    const read = readTfjsEpochLogs({ loss: 0.5, dense_1_acc: 0.5, dense_1_accx: NaN, lr: NaN });
    expect(read.otherNonFinite).toEqual({});
  });
});
