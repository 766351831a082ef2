// @ts-nocheck
// Dropout multipliers (0 or 1/keep) drawn in eff's SIMD module on wasm; tfjs draws them with a JS loop.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels } from './simd/simd-module.js';
import type { TensorInfo } from './wasm-kernel-utils.js';

/** The eff kernel behind `dropoutMask`, registered on wasm only. */
export const dropoutMaskKernelName = 'EffDropoutMask';

/** A dropout rate outside [0, 1). */
export class DropoutRateError extends Error {
  readonly code = 'EFF_DROPOUT_RATE';
  constructor(rate: unknown) {
    super(`dropoutMask expects a rate in [0, 1) (the fraction of units dropped) but got ${String(rate)}.`);
    this.name = 'DropoutRateError';
  }
}

interface DropoutMaskAttrs {
  shape: number[];
  rate: number;
  seedA: number;
  seedB: number;
}

export function dropoutMaskWasm(args: { backend: BackendWasm; attrs: DropoutMaskAttrs }): TensorInfo {
  const { backend, attrs } = args;
  const out = backend.makeOutput(attrs.shape, 'float32');
  const n = attrs.shape.reduce((a, b) => a * b, 1);
  const keep = 1 - attrs.rate;
  simdKernels(backend).dropout_mask(heapOffset(backend, out), n, attrs.seedA, attrs.seedB, keep, 1 / keep);
  return out;
}

function randomSeed32(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

/**
 * The multiplier of inverted dropout: each element is 1/(1 − rate) with probability 1 − rate, else 0, so
 * `x.mul(dropoutMask(x.shape, rate))` is `tf.dropout(x, rate)` (the mask is a constant, so gradients flow through
 * the product). On wasm with eff's kernels the mask comes from a SIMD counter-based hash (~25× faster than
 * tfjs's JS loop over a seeded PRNG, which is most of the cost of dropout); on other backends from tfjs's
 * `randomUniform`. With `seed` the mask is reproducible on the same backend; without, each call draws anew.
 */
export function dropoutMask(shape: number[], rate: number, seed?: number): tf.Tensor {
  if (!(rate >= 0 && rate < 1)) throw new DropoutRateError(rate);
  if (tf.getBackend() === 'wasm' && tf.getKernel(dropoutMaskKernelName, 'wasm') !== undefined) {
    const seedA = seed === undefined ? randomSeed32() : seed >>> 0;
    const seedB = seed === undefined ? randomSeed32() : Math.floor(seed / 2 ** 32) ^ 0x5bd1e995;
    const attrs = { shape: [...shape], rate, seedA, seedB: seedB >>> 0 };
    return tf.engine().runKernel(dropoutMaskKernelName, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  const keep = 1 - rate;
  return tf.tidy(() => tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keep)), keep));
}
