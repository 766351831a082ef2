// @ts-nocheck
// Registers on the wasm backend the kernels it lacks (or runs slowly) for training LeNet-k and BCNN-k.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-wasm';
import { adamUpdateKernelName, adamUpdateWasm } from './adam.js';
import { batchMatMulWasm, fusedMatMulWasm } from './batch-mat-mul.js';
import {
  convSoftplusKernelName,
  convSoftplusWasm,
  softplusGradKernelName,
  softplusGradWasm,
} from './conv-softplus.js';
import {
  conv2DBackpropFilterWasm,
  conv2DBackpropInputWasm,
  conv2DWasm,
  fusedConv2DWasm,
} from './conv2d-backprop.js';
import { dropoutMaskKernelName, dropoutMaskWasm } from './dropout-mask.js';
import { addWasm, castWasm, identityWasm } from './elementwise.js';
import { maxPoolGradWasm, maxPoolWasm } from './max-pool-grad.js';
import { softplusWasm } from './softplus.js';
import { sumWasm } from './sum.js';
import { builtinKernel, keepBuiltinKernel, runBuiltinKernel } from './wasm-kernel-utils.js';

interface OwnKernel {
  kernelName: string;
  kernelFunc: tf.KernelFunc;
  /** Why eff provides it: the wasm backend has none, its own is slow, or it is eff's own (dropoutMask). */
  reason: 'missing' | 'faster' | 'eff';
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
  { kernelName: 'BatchMatMul', kernelFunc: batchMatMulWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: '_FusedMatMul', kernelFunc: fusedMatMulWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: 'MaxPoolGrad', kernelFunc: maxPoolGradWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: 'Softplus', kernelFunc: softplusWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: 'Sum', kernelFunc: sumWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: 'Conv2D', kernelFunc: conv2DWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: 'FusedConv2D', kernelFunc: fusedConv2DWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: 'Add', kernelFunc: addWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: 'Identity', kernelFunc: identityWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: 'Cast', kernelFunc: castWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: 'MaxPool', kernelFunc: maxPoolWasm as unknown as tf.KernelFunc, reason: 'faster' },
  { kernelName: adamUpdateKernelName, kernelFunc: adamUpdateWasm as unknown as tf.KernelFunc, reason: 'eff' },
  {
    kernelName: convSoftplusKernelName,
    kernelFunc: convSoftplusWasm as unknown as tf.KernelFunc,
    reason: 'eff',
  },
  {
    kernelName: softplusGradKernelName,
    kernelFunc: softplusGradWasm as unknown as tf.KernelFunc,
    reason: 'eff',
  },
  {
    kernelName: dropoutMaskKernelName,
    kernelFunc: dropoutMaskWasm as unknown as tf.KernelFunc,
    reason: 'eff',
  },
];

/**
 * Registers eff's training kernels on the wasm backend (idempotent) and returns their names.
 * Safe before or after `tf.setBackend('wasm')`; kernels are looked up per call, so it takes effect at once.
 */
export function registerWasmTrainingKernels(): string[] {
  return selectWasmTrainingKernels(ownKernels.map((k) => k.kernelName));
}

/**
 * Uses eff's kernels named in `names` and the wasm backend's own for the rest (benchmarks compare the two);
 * returns the names now in use. Kernels the wasm backend lacks, and eff's own, are always registered.
 */
export function selectWasmTrainingKernels(names: readonly string[]): string[] {
  const used: string[] = [];
  for (const own of ownKernels) {
    const wanted = own.reason !== 'faster' || names.includes(own.kernelName);
    const current = tf.getKernel(own.kernelName, 'wasm');
    const ours = current?.kernelFunc === own.kernelFunc;
    if (wanted) used.push(own.kernelName);
    if (wanted === ours) continue;
    if (current !== undefined) {
      if (!ours) keepBuiltinKernel(current);
      tf.unregisterKernel(own.kernelName, 'wasm');
    }
    if (wanted) {
      tf.registerKernel({ kernelName: own.kernelName, backendName: 'wasm', kernelFunc: own.kernelFunc });
    } else if (builtinKernel(own.kernelName) !== undefined) {
      // Through runBuiltinKernel: the original's setup may not have run if eff's kernel was in place at start-up.
      const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) =>
        runBuiltinKernel(
          backend as BackendWasm,
          own.kernelName,
          inputs as Record<string, tf.TensorInfo>,
          attrs,
        );
      tf.registerKernel({ kernelName: own.kernelName, backendName: 'wasm', kernelFunc });
    }
  }
  return used;
}

// Importing @eff/models registers tfjs-backend-wasm, which Node's tfjs then picks by default; without these
// kernels that default could not train a convnet, so they are registered on import too (idempotent, wasm only).
registerWasmTrainingKernels();
