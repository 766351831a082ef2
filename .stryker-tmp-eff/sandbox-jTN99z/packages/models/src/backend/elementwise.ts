// @ts-nocheck
// Bias-broadcast Add, Identity and same-dtype Cast for the wasm backend: full passes its own kernels do slowly or
// need not do.
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels } from './simd/simd-module.js';
import { heapView, release, runBuiltinKernel, type TensorInfo } from './wasm-kernel-utils.js';

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * a + b where one operand is a bias over the other's last axis (shape [c] or [1, …, 1, c]): what a conv or dense
 * layer without a fused bias adds. The wasm backend's broadcasting Add indexes every element through its shape
 * (~3.7 ms on LeNet-1's first activation, 7× a same-shape Add); here the bias is tiled to a whole number of
 * vectors and added in one pass. Every other case goes to the wasm backend's own Add.
 */
export function addWasm(args: {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  const [big, bias] = size(a.shape) >= size(b.shape) ? [a, b] : [b, a];
  const channels = big.shape[big.shape.length - 1] ?? 0;
  const isBias =
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    channels > 0 &&
    bias.shape.length >= 1 &&
    bias.shape.length <= big.shape.length &&
    bias.shape[bias.shape.length - 1] === channels &&
    bias.shape.slice(0, -1).every((d) => d === 1) &&
    size(big.shape) > channels;
  if (!isBias) return runBuiltinKernel(backend, 'Add', inputs);
  // The smallest whole number of rows that fills whole vectors (6 channels: 2 rows, 12 floats).
  let period = channels;
  while (period % 4 !== 0) period += channels;
  const pattern = backend.makeOutput([period], 'float32');
  const out = backend.makeOutput(big.shape, 'float32');
  const patternValues = heapView(backend, pattern);
  const biasValues = heapView(backend, bias);
  for (let i = 0; i < period; i++) patternValues[i] = biasValues[i % channels] ?? 0;
  simdKernels(backend).add_tiled(
    heapOffset(backend, big),
    heapOffset(backend, pattern),
    heapOffset(backend, out),
    size(big.shape),
    period,
  );
  release(backend, pattern);
  return out;
}

/**
 * Identity shares the input's data (reference counted, as the cpu backend and the wasm backend's Reshape do)
 * instead of copying it: tfjs never writes a tensor in place, and gradients run several Identities per
 * activation (~0.4 ms each on LeNet-1's first activation).
 */
export function identityWasm(args: { inputs: { x: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs;
  if (x.dtype === 'string') return runBuiltinKernel(backend, 'Identity', inputs);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Cast to the tensor's own dtype shares the data, like Identity (tfjs's Multiply gradient casts both operands to
 * float32 even when they are: a copy of each dropout mask per step); real conversions go to the wasm backend's own.
 */
export function castWasm(args: {
  inputs: { x: TensorInfo };
  backend: BackendWasm;
  attrs: { dtype: tf.DataType };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  if (x.dtype !== attrs.dtype || x.dtype === 'string') {
    return runBuiltinKernel(backend, 'Cast', inputs, attrs as unknown as tf.NamedAttrMap);
  }
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
