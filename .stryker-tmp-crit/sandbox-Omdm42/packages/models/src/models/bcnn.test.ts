// @ts-nocheck
// BCNN-k: MC-dropout placement and stochasticity, Bayes-by-Backprop layers (LRT sampling, KL loss, config).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { bcnn } from './bcnn.js';
import { ModelConfigError } from './errors.js';
import { lenet } from './lenet.js';
import { compileModel, evaluateAccuracy, predictMc } from './train.js';
import { VariationalConv2D, VariationalDense, variationalKl } from './variational.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const MNIST_PARAMS = [61_706, 223_278, 485_650, 848_822, 1_312_794];
const CIFAR_PARAMS = [62_006, 223_878, 486_550, 850_022, 1_314_294];

/** Largest absolute difference between two tensors. */
function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

describe('bcnn mc-dropout', () => {
  it('has the LeNet-k parameter counts for k = 1..5 on both input shapes (dropout adds none)', () => {
    for (let k = 1; k <= 5; k++) {
      const m = bcnn({ width: k });
      const c = bcnn({ width: k, inputShape: [32, 32, 3] });
      expect([m.countParams(), c.countParams()]).toEqual([MNIST_PARAMS[k - 1], CIFAR_PARAMS[k - 1]]);
      expect(m.name).toBe(`bcnn-${k}`);
      m.dispose();
      c.dispose();
    }
  });

  it("puts dropout p = 0.5 where Gal & Ghahramani's lenet-all has it", () => {
    const m = bcnn();
    expect(m.layers.map((l) => l.name)).toEqual([
      'conv1',
      'conv1_dropout',
      'pool1',
      'conv2',
      'conv2_dropout',
      'pool2',
      'flatten',
      'fc1',
      'fc1_dropout',
      'fc2',
      'fc2_dropout',
      'fc3',
    ]);
    expect(m.getLayer('fc1_dropout').getConfig().rate).toBe(0.5);
    expect(bcnn({ dropoutRate: 0.25 }).getLayer('conv2_dropout').getConfig().rate).toBe(0.25);
    m.dispose();
  });

  it('deterministic predict has no dropout: it equals LeNet with the same weights', () => {
    const m = bcnn({ seed: 3 });
    const plain = lenet();
    plain.setWeights(m.getWeights());
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 11);
    const a = m.predict(x) as tf.Tensor;
    const b = m.predict(x) as tf.Tensor;
    const c = plain.predict(x) as tf.Tensor;
    expect(maxDiff(a, b)).toBe(0);
    expect(maxDiff(a, c)).toBeLessThan(1e-6);
    tf.dispose([x, a, b, c]);
    m.dispose();
    plain.dispose();
  });

  it('two stochastic passes differ; averaging T passes shrinks that spread', () => {
    const m = bcnn({ seed: 5 });
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 12);
    const one1 = predictMc(m, x);
    const one2 = predictMc(m, x);
    const det = m.predict(x) as tf.Tensor;
    expect(one1.shape).toEqual([8, 10]);
    const spread1 = maxDiff(one1, one2);
    expect(spread1).toBeGreaterThan(1e-3);
    expect(maxDiff(one1, det)).toBeGreaterThan(1e-3);
    const avg1 = predictMc(m, x, { samples: 32, batchSize: 3 });
    const avg2 = predictMc(m, x, { samples: 32, batchSize: 8 });
    // Rows are still probability distributions.
    for (const s of avg1.sum(1).arraySync() as number[]) expect(s).toBeCloseTo(1, 5);
    const rms = (a: tf.Tensor, b: tf.Tensor) =>
      tf.tidy(() => tf.sqrt(tf.mean(tf.square(tf.sub(a, b)))).dataSync()[0] as number);
    // The MC estimate's error falls like 1/sqrt(T): T = 32 is ~5.7× tighter; ask for 2.5×.
    expect(rms(avg1, avg2)).toBeLessThan(rms(one1, one2) / 2.5);
    tf.dispose([x, one1, one2, det, avg1, avg2]);
    m.dispose();
  });

  it('evaluateAccuracy takes one-hot, index arrays and index tensors alike and checks T', async () => {
    const m = lenet({ seed: 2 });
    const x = tf.randomUniform([20, 28, 28, 1], 0, 1, 'float32', 13);
    const predicted = Array.from(tf.argMax(m.predict(x) as tf.Tensor, -1).dataSync() as Int32Array);
    // Labels equal to the predictions except the first 5 → accuracy exactly 15/20.
    const labels = predicted.map((p, i) => (i < 5 ? (p + 1) % 10 : p));
    expect(await evaluateAccuracy(m, x, labels)).toBe(0.75);
    expect(await evaluateAccuracy(m, x, Uint8Array.from(labels))).toBe(0.75);
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
    expect(await evaluateAccuracy(m, x, oneHot, { batchSize: 7 })).toBe(0.75);
    await expect(evaluateAccuracy(m, x, labels, { samples: 3 })).rejects.toThrow(
      /'samples'.*deterministic model/,
    );
    await expect(evaluateAccuracy(m, x, labels.slice(1))).rejects.toThrow(
      /expected 20 labels \(one per image\), found '19 labels'/,
    );
    tf.dispose([x, oneHot]);
    m.dispose();
  });

  it('rejects options that belong to the other kind', () => {
    expect(() => bcnn({ dropoutRate: 1 })).toThrow(/'dropoutRate'.*found 1/);
    expect(() => bcnn({ kind: 'bayes-by-backprop', dropoutRate: 0.5 })).toThrow(ModelConfigError);
    expect(() => bcnn({ kind: 'bayes-by-backprop', init: 'normal' })).toThrow(/'init'/);
    expect(() => bcnn({ variational: { klWeight: 1 } })).toThrow(/'variational'/);
    expect(() => bcnn({ kind: 'mcmc' as 'mc-dropout' })).toThrow(/'kind'.*found 'mcmc'/);
  });
});

/** KL(N(μ, softplus(ρ)²) ‖ N(0, 0.1²)) computed element by element in plain JS, independent of the layer code. */
function klByHand(mu: Float32Array, rho: Float32Array, priorSigma = 0.1): number {
  let kl = 0;
  for (let i = 0; i < mu.length; i++) {
    const sigma = Math.log1p(Math.exp(rho[i] as number));
    const m = mu[i] as number;
    kl += Math.log(priorSigma / sigma) + (sigma * sigma + m * m) / (2 * priorSigma * priorSigma) - 0.5;
  }
  return kl;
}

describe('bcnn bayes-by-backprop', () => {
  it('has μ and ρ for every LeNet weight: twice the LeNet-k counts', () => {
    for (let k = 1; k <= 5; k++) {
      const m = bcnn({ kind: 'bayes-by-backprop', width: k });
      expect(m.countParams()).toBe(2 * (MNIST_PARAMS[k - 1] as number));
      expect(m.name).toBe(`bcnn-bbb-${k}`);
      m.dispose();
    }
    const c = bcnn({ kind: 'bayes-by-backprop', width: 3, inputShape: [32, 32, 3] });
    expect(c.countParams()).toBe(2 * 486_550);
    c.dispose();
  });

  it('initialises μ ~ N(0, 0.1) and ρ ~ N(−5, 0.1)', () => {
    const m = bcnn({ kind: 'bayes-by-backprop', seed: 1 });
    const [mu, rho] = m.getLayer('fc1').getWeights() as [tf.Tensor, tf.Tensor];
    const stats = (t: tf.Tensor) => {
      const { mean, variance } = tf.moments(t);
      return [mean.dataSync()[0] as number, Math.sqrt(variance.dataSync()[0] as number)];
    };
    const [muMean, muStd] = stats(mu);
    const [rhoMean, rhoStd] = stats(rho);
    expect(Math.abs(muMean as number)).toBeLessThan(0.003);
    expect(muStd).toBeCloseTo(0.1, 2);
    expect(rhoMean).toBeCloseTo(-5, 2);
    expect(rhoStd).toBeCloseTo(0.1, 2);
    m.dispose();
  });

  it('is stochastic with training: true and deterministic (posterior mean) otherwise', () => {
    const m = bcnn({ kind: 'bayes-by-backprop', seed: 4 });
    const x = tf.randomUniform([6, 28, 28, 1], 0, 1, 'float32', 14);
    const s1 = m.apply(x, { training: true }) as tf.Tensor;
    const s2 = m.apply(x, { training: true }) as tf.Tensor;
    const d1 = m.predict(x) as tf.Tensor;
    const d2 = m.predict(x) as tf.Tensor;
    expect(maxDiff(s1, s2)).toBeGreaterThan(1e-5);
    expect(maxDiff(d1, d2)).toBe(0);
    // The mean network is the LeNet with μ as its weights (softplus in both).
    const plain = lenet();
    const mus = m.layers
      .filter((l) => l instanceof VariationalConv2D || l instanceof VariationalDense)
      .flatMap((l) => {
        const [wMu, , bMu] = l.getWeights();
        return [wMu as tf.Tensor, bMu as tf.Tensor];
      });
    plain.setWeights(mus);
    const p = plain.predict(x) as tf.Tensor;
    expect(maxDiff(d1, p)).toBeLessThan(1e-5);
    tf.dispose([x, s1, s2, d1, d2, p]);
    m.dispose();
    plain.dispose();
  });

  it('the LRT pre-activation has the variance x²·σ² + σ_b² of sampling the weights', () => {
    const layer = new VariationalDense({ units: 1, name: 'lrt' });
    const x = tf.tensor2d([[1, 2, 3]]);
    layer.apply(x); // builds
    // μ_w = [0.5, −0.25, 0.1], μ_b = 0.2 → mean 0.5 − 0.5 + 0.3 + 0.2 = 0.5; every ρ = −1.
    layer.setWeights([
      tf.tensor2d([[0.5], [-0.25], [0.1]]),
      tf.fill([3, 1], -1),
      tf.tensor1d([0.2]),
      tf.tensor1d([-1]),
    ]);
    const xs = tf.tile(x, [20000, 1]);
    const out = layer.apply(xs, { training: true }) as tf.Tensor;
    const { mean, variance } = tf.moments(out);
    const sigma2 = Math.log1p(Math.exp(-1)) ** 2; // every ρ = −1
    expect(mean.dataSync()[0]).toBeCloseTo(0.5, 1);
    // Var = (1 + 4 + 9)·σ² + σ² = 15σ²; 20,000 samples give ~1% relative error.
    expect((variance.dataSync()[0] as number) / (15 * sigma2)).toBeGreaterThan(0.96);
    expect((variance.dataSync()[0] as number) / (15 * sigma2)).toBeLessThan(1.04);
    tf.dispose([x, xs, out, mean, variance]);
  });

  it('adds β·KL per variational layer as a positive training loss matching the closed form', () => {
    const m = bcnn({ kind: 'bayes-by-backprop', seed: 2 });
    const variational = m.layers.filter(
      (l) => l instanceof VariationalConv2D || l instanceof VariationalDense,
    );
    expect(variational).toHaveLength(5);
    let total = 0;
    for (const layer of variational) {
      const losses = layer.calculateLosses();
      expect(losses).toHaveLength(1);
      const [wMu, wRho, bMu, bRho] = layer.getWeights().map((w) => w.dataSync() as Float32Array);
      const kl =
        klByHand(wMu as Float32Array, wRho as Float32Array) +
        klByHand(bMu as Float32Array, bRho as Float32Array);
      const got = (losses[0] as tf.Scalar).dataSync()[0] as number;
      expect(got).toBeGreaterThan(0);
      expect(Math.abs(got - 0.1 * kl) / (0.1 * kl)).toBeLessThan(1e-4);
      total += kl;
      tf.dispose(losses);
    }
    const all = variationalKl(m);
    expect(Math.abs((all.dataSync()[0] as number) - total) / total).toBeLessThan(1e-4);
    all.dispose();
    const beta1 = bcnn({ kind: 'bayes-by-backprop', seed: 2, variational: { klWeight: 1 } });
    const [l1] = beta1.getLayer('fc1').calculateLosses();
    const [l01] = m.getLayer('fc1').calculateLosses();
    expect(
      ((l1 as tf.Scalar).dataSync()[0] as number) / ((l01 as tf.Scalar).dataSync()[0] as number),
    ).toBeCloseTo(10, 4);
    m.dispose();
    beta1.dispose();
  });

  it('trains on NLL·N + β·KL: the reported batch loss is N·cross-entropy plus β·KL', async () => {
    const m = bcnn({ kind: 'bayes-by-backprop', seed: 6 });
    expect(() => compileModel(m)).toThrow(/'trainSize'.*NLL·N/);
    const trainSize = 1000;
    compileModel(m, { trainSize });
    const x = tf.randomUniform([16, 28, 28, 1], 0, 1, 'float32', 15);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10);
    const ce = tf.tidy(
      () => tf.mean(tf.metrics.categoricalCrossentropy(y, m.predict(x) as tf.Tensor)).dataSync()[0] as number,
    );
    const kl = tf.tidy(() => tf.mul(0.1, variationalKl(m)).dataSync()[0] as number);
    // evaluate (no layer losses, deterministic mean network) reports N·cross-entropy.
    const [evalLoss] = m.evaluate(x, y) as tf.Scalar[];
    expect(((evalLoss as tf.Scalar).dataSync()[0] as number) / (trainSize * ce)).toBeCloseTo(1, 5);
    const [loss] = (await m.trainOnBatch(x, y)) as number[];
    const expected = trainSize * ce + kl;
    // The batch uses sampled weights (σ ≈ 0.007), so its NLL moves a little around the mean network's;
    // dropping either term (N·NLL ≈ 2,900, β·KL ≈ 16,700) would miss by far more than 1%.
    expect(Math.abs((loss as number) - expected) / expected).toBeLessThan(0.01);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('layer configs round-trip through getConfig/fromConfig', () => {
    const conv = new VariationalConv2D({
      filters: 4,
      kernelSize: [3, 5],
      strides: 2,
      padding: 'same',
      priorSigma: 0.2,
      posteriorRhoInit: [-4, 0.05],
      klWeight: 0.5,
      name: 'vc',
    });
    const dense = new VariationalDense({ units: 7, useBias: false, priorMu: 0.1, name: 'vd' });
    for (const layer of [conv, dense]) {
      const config = layer.getConfig();
      // What tf.loadLayersModel does: look the class up by its registered name and call fromConfig.
      const entry = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()];
      expect(entry?.[0]).toBe(layer.constructor);
      const again = entry?.[1](entry[0], config) as tf.layers.Layer;
      expect(again.getConfig()).toEqual(config);
    }
    expect(conv.getConfig()).toMatchObject({
      filters: 4,
      kernelSize: [3, 5],
      strides: [2, 2],
      padding: 'same',
      klWeight: 0.5,
    });
    expect(conv.computeOutputShape([null, 9, 9, 3])).toEqual([null, 5, 5, 4]);
    expect(dense.getConfig()).toMatchObject({ units: 7, useBias: false, priorMu: 0.1, priorSigma: 0.1 });
  });

  it('rejects bad variational options naming them', () => {
    expect(() => new VariationalDense({ units: 3, priorSigma: 0 })).toThrow(/'priorSigma'.*found 0/);
    expect(() => new VariationalDense({ units: 3, klWeight: -1 })).toThrow(/'klWeight'/);
    expect(() => new VariationalConv2D({ filters: 2, kernelSize: 0 })).toThrow(/'kernelSize'/);
  });
});
