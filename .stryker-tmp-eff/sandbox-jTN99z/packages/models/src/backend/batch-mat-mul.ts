// @ts-nocheck
// BatchMatMul and _FusedMatMul for the wasm backend: with helper threads, dense layers' products split by row in
// eff's SIMD module; otherwise transposes first so the product takes XNNPACK's fast untransposed path.
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { wasmThreads } from './simd/helper-threads.js';
import { runSplitKernel } from './simd/simd-module.js';
import {
  heapView,
  release,
  reshape,
  runBuiltinKernel,
  type TensorInfo,
  transpose,
} from './wasm-kernel-utils.js';

/** Below this many multiply-adds a product stays on XNNPACK: splitting costs more than it saves. */
const SPLIT_MIN_MACS = 1_000_000;

/** [M, K] x [K, N] dims of a 2-D (or batch-1) float32 product, or undefined when eff's split GEMMs do not apply. */
function splitDims(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): { m: number; k: number; n: number } | undefined {
  if (wasmThreads() < 2 || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const lead = (x: TensorInfo) => x.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  if (a.shape.length < 2 || b.shape.length < 2 || lead(a) !== 1 || lead(b) !== 1) return undefined;
  const [ar = 0, ac = 0] = a.shape.slice(-2);
  const [br = 0, bc = 0] = b.shape.slice(-2);
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  if ((transposeB ? bc : br) !== k || m * k * n < SPLIT_MIN_MACS) return undefined;
  return { m, k, n };
}

/**
 * a · b (+ bias) split by rows of a across helper threads. Transposed operands are materialised first (tfjs's
 * Transpose): for a weight gradient aᵀ · b, rows of aᵀ read contiguous memory, where splitting the shared rows of
 * a and b would read a column-wise (measured on LeNet-1's fc1: 0.84 ms that way against XNNPACK's 0.95).
 */
function splitMatMul(
  backend: BackendWasm,
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo },
  transposeA: boolean,
  transposeB: boolean,
  dims: { m: number; k: number; n: number },
  outShape: number[],
): TensorInfo {
  const { m, k, n } = dims;
  const a = transposeA ? transposeLastTwo(backend, inputs.a) : inputs.a;
  const b = transposeB ? transposeLastTwo(backend, inputs.b) : inputs.b;
  const out = backend.makeOutput(outShape, 'float32');
  const { bias } = inputs;
  runSplitKernel(
    backend,
    'gemm_rows',
    m,
    [
      { role: 'in', tensor: a, floatsPerImage: k },
      { role: 'whole', tensor: b, floats: k * n },
      // Without a bias the kernel never reads this buffer; b stands in so the pointer is valid.
      bias === undefined
        ? { role: 'whole', tensor: b, floats: 0 }
        : { role: 'whole', tensor: bias, floats: n },
      { role: 'out', tensor: out, floatsPerImage: n },
    ],
    [k, n, bias === undefined ? 0 : 1],
  );
  if (a !== inputs.a) release(backend, a);
  if (b !== inputs.b) release(backend, b);
  return out;
}

function productShape(a: TensorInfo, m: number, n: number): number[] {
  return [...a.shape.slice(0, -2), m, n];
}

/**
 * The wasm backend's BatchMatMul is ~9× slower with transposeA or transposeB (a scalar loop instead of XNNPACK),
 * and every dense layer's backward pass uses both. A transpose costs a fraction of the product.
 */
export function batchMatMulWasm(args: {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { transposeA, transposeB } = attrs;
  const dims = splitDims(inputs.a, inputs.b, transposeA, transposeB);
  if (dims !== undefined)
    return splitMatMul(backend, inputs, transposeA, transposeB, dims, productShape(inputs.a, dims.m, dims.n));
  if (!transposeA && !transposeB) return runBuiltinKernel(backend, 'BatchMatMul', inputs, attrs);
  const a = transposeA ? transposeLastTwo(backend, inputs.a) : inputs.a;
  const b = transposeB ? transposeLastTwo(backend, inputs.b) : inputs.b;
  const out = runBuiltinKernel(backend, 'BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  if (a !== inputs.a) release(backend, a);
  if (b !== inputs.b) release(backend, b);
  return out;
}

function transposeLastTwo(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2] ?? 1;
  const cols = x.shape[rank - 1] ?? 1;
  const outer = x.shape.slice(0, -2);
  const batch = outer.reduce((p, d) => p * d, 1);
  const x3 = reshape(backend, x, [batch, rows, cols]);
  const t3 = transpose(backend, x3, [0, 2, 1]);
  const t = reshape(backend, t3, [...outer, cols, rows]);
  release(backend, x3, t3);
  return t;
}

/**
 * _FusedMatMul (tfjs-layers' dense: a · b + bias, activation) without an activation, with helper threads running:
 * eff's split GEMM (bias added in the same pass); everything else runs the wasm backend's own, on untransposed
 * operands.
 */
export function fusedMatMulWasm(args: {
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean; activation?: string };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { transposeA, transposeB } = attrs;
  const dims = splitDims(inputs.a, inputs.b, transposeA, transposeB);
  const { bias } = inputs;
  const simple =
    (attrs.activation === undefined || attrs.activation === 'linear') &&
    inputs.preluActivationWeights == null &&
    !transposeA &&
    (bias == null || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === dims?.n));
  if (dims !== undefined && simple) {
    const split = { a: inputs.a, b: inputs.b, ...(bias == null ? {} : { bias }) };
    return splitMatMul(backend, split, false, transposeB, dims, productShape(inputs.a, dims.m, dims.n));
  }
  // tfjs-backend-wasm 4.22's own _FusedMatMul adds the bias wrongly when an operand is transposed (LeNet-sized
  // and 4×3×5 products, transposeB with a bias: errors of 1–26 against cpu), so operands go in untransposed.
  const a = transposeA ? transposeLastTwo(backend, inputs.a) : inputs.a;
  const b = transposeB ? transposeLastTwo(backend, inputs.b) : inputs.b;
  const out = runBuiltinKernel(
    backend,
    '_FusedMatMul',
    { ...inputs, a, b } as Record<string, TensorInfo>,
    { ...attrs, transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap,
  );
  if (a !== inputs.a) release(backend, a);
  if (b !== inputs.b) release(backend, b);
  return out;
}
