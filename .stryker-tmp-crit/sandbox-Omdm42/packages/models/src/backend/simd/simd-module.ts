// @ts-nocheck
// Instantiates eff's SIMD kernels (kernels.c) on the wasm backend's own memory, so they read and write tensors in place.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo } from '../wasm-kernel-utils.js';
import { runSplit, type SplitBuffer } from './helper-threads.js';
import { simdKernelsWasmBase64 } from './simd-kernels.wasm.js';

/** batch, inH, inW, inC, outH, outW, filterH, filterW, strideH, strideW, padTop, padLeft */
export type ConvGeometry = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** batch, inH, inW, outH, outW, outC, filterH, filterW, padTop, padLeft (one input channel, stride 1) */
export type ConvC1Geometry = [number, number, number, number, number, number, number, number, number, number];

/** batch, inH, inW, inC, outH, outW, outC, filterH, filterW, strideH, strideW, padTop, padLeft */
export type ConvGeometryWithOutChannels = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** batch, inH, inW, inC, outH, outW, outC, filterH, filterW (stride 1, no padding) */
export type DirectConvGeometry = [number, number, number, number, number, number, number, number, number];

/** batch, inH, inW, channels, outH, outW (NHWC pooling) */
export type PoolGeometry = [number, number, number, number, number, number];

export interface SimdKernels {
  softplus(x: number, y: number, n: number): void;
  adam_update(
    w: number,
    m: number,
    v: number,
    g: number,
    wOut: number,
    mOut: number,
    vOut: number,
    n: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    oneMinusAcc1: number,
    oneMinusAcc2: number,
    epsilon: number,
    learningRate: number,
  ): void;
  add_tiled(x: number, pattern: number, out: number, n: number, period: number): void;
  conv2d_c1(x: number, w: number, out: number, scratch: number, ...geometry: ConvC1Geometry): void;
  conv2d_c1_bias_softplus(
    x: number,
    w: number,
    bias: number,
    out: number,
    scratch: number,
    ...geometry: ConvC1Geometry
  ): void;
  softplus_grad_from_output(dy: number, y: number, dx: number, n: number): void;
  conv2d_c1_filter(x: number, dy: number, dw: number, scratch: number, ...geometry: ConvC1Geometry): void;
  dropout_mask(out: number, n: number, seedA: number, seedB: number, keep: number, scale: number): void;
  sum_leading(x: number, y: number, rows: number, cols: number): void;
  im2col_t(x: number, cols: number, ...geometry: ConvGeometry): void;
  col2im(cols: number, dx: number, ...geometry: ConvGeometry): void;
  conv2d_input_direct(dy: number, wt: number, dx: number, ...geometry: DirectConvGeometry): void;
  conv2d_filter_vec(x: number, dy: number, dw: number, ...geometry: ConvGeometryWithOutChannels): void;
  gemm_rows(
    a: number,
    b: number,
    bias: number,
    c: number,
    rows: number,
    k: number,
    n: number,
    hasBias: number,
  ): void;
  conv2d_vec(
    x: number,
    w: number,
    bias: number,
    out: number,
    ...geometry: [...DirectConvGeometry, number]
  ): void;
  max_pool_2x2(x: number, y: number, ...geometry: PoolGeometry): void;
  max_pool_grad_2x2(x: number, dy: number, dx: number, ...geometry: PoolGeometry): void;
  max_pool_grad(
    x: number,
    dy: number,
    dx: number,
    ...geometry: [
      ...PoolGeometry,
      filterHeight: number,
      filterWidth: number,
      strideHeight: number,
      strideWidth: number,
      padTop: number,
      padLeft: number,
    ]
  ): void;
}

/** The tfjs wasm module's heap is not where eff expects it (a tfjs-backend-wasm other than 4.22?). */
export class WasmHeapUnavailableError extends Error {
  readonly code = 'EFF_WASM_HEAP_UNAVAILABLE';
  constructor(found: string) {
    super(
      `eff's SIMD kernels need the tfjs wasm backend's WebAssembly.Memory (module.asm.memory) but found ${found}; ` +
        `use @tensorflow/tfjs-backend-wasm 4.22 or useBackend('cpu').`,
    );
    this.name = 'WasmHeapUnavailableError';
  }
}

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<BackendWasm, SimdKernels>();

/** eff's SIMD kernels bound to this backend's heap (one instance per backend, made on first use). */
export function simdKernels(backend: BackendWasm): SimdKernels {
  const known = instances.get(backend);
  if (known !== undefined) return known;
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new WasmHeapUnavailableError(typeof memory);
  compiled ??= new WebAssembly.Module(Buffer.from(simdKernelsWasmBase64, 'base64'));
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  const kernels = instance.exports as unknown as SimdKernels;
  instances.set(backend, kernels);
  return kernels;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: BackendWasm, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId) as { memoryOffset?: number } | undefined;
  if (data?.memoryOffset == null)
    throw new Error(`tensor ${JSON.stringify(info.shape)} has no data in the wasm heap`);
  return data.memoryOffset;
}

/** A float32 view of the whole wasm heap. Take it after the last allocation: growth detaches views. */
export function heapFloats(backend: BackendWasm): Float32Array {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new WasmHeapUnavailableError(typeof memory);
  return new Float32Array(memory.buffer);
}

/** eff's kernels that split their batch across helper threads (helper-threads.ts): pointers, then the batch size. */
export type SplitKernelName =
  | 'conv2d_c1'
  | 'conv2d_c1_bias_softplus'
  | 'conv2d_c1_filter'
  | 'conv2d_filter_vec'
  | 'conv2d_input_direct'
  | 'conv2d_vec'
  | 'gemm_rows';

/** A SplitBuffer (see helper-threads.ts) given as a tensor of this backend rather than a heap offset. */
export type TensorBuffer =
  | { role: 'in' | 'out'; tensor: TensorInfo; floatsPerImage: number; zero?: boolean }
  | { role: 'whole' | 'sum' | 'scratch'; tensor: TensorInfo; floats: number };

/** Runs `kernel(...buffers' pointers, batch, ...rest)` on this backend's tensors, split across helper threads. */
export function runSplitKernel(
  backend: BackendWasm,
  kernel: SplitKernelName,
  batch: number,
  buffers: TensorBuffer[],
  rest: number[],
): void {
  const run = simdKernels(backend)[kernel] as (...args: number[]) => void;
  const split = buffers.map(
    ({ tensor, ...b }) => ({ ...b, offsetB: heapOffset(backend, tensor) }) as SplitBuffer,
  );
  runSplit(kernel, run, () => heapFloats(backend), batch, split, rest);
}
