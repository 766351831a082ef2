// @ts-nocheck
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

/** The wasm backend's own kernels that eff replaced, kept because eff's versions delegate to them. */
const builtinKernels = new Map<string, tf.KernelConfig>();
/** Backends on which a kept kernel's setup (its cwrap of the wasm export) has run. */
const builtinSetUp = new Map<string, WeakSet<object>>();

export function keepBuiltinKernel(config: tf.KernelConfig): void {
  if (!builtinKernels.has(config.kernelName)) builtinKernels.set(config.kernelName, config);
}

export function builtinKernel(kernelName: string): tf.KernelConfig | undefined {
  return builtinKernels.get(kernelName);
}

/**
 * Runs the wasm backend's original kernel. Its setup normally runs when the backend starts, but only for kernels
 * registered then; eff may have replaced it before that, so the setup runs here once per backend.
 */
export function runBuiltinKernel(
  backend: BackendWasm,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const config = builtinKernels.get(kernelName);
  if (config === undefined) throw new WasmKernelMissingError(kernelName);
  let done = builtinSetUp.get(kernelName);
  if (done === undefined) {
    done = new WeakSet();
    builtinSetUp.set(kernelName, done);
  }
  if (!done.has(backend)) {
    config.setupFunc?.(backend);
    done.add(backend);
  }
  const out = config.kernelFunc({ inputs, backend, attrs } as unknown as Parameters<tf.KernelFunc>[0]);
  if (Array.isArray(out))
    throw new Error(`wasm kernel '${kernelName}' returned ${out.length} outputs; expected one`);
  return out;
}

/** A float32 view of a tensor's bytes in the wasm heap. Take it after the last allocation: growth detaches views. */
export function heapView(backend: BackendWasm, info: TensorInfo): Float32Array {
  if (info.dtype !== 'float32')
    throw new Error(`eff's wasm kernels expect float32 tensors but got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}
