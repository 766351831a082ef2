// @ts-nocheck
// Shared shapes of @eff/models: datasets in memory, tensor splits, backend choices.
import type * as tf from '@tensorflow/tfjs';

/** A labelled image dataset held in plain arrays (no tensors yet), pixels scaled to [0, 1], NHWC. */
export interface Dataset {
  name: string;
  /** count × height × width × channels, row-major, values in [0, 1]. */
  images: Float32Array;
  /** Class index per image, 0..classes-1. */
  labels: Uint8Array;
  count: number;
  /** [height, width, channels] */
  imageShape: [number, number, number];
  classes: number;
  classNames?: string[];
}

/** One part of a dataset as tensors: images NHWC and one-hot labels. */
export interface Split {
  xs: tf.Tensor4D;
  ys: tf.Tensor2D;
  labels: Uint8Array;
  count: number;
}

/** Train/validation/test tensors for one run; `dispose()` frees all six tensors. */
export interface Splits {
  train: Split;
  validation: Split;
  test: Split;
  dispose(): void;
}

/** What `useBackend` may be asked for. */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** What `useBackend` chose. */
export interface BackendInfo {
  /** tfjs backend name now active: `tensorflow`, `wasm` or `cpu`. */
  backend: 'tensorflow' | 'wasm' | 'cpu';
  /** Package that provides it, e.g. `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-backend-wasm`. */
  package: string;
  /** True when eff registered its own training kernels on this backend. */
  trainingKernels: boolean;
  /** Threads eff's training kernels run on (wasm only; the main thread included). */
  threads?: number;
  /** Why earlier choices were skipped (for the log and the run record). */
  skipped: string[];
}
