// @ts-nocheck
// softplus(conv2d(x, w) + b) as one kernel for LeNet's first layer on wasm, and its gradient from the output alone.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type ConvInfo, conv2DC1, singleChannelStride1 } from './conv2d-backprop.js';
import { heapOffset, simdKernels } from './simd/simd-module.js';
import type { TensorInfo } from './wasm-kernel-utils.js';

export const convSoftplusKernelName = 'EffConv2DBiasSoftplus';
export const softplusGradKernelName = 'EffSoftplusGradFromOutput';

interface ConvSoftplusAttrs {
  pad: 'same' | 'valid';
}

function convInfo(x: readonly number[], filter: readonly number[], pad: 'same' | 'valid'): ConvInfo {
  return tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter as [number, number, number, number],
    1,
    1,
    pad,
  );
}

/**
 * Whether `convSoftplus` can run these shapes on the active backend: wasm with eff's kernels, one input channel,
 * stride 1, no dilation, bias of one value per filter.
 */
export function canConvSoftplus(
  x: tf.Tensor,
  filter: tf.Tensor,
  bias: tf.Tensor,
  strides: number | number[],
  dilations: number | number[],
  pad: string,
): boolean {
  const ones = (v: number | number[]) => (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);
  if (tf.getBackend() !== 'wasm' || tf.getKernel(convSoftplusKernelName, 'wasm') === undefined) return false;
  if (x.rank !== 4 || filter.rank !== 4 || x.dtype !== 'float32' || (pad !== 'same' && pad !== 'valid'))
    return false;
  if (!ones(strides) || !ones(dilations) || bias.size !== filter.shape[3]) return false;
  return singleChannelStride1(convInfo(x.shape, filter.shape, pad));
}

/** softplus(conv2d(x, filter, 1, pad) + bias) in one kernel (see `canConvSoftplus` for when it applies). */
export function convSoftplus(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor,
  pad: 'same' | 'valid',
): tf.Tensor4D {
  const attrs: ConvSoftplusAttrs = { pad };
  return tf
    .engine()
    .runKernel(
      convSoftplusKernelName,
      { x, filter, bias },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor4D;
}

/** The wasm kernel: conv2d_c1_bias_softplus of eff's SIMD module, split by image across helper threads. */
export function convSoftplusWasm(args: {
  inputs: { x: TensorInfo; filter: TensorInfo; bias: TensorInfo };
  backend: BackendWasm;
  attrs: ConvSoftplusAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const info = convInfo(inputs.x.shape, inputs.filter.shape, attrs.pad);
  if (!singleChannelStride1(info)) {
    throw new Error(
      `${convSoftplusKernelName} expects one input channel at stride 1 but got x ${JSON.stringify(inputs.x.shape)}, ` +
        `filter ${JSON.stringify(inputs.filter.shape)}; check canConvSoftplus first`,
    );
  }
  return conv2DC1(backend, inputs.x, inputs.filter, info, inputs.bias);
}

/**
 * dx = dy · sigmoid(x) computed from y = softplus(x) as dy · (1 − exp(−y)), one pass instead of Sigmoid and
 * Multiply. On the main thread only: splitting it across helper threads was measured no faster (LeNet-1, 1.2 M
 * values: 1.6–2.0 vs 1.6–1.7 ms), as copying two inputs and the output costs what the second thread saves.
 */
export function softplusGradWasm(args: {
  inputs: { dy: TensorInfo; y: TensorInfo };
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, backend } = args;
  const n = inputs.y.shape.reduce((a, b) => a * b, 1);
  const dx = backend.makeOutput(inputs.y.shape, 'float32');
  simdKernels(backend).softplus_grad_from_output(
    heapOffset(backend, inputs.dy),
    heapOffset(backend, inputs.y),
    heapOffset(backend, dx),
    n,
  );
  return dx;
}

// Lazy per input: the tape asks only for the gradients it needs, so a first layer computes no input gradient.
// The shared dy · sigmoid is computed once, eagerly, outside the per-input scopes (they dispose what they make).
tf.registerGradient({
  kernelName: convSoftplusKernelName,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const pre = tf.engine().runKernel(softplusGradKernelName, { dy: dy as tf.Tensor, y }) as tf.Tensor4D;
    const conv = {
      strides: [1, 1],
      pad: (attrs as unknown as ConvSoftplusAttrs).pad,
      dataFormat: 'NHWC',
      dilations: [1, 1],
    };
    return {
      x: () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropInput',
            { dy: pre, filter },
            { ...conv, inputShape: x.shape },
          ) as tf.Tensor,
      filter: () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy: pre },
            { ...conv, filterShape: filter.shape },
          ) as tf.Tensor,
      bias: () => tf.sum(pre, [0, 1, 2]),
    };
  },
});
