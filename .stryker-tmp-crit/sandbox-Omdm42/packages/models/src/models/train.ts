// @ts-nocheck
// Compiling with the paper's training settings, Monte-Carlo prediction and accuracy for LeNet and BCNN models.
import * as tf from '@tensorflow/tfjs';
import { fusedAdam } from '../backend/adam.js';
import { ModelConfigError } from './errors.js';
import { isVariationalLayer } from './variational.js';

/** Optimisers `compileModel` can set up. */
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

/** Options of `compileModel`; defaults are the paper's Tables 1–2. */
export interface CompileArgs {
  /** Default 1e-3. */
  learningRate?: number;
  /** Default 'adam'. */
  optimizer?: OptimizerName;
  /**
   * Bayes-by-Backprop models only, and required for them: N, the number of training examples.
   * The loss becomes mean-NLL·N + β·KL, as in the authors' `ELBO(len(trainset))` (they passed 60,000 for MNIST).
   */
  trainSize?: number;
}

/** tfjs layers whose output is random only with `training: true`. */
const NOISE_LAYERS = new Set([
  'Dropout',
  'EffDropout',
  'SpatialDropout1D',
  'AlphaDropout',
  'GaussianDropout',
  'GaussianNoise',
]);

/** True when the model has layers that act differently with `training: true` (dropout/noise or variational layers). */
export function isStochasticModel(model: tf.LayersModel): boolean {
  return model.layers.some((layer) => isVariationalLayer(layer) || NOISE_LAYERS.has(layer.getClassName()));
}

/** True when the model has Bayes-by-Backprop layers. */
export function isBayesByBackprop(model: tf.LayersModel): boolean {
  return model.layers.some((layer) => isVariationalLayer(layer));
}

/** tfjs-layers' (protected) record of whether `model.dispose()` also disposes the compiled optimizer. */
interface OptimizerOwnership {
  optimizer_?: tf.Optimizer;
  isOptimizerOwned: boolean;
}

/**
 * Compiles with categorical cross-entropy and the accuracy metric (Adam 1e-3 by default).
 * For Bayes-by-Backprop models the compiled loss is the cross-entropy times `trainSize`; the layers add β·KL,
 * so the loss tfjs minimises and reports is NLL·N + β·KL per batch.
 *
 * The model owns the optimizer made here: `model.dispose()` frees it with the weights, i.e. Adam's two moments
 * per weight and its two β-power scalars (8 bytes per parameter + 8). tfjs only does that for optimizers it made
 * from a name, so without this every run left them behind. Compiling again frees the previous one.
 * Throws `ModelConfigError` for a bad learning rate, optimizer or `trainSize` (before anything is allocated).
 */
export function compileModel(model: tf.LayersModel, args: CompileArgs = {}): void {
  const learningRate = args.learningRate ?? 1e-3;
  if (!(learningRate > 0 && Number.isFinite(learningRate))) {
    throw new ModelConfigError('learningRate', 'a finite number > 0', learningRate);
  }
  const name = args.optimizer ?? 'adam';
  if (name !== 'adam' && name !== 'sgd' && name !== 'rmsprop') {
    throw new ModelConfigError('optimizer', "'adam', 'sgd' or 'rmsprop'", name);
  }
  const bayesByBackprop = isBayesByBackprop(model);
  const trainSize = args.trainSize;
  if (!bayesByBackprop && trainSize !== undefined) {
    throw new ModelConfigError(
      'trainSize',
      'no value: it only scales the loss of Bayes-by-Backprop models',
      trainSize,
    );
  }
  if (bayesByBackprop && (trainSize === undefined || !Number.isInteger(trainSize) || trainSize < 1)) {
    throw new ModelConfigError(
      'trainSize',
      'the number of training examples N (an integer >= 1): a Bayes-by-Backprop loss is NLL·N + β·KL',
      trainSize,
    );
  }
  // tfjs's Adam with each variable's update fused into one kernel on wasm (backend/adam.ts); same results.
  const optimizer =
    name === 'adam'
      ? fusedAdam(learningRate)
      : name === 'sgd'
        ? tf.train.sgd(learningRate)
        : tf.train.rmsprop(learningRate);
  const loss = bayesByBackprop
    ? (yTrue: tf.Tensor, yPred: tf.Tensor) =>
        tf.tidy(() => tf.mul(tf.metrics.categoricalCrossentropy(yTrue, yPred), trainSize as number))
    : 'categoricalCrossentropy';
  const ownership = model as unknown as OptimizerOwnership;
  const previous = ownership.isOptimizerOwned ? ownership.optimizer_ : undefined;
  try {
    model.compile({ optimizer, loss, metrics: ['accuracy'] });
  } catch (err) {
    optimizer.dispose();
    throw err;
  }
  previous?.dispose();
  ownership.isOptimizerOwned = true;
}

/** Options of `predictMc` and `evaluateAccuracy`. */
export interface PredictArgs {
  /** T, the number of stochastic forward passes averaged. Default 1 (the paper's "test ensemble 1"). */
  samples?: number;
  /** Images per forward pass. Default 256. */
  batchSize?: number;
}

function resolvePredict(args: PredictArgs): { samples: number; batchSize: number } {
  const samples = args.samples ?? 1;
  const batchSize = args.batchSize ?? 256;
  if (!Number.isInteger(samples) || samples < 1)
    throw new ModelConfigError('samples', 'an integer T >= 1', samples);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ModelConfigError('batchSize', 'an integer >= 1', batchSize);
  }
  return { samples, batchSize };
}

/**
 * Monte-Carlo prediction: the mean of T class-probability outputs, each a forward pass with `training: true`
 * so dropout masks (MC-dropout) or weight samples (Bayes-by-Backprop) are drawn afresh. The models hold no
 * other training-dependent layer (no batch norm), so nothing else changes. Returns [n, classes].
 */
export function predictMc(model: tf.LayersModel, xs: tf.Tensor, args: PredictArgs = {}): tf.Tensor2D {
  const { samples, batchSize } = resolvePredict(args);
  const n = xs.shape[0] ?? 0;
  const parts: tf.Tensor[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      parts.push(
        tf.tidy(() => {
          const batch = xs.slice(start, Math.min(batchSize, n - start));
          let sum: tf.Tensor | null = null;
          for (let t = 0; t < samples; t++) {
            const p = model.apply(batch, { training: true }) as tf.Tensor;
            sum = sum === null ? p : tf.add(sum, p);
          }
          return tf.div(sum as tf.Tensor, samples);
        }),
      );
    }
    return (parts.length === 1 ? (parts[0] as tf.Tensor).clone() : tf.concat(parts, 0)) as tf.Tensor2D;
  } finally {
    tf.dispose(parts);
  }
}

/**
 * Fraction of images whose most probable class is the label, in [0, 1]. `labels` are one-hot [n, classes],
 * class indices (Uint8Array, number[], or a 1-D tensor). Stochastic models (MC-dropout, Bayes-by-Backprop) are
 * evaluated with `predictMc` (T = `samples`, default 1); deterministic ones with `model.predict`.
 */
export async function evaluateAccuracy(
  model: tf.LayersModel,
  xs: tf.Tensor,
  labels: tf.Tensor | Uint8Array | readonly number[],
  args: PredictArgs = {},
): Promise<number> {
  const { samples, batchSize } = resolvePredict(args);
  const stochastic = isStochasticModel(model);
  if (!stochastic && samples > 1) {
    throw new ModelConfigError(
      'samples',
      `1 for the deterministic model '${model.name}' (it has no dropout or variational layers)`,
      samples,
    );
  }
  const n = xs.shape[0] ?? 0;
  if (n === 0) throw new ModelConfigError('xs', 'at least one image', 'an empty tensor');
  const probs = stochastic
    ? predictMc(model, xs, { samples, batchSize })
    : (model.predict(xs, { batchSize }) as tf.Tensor);
  let predicted: tf.Tensor;
  try {
    predicted = tf.argMax(probs, -1);
  } finally {
    probs.dispose();
  }
  try {
    const got = await predicted.data();
    const truth = await labelIndices(labels, n);
    let correct = 0;
    for (let i = 0; i < n; i++) if (got[i] === truth[i]) correct++;
    return correct / n;
  } finally {
    predicted.dispose();
  }
}

async function labelIndices(
  labels: tf.Tensor | Uint8Array | readonly number[],
  n: number,
): Promise<ArrayLike<number>> {
  let out: ArrayLike<number>;
  if (labels instanceof tf.Tensor) {
    if (labels.rank === 2) {
      const idx = tf.argMax(labels, -1);
      try {
        out = await idx.data();
      } finally {
        idx.dispose();
      }
    } else if (labels.rank === 1) out = await labels.data();
    else
      throw new ModelConfigError(
        'labels',
        'one-hot [n, classes] or class indices [n]',
        `a rank-${labels.rank} tensor`,
      );
  } else out = labels;
  if (out.length !== n)
    throw new ModelConfigError('labels', `${n} labels (one per image)`, `${out.length} labels`);
  return out;
}
