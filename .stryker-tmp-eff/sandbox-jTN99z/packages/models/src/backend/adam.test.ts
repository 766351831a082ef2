// @ts-nocheck
// FusedAdamOptimizer: the same trajectory as tfjs's Adam (wasm and cpu), one kernel per variable on wasm.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adamUpdateKernelName, FusedAdamOptimizer, fusedAdam } from './adam.js';
import { useBackend } from './use-backend.js';

beforeAll(async () => {
  await useBackend('wasm', { log: () => {} });
});

/** Values of variables (odd sizes: the SIMD tail runs too) after `steps` updates with seeded pseudo-gradients
 * (seeds from 1: tfjs treats a seed of 0 as none). */
function trajectory(optimizer: tf.Optimizer, steps: number): Float32Array[] {
  const shapes = [[7, 5], [13], [1], [4, 4, 3]];
  const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 100 + i)));
  for (let t = 0; t < steps; t++) {
    const grads = Object.fromEntries(
      vars.map((v, i) => [v.name, tf.randomNormal(v.shape, 0, 1 + i, 'float32', 1000 * t + i + 1)]),
    );
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const out = vars.map((v) => Float32Array.from(v.dataSync()));
  tf.dispose(vars);
  return out;
}

function worstRelative(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  for (const [i, x] of a.entries()) {
    const y = b[i] ?? new Float32Array();
    expect(x.length).toBe(y.length);
    for (let j = 0; j < x.length; j++) {
      worst = Math.max(worst, Math.abs((x[j] ?? 0) - (y[j] ?? 0)) / (1e-3 + Math.abs(y[j] ?? 0)));
    }
  }
  return worst;
}

describe('FusedAdamOptimizer', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`follows tfjs's Adam to float32 rounding over 5 steps on ${backend} (lr 0.01, default betas)`, async () => {
      await tf.setBackend(backend);
      const ours = trajectory(fusedAdam(0.01), 5);
      const theirs = trajectory(tf.train.adam(0.01), 5);
      expect(worstRelative(ours, theirs)).toBeLessThan(1e-5);
      // And it moved: every variable differs from its start.
      const start = trajectory(fusedAdam(0.01), 0);
      expect(worstRelative(ours, start)).toBeGreaterThan(1e-3);
    });
  }

  it('runs one eff kernel per variable on wasm, and keeps the state tfjs saves', async () => {
    await tf.setBackend('wasm');
    const optimizer = new FusedAdamOptimizer(0.001, 0.9, 0.999, 1e-7);
    const w = tf.variable(tf.ones([10]));
    const g = { [w.name]: tf.fill([10], 0.5) };
    optimizer.applyGradients(g);
    const profile = await tf.profile(() => {
      optimizer.applyGradients(g);
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names.filter((n) => n === adamUpdateKernelName)).toHaveLength(1);
    expect(names).not.toContain('Sqrt');
    const weights = await optimizer.getWeights();
    expect(weights.map((x) => x.name)).toEqual(['iter', `${w.name}/m`, `${w.name}/v`]);
    expect(weights[0]?.tensor.dataSync()[0]).toBe(2);
    // Two steps of a constant gradient 0.5: m = 0.5·(1 − 0.9²), the update ≈ lr per step.
    expect(weights[1]?.tensor.dataSync()[0]).toBeCloseTo(0.5 * (1 - 0.81), 6);
    expect(w.dataSync()[0]).toBeCloseTo(1 - 2 * 0.001, 5);
    tf.dispose([w, ...Object.values(g)]);
  });
});
