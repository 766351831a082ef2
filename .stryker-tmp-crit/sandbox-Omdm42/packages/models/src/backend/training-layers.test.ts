// @ts-nocheck
// LazyGradConv2D and FastDropout: same outputs, gradients and configs as tfjs's layers, minus the wasted work.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FastDropout, LazyGradConv2D } from './training-layers.js';
import { useBackend } from './use-backend.js';

beforeAll(async () => {
  await useBackend('wasm', { log: () => {} });
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Number.NaN);
}

/** Kernel names a training step of `model` runs. */
async function stepKernels(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor): Promise<string[]> {
  const info = await tf.profile(async () => {
    await model.trainOnBatch(xs, ys);
  });
  return info.kernels.map((k) => k.name);
}

describe('LazyGradConv2D', () => {
  const args = {
    inputShape: [9, 11, 2] as [number, number, number],
    filters: 3,
    kernelSize: 3,
    strides: 2,
    padding: 'same' as const,
    activation: 'softplus' as const,
  };

  // LeNet's first layer (one input channel, stride 1, softplus) takes eff's fused conv + bias + softplus on wasm.
  const c1Args = (padding: 'same' | 'valid') => ({
    inputShape: [12, 10, 1] as [number, number, number],
    filters: 6,
    kernelSize: 5,
    strides: 1,
    padding,
    activation: 'softplus' as const,
  });
  const variants = [
    { name: 'two channels, stride 2', args, inShape: [3, 9, 11, 2], outShape: [3, 5, 6, 3] },
    {
      name: 'one channel, same (fused on wasm)',
      args: c1Args('same'),
      inShape: [5, 12, 10, 1],
      outShape: [5, 12, 10, 6],
    },
    {
      name: 'one channel, valid (fused on wasm)',
      args: c1Args('valid'),
      inShape: [5, 12, 10, 1],
      outShape: [5, 8, 6, 6],
    },
  ];

  for (const backend of ['wasm', 'cpu'] as const) {
    for (const v of variants) {
      it(`on ${backend}, ${v.name}: output, weight and input gradients equal tfjs's Conv2D's`, async () => {
        await tf.setBackend(backend);
        const ours = tf.sequential({ layers: [new LazyGradConv2D(v.args)] });
        const theirs = tf.sequential({ layers: [tf.layers.conv2d(v.args)] });
        theirs.setWeights(ours.getWeights());
        const x = tf.randomNormal(v.inShape, 0, 1, 'float32', 5);
        const y1 = ours.predict(x) as tf.Tensor;
        const y2 = theirs.predict(x) as tf.Tensor;
        expect(y1.shape).toEqual(v.outShape);
        expect(maxAbsDiff(y1, y2)).toBeLessThan(1e-5);
        const loss = (m: tf.Sequential) => (input: tf.Tensor) =>
          tf.sum(tf.square(m.apply(input) as tf.Tensor));
        expect(maxAbsDiff(tf.grad(loss(ours))(x), tf.grad(loss(theirs))(x))).toBeLessThan(1e-4);
        const grads = (m: tf.Sequential) => tf.variableGrads(() => loss(m)(x) as tf.Scalar).grads;
        const g1 = grads(ours);
        const g2 = grads(theirs);
        const w1 = ours.layers[0]?.trainableWeights.map((w) => w.originalName) ?? [];
        const w2 = theirs.layers[0]?.trainableWeights.map((w) => w.originalName) ?? [];
        expect(w1.length).toBe(2);
        for (let i = 0; i < w1.length; i++) {
          const a = g1[w1[i] ?? ''];
          const b = g2[w2[i] ?? ''];
          if (a === undefined || b === undefined) throw new Error(`no gradient for ${w1[i]} / ${w2[i]}`);
          expect(a.shape).toEqual(b.shape);
          expect(maxAbsDiff(a, b)).toBeLessThan(1e-4);
        }
      });
    }
  }

  it('on wasm, runs conv + bias + softplus of a one-channel first layer as one kernel, in both directions', async () => {
    await tf.setBackend('wasm');
    const m = tf.sequential({
      layers: [new LazyGradConv2D(c1Args('same')), tf.layers.flatten(), tf.layers.dense({ units: 2 })],
    });
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const kernels = await stepKernels(m, tf.randomUniform([4, 12, 10, 1]), tf.randomUniform([4, 2]));
    expect(kernels).toContain('EffConv2DBiasSoftplus');
    expect(kernels).toContain('EffSoftplusGradFromOutput');
    expect(kernels).not.toContain('Softplus');
    expect(kernels).not.toContain('Conv2DBackpropInput');
  });

  it("as a first layer, a training step skips the input gradient (tfjs's Conv2D computes it)", async () => {
    await tf.setBackend('wasm');
    const build = (first: tf.layers.Layer) => {
      const m = tf.sequential({ layers: [first, tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
      m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      return m;
    };
    const xs = tf.randomUniform([2, 9, 11, 2]);
    const ys = tf.randomUniform([2, 2]);
    const ours = await stepKernels(build(new LazyGradConv2D(args)), xs, ys);
    const theirs = await stepKernels(build(tf.layers.conv2d(args)), xs, ys);
    expect(theirs).toContain('Conv2DBackpropInput');
    expect(ours).not.toContain('Conv2DBackpropInput');
    expect(ours).toContain('Conv2DBackpropFilter');
  });

  it('keeps its config through the registered class (what loading a saved model does)', () => {
    const layer = new LazyGradConv2D({ ...args, name: 'c1' });
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()];
    expect(layer.getClassName()).toBe('EffConv2D');
    expect(entry?.[0]).toBe(LazyGradConv2D);
    const again = entry?.[1](entry[0], layer.getConfig()) as tf.layers.Layer;
    expect(again.getConfig()).toEqual(layer.getConfig());
    expect(layer.getConfig()).toMatchObject({
      filters: 3,
      kernelSize: [3, 3],
      strides: [2, 2],
      padding: 'same',
    });
  });
});

describe('FastDropout', () => {
  it('is the identity unless training: true, then x·0 or x/(1 − rate), with gradient the mask', async () => {
    await tf.setBackend('wasm');
    const layer = new FastDropout({ rate: 0.25 });
    const x = tf.add(tf.randomUniform([64, 100], 0, 1, 'float32', 3), 1);
    const plain = layer.apply(x) as tf.Tensor;
    expect(maxAbsDiff(plain, x)).toBe(0);
    const grad = tf.grad((v: tf.Tensor) => tf.sum(layer.apply(v, { training: true }) as tf.Tensor))(x);
    const trained = layer.apply(x, { training: true }) as tf.Tensor;
    const ratio = tf.div(trained, x).dataSync();
    let kept = 0;
    for (const r of ratio) {
      expect(r === 0 || Math.abs(r - 1 / 0.75) < 1e-6).toBe(true);
      if (r !== 0) kept++;
    }
    // 6 binomial standard deviations around the keep rate 0.75 on 6,400 units.
    expect(Math.abs(kept / ratio.length - 0.75)).toBeLessThan(6 * Math.sqrt((0.75 * 0.25) / ratio.length));
    const g = grad.dataSync();
    expect(g.length).toBe(6400);
    let gradKept = 0;
    for (const v of g) {
      expect(v === 0 || Math.abs(v - 1 / 0.75) < 1e-6).toBe(true);
      if (v !== 0) gradKept++;
    }
    expect(Math.abs(gradKept / g.length - 0.75)).toBeLessThan(6 * Math.sqrt((0.75 * 0.25) / g.length));
  });

  it('keeps its config through the registered class', () => {
    const layer = new FastDropout({ rate: 0.5, seed: 11, name: 'd1' });
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()];
    expect(layer.getClassName()).toBe('EffDropout');
    expect(entry?.[0]).toBe(FastDropout);
    const again = entry?.[1](entry[0], layer.getConfig()) as tf.layers.Layer;
    expect(again.getConfig()).toEqual(layer.getConfig());
    expect(layer.getConfig()).toMatchObject({ rate: 0.5, seed: 11 });
  });
});
