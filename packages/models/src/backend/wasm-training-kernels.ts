// Registers on the wasm backend the kernels it lacks (or runs slowly) for training LeNet-k and BCNN-k.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropFilterWasm, conv2DBackpropInputWasm } from './conv2d-backprop.js';

interface OwnKernel {
  kernelName: string;
  kernelFunc: tf.KernelFunc;
  /** Why eff provides it: the wasm backend has none, or its own is slow. */
  reason: 'missing' | 'faster';
}

const ownKernels: OwnKernel[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc,
    reason: 'missing',
  },
  {
    kernelName: 'Conv2DBackpropInput',
    kernelFunc: conv2DBackpropInputWasm as unknown as tf.KernelFunc,
    reason: 'faster',
  },
];

/**
 * Registers eff's training kernels on the wasm backend (idempotent) and returns their names.
 * Safe before or after `tf.setBackend('wasm')`; kernels are looked up per call, so it takes effect at once.
 */
export function registerWasmTrainingKernels(): string[] {
  for (const own of ownKernels) {
    const current = tf.getKernel(own.kernelName, 'wasm');
    if (current?.kernelFunc === own.kernelFunc) continue;
    if (current !== undefined) tf.unregisterKernel(own.kernelName, 'wasm');
    tf.registerKernel({ kernelName: own.kernelName, backendName: 'wasm', kernelFunc: own.kernelFunc });
  }
  return ownKernels.map((k) => k.kernelName);
}
