// @ts-nocheck
// Conv2D and its gradients for the wasm backend: XNNPACK GEMMs plus eff's SIMD patch kernels, and direct SIMD kernels
// for a single input channel (LeNet's first layer on MNIST), so convnets train without libtensorflow.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { wasmThreads } from './simd/helper-threads.js';
import {
  type ConvC1Geometry,
  type ConvGeometry,
  heapOffset,
  runSplitKernel,
  simdKernels,
} from './simd/simd-module.js';
import {
  heapView,
  release,
  reshape,
  runBuiltinKernel,
  runWasmKernel,
  type TensorInfo,
} from './wasm-kernel-utils.js';

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
 * dW[fh, fw, ci, co] = Σ_b,y,x x[b, y·s + fh − padTop, x·s + fw − padLeft, ci] · dy[b, y, x, co], which the wasm
 * backend lacks. Computed as patchesᵀ · dy (see conv2DBackpropFilterGemm).
 */
export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new WasmDataFormatError('Conv2DBackpropFilter', attrs.dataFormat);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inputs.x.shape as Shape4,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  if (singleChannelStride1(info)) return conv2DBackpropFilterC1(backend, inputs.x, inputs.dy, info);
  if (info.outChannels % 4 === 0) return conv2DBackpropFilterDirect(backend, inputs.x, inputs.dy, info);
  return conv2DBackpropFilterGemm(backend, inputs.x, inputs.dy, info);
}

interface Conv2DAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

interface FusedConv2DAttrs extends Conv2DAttrs {
  activation?: string;
}

/** NHWC, no dilation, float32: the layouts eff's direct convolution kernels handle. */
function plainConv(attrs: Conv2DAttrs, x: TensorInfo, filter: TensorInfo): ConvInfo | undefined {
  const dilations = attrs.dilations ?? 1;
  const plain =
    (attrs.dataFormat ?? 'NHWC') === 'NHWC' &&
    (dilations === 1 || (Array.isArray(dilations) && dilations[0] === 1 && dilations[1] === 1)) &&
    x.dtype === 'float32' &&
    filter.dtype === 'float32';
  if (!plain) return undefined;
  return tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

/**
 * Stride 1, no padding, output channels in whole vectors, some output: eff's direct conv2d_vec applies. On one
 * thread it is ~10 % slower than XNNPACK's convolution (LeNet-1/3's conv2), so it is used only with helper threads.
 */
function unpaddedStride1Vec(info: ConvInfo): boolean {
  const { padInfo } = info;
  const unpadded = padInfo.top === 0 && padInfo.left === 0 && padInfo.bottom === 0 && padInfo.right === 0;
  return stride1WithOutput(info) && unpadded && info.outChannels % 4 === 0;
}

/** Stride 1, no dilation, at least one output pixel: what eff's direct convolution kernels need. */
function stride1WithOutput(info: ConvInfo): boolean {
  return (
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.outHeight >= 1 &&
    info.outWidth >= 1
  );
}

/** The geometry of conv2d_vec, conv2d_input_direct and conv2d_filter_vec after the batch size. */
function directGeometry(info: ConvInfo): number[] {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  return [inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth];
}

/**
 * Conv2D: a single-channel input at stride 1 (LeNet's conv1 on MNIST) goes to eff's direct SIMD kernel (lanes along
 * the output row; XNNPACK's convolution wastes most SIMD lanes on the one input channel, ~2× slower), an unpadded
 * stride-1 one with output channels in whole vectors (LeNet's conv2) to eff's conv2d_vec when helper threads run
 * (it splits the batch across them); every other case to the wasm backend's own (XNNPACK) Conv2D.
 */
export function conv2DWasm(args: {
  inputs: { x: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const info = plainConv(attrs, inputs.x, inputs.filter);
  if (info !== undefined && singleChannelStride1(info))
    return conv2DC1(backend, inputs.x, inputs.filter, info);
  if (info !== undefined && unpaddedStride1Vec(info) && wasmThreads() > 1)
    return conv2DVec(backend, inputs.x, inputs.filter, undefined, info);
  return runBuiltinKernel(backend, 'Conv2D', inputs, attrs as unknown as tf.NamedAttrMap);
}

/**
 * FusedConv2D (what tfjs-layers' conv2d runs: Conv2D + bias + activation) without an activation, unpadded at
 * stride 1, output channels in whole vectors, bias per channel, helper threads running: eff's conv2d_vec; the rest
 * to XNNPACK's.
 */
export function fusedConv2DWasm(args: {
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: BackendWasm;
  attrs: FusedConv2DAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { bias } = inputs;
  const simple =
    (attrs.activation === undefined || attrs.activation === 'linear') &&
    inputs.preluActivationWeights == null &&
    (bias == null ||
      (bias.dtype === 'float32' && bias.shape.reduce((a, b) => a * b, 1) === bias.shape.at(-1)));
  const info = simple ? plainConv(attrs, inputs.x, inputs.filter) : undefined;
  if (
    info !== undefined &&
    unpaddedStride1Vec(info) &&
    (bias == null || bias.shape.at(-1) === info.outChannels) &&
    wasmThreads() > 1
  )
    return conv2DVec(backend, inputs.x, inputs.filter, bias ?? undefined, info);
  return runBuiltinKernel(
    backend,
    'FusedConv2D',
    inputs as Record<string, TensorInfo>,
    attrs as unknown as tf.NamedAttrMap,
  );
}

/** Conv2D (+ bias) at stride 1 without padding in eff's SIMD module (conv2d_vec), split by image across threads. */
export function conv2DVec(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  info: ConvInfo,
): TensorInfo {
  const out = backend.makeOutput(info.outShape, 'float32');
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const filterFloats = filterHeight * filterWidth * inChannels * outChannels;
  runSplitKernel(
    backend,
    'conv2d_vec',
    info.batchSize,
    [
      { role: 'in', tensor: x, floatsPerImage: inHeight * inWidth * inChannels },
      { role: 'whole', tensor: filter, floats: filterFloats },
      // Without a bias the kernel never reads this buffer; the filter stands in so the pointer is valid.
      bias === undefined
        ? { role: 'whole', tensor: filter, floats: 0 }
        : { role: 'whole', tensor: bias, floats: outChannels },
      { role: 'out', tensor: out, floatsPerImage: outHeight * outWidth * outChannels },
    ],
    [...directGeometry(info), bias === undefined ? 0 : 1],
  );
  return out;
}

/**
 * dx for a Conv2D, replacing the wasm backend's loop-based kernel (2–4× slower on LeNet shapes) with
 * col2im(dy · Wᵀ) (see conv2DBackpropInputGemm).
 */
export function conv2DBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new WasmDataFormatError('Conv2DBackpropInput', attrs.dataFormat);
  }
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    inputs.filter.shape as Shape4,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { padInfo } = info;
  const unpaddedStride1 =
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    padInfo.bottom === 0 &&
    padInfo.right === 0 &&
    // One filter row in at most 8 vectors: longer rows take several passes over dy and lose to the GEMM
    // (LeNet-3's conv2, 90 floats a row: 54 vs 46 ms; LeNet-1's, 30 floats: 6.9 vs 7.9 ms).
    info.filterWidth * info.inChannels <= 32;
  if (unpaddedStride1) return conv2DBackpropInputDirect(backend, inputs.dy, inputs.filter, info);
  return conv2DBackpropInputGemm(backend, inputs.dy, inputs.filter, info);
}

export type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

function geometry(info: ConvInfo): ConvGeometry {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/**
 * dW = patchesᵀ · dy as one XNNPACK GEMM, patchesᵀ[(i, j, ci)][(b, y, x)] built by eff's SIMD module (kernels.c).
 * As fast as a convolution of x with dy as a dilated filter when channels are many, ~2–3× faster when few
 * (LeNet's first layer, where XNNPACK's convolution wastes most SIMD lanes).
 */
export function conv2DBackpropFilterGemm(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const { filterHeight, filterWidth, inChannels, outChannels } = info;
  const rows = filterHeight * filterWidth * inChannels;
  const pixels = info.batchSize * info.outHeight * info.outWidth;
  const cols = backend.makeOutput([1, rows, pixels], 'float32');
  simdKernels(backend).im2col_t(heapOffset(backend, x), heapOffset(backend, cols), ...geometry(info));
  const dy3 = reshape(backend, dy, [1, pixels, outChannels]);
  const dW3 = runWasmKernel(
    backend,
    'BatchMatMul',
    { a: cols, b: dy3 },
    { transposeA: false, transposeB: false },
  );
  const dW = reshape(backend, dW3, [filterHeight, filterWidth, inChannels, outChannels]);
  release(backend, cols, dy3, dW3);
  return dW;
}

/**
 * dx = col2im(dy · Wᵀ): one XNNPACK GEMM for the patch gradients, then eff's SIMD module adds each patch back.
 * Only useful multiply-adds, where the full-correlation form (a Conv2D of zero-padded dy with the rotated filter)
 * also multiplies the padding: 1.4–2.2× faster on LeNet-1 and LeNet-3 shapes.
 */
export function conv2DBackpropInputGemm(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const { filterHeight, filterWidth, inChannels, outChannels } = info;
  const rows = filterHeight * filterWidth * inChannels;
  const pixels = info.batchSize * info.outHeight * info.outWidth;
  const dy3 = reshape(backend, dy, [1, pixels, outChannels]);
  const w3 = reshape(backend, filter, [1, rows, outChannels]);
  const cols = runWasmKernel(
    backend,
    'BatchMatMul',
    { a: dy3, b: w3 },
    { transposeA: false, transposeB: true },
  );
  release(backend, dy3, w3);
  const dx = backend.makeOutput(info.inShape, 'float32');
  heapView(backend, dx).fill(0);
  simdKernels(backend).col2im(heapOffset(backend, cols), heapOffset(backend, dx), ...geometry(info));
  release(backend, cols);
  return dx;
}

/** One input channel, stride 1, no dilation, and outputs to compute: eff's direct single-channel kernels apply. */
export function singleChannelStride1(info: ConvInfo): boolean {
  return info.inChannels === 1 && stride1WithOutput(info);
}

function geometryC1(info: ConvInfo): ConvC1Geometry {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** Floats of one zero-padded input plane as kernels.c lays it out (rows × a row padded to whole vectors). */
function planeFloats(info: ConvInfo): number {
  const rowFloats = Math.ceil(info.outWidth / 4) * 4;
  return (info.outHeight + info.filterHeight - 1) * (rowFloats + info.filterWidth - 1);
}

/**
 * Conv2D of a single-channel input, stride 1, in eff's SIMD module (conv2d_c1 in kernels.c); with
 * `softplusBias`, softplus(conv + bias) in the same pass (conv2d_c1_bias_softplus, LeNet's first layer).
 */
export function conv2DC1(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
  softplusBias?: TensorInfo,
): TensorInfo {
  // The padded input plane, then (with softplus) the bias tiled along one output row.
  const scratchFloats = planeFloats(info) + (softplusBias ? info.outWidth * info.outChannels : 0);
  const scratch = backend.makeOutput([scratchFloats], 'float32');
  const out = backend.makeOutput(info.outShape, 'float32');
  const { inHeight, inWidth, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const filterFloats = filterHeight * filterWidth * outChannels;
  runSplitKernel(
    backend,
    softplusBias ? 'conv2d_c1_bias_softplus' : 'conv2d_c1',
    info.batchSize,
    [
      { role: 'in', tensor: x, floatsPerImage: inHeight * inWidth },
      { role: 'whole', tensor: filter, floats: filterFloats },
      ...(softplusBias ? [{ role: 'whole' as const, tensor: softplusBias, floats: outChannels }] : []),
      { role: 'out', tensor: out, floatsPerImage: outHeight * outWidth * outChannels },
      { role: 'scratch', tensor: scratch, floats: scratchFloats },
    ],
    geometryC1(info).slice(1),
  );
  release(backend, scratch);
  return out;
}

/**
 * dW of a single-channel, stride-1 Conv2D in eff's SIMD module (conv2d_c1_filter): per image, dy transposed to
 * channel planes, then each tap a dot product along output rows. No im2col matrix (25× the input) is written.
 */
export function conv2DBackpropFilterC1(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const dyPlanes = info.outChannels * info.outHeight * Math.ceil(info.outWidth / 4) * 4;
  const scratch = backend.makeOutput([planeFloats(info) + dyPlanes], 'float32');
  const dW = backend.makeOutput(info.filterShape, 'float32');
  heapView(backend, dW).fill(0);
  const { inHeight, inWidth, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  runSplitKernel(
    backend,
    'conv2d_c1_filter',
    info.batchSize,
    [
      { role: 'in', tensor: x, floatsPerImage: inHeight * inWidth },
      { role: 'in', tensor: dy, floatsPerImage: outHeight * outWidth * outChannels },
      { role: 'sum', tensor: dW, floats: filterHeight * filterWidth * outChannels },
      { role: 'scratch', tensor: scratch, floats: planeFloats(info) + dyPlanes },
    ],
    geometryC1(info).slice(1),
  );
  release(backend, scratch);
  return dW;
}

/**
 * dW with output channels in whole vectors (LeNet's conv2 and wider), directly in eff's SIMD module
 * (conv2d_filter_vec): per image and filter tap, three input channels × sixteen output channels accumulate in
 * registers. Writes no im2col matrix (150× the output pixels for LeNet's conv2), which the GEMM path streams
 * through memory twice.
 */
export function conv2DBackpropFilterDirect(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const dW = backend.makeOutput(info.filterShape, 'float32');
  heapView(backend, dW).fill(0);
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  runSplitKernel(
    backend,
    'conv2d_filter_vec',
    info.batchSize,
    [
      { role: 'in', tensor: x, floatsPerImage: inHeight * inWidth * inChannels },
      { role: 'in', tensor: dy, floatsPerImage: outHeight * outWidth * outChannels },
      { role: 'sum', tensor: dW, floats: info.filterShape.reduce((a, b) => a * b, 1) },
    ],
    [...directGeometry(info), info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left],
  );
  return dW;
}

/**
 * dx of a stride-1, unpadded Conv2D (LeNet's conv2) directly in eff's SIMD module (conv2d_input_direct): each output
 * pixel's patch gradient is added to dx one filter row (fw × inC contiguous floats) at a time, with the filter
 * transposed to [fh][outC][fw·inC] here. Writes no patch-gradient matrix (25,600 × 150 floats on LeNet-1's conv2).
 */
export function conv2DBackpropInputDirect(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
): TensorInfo {
  const { filterHeight, filterWidth, inChannels, outChannels } = info;
  const run = filterWidth * inChannels;
  const runPadded = Math.ceil(run / 4) * 4;
  const wt = backend.makeOutput([filterHeight * outChannels * runPadded], 'float32');
  const dx = backend.makeOutput(info.inShape, 'float32');
  // Views after the last allocation (growing the heap detaches earlier ones).
  const w = heapView(backend, filter);
  const t = heapView(backend, wt);
  t.fill(0);
  for (let i = 0; i < filterHeight; i++) {
    for (let co = 0; co < outChannels; co++) {
      const base = (i * outChannels + co) * runPadded;
      for (let k = 0; k < run; k++) t[base + k] = w[(i * run + k) * outChannels + co] ?? 0;
    }
  }
  heapView(backend, dx).fill(0);
  const { inHeight, inWidth, outHeight, outWidth } = info;
  runSplitKernel(
    backend,
    'conv2d_input_direct',
    info.batchSize,
    [
      { role: 'in', tensor: dy, floatsPerImage: outHeight * outWidth * outChannels },
      { role: 'whole', tensor: wt, floats: filterHeight * outChannels * runPadded },
      {
        role: 'out',
        tensor: dx,
        floatsPerImage: inHeight * inWidth * inChannels,
        zero: true,
      },
    ],
    [inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth],
  );
  release(backend, wt);
  return dx;
}
