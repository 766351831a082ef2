// @ts-nocheck
// Helper threads give back the heap they grew for a large call, and still compute the same results afterwards.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../use-backend.js';
import { releaseWasmHelperHeaps, wasmHelperHeapBytes, wasmThreads } from './helper-threads.js';

const MIB = 1024 * 1024;

beforeAll(async () => {
  await useBackend('wasm', { threads: 2, log: () => {} });
});

/** A dense product whose weights (2048 × 2100 floats, 16.4 MiB) each helper copies whole: its heap must grow. */
function bigProduct(): Float32Array {
  return tf.tidy(() => {
    const a = tf.randomUniform([8, 2048], -1, 1, 'float32', 1);
    const b = tf.randomUniform([2048, 2100], -1, 1, 'float32', 2);
    return tf.matMul(a, b).dataSync() as Float32Array;
  });
}

describe('releaseWasmHelperHeaps', () => {
  it('gives back what a large call grew the helper heap by, and the helpers still compute the same', async () => {
    expect(wasmThreads()).toBe(2);
    const start = wasmHelperHeapBytes();
    expect(start).toBe(16 * MIB);
    const first = bigProduct();
    const grown = wasmHelperHeapBytes();
    expect(grown).toBeGreaterThan(16 * MIB);
    const { releasedBytes, failures } = await releaseWasmHelperHeaps();
    expect(failures).toEqual([]);
    expect(releasedBytes).toBe(grown - 16 * MIB);
    expect(wasmHelperHeapBytes()).toBe(16 * MIB);
    expect(wasmThreads()).toBe(2);
    // Nothing grew since: a second call gives nothing back and keeps the helpers.
    expect(await releaseWasmHelperHeaps()).toEqual({ releasedBytes: 0, failures: [] });
    // The fresh helpers take their share again (their heaps grow back) and give the same numbers.
    const second = bigProduct();
    expect(wasmHelperHeapBytes()).toBe(grown);
    expect(Array.from(second)).toEqual(Array.from(first));
  });
});
