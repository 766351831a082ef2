// Calls existing wasm kernels directly from inside our kernels, so compositions add no tape entries or tensors.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type TensorInfo = tf.TensorInfo;
type NamedAttrMap = tf.NamedAttrMap;

/** A wasm kernel eff needs to build its own was not registered: tfjs-backend-wasm changed or is not loaded. */
export class WasmKernelMissingError extends Error {
  readonly code = 'EFF_WASM_KERNEL_MISSING';
  constructor(readonly kernelName: string) {
    super(
      `The wasm backend has no '${kernelName}' kernel, which eff's training kernels are built from. ` +
        `Import '@tensorflow/tfjs-backend-wasm' (4.22) before registering, or use useBackend('cpu').`,
    );
    this.name = 'WasmKernelMissingError';
  }
}

/**
 * Runs a registered wasm kernel by name on `backend` and returns its output without going through the engine:
 * intermediates of a composed kernel must not be tracked, taped or kept alive after `release`.
 */
export function runWasmKernel(
  backend: BackendWasm,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel === undefined) throw new WasmKernelMissingError(kernelName);
  const out = kernel.kernelFunc({ inputs, backend, attrs } as unknown as Parameters<tf.KernelFunc>[0]);
  if (Array.isArray(out)) {
    throw new Error(`wasm kernel '${kernelName}' returned ${out.length} outputs; eff expected exactly one`);
  }
  return out;
}

/** Frees intermediates made by `runWasmKernel` (reshapes share data by reference count, so this is safe). */
export function release(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runWasmKernel(backend, 'Transpose', { x }, { perm });
}

export function reshape(backend: BackendWasm, x: TensorInfo, shape: number[]): TensorInfo {
  return runWasmKernel(backend, 'Reshape', { x }, { shape });
}

export function slice(backend: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  return runWasmKernel(backend, 'Slice', { x }, { begin, size });
}
