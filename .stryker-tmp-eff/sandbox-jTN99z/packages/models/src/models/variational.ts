// @ts-nocheck
// Bayes-by-Backprop layers (conv and dense) with the local reparameterisation trick, serialisable tfjs layers.
import * as tf from '@tensorflow/tfjs';
import { ModelConfigError } from './errors.js';

/**
 * Options shared by the variational layers. Defaults are the authors' configuration
 * (kumar-shridhar/PyTorch-BayesianCNN, as used by the paper's code).
 */
export interface VariationalArgs {
  /** Mean of the Gaussian prior on every weight and bias. Default 0. */
  priorMu?: number;
  /** Standard deviation of the Gaussian prior. Default 0.1. */
  priorSigma?: number;
  /** [mean, std] of the Normal that initialises the posterior means μ. Default [0, 0.1]. */
  posteriorMuInit?: [number, number];
  /** [mean, std] of the Normal that initialises ρ, where σ = softplus(ρ). Default [−5, 0.1]. */
  posteriorRhoInit?: [number, number];
  /** β: this layer adds β·KL(q‖prior) to the training loss. Default 0.1 (the authors' `beta_type = 0.1`). */
  klWeight?: number;
  /** Whether the layer has a (variational) bias. Default true. */
  useBias?: boolean;
  /** Seed of the μ and ρ initialisers. Default: unseeded. */
  seed?: number;
}

/** Options of `VariationalDense`. */
export interface VariationalDenseArgs extends VariationalArgs {
  units: number;
  name?: string;
  inputShape?: number[];
  trainable?: boolean;
}

/** Options of `VariationalConv2D` (NHWC, dilation 1). */
export interface VariationalConv2DArgs extends VariationalArgs {
  filters: number;
  /** Square kernel side, or [height, width]. */
  kernelSize: number | [number, number];
  /** Default 1. */
  strides?: number | [number, number];
  /** Default 'valid'. */
  padding?: 'same' | 'valid';
  name?: string;
  inputShape?: number[];
  trainable?: boolean;
}

/** Variance floor inside the square root, as in the authors' layers (keeps the gradient of sqrt finite). */
const VARIANCE_FLOOR = 1e-16;

interface ResolvedVariational {
  priorMu: number;
  priorSigma: number;
  posteriorMuInit: [number, number];
  posteriorRhoInit: [number, number];
  klWeight: number;
  useBias: boolean;
  seed: number | undefined;
}

function resolveVariational(args: VariationalArgs): ResolvedVariational {
  const r: ResolvedVariational = {
    priorMu: args.priorMu ?? 0,
    priorSigma: args.priorSigma ?? 0.1,
    posteriorMuInit: args.posteriorMuInit ?? [0, 0.1],
    posteriorRhoInit: args.posteriorRhoInit ?? [-5, 0.1],
    klWeight: args.klWeight ?? 0.1,
    useBias: args.useBias ?? true,
    seed: args.seed,
  };
  if (!Number.isFinite(r.priorMu)) throw new ModelConfigError('priorMu', 'a finite number', r.priorMu);
  if (!(r.priorSigma > 0)) throw new ModelConfigError('priorSigma', 'a standard deviation > 0', r.priorSigma);
  for (const key of ['posteriorMuInit', 'posteriorRhoInit'] as const) {
    const [mean, std] = r[key];
    if (r[key].length !== 2 || !Number.isFinite(mean) || !(std !== undefined && std >= 0)) {
      throw new ModelConfigError(key, '[mean, std] with a finite mean and std >= 0', r[key]);
    }
  }
  if (!(r.klWeight >= 0)) throw new ModelConfigError('klWeight', 'a KL weight β >= 0', r.klWeight);
  return r;
}

/**
 * Closed-form KL(N(μ, σ²) ‖ N(μp, σp²)) summed over all elements, σ = softplus(ρ):
 * Σ log(σp/σ) + (σ² + (μ − μp)²) / (2σp²) − ½.
 */
export function gaussianKl(mu: tf.Tensor, rho: tf.Tensor, priorMu: number, priorSigma: number): tf.Scalar {
  return tf.tidy(() => {
    const sigma = tf.softplus(rho);
    const terms = tf.sub(
      tf.add(
        tf.sub(Math.log(priorSigma), tf.log(sigma)),
        tf.div(tf.add(tf.square(sigma), tf.square(tf.sub(mu, priorMu))), 2 * priorSigma * priorSigma),
      ),
      0.5,
    );
    return tf.sum(terms) as tf.Scalar;
  });
}

/** Common machinery: μ/ρ weights, the KL loss, and the LRT forward pass around a linear map. */
abstract class VariationalLayer extends tf.layers.Layer {
  protected readonly v: ResolvedVariational;
  protected kernelMu: tf.LayerVariable | null = null;
  protected kernelRho: tf.LayerVariable | null = null;
  protected biasMu: tf.LayerVariable | null = null;
  protected biasRho: tf.LayerVariable | null = null;

  constructor(args: VariationalArgs & { name?: string; inputShape?: number[]; trainable?: boolean }) {
    const { priorMu, priorSigma, posteriorMuInit, posteriorRhoInit, klWeight, useBias, seed, ...base } = args;
    super(base as tf.serialization.ConfigDict);
    this.v = resolveVariational({
      priorMu,
      priorSigma,
      posteriorMuInit,
      posteriorRhoInit,
      klWeight,
      useBias,
      seed,
    });
  }

  /** The linear map of this layer (matMul or conv2d) applied to x with weights w, plus bias b when given. */
  protected abstract linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor;

  protected addVariationalWeights(kernelShape: number[], biasShape: number[]): void {
    const { posteriorMuInit: muInit, posteriorRhoInit: rhoInit, seed } = this.v;
    const init = ([mean, stddev]: [number, number], offset: number) =>
      tf.initializers.randomNormal({ mean, stddev, seed: seed === undefined ? undefined : seed + offset });
    this.kernelMu = this.addWeight('kernel_mu', kernelShape, 'float32', init(muInit, 0));
    this.kernelRho = this.addWeight('kernel_rho', kernelShape, 'float32', init(rhoInit, 1));
    if (this.v.useBias) {
      this.biasMu = this.addWeight('bias_mu', biasShape, 'float32', init(muInit, 2));
      this.biasRho = this.addWeight('bias_rho', biasShape, 'float32', init(rhoInit, 3));
    }
    // β·KL joins the training loss through tfjs's layer losses (added after the mean of the compiled loss).
    this.addLoss(() => tf.tidy(() => tf.mul(this.v.klWeight, this.klDivergence()) as tf.Scalar));
  }

  /** KL(q(w) ‖ prior) of this layer's weights and biases (without β). */
  klDivergence(): tf.Scalar {
    if (this.kernelMu === null || this.kernelRho === null) {
      throw new ModelConfigError(
        'layer',
        `a built layer (call it on an input first): ${this.name}`,
        'unbuilt',
      );
    }
    return tf.tidy(() => {
      const { priorMu, priorSigma } = this.v;
      let kl = gaussianKl(this.kernelMu!.read(), this.kernelRho!.read(), priorMu, priorSigma);
      if (this.biasMu !== null && this.biasRho !== null) {
        kl = tf.add(kl, gaussianKl(this.biasMu.read(), this.biasRho.read(), priorMu, priorSigma));
      }
      return kl;
    });
  }

  /**
   * Training (or `training: true`): local reparameterisation — sample the pre-activation
   * m + sqrt(v)·ε with m = linear(x, μ_w) + μ_b, v = linear(x², σ_w²) + σ_b², ε ~ N(0, 1).
   * Otherwise the deterministic posterior-mean output m.
   */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined || this.kernelMu === null || this.kernelRho === null) {
        throw new ModelConfigError('inputs', `one input tensor for built layer ${this.name}`, 'none');
      }
      const mean = this.linear(x, this.kernelMu.read(), this.biasMu?.read() ?? null);
      if (kwargs.training !== true) return mean;
      const kernelVar = tf.square(tf.softplus(this.kernelRho.read()));
      const biasVar = this.biasRho === null ? null : tf.square(tf.softplus(this.biasRho.read()));
      const variance = tf.add(this.linear(tf.square(x), kernelVar, biasVar), VARIANCE_FLOOR);
      return tf.add(mean, tf.mul(tf.sqrt(variance), tf.randomNormal(mean.shape)));
    });
  }

  protected variationalConfig(): tf.serialization.ConfigDict {
    const { priorMu, priorSigma, posteriorMuInit, posteriorRhoInit, klWeight, useBias } = this.v;
    return { priorMu, priorSigma, posteriorMuInit, posteriorRhoInit, klWeight, useBias };
  }
}

/** Bayes-by-Backprop dense layer: y = x·W + b with W, b ~ N(μ, softplus(ρ)²), sampled by the LRT. */
export class VariationalDense extends VariationalLayer {
  static className = 'EffVariationalDense';
  readonly units: number;

  constructor(args: VariationalDenseArgs) {
    const { units, ...rest } = args;
    super(rest);
    if (!Number.isInteger(units) || units < 1) throw new ModelConfigError('units', 'an integer >= 1', units);
    this.units = units;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inDim = shape[shape.length - 1];
    if (typeof inDim !== 'number') {
      throw new ModelConfigError('inputShape', 'a known last dimension for a dense layer', shape);
    }
    this.addVariationalWeights([inDim, this.units], [this.units]);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  protected linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
    const y = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
    return b === null ? y : tf.add(y, b);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, ...this.variationalConfig() };
  }
}

/** Bayes-by-Backprop 2-D convolution (NHWC): filters W, b ~ N(μ, softplus(ρ)²), sampled by the LRT. */
export class VariationalConv2D extends VariationalLayer {
  static className = 'EffVariationalConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';

  constructor(args: VariationalConv2DArgs) {
    const { filters, kernelSize, strides, padding, ...rest } = args;
    super(rest);
    if (!Number.isInteger(filters) || filters < 1)
      throw new ModelConfigError('filters', 'an integer >= 1', filters);
    this.filters = filters;
    this.kernelSize = pair('kernelSize', kernelSize);
    this.strides = pair('strides', strides ?? 1);
    this.padding = padding ?? 'valid';
    if (this.padding !== 'same' && this.padding !== 'valid') {
      throw new ModelConfigError('padding', "'same' or 'valid'", this.padding);
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[3];
    if (shape.length !== 4 || typeof channels !== 'number') {
      throw new ModelConfigError(
        'inputShape',
        'NHWC input [batch, height, width, channels] with known channels',
        shape,
      );
    }
    this.addVariationalWeights([...this.kernelSize, channels, this.filters], [this.filters]);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const side = (n: number | null | undefined, k: number, s: number) => {
      if (n === null || n === undefined) return null;
      return this.padding === 'same' ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s);
    };
    return [
      shape[0] ?? null,
      side(shape[1], this.kernelSize[0], this.strides[0]),
      side(shape[2], this.kernelSize[1], this.strides[1]),
      this.filters,
    ];
  }

  protected linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor {
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, this.strides, this.padding);
    return b === null ? y : tf.add(y, b);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      ...this.variationalConfig(),
    };
  }
}

function pair(option: string, value: number | [number, number]): [number, number] {
  const p: [number, number] = typeof value === 'number' ? [value, value] : value;
  if (p.length !== 2 || !p.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new ModelConfigError(option, 'an integer >= 1 or a pair of them', value);
  }
  return p;
}

// Registration lets tf.loadLayersModel rebuild these layers from model.json.
tf.serialization.registerClass(VariationalDense);
tf.serialization.registerClass(VariationalConv2D);

/** True when the layer is one of eff's variational layers. */
export function isVariationalLayer(layer: tf.layers.Layer): layer is VariationalDense | VariationalConv2D {
  return layer instanceof VariationalDense || layer instanceof VariationalConv2D;
}

/** Σ KL(q‖prior) over all variational layers of a model (without β), e.g. to log it beside the loss. */
export function variationalKl(model: tf.LayersModel): tf.Scalar {
  return tf.tidy(() => {
    const kls = model.layers.filter(isVariationalLayer).map((layer) => layer.klDivergence());
    return (kls.length === 0 ? tf.scalar(0) : tf.addN(kls)) as tf.Scalar;
  });
}
