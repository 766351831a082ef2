// @ts-nocheck
// MaxPool's 2×2 forward and MaxPoolGrad for the wasm backend in compiled passes over the heap (gradient to the first maximum).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels } from './simd/simd-module.js';
import { heapView, runBuiltinKernel, type TensorInfo } from './wasm-kernel-utils.js';

interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * dx[argmax of window] += dy[window], argmax being the first strict maximum in row-major order, as the cpu
 * backend picks it (NaN inputs aside). eff's wasm module (kernels.c) does LeNet's 2×2/stride-2 pooling four
 * channels at a time (~25× the wasm backend's loop) and any other window with a scalar scan (~3×).
 */
export function maxPoolGradWasm(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output?: TensorInfo };
  backend: BackendWasm;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth, padInfo } = info;
  const out = backend.makeOutput(input.shape, 'float32');
  const simd = simdKernels(backend);
  const [x, g, dx] = [heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, out)];
  const lenetPooling =
    filterHeight === 2 &&
    filterWidth === 2 &&
    strideHeight === 2 &&
    strideWidth === 2 &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    2 * outHeight <= inHeight &&
    2 * outWidth <= inWidth;
  if (lenetPooling) {
    simd.max_pool_grad_2x2(x, g, dx, batchSize, inHeight, inWidth, inChannels, outHeight, outWidth);
    return out;
  }
  heapView(backend, out).fill(0);
  simd.max_pool_grad(
    x,
    g,
    dx,
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    padInfo.top,
    padInfo.left,
  );
  return out;
}

/**
 * MaxPool: LeNet's 2×2/stride-2 unpadded pooling in eff's SIMD module (four channels at a time, channel tails as
 * partial vectors; ~2× the wasm backend's kernel on LeNet-1's pool1), everything else in the wasm backend's own.
 */
export function maxPoolWasm(args: {
  inputs: { x: TensorInfo };
  backend: BackendWasm;
  attrs: MaxPoolGradAttrs & { dataFormat?: string };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  if (x.dtype === 'float32' && x.shape.length === 4 && (attrs.dataFormat ?? 'NHWC') === 'NHWC') {
    const info = tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterSize,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo, outHeight, outWidth } = info;
    const lenetPooling =
      filterHeight === 2 &&
      filterWidth === 2 &&
      strideHeight === 2 &&
      strideWidth === 2 &&
      padInfo.top === 0 &&
      padInfo.left === 0 &&
      padInfo.bottom === 0 &&
      padInfo.right === 0 &&
      outHeight >= 1 &&
      outWidth >= 1;
    if (lenetPooling) {
      const out = backend.makeOutput(info.outShape, 'float32');
      simdKernels(backend).max_pool_2x2(
        heapOffset(backend, x),
        heapOffset(backend, out),
        info.batchSize,
        info.inHeight,
        info.inWidth,
        info.inChannels,
        outHeight,
        outWidth,
      );
      return out;
    }
  }
  return runBuiltinKernel(backend, 'MaxPool', inputs, attrs as unknown as tf.NamedAttrMap);
}
