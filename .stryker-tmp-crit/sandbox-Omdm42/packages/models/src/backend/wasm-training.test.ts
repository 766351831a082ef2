// @ts-nocheck
// A small LeNet-like convnet trains on wasm with eff's kernels, and its gradients equal the cpu backend's.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bcnn } from '../models/bcnn.js';
import { lenet } from '../models/lenet.js';
import { useBackend } from './use-backend.js';

/** conv 'same' → maxpool → conv 'valid' → maxpool → dense → dense, softplus, like LeNet-1 but 12×12 and narrow. */
function smallLenet(dropoutRate: number): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [12, 12, 1],
      filters: 4,
      kernelSize: 5,
      padding: 'same',
      activation: 'softplus',
      kernelInitializer: init(1),
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  if (dropoutRate > 0) model.add(tf.layers.dropout({ rate: dropoutRate }));
  model.add(
    tf.layers.conv2d({
      filters: 6,
      kernelSize: 3,
      padding: 'valid',
      activation: 'softplus',
      kernelInitializer: init(2),
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 16, activation: 'softplus', kernelInitializer: init(3) }));
  if (dropoutRate > 0) model.add(tf.layers.dropout({ rate: dropoutRate }));
  model.add(tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: init(4) }));
  return model;
}

/** Four classes told apart by which image quadrant is bright, plus noise: learnable in a few steps. */
function quadrantBatch(count: number): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  const pixels = new Float32Array(count * 144);
  const labels: number[] = [];
  let s = 12345;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  for (let n = 0; n < count; n++) {
    const label = n % 4;
    labels.push(label);
    for (let y = 0; y < 12; y++) {
      for (let x = 0; x < 12; x++) {
        const quadrant = (y < 6 ? 0 : 2) + (x < 6 ? 0 : 1);
        pixels[n * 144 + y * 12 + x] = (quadrant === label ? 0.8 : 0.1) + 0.2 * rand();
      }
    }
  }
  return {
    xs: tf.tensor4d(pixels, [count, 12, 12, 1]),
    ys: tf.oneHot(tf.tensor1d(labels, 'int32'), 4) as tf.Tensor2D,
  };
}

function lossAndGrads(
  model: tf.Sequential,
  xs: tf.Tensor4D,
  ys: tf.Tensor2D,
): { loss: number; grads: Float32Array[] } {
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar,
    model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val),
  );
  const out = {
    loss: value.dataSync()[0] ?? Number.NaN,
    grads: model.trainableWeights.map((w) => Float32Array.from(grads[w.name]?.dataSync() ?? [])),
  };
  value.dispose();
  for (const g of Object.values(grads)) g.dispose();
  return out;
}

beforeAll(async () => {
  await useBackend('wasm', { log: () => {} });
});

describe('training on wasm with eff kernels', () => {
  it('gives the same loss and gradients as the cpu backend for the same weights (to 1e-4)', async () => {
    const model = smallLenet(0);
    const { xs, ys } = quadrantBatch(6);
    await tf.setBackend('cpu');
    const onCpu = lossAndGrads(model, xs, ys);
    await tf.setBackend('wasm');
    const onWasm = lossAndGrads(model, xs, ys);
    expect(onWasm.grads).toHaveLength(8);
    expect(Math.abs(onWasm.loss - onCpu.loss)).toBeLessThan(1e-5);
    for (const [i, g] of onWasm.grads.entries()) {
      const ref = onCpu.grads[i] ?? new Float32Array();
      expect(g.length).toBe(ref.length);
      expect(g.length).toBeGreaterThan(0);
      const scale = Math.max(...ref.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      let worst = 0;
      for (let j = 0; j < g.length; j++)
        worst = Math.max(worst, Math.abs((g[j] ?? Number.NaN) - (ref[j] ?? 0)));
      expect(worst / Math.max(1, scale)).toBeLessThan(1e-4);
    }
  });

  it("gives @eff/models' LeNet-1 (eff's conv1 and kernels, 28×28) the cpu backend's gradients (to 1e-4)", async () => {
    const model = lenet({ seed: 3 });
    const xs = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const ys = tf.oneHot(tf.tensor1d([3, 1, 4, 1], 'int32'), 10) as tf.Tensor2D;
    await tf.setBackend('cpu');
    const onCpu = lossAndGrads(model, xs, ys);
    await tf.setBackend('wasm');
    const onWasm = lossAndGrads(model, xs, ys);
    expect(onWasm.grads).toHaveLength(10);
    expect(Math.abs(onWasm.loss - onCpu.loss)).toBeLessThan(1e-5);
    for (const [i, g] of onWasm.grads.entries()) {
      const ref = onCpu.grads[i] ?? new Float32Array();
      expect(g.length).toBe(ref.length);
      const scale = Math.max(...ref.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      let worst = 0;
      for (let j = 0; j < g.length; j++)
        worst = Math.max(worst, Math.abs((g[j] ?? Number.NaN) - (ref[j] ?? 0)));
      expect(worst / Math.max(1, scale)).toBeLessThan(1e-4);
    }
  });

  it("leaks no wasm memory training @eff/models' LeNet-1 and MC-dropout BCNN-1", async () => {
    await tf.setBackend('wasm');
    const xs = tf.randomUniform([8, 28, 28, 1]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    const backend = tf.engine().findBackend('wasm') as tf.KernelBackend & { numDataIds(): number };
    for (const model of [lenet(), bcnn()]) {
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
      await model.trainOnBatch(xs, ys);
      const before = { tensors: tf.memory().numTensors, dataIds: backend.numDataIds() };
      for (let i = 0; i < 2; i++) await model.trainOnBatch(xs, ys);
      expect({ tensors: tf.memory().numTensors, dataIds: backend.numDataIds() }).toEqual(before);
    }
  });

  it('leaks no wasm memory: eff kernels free every intermediate they make', async () => {
    await tf.setBackend('wasm');
    const model = smallLenet(0.25);
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const { xs, ys } = quadrantBatch(16);
    await model.trainOnBatch(xs, ys); // creates the optimizer's slots
    const backend = tf.engine().findBackend('wasm') as tf.KernelBackend & { numDataIds(): number };
    const before = { tensors: tf.memory().numTensors, dataIds: backend.numDataIds() };
    for (let i = 0; i < 3; i++) await model.trainOnBatch(xs, ys);
    expect({ tensors: tf.memory().numTensors, dataIds: backend.numDataIds() }).toEqual(before);
  });

  it('fits a few batches with Adam, dropout and softplus, and the loss goes down', async () => {
    await tf.setBackend('wasm');
    const model = smallLenet(0.25);
    model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
    const { xs, ys } = quadrantBatch(64);
    const history = await model.fit(xs, ys, { batchSize: 16, epochs: 20, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(tf.getBackend()).toBe('wasm');
    expect(losses).toHaveLength(20);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[19]).toBeLessThan((losses[0] ?? 0) * 0.6);
  });
});
