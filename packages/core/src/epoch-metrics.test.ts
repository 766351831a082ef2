// Reading tfjs epoch logs (every accuracy metric spelling, with real tfjs models) and screening non-finite values.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACCURACY_ROUNDING_TOLERANCE,
  divergenceReason,
  EpochMetricsInputError,
  readTfjsEpochLogs,
  screenEpochMetrics,
  TFJS_ACCURACY_METRIC_NAMES,
} from './epoch-metrics.js';

describe('readTfjsEpochLogs', () => {
  it('reads train and validation accuracy under every spelling, with and without val_', () => {
    for (const name of TFJS_ACCURACY_METRIC_NAMES) {
      const r = readTfjsEpochLogs({ loss: 0.5, [name]: 0.75, val_loss: 0.6, [`val_${name}`]: 0.7 });
      expect(r.metrics, name).toEqual({
        trainAccuracy: 0.75,
        validationAccuracy: 0.7,
        trainLoss: 0.5,
        validationLoss: 0.6,
      });
      expect(r.otherNonFinite).toEqual({});
    }
  });

  it('keeps non-finite values as logged and reports other non-finite loss/accuracy keys by their tfjs key', () => {
    const r = readTfjsEpochLogs({
      loss: Number.POSITIVE_INFINITY,
      acc: 0.3,
      val_loss: Number.NaN,
      dense_2_loss: Number.NaN,
      binaryAccuracy: Number.NaN, // an alias not read (acc comes first)
      mse: Number.NaN, // not a loss or accuracy key: not a divergence signal
    });
    expect(r.metrics.trainLoss).toBe(Number.POSITIVE_INFINITY);
    expect(r.metrics.validationLoss).toBeNaN();
    expect(r.metrics.trainAccuracy).toBe(0.3);
    expect(r.otherNonFinite).toEqual({ dense_2_loss: 'NaN', binaryAccuracy: 'NaN' });
  });

  it('never throws and yields only numbers or null, whatever the logs hold (property)', () => {
    const key = fc.oneof(
      fc.constantFrom(
        'loss',
        'val_loss',
        'x_loss',
        ...TFJS_ACCURACY_METRIC_NAMES.flatMap((k) => [k, `val_${k}`]),
      ),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.option(fc.dictionary(key, fc.anything()), { nil: undefined }), (logs) => {
        const r = readTfjsEpochLogs(logs);
        for (const v of Object.values(r.metrics)) expect(v === null || typeof v === 'number').toBe(true);
        for (const v of Object.values(r.otherNonFinite))
          expect(['NaN', 'Infinity', '-Infinity']).toContain(v);
      }),
    );
  });
});

describe('screenEpochMetrics', () => {
  it('turns NaN and ±Infinity into null plus their text, keeps finite values', () => {
    const s = screenEpochMetrics(
      {
        trainLoss: Number.POSITIVE_INFINITY,
        validationAccuracy: Number.NaN,
        trainAccuracy: 0.4,
        testLoss: -1,
      },
      2,
      { dense_2_loss: 'NaN' },
    );
    expect(s.values).toEqual({
      trainAccuracy: 0.4,
      validationAccuracy: null,
      testAccuracy: null,
      trainLoss: null,
      validationLoss: null,
      testLoss: -1,
    });
    expect(s.nonFinite).toEqual({ trainLoss: 'Infinity', validationAccuracy: 'NaN', dense_2_loss: 'NaN' });
    expect(divergenceReason(s.nonFinite, 2)).toBe(
      "validation accuracy is NaN, training loss is Infinity, 'dense_2_loss' is NaN after epoch 2",
    );
  });

  it('every number is either kept, turned into text (non-finite) or refused (accuracy outside [0, 1]) (property)', () => {
    const value = fc.option(fc.double(), { nil: undefined });
    const names = [
      'trainAccuracy',
      'validationAccuracy',
      'testAccuracy',
      'trainLoss',
      'validationLoss',
      'testLoss',
    ];
    fc.assert(
      fc.property(fc.tuple(value, value, value, value, value, value), (vs) => {
        const metrics = Object.fromEntries(names.map((n, i) => [n, vs[i]]));
        const outOfRange = names.some(
          (n, i) =>
            n.endsWith('Accuracy') &&
            Number.isFinite(vs[i]) &&
            ((vs[i] as number) < 0 || (vs[i] as number) > 1 + ACCURACY_ROUNDING_TOLERANCE),
        );
        if (outOfRange) {
          expect(() => screenEpochMetrics(metrics, 1)).toThrow(EpochMetricsInputError);
          return;
        }
        const s = screenEpochMetrics(metrics, 1);
        names.forEach((n, i) => {
          const v = vs[i];
          const kept = s.values[n as keyof typeof s.values];
          if (v === undefined) expect(kept).toBeNull();
          else if (Number.isFinite(v)) expect(kept).toBe(n.endsWith('Accuracy') && v > 1 ? 1 : v);
          else {
            expect(kept).toBeNull();
            expect(s.nonFinite[n]).toBe(String(v));
          }
        });
      }),
    );
  });

  it('an accuracy above 1 by float32 rounding (1.0000001) reads as 1; beyond 1e-6 it is still refused', () => {
    expect(
      screenEpochMetrics({ trainAccuracy: 1.0000001, validationAccuracy: 1 + 1e-6 }, 3).values,
    ).toMatchObject({
      trainAccuracy: 1,
      validationAccuracy: 1,
    });
    expect(() => screenEpochMetrics({ trainAccuracy: 1.00001 }, 3)).toThrow(EpochMetricsInputError);
  });

  it('a finite accuracy outside [0, 1] or a value that is not a number is an input error naming it', () => {
    expect(() => screenEpochMetrics({ validationAccuracy: 97 }, 1)).toThrow(
      /validationAccuracy after epoch 1 must be an accuracy in \[0, 1\], found 97/,
    );
    const err = (() => {
      try {
        screenEpochMetrics({ trainLoss: '0.3' as unknown as number }, 4);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EpochMetricsInputError);
    expect((err as EpochMetricsInputError).code).toBe('E_MEASURE_INPUT');
    expect((err as Error).message).toBe('trainLoss after epoch 4 must be a number, found string 0.3');
  });
});

describe('accuracy keys of real tfjs models (cpu backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  /** 48 samples, 4 features, 3 classes: label = argmax of the first 3 features. */
  const xs = () =>
    tf.tensor2d(
      Array.from({ length: 48 * 4 }, (_, i) => ((i * 7919) % 101) / 101 - 0.5),
      [48, 4],
    );
  const labels = (x: tf.Tensor2D) => x.slice([0, 0], [48, 3]).argMax(1) as tf.Tensor1D;

  function denseModel(units: number, activation: 'softmax' | 'sigmoid'): tf.Sequential {
    return tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [4],
          units: 6,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.dense({ units, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
  }

  // A Keras-named custom metric: logs under its function name, the snake-case spelling.
  function sparse_categorical_accuracy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.metrics.sparseCategoricalAccuracy(yTrue, yPred);
  }

  type Spelling = {
    name: string;
    metric: string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);
    target: 'onehot' | 'sparse' | 'binary';
  };
  const spellings: Spelling[] = [
    { name: "'accuracy' (categorical)", metric: 'accuracy', target: 'onehot' },
    { name: "'acc' (sparse)", metric: 'acc', target: 'sparse' },
    { name: "'accuracy' (binary)", metric: 'accuracy', target: 'binary' },
    { name: "'binaryAccuracy'", metric: 'binaryAccuracy', target: 'binary' },
    { name: "'categoricalAccuracy'", metric: 'categoricalAccuracy', target: 'onehot' },
    { name: 'tf.metrics.binaryAccuracy', metric: tf.metrics.binaryAccuracy, target: 'binary' },
    { name: 'tf.metrics.categoricalAccuracy', metric: tf.metrics.categoricalAccuracy, target: 'onehot' },
    {
      name: 'tf.metrics.sparseCategoricalAccuracy',
      metric: tf.metrics.sparseCategoricalAccuracy,
      target: 'sparse',
    },
    { name: 'a custom sparse_categorical_accuracy', metric: sparse_categorical_accuracy, target: 'sparse' },
  ];

  for (const s of spellings) {
    it(`metrics: [${s.name}] is read as train and validation accuracy`, async () => {
      const x = xs();
      const cls = labels(x);
      const y =
        s.target === 'onehot'
          ? tf.oneHot(cls, 3).toFloat()
          : s.target === 'sparse'
            ? cls.toFloat()
            : cls.equal(0).toFloat().reshape([48, 1]);
      const model = denseModel(s.target === 'binary' ? 1 : 3, s.target === 'binary' ? 'sigmoid' : 'softmax');
      model.compile({
        optimizer: tf.train.sgd(0.1),
        loss:
          s.target === 'onehot'
            ? 'categoricalCrossentropy'
            : s.target === 'sparse'
              ? 'sparseCategoricalCrossentropy'
              : 'binaryCrossentropy',
        metrics: [s.metric],
      });
      const seen: ReturnType<typeof readTfjsEpochLogs>[] = [];
      let keys: string[] = [];
      const history = await model.fit(x, y, {
        epochs: 2,
        batchSize: 12,
        validationSplit: 0.25,
        shuffle: false,
        verbose: 0,
        callbacks: {
          onEpochEnd: async (_e, logs) => {
            keys = Object.keys(logs ?? {});
            seen.push(readTfjsEpochLogs(logs));
          },
        },
      });
      const accKey = keys.find((k) => k !== 'loss' && !k.startsWith('val_'));
      expect(
        accKey && (TFJS_ACCURACY_METRIC_NAMES as readonly string[]).includes(accKey),
        `logged key ${accKey}`,
      ).toBe(true);
      for (const [i, r] of seen.entries()) {
        expect(r.metrics.trainAccuracy).toBe(history.history[accKey as string]?.[i]);
        expect(r.metrics.validationAccuracy).toBe(history.history[`val_${accKey}`]?.[i]);
        expect(r.metrics.trainAccuracy).toBeGreaterThanOrEqual(0);
        expect(r.metrics.trainLoss).toBe(history.history.loss?.[i]);
      }
      tf.dispose([x, cls, y]);
      model.dispose();
    });
  }

  it("a Keras training config's snake-case metric is camel-cased by tfjs to a name in the list", async () => {
    const model = denseModel(1, 'sigmoid');
    model.loadTrainingConfig({
      loss: 'mean_squared_error',
      metrics: ['binary_accuracy'],
      optimizer_config: { class_name: 'SGD', config: { learning_rate: 0.1 } },
    });
    const x = xs();
    const y = labels(x).equal(0).toFloat().reshape([48, 1]);
    const h = await model.fit(x, y, { epochs: 1, validationSplit: 0.25, verbose: 0 });
    expect(Object.keys(h.history).sort()).toEqual([
      'binaryAccuracy',
      'loss',
      'val_binaryAccuracy',
      'val_loss',
    ]);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('every accuracy metric tfjs exports is in the list (fails when a tfjs upgrade adds one)', () => {
    const exported = Object.keys(tf.metrics).filter((k) => /accuracy$/i.test(k) && !/topk/i.test(k));
    expect(exported.length).toBeGreaterThanOrEqual(3);
    for (const k of exported) expect(TFJS_ACCURACY_METRIC_NAMES).toContain(k);
  });
});
