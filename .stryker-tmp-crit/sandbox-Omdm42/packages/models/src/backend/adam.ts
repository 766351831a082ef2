// @ts-nocheck
// tfjs's Adam with each variable's update as one eff SIMD kernel on wasm instead of ~12 small kernels.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels } from './simd/simd-module.js';
import type { TensorInfo } from './wasm-kernel-utils.js';

/** The eff kernel behind `FusedAdamOptimizer`, registered on wasm only. */
export const adamUpdateKernelName = 'EffAdamUpdate';

interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  oneMinusAcc1: number;
  oneMinusAcc2: number;
  epsilon: number;
  learningRate: number;
}

/** [new value, new first moment, new second moment] of one variable. */
export function adamUpdateWasm(args: {
  inputs: { value: TensorInfo; m: TensorInfo; v: TensorInfo; gradient: TensorInfo };
  backend: BackendWasm;
  attrs: AdamUpdateAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { value, m, v, gradient } = inputs;
  for (const t of [value, m, v, gradient]) {
    if (t.dtype !== 'float32')
      throw new Error(`${adamUpdateKernelName} expects float32 tensors, got ${t.dtype}`);
  }
  const outs = [value, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
  const [w2, m2, v2] = outs as [TensorInfo, TensorInfo, TensorInfo];
  const at = (t: TensorInfo) => heapOffset(backend, t);
  simdKernels(backend).adam_update(
    at(value),
    at(m),
    at(v),
    at(gradient),
    at(w2),
    at(m2),
    at(v2),
    value.shape.reduce((a, b) => a * b, 1),
    attrs.beta1,
    1 - attrs.beta1,
    attrs.beta2,
    1 - attrs.beta2,
    attrs.oneMinusAcc1,
    attrs.oneMinusAcc2,
    attrs.epsilon,
    attrs.learningRate,
  );
  return outs;
}

/** The state of tfjs's AdamOptimizer that `applyGradients` reads (protected fields in tfjs's typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

/**
 * tfjs's `AdamOptimizer` (same state, weights, config and results to float32 rounding) whose per-variable update
 * runs as one eff kernel when the backend is wasm: tfjs's runs ~12 kernels per variable, each a dispatch that
 * costs more than the arithmetic on LeNet-sized variables (~4 ms of a ~50 ms LeNet-1 step). Other backends run
 * tfjs's own update.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (tf.getBackend() !== 'wasm' || tf.getKernel(adamUpdateKernelName, 'wasm') === undefined) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamState;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    tf.tidy(() => {
      const oneMinusAcc1 = tf.sub(1, self.accBeta1).dataSync()[0] ?? Number.NaN;
      const oneMinusAcc2 = tf.sub(1, self.accBeta2).dataSync()[0] ?? Number.NaN;
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        if (value === undefined) throw new Error(`Adam: no registered variable named '${name}'`);
        self.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        self.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const gradient = Array.isArray(variableGradients)
          ? variableGradients[i]?.tensor
          : variableGradients[name];
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i]?.variable as tf.Variable;
        const v = self.accumulatedSecondMoment[i]?.variable as tf.Variable;
        const attrs: AdamUpdateAttrs = {
          beta1: self.beta1,
          beta2: self.beta2,
          oneMinusAcc1,
          oneMinusAcc2,
          epsilon: self.epsilon,
          learningRate: self.learningRate,
        };
        const [w2, m2, v2] = tf
          .engine()
          .runKernel(
            adamUpdateKernelName,
            { value, m, v, gradient },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
        m.assign(m2 as tf.Tensor);
        v.assign(v2 as tf.Tensor);
        value.assign(w2 as tf.Tensor);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  }
}

/**
 * Adam as `tf.train.adam(learningRate, beta1, beta2, epsilon)` builds it (same defaults), with the fused update on
 * wasm. `compileModel` uses it.
 */
export function fusedAdam(
  learningRate = 0.001,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon: number | null = null,
): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon ?? tf.backend().epsilon());
}
