// Conv2D gradients for the wasm backend, composed from its XNNPACK Conv2D so convnets train fast without libtensorflow.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { release, reshape, runWasmKernel, slice, type TensorInfo, transpose } from './wasm-kernel-utils.js';

/** The wasm backend runs Conv2D in NHWC only, so its gradients are NHWC only too. */
export class WasmDataFormatError extends Error {
  readonly code = 'EFF_WASM_DATA_FORMAT';
  constructor(kernelName: string, dataFormat: string) {
    super(
      `${kernelName} on the wasm backend expects dataFormat 'NHWC' (channels last) but got '${dataFormat}'; ` +
        `build the model with dataFormat 'channelsLast' or use useBackend('cpu').`,
    );
    this.name = 'WasmDataFormatError';
  }
}

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

interface Conv2DBackpropInputAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

type Shape4 = [number, number, number, number];

/**
 * dW[fh, fw, ci, co] = Σ_b,y,x x[b, y·s + fh − padTop, x·s + fw − padLeft, ci] · dy[b, y, x, co].
 * That is a convolution of x (channels ci as batch, batch as channels) with dy as the filter, dilated by the
 * forward stride; one XNNPACK call instead of the per-element loops the wasm backend lacks.
 */
export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new WasmDataFormatError('Conv2DBackpropFilter', attrs.dataFormat);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { filterHeight, filterWidth, inChannels, outChannels, strideHeight, strideWidth, padInfo } = info;
  const xT = transpose(backend, x, [3, 1, 2, 0]); // [ci, H, W, B]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [oh, ow, B, co]
  const conv = runWasmKernel(
    backend,
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      dilations: [strideHeight, strideWidth],
      pad: [
        [0, 0],
        [padInfo.top, padInfo.bottom],
        [padInfo.left, padInfo.right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  ); // [ci, ≥fh, ≥fw, co]
  release(backend, xT, dyT);
  let cropped = conv;
  if (conv.shape[1] !== filterHeight || conv.shape[2] !== filterWidth) {
    cropped = slice(backend, conv, [0, 0, 0, 0], [inChannels, filterHeight, filterWidth, outChannels]);
    release(backend, conv);
  }
  const dW = transpose(backend, cropped, [1, 2, 0, 3]);
  release(backend, cropped);
  return dW;
}

/**
 * dx = full correlation of dy (zero-dilated by the stride) with the filter rotated 180° and its channels
 * swapped; one XNNPACK Conv2D instead of the wasm backend's own loop-based kernel. A negative implied padding
 * (explicit pads wider than the filter) becomes a crop of the output, which for a stride-1 correlation is the same.
 */
export function conv2DBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new WasmDataFormatError('Conv2DBackpropInput', attrs.dataFormat);
  }
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as Shape4,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, padInfo } = info;
  const dilatedHeight = (outHeight - 1) * strideHeight + 1;
  const dilatedWidth = (outWidth - 1) * strideWidth + 1;
  const padTop = filterHeight - 1 - padInfo.top;
  const padLeft = filterWidth - 1 - padInfo.left;
  const padBottom = inHeight + filterHeight - 1 - dilatedHeight - padTop;
  const padRight = inWidth + filterWidth - 1 - dilatedWidth - padLeft;
  let dyD = dy;
  if (strideHeight > 1 || strideWidth > 1) {
    // Zero-dilate dy: [B, oh, ow, C] → [B, oh, 1, ow, 1, C] → pad to [B, oh, sh, ow, sw, C] → crop the tail.
    const r6 = reshape(backend, dy, [batchSize, outHeight, 1, outWidth, 1, outChannels]);
    const padded = runWasmKernel(
      backend,
      'PadV2',
      { x: r6 },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, strideHeight - 1],
          [0, 0],
          [0, strideWidth - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    const r4 = reshape(backend, padded, [
      batchSize,
      outHeight * strideHeight,
      outWidth * strideWidth,
      outChannels,
    ]);
    dyD = slice(backend, r4, [0, 0, 0, 0], [batchSize, dilatedHeight, dilatedWidth, outChannels]);
    release(backend, r6, padded, r4);
  }
  const flipped = runWasmKernel(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
  const rotated = transpose(backend, flipped, [0, 1, 3, 2]); // [fh, fw, co, ci]
  release(backend, flipped);
  const dx = runWasmKernel(
    backend,
    'Conv2D',
    { x: dyD, filter: rotated },
    {
      strides: [1, 1],
      dilations: [1, 1],
      pad: [
        [0, 0],
        [Math.max(0, padTop), Math.max(0, padBottom)],
        [Math.max(0, padLeft), Math.max(0, padRight)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
  release(backend, rotated);
  if (dyD !== dy) release(backend, dyD);
  if (padTop >= 0 && padLeft >= 0 && padBottom >= 0 && padRight >= 0) return dx;
  const cropped = slice(
    backend,
    dx,
    [0, Math.max(0, -padTop), Math.max(0, -padLeft), 0],
    [batchSize, inHeight, inWidth, info.inChannels],
  );
  release(backend, dx);
  return cropped;
}
