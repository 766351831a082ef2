// @ts-nocheck
// A compiled model owns its optimizer, fit stops cleanly on a callback error, a run scope frees what the run left.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../backend/use-backend.js';
import { bcnn } from './bcnn.js';
import { lenet } from './lenet.js';
import { fitStoppingOnError, withTensorScope } from './run-scope.js';
import { compileModel, evaluateAccuracy, predictMc } from './train.js';

let xs: tf.Tensor4D;
let ys: tf.Tensor;

beforeAll(async () => {
  await useBackend('wasm', { threads: 1, log: () => {} });
  // 12 random 28×28 images (3 batches of 4) with labels 0..9, 0, 1.
  xs = tf.randomUniform([12, 28, 28, 1], 0, 1, 'float32', 3);
  ys = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], 'int32'), 10).toFloat());
});

afterAll(() => tf.dispose([xs, ys]));

const live = () => ({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes });

describe('compileModel: the model owns its optimizer', () => {
  it('model.dispose() frees the weights and Adam’s moments and β powers after training', async () => {
    const before = live();
    const model = lenet({ width: 1, seed: 1 });
    compileModel(model);
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    // LeNet-1 (61,706 parameters) in 10 weights, then Adam: 2 moments per weight + accBeta1/2.
    expect(live()).toEqual({ tensors: before.tensors + 10 + 22, bytes: before.bytes + 4 * 61_706 * 3 + 8 });
    model.dispose();
    expect(live()).toEqual(before);
  });

  it('compiling again frees the optimizer compiled before, with its state', async () => {
    const before = live();
    const model = lenet({ width: 1, seed: 1 });
    compileModel(model, { optimizer: 'adam' });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    compileModel(model, { optimizer: 'sgd', learningRate: 0.01 });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    // SGD keeps one scalar: its learning rate.
    expect(live().tensors).toBe(before.tensors + 10 + 1);
    model.dispose();
    expect(live()).toEqual(before);
  });

  it('frees a Bayes-by-Backprop BCNN’s μ and ρ and what evaluation allocates', async () => {
    const before = live();
    const model = bcnn({ width: 1, seed: 1, kind: 'bayes-by-backprop' });
    compileModel(model, { trainSize: 12 });
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    const accuracy = await evaluateAccuracy(model, xs, ys, { samples: 3, batchSize: 5 });
    expect(accuracy).toBeGreaterThanOrEqual(0);
    tf.dispose(predictMc(model, xs, { samples: 2 }));
    model.dispose();
    expect(live()).toEqual(before);
  });
});

describe('fitStoppingOnError', () => {
  it('stops at the end of the batch a callback failed in, skips the other callbacks, rethrows, leaks nothing', async () => {
    const before = live();
    const model = lenet({ width: 1, seed: 1 });
    compileModel(model);
    const seen: string[] = [];
    const failing = {
      onBatchEnd: async (batch: number) => {
        seen.push(`failing ${batch}`);
        if (batch === 1) throw new Error('criterion broke');
      },
    };
    const after = {
      onBatchEnd: async (batch: number) => {
        seen.push(`after ${batch}`);
      },
      onEpochEnd: async (epoch: number) => {
        seen.push(`epoch ${epoch}`);
      },
    };
    await expect(
      fitStoppingOnError(model, xs, ys, { epochs: 3, batchSize: 4, verbose: 0, callbacks: [failing, after] }),
    ).rejects.toThrow('criterion broke');
    expect(seen).toEqual(['failing 0', 'after 0', 'failing 1']);
    model.dispose();
    expect(live()).toEqual(before);
  });

  it('a failure in onTrainBegin stops training after the first batch (tfjs resets stopTraining after it)', async () => {
    const before = live();
    const model = lenet({ width: 1, seed: 1 });
    compileModel(model);
    let batches = 0;
    const callbacks = [
      {
        onTrainBegin: async () => {
          throw new Error('probes did not start');
        },
      },
      { onBatchBegin: async () => void batches++ },
    ];
    await expect(
      fitStoppingOnError(model, xs, ys, { epochs: 2, batchSize: 4, verbose: 0, callbacks }),
    ).rejects.toThrow('probes did not start');
    // Skipped callbacks see no batch; the model trained one batch before the stop took effect.
    expect(batches).toBe(0);
    expect(model.optimizer.iterations).toBe(1);
    model.dispose();
    expect(live()).toEqual(before);
  });

  it('resolves to the History when no callback throws', async () => {
    const model = lenet({ width: 1, seed: 1 });
    compileModel(model);
    const history = await fitStoppingOnError(model, xs, ys, { epochs: 2, batchSize: 4, verbose: 0 });
    expect(history.history.loss).toHaveLength(2);
    model.dispose();
  });
});

describe('withTensorScope', () => {
  it('disposes the tensors a body made and did not dispose, when it resolves and when it rejects', async () => {
    const before = live();
    const result = await withTensorScope(async () => {
      tf.ones([100]);
      await new Promise((r) => setTimeout(r, 1));
      return (await tf.sum(tf.ones([10])).data())[0];
    });
    expect(result).toBe(10);
    expect(live()).toEqual(before);
    await expect(
      withTensorScope(async () => {
        tf.zeros([50]);
        throw new Error('kernel failed');
      }),
    ).rejects.toThrow('kernel failed');
    expect(live()).toEqual(before);
  });

  it('leaves variables and tensors made before it alone', async () => {
    const outside = tf.ones([3]);
    const variable = await withTensorScope(async () => tf.variable(tf.zeros([4])));
    expect(outside.isDisposed).toBe(false);
    expect(variable.isDisposed).toBe(false);
    expect(Array.from(await variable.data())).toEqual([0, 0, 0, 0]);
    tf.dispose([outside, variable]);
  });
});
