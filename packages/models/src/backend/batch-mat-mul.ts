// BatchMatMul for the wasm backend: transposes first so the product always takes XNNPACK's fast untransposed path.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { release, reshape, runBuiltinKernel, type TensorInfo, transpose } from './wasm-kernel-utils.js';

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
