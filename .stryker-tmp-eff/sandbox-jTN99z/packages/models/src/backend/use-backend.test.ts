// @ts-nocheck
// useBackend on this machine: what auto picks, why it skips libtensorflow, typed errors, idempotence, any cwd.
import { tmpdir } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  UnknownBackendError,
  useBackend,
  wasmBinaryDirectory,
} from './use-backend.js';

// tfjs-node(-gpu) are never dependencies of eff; here they are absent or present without their native addon.
const skippedTensorflow =
  /^@tensorflow\/tfjs-node(-gpu)? (is not installed|is installed but failed to load \(.+\))$/;

describe('useBackend', () => {
  it('auto picks wasm with training kernels from any cwd, says why tfjs-node was skipped, and logs it', async () => {
    const cwd = process.cwd();
    process.chdir(tmpdir());
    const logs: string[] = [];
    try {
      const info = await useBackend('auto', { log: (m) => logs.push(m) });
      expect(info).toMatchObject({
        backend: 'wasm',
        package: '@tensorflow/tfjs-backend-wasm',
        trainingKernels: true,
      });
      expect(info.skipped).toHaveLength(2);
      expect(info.skipped[0]).toMatch(/^@tensorflow\/tfjs-node-gpu /);
      expect(info.skipped[1]).toMatch(/^@tensorflow\/tfjs-node /);
      for (const reason of info.skipped) expect(reason).toMatch(skippedTensorflow);
      expect(tf.getBackend()).toBe('wasm');
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain("backend 'wasm'");
      expect(logs[0]).toContain('tfjs-node-gpu');
    } finally {
      process.chdir(cwd);
    }
  });

  it('finds the wasm binaries next to the package, not the cwd', () => {
    const dir = wasmBinaryDirectory();
    expect(dir).toMatch(/tfjs-backend-wasm[\\/]dist[\\/]$/);
  });

  it('is idempotent: a second call returns the same choice and computes the same numbers', async () => {
    const first = await useBackend('wasm', { log: () => {} });
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const f = tf.tensor4d([1, -1, 2, 0.5], [2, 2, 1, 1]);
    const dW1 = tf
      .grad((w: tf.Tensor4D) => tf.sum(tf.conv2d(x, w, 1, 'same')))(f)
      .arraySync();
    const second = await useBackend('wasm', { log: () => {} });
    const dW2 = tf
      .grad((w: tf.Tensor4D) => tf.sum(tf.conv2d(x, w, 1, 'same')))(f)
      .arraySync();
    expect(second).toEqual(first);
    expect(dW2).toEqual(dW1);
    // Σ over outputs of x·w: dW[i,j] = Σ of x entries each filter tap sees with 'same' padding (bottom/right).
    expect(dW1).toEqual([
      [[[10]], [[6]]],
      [[[7]], [[4]]],
    ]);
  });

  it('cpu switches to the pure-JS backend and back again', async () => {
    const info = await useBackend('cpu', { log: () => {} });
    expect(info).toEqual({
      backend: 'cpu',
      package: '@tensorflow/tfjs-backend-cpu',
      trainingKernels: false,
      skipped: [],
    });
    expect(tf.getBackend()).toBe('cpu');
    expect((await useBackend('wasm', { log: () => {} })).backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it("'tensorflow' without a working tfjs-node throws a typed error that says how to install it", async () => {
    const err = await useBackend('tensorflow', { log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    const e = err as BackendUnavailableError;
    expect(e.code).toBe('EFF_BACKEND_UNAVAILABLE');
    expect(e.backend).toBe('tensorflow');
    expect(e.reasons).toHaveLength(2);
    expect(e.message).toContain("npm install @tensorflow/tfjs-node'");
    expect(e.message).toContain('needs internet');
    expect(e.message).toContain("'wasm'");
  });

  it('rejects an unknown choice, naming it and the valid ones', async () => {
    const err = await useBackend('webgpu' as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownBackendError);
    expect((err as UnknownBackendError).message).toBe(
      "Unknown backend \"webgpu\"; expected one of 'auto', 'tensorflow', 'wasm', 'cpu'.",
    );
  });
});
