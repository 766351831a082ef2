// @ts-nocheck
// LeNet-k: parameter counts against hand-computed numbers, shapes, init and option errors.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelConfigError } from './errors.js';
import { lenet } from './lenet.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Per layer (weights + biases), fc2 fixed at 84 units as in the authors' code:
//   conv1 25·c·6k + 6k, conv2 25·6k·16k + 16k, fc1 400k·120k + 120k, fc2 120k·84 + 84, fc3 84·10 + 10.
// MNIST (28×28×1, conv1 'same'):   50400k² + 10372k + 934.
// CIFAR (32×32×3, conv1 'valid'):  50400k² + 10672k + 934.
const MNIST_PARAMS = [61_706, 223_278, 485_650, 848_822, 1_312_794];
const CIFAR_PARAMS = [62_006, 223_878, 486_550, 850_022, 1_314_294];

describe('lenet', () => {
  it('LeNet-1 on MNIST has exactly 61,706 parameters, layer by layer', () => {
    const model = lenet();
    expect(model.name).toBe('lenet-1');
    expect(model.layers.map((l) => l.countParams())).toEqual([156, 0, 2416, 0, 0, 48_120, 10_164, 850]);
    expect(model.countParams()).toBe(61_706);
    model.dispose();
  });

  for (const [i, expected] of MNIST_PARAMS.entries()) {
    const k = i + 1;
    it(`LeNet-${k} on 28×28×1 has ${expected} parameters`, () => {
      const model = lenet({ width: k });
      expect(model.countParams()).toBe(expected);
      expect(model.name).toBe(`lenet-${k}`);
      model.dispose();
    });
  }

  for (const [i, expected] of CIFAR_PARAMS.entries()) {
    const k = i + 1;
    it(`LeNet-${k} on 32×32×3 has ${expected} parameters`, () => {
      const model = lenet({ width: k, inputShape: [32, 32, 3] });
      expect(model.countParams()).toBe(expected);
      model.dispose();
    });
  }

  it('maps 28×28×1 and 32×32×3 batches to softmax rows over the classes', () => {
    for (const [shape, side] of [
      [[28, 28, 1], 14],
      [[32, 32, 3], 14],
    ] as const) {
      const model = lenet({ width: 2, inputShape: [...shape] });
      expect(model.getLayer('pool1').outputShape).toEqual([null, side, side, 12]);
      expect(model.getLayer('pool2').outputShape).toEqual([null, 5, 5, 32]);
      const y = model.predict(tf.randomUniform([3, ...shape])) as tf.Tensor;
      expect(y.shape).toEqual([3, 10]);
      const sums = y.sum(1).arraySync() as number[];
      for (const s of sums) expect(s).toBeCloseTo(1, 5);
      tf.dispose([y]);
      model.dispose();
    }
  });

  it('softplus by default, relu on request; classes sets the output width', () => {
    const a = lenet();
    expect(a.getLayer('conv1').getConfig().activation).toBe('softplus');
    const b = lenet({ activation: 'relu', classes: 3 });
    expect(b.getLayer('fc2').getConfig().activation).toBe('relu');
    expect(b.outputs[0]?.shape).toEqual([null, 3]);
    a.dispose();
    b.dispose();
  });

  it("init 'normal' draws kernels from N(0, 1); the default is Glorot (much smaller)", () => {
    const std = (m: tf.LayersModel, layer: string) =>
      tf.tidy(() => {
        const w = m.getLayer(layer).getWeights()[0] as tf.Tensor;
        return tf.moments(w).variance.sqrt().dataSync()[0] as number;
      });
    const normal = lenet({ init: 'normal', seed: 1 });
    const glorot = lenet({ seed: 1 });
    // fc1 has 48,000 weights: the sample std is within a few percent of 1.
    expect(std(normal, 'fc1')).toBeGreaterThan(0.97);
    expect(std(normal, 'fc1')).toBeLessThan(1.03);
    // Glorot uniform: limit sqrt(6 / (400 + 120)), std = limit / sqrt(3) ≈ 0.0620.
    expect(std(glorot, 'fc1')).toBeCloseTo(Math.sqrt(6 / 520) / Math.sqrt(3), 2);
    const bias = normal.getLayer('fc1').getWeights()[1] as tf.Tensor;
    expect(Math.max(...Array.from(bias.abs().dataSync()))).toBe(0);
    normal.dispose();
    glorot.dispose();
  });

  it('the same seed gives the same weights', () => {
    const a = lenet({ seed: 7 });
    const b = lenet({ seed: 7 });
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wa).toEqual(wb);
    a.dispose();
    b.dispose();
  });

  it('rejects bad options naming the option and the value', () => {
    expect(() => lenet({ width: 0 })).toThrow(ModelConfigError);
    expect(() => lenet({ width: 1.5 })).toThrow(/'width': expected an integer k >= 1, found 1.5/);
    expect(() => lenet({ inputShape: [8, 8, 1] })).toThrow(/'inputShape'.*found \[8, 8, 1\]/);
    expect(() => lenet({ activation: 'tanh' as 'relu' })).toThrow(/'activation'.*found 'tanh'/);
    expect(() => lenet({ init: 'xavier' as 'normal' })).toThrow(/'init'.*found 'xavier'/);
    expect(() => lenet({ classes: 1 })).toThrow(/'classes'/);
  });
});
