// @ts-nocheck
// LeNet-k: the paper's frequentist baseline (LeNet-5 widened by k), as a tfjs-layers Sequential model.
import * as tf from '@tensorflow/tfjs';
import { FastDropout, LazyGradConv2D } from '../backend/training-layers.js';
import { ModelConfigError } from './errors.js';

/** Activations the builders accept: the paper's table lists softplus; the authors' LeNet code used ReLU. */
export type LeNetActivation = 'softplus' | 'relu';

/** Weight initialisation of the frequentist layers. */
export type LeNetInit = 'default' | 'normal';

/** Options of `lenet`. Every field is optional; defaults are the paper's LeNet-1 on MNIST. */
export interface LeNetArgs {
  /** Width multiplier k: conv1 has 6k filters, conv2 16k, fc1 120k units. Positive integer. Default 1. */
  width?: number;
  /** [height, width, channels] of one image. Default [28, 28, 1] (MNIST); [32, 32, 3] is CIFAR-10. */
  inputShape?: [number, number, number];
  /** Number of classes (units of the softmax layer). Default 10. */
  classes?: number;
  /** Hidden activation. Default 'softplus' (paper Tables 1–2). */
  activation?: LeNetActivation;
  /**
   * 'default' (default): tfjs's defaults — Glorot-uniform kernels, zero biases.
   * 'normal': every kernel drawn from Normal(0, 1), biases zero — the paper's Table 1 taken literally.
   * It trains far more slowly (see docs/models.md).
   */
  init?: LeNetInit;
  /**
   * Padding of conv1. Default: 'same' when the input is 28×28 (so conv2 sees 14×14 as on a 32×32 input),
   * 'valid' otherwise (LeNet-5 on 32×32).
   */
  conv1Padding?: 'same' | 'valid';
  /** Seed of the kernel initialisers, for reproducible weights. Default: unseeded. */
  seed?: number;
  /** Model name. Default `lenet-<k>`. */
  name?: string;
}

/** Units of fc2. Fixed, not scaled by k: the authors' LeNet and BBB-LeNet code keep `Linear(120k, 84)`. */
export const FC2_UNITS = 84;

/** The resolved shape of a LeNet-k; shared by `lenet` and `bcnn`. */
export interface LeNetPlan {
  width: number;
  inputShape: [number, number, number];
  classes: number;
  activation: LeNetActivation;
  conv1Padding: 'same' | 'valid';
  conv1Filters: number;
  conv2Filters: number;
  fc1Units: number;
  fc2Units: number;
}

/** Checks the options shared by LeNet and BCNN and works out layer sizes; throws ModelConfigError on bad input. */
export function planLeNet(args: {
  width?: number;
  inputShape?: [number, number, number];
  classes?: number;
  activation?: LeNetActivation;
  conv1Padding?: 'same' | 'valid';
}): LeNetPlan {
  const width = args.width ?? 1;
  if (!Number.isInteger(width) || width < 1) throw new ModelConfigError('width', 'an integer k >= 1', width);
  const inputShape = args.inputShape ?? [28, 28, 1];
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ModelConfigError('inputShape', '[height, width, channels] of positive integers', inputShape);
  }
  const classes = args.classes ?? 10;
  if (!Number.isInteger(classes) || classes < 2)
    throw new ModelConfigError('classes', 'an integer >= 2', classes);
  const activation = args.activation ?? 'softplus';
  if (activation !== 'softplus' && activation !== 'relu') {
    throw new ModelConfigError('activation', "'softplus' or 'relu'", activation);
  }
  const [h, w] = inputShape;
  const conv1Padding = args.conv1Padding ?? (h === 28 && w === 28 ? 'same' : 'valid');
  if (conv1Padding !== 'same' && conv1Padding !== 'valid') {
    throw new ModelConfigError('conv1Padding', "'same' or 'valid'", conv1Padding);
  }
  // conv1 (5×5) → pool 2 → conv2 (5×5 valid) → pool 2 must leave at least one pixel.
  const side = (n: number) => Math.floor((Math.floor((conv1Padding === 'same' ? n : n - 4) / 2) - 4) / 2);
  if (side(h) < 1 || side(w) < 1) {
    throw new ModelConfigError(
      'inputShape',
      `an image large enough for two 5×5 convolutions and two 2×2 poolings (at least ${conv1Padding === 'same' ? 12 : 16} pixels a side with conv1 '${conv1Padding}')`,
      inputShape,
    );
  }
  return {
    width,
    inputShape,
    classes,
    activation,
    conv1Padding,
    conv1Filters: 6 * width,
    conv2Filters: 16 * width,
    fc1Units: 120 * width,
    fc2Units: FC2_UNITS,
  };
}

/** Kernel initialiser for the layer at `index` (seeded per layer so layers differ). */
export function kernelInitializer(
  init: LeNetInit,
  seed: number | undefined,
  index: number,
): ReturnType<typeof tf.initializers.glorotUniform> {
  if (init !== 'default' && init !== 'normal')
    throw new ModelConfigError('init', "'default' or 'normal'", init);
  const layerSeed = seed === undefined ? undefined : seed + index;
  return init === 'normal'
    ? tf.initializers.randomNormal({ mean: 0, stddev: 1, seed: layerSeed })
    : tf.initializers.glorotUniform({ seed: layerSeed });
}

/**
 * Builds the LeNet-k layers; `dropoutRate` > 0 inserts dropout after every conv and hidden dense layer
 * in the places of Gal & Ghahramani's "lenet-all" (conv → dropout → pool; dense → activation → dropout).
 */
export function buildLeNet(
  plan: LeNetPlan,
  opts: { init: LeNetInit; seed: number | undefined; name: string; dropoutRate: number },
): tf.Sequential {
  const model = tf.sequential({ name: opts.name });
  const kernel = (i: number) => kernelInitializer(opts.init, opts.seed, i);
  const dropout = (after: string) => {
    if (opts.dropoutRate > 0)
      model.add(new FastDropout({ rate: opts.dropoutRate, name: `${after}_dropout` }));
  };
  // conv1 and dropout as eff's variants (backend/training-layers.ts): conv1 skips the input gradient no one
  // needs, dropout draws its mask in eff's kernel; same weights, config and behaviour as tfjs's own layers.
  model.add(
    new LazyGradConv2D({
      inputShape: plan.inputShape,
      filters: plan.conv1Filters,
      kernelSize: 5,
      padding: plan.conv1Padding,
      activation: plan.activation,
      kernelInitializer: kernel(0),
      name: 'conv1',
    }),
  );
  dropout('conv1');
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool1' }));
  model.add(
    tf.layers.conv2d({
      filters: plan.conv2Filters,
      kernelSize: 5,
      padding: 'valid',
      activation: plan.activation,
      kernelInitializer: kernel(1),
      name: 'conv2',
    }),
  );
  dropout('conv2');
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool2' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(
    tf.layers.dense({
      units: plan.fc1Units,
      activation: plan.activation,
      kernelInitializer: kernel(2),
      name: 'fc1',
    }),
  );
  dropout('fc1');
  model.add(
    tf.layers.dense({
      units: plan.fc2Units,
      activation: plan.activation,
      kernelInitializer: kernel(3),
      name: 'fc2',
    }),
  );
  dropout('fc2');
  model.add(
    tf.layers.dense({
      units: plan.classes,
      activation: 'softmax',
      kernelInitializer: kernel(4),
      name: 'fc3',
    }),
  );
  return model;
}

/**
 * LeNet-k: conv1 6k@5×5 → maxpool 2 → conv2 16k@5×5 (valid) → maxpool 2 → dense 120k → dense 84 → dense classes
 * (softmax). LeNet-1 on 28×28×1 has 61,706 parameters; on 32×32×3, 62,006.
 */
export function lenet(args: LeNetArgs = {}): tf.Sequential {
  const plan = planLeNet(args);
  return buildLeNet(plan, {
    init: args.init ?? 'default',
    seed: args.seed,
    name: args.name ?? `lenet-${plan.width}`,
    dropoutRate: 0,
  });
}
