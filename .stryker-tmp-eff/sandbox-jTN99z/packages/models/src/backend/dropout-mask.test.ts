// @ts-nocheck
// dropoutMask: values, keep rate, independence and seeding of the wasm SIMD mask and of the fallback elsewhere.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DropoutRateError, dropoutMask } from './dropout-mask.js';
import { useBackend } from './use-backend.js';

beforeAll(async () => {
  await useBackend('wasm', { log: () => {} });
});

/** Fractions of kept units, and of kept pairs among neighbours (i, i+1) and (i, i+4) (SIMD lane/vector). */
function stats(values: Float32Array, scale: number) {
  let kept = 0;
  let pairs1 = 0;
  let pairs4 = 0;
  let others = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? Number.NaN;
    if (v !== 0 && v !== scale) others++;
    if (v !== scale) continue;
    kept++;
    if (values[i + 1] === scale) pairs1++;
    if (values[i + 4] === scale) pairs4++;
  }
  const n = values.length;
  return { others, kept: kept / n, pairs1: pairs1 / (n - 1), pairs4: pairs4 / (n - 4) };
}

describe('dropoutMask', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`on ${backend}: every value is 0 or 1/keep, with keep's frequency, independent of neighbours`, async () => {
      await tf.setBackend(backend);
      for (const rate of [0.5, 0.1, 0.8]) {
        const keep = 1 - rate;
        const n = backend === 'wasm' ? 1_204_227 : 100_003; // odd: the SIMD tail runs too
        const mask = dropoutMask([n], rate);
        expect(mask.shape).toEqual([n]);
        const s = stats(mask.dataSync() as Float32Array, Math.fround(1 / keep));
        mask.dispose();
        expect(s.others).toBe(0);
        // 6 binomial standard deviations: a correct mask fails this about once in 10^8 runs.
        const sd = Math.sqrt((keep * (1 - keep)) / n);
        expect(Math.abs(s.kept - keep)).toBeLessThan(6 * sd);
        expect(Math.abs(s.pairs1 - keep * keep)).toBeLessThan(6 * sd);
        expect(Math.abs(s.pairs4 - keep * keep)).toBeLessThan(6 * sd);
      }
    });
  }

  it('on wasm: a seed replays its mask, different seeds and unseeded calls differ', async () => {
    await tf.setBackend('wasm');
    const a = dropoutMask([4, 25], 0.5, 7).dataSync();
    const b = dropoutMask([4, 25], 0.5, 7).dataSync();
    const c = dropoutMask([4, 25], 0.5, 8).dataSync();
    const d = dropoutMask([4, 25], 0.5).dataSync();
    const e = dropoutMask([4, 25], 0.5).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
    expect(Array.from(e)).not.toEqual(Array.from(d));
  });

  it('x · mask trains like dropout: gradients are the mask, and rate 0 keeps everything', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([3, 50]);
    const mask = dropoutMask([3, 50], 0.5, 3);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, mask)))(x);
    expect(Array.from(dx.dataSync())).toEqual(Array.from(mask.dataSync()));
    expect(Array.from(dropoutMask([7], 0).dataSync())).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('rejects a rate outside [0, 1), naming it', () => {
    expect(() => dropoutMask([2], 1)).toThrow(DropoutRateError);
    expect(() => dropoutMask([2], -0.1)).toThrow('but got -0.1');
    expect(() => dropoutMask([2], Number.NaN)).toThrow('but got NaN');
  });
});
