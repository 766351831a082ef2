// @ts-nocheck
// BCNN-k: the paper's Bayesian LeNet-k, either MC-dropout ("lenet-all") or Bayes-by-Backprop.
import * as tf from '@tensorflow/tfjs';
import { ModelConfigError } from './errors.js';
import { buildLeNet, type LeNetActivation, type LeNetInit, planLeNet } from './lenet.js';
import { type VariationalArgs, VariationalConv2D, VariationalDense } from './variational.js';

/** How the BCNN approximates the posterior. */
export type BcnnKind = 'mc-dropout' | 'bayes-by-backprop';

/** Options of `bcnn`. Defaults are the paper's BCNN-1 on MNIST. */
export interface BcnnArgs {
  /** Width multiplier k, as in `lenet`. Default 1. */
  width?: number;
  /** [height, width, channels]. Default [28, 28, 1]. */
  inputShape?: [number, number, number];
  /** Default 10. */
  classes?: number;
  /** Default 'softplus' (paper Table 2 and the authors' BBB config). */
  activation?: LeNetActivation;
  /**
   * 'mc-dropout' (default): what the paper's text describes (Gal & Ghahramani's lenet-all).
   * 'bayes-by-backprop': what the authors' code trained (see DESIGN.md §1).
   */
  kind?: BcnnKind;
  /** MC-dropout only: drop probability after every conv and hidden dense layer. Default 0.5. */
  dropoutRate?: number;
  /** MC-dropout only: kernel initialisation, as in `lenet`. Default 'default'. */
  init?: LeNetInit;
  /** Bayes-by-Backprop only: prior, posterior initialisation and KL weight β (defaults: the authors'). */
  variational?: Omit<VariationalArgs, 'seed' | 'useBias'>;
  /** Padding of conv1; default as in `lenet`. */
  conv1Padding?: 'same' | 'valid';
  /** Seed of the initialisers. Default: unseeded. */
  seed?: number;
  /** Default `bcnn-<k>` (MC-dropout) or `bcnn-bbb-<k>` (Bayes-by-Backprop). */
  name?: string;
}

/**
 * BCNN-k with the LeNet-k shape (conv 6k, conv 16k, dense 120k, dense 84, dense classes).
 * - mc-dropout: dropout p after conv1, conv2, fc1, fc2; predict with `predictMc` (dropout kept on).
 * - bayes-by-backprop: every conv/dense is variational (local reparameterisation), each adds β·KL to the
 *   training loss; compile with `compileModel(model, { trainSize })` so the loss is NLL·N + β·KL.
 */
export function bcnn(args: BcnnArgs = {}): tf.Sequential {
  const plan = planLeNet(args);
  const kind = args.kind ?? 'mc-dropout';
  if (kind === 'mc-dropout') {
    if (args.variational !== undefined) {
      throw new ModelConfigError('variational', "no value unless kind is 'bayes-by-backprop'", 'an object');
    }
    const dropoutRate = args.dropoutRate ?? 0.5;
    if (!(dropoutRate > 0 && dropoutRate < 1)) {
      throw new ModelConfigError('dropoutRate', 'a probability in (0, 1)', dropoutRate);
    }
    return buildLeNet(plan, {
      init: args.init ?? 'default',
      seed: args.seed,
      name: args.name ?? `bcnn-${plan.width}`,
      dropoutRate,
    });
  }
  if (kind !== 'bayes-by-backprop') {
    throw new ModelConfigError('kind', "'mc-dropout' or 'bayes-by-backprop'", kind);
  }
  if (args.dropoutRate !== undefined) {
    throw new ModelConfigError(
      'dropoutRate',
      "no value for kind 'bayes-by-backprop' (it has no dropout)",
      args.dropoutRate,
    );
  }
  if (args.init !== undefined) {
    throw new ModelConfigError(
      'init',
      "no value for kind 'bayes-by-backprop' (μ and ρ are initialised from `variational.posteriorMuInit/RhoInit`)",
      args.init,
    );
  }
  const v = args.variational ?? {};
  const seedAt = (i: number) => (args.seed === undefined ? undefined : args.seed + 10 * i);
  const model = tf.sequential({ name: args.name ?? `bcnn-bbb-${plan.width}` });
  model.add(
    new VariationalConv2D({
      ...v,
      inputShape: plan.inputShape,
      filters: plan.conv1Filters,
      kernelSize: 5,
      padding: plan.conv1Padding,
      seed: seedAt(0),
      name: 'conv1',
    }),
  );
  model.add(tf.layers.activation({ activation: plan.activation, name: 'conv1_act' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool1' }));
  model.add(
    new VariationalConv2D({
      ...v,
      filters: plan.conv2Filters,
      kernelSize: 5,
      padding: 'valid',
      seed: seedAt(1),
      name: 'conv2',
    }),
  );
  model.add(tf.layers.activation({ activation: plan.activation, name: 'conv2_act' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool2' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(new VariationalDense({ ...v, units: plan.fc1Units, seed: seedAt(2), name: 'fc1' }));
  model.add(tf.layers.activation({ activation: plan.activation, name: 'fc1_act' }));
  model.add(new VariationalDense({ ...v, units: plan.fc2Units, seed: seedAt(3), name: 'fc2' }));
  model.add(tf.layers.activation({ activation: plan.activation, name: 'fc2_act' }));
  model.add(new VariationalDense({ ...v, units: plan.classes, seed: seedAt(4), name: 'fc3' }));
  model.add(tf.layers.activation({ activation: 'softmax', name: 'softmax' }));
  return model;
}
