// @ts-nocheck
// tfjs-layers Conv2D and Dropout variants that train faster: no unused input gradient, dropout masks from eff's kernel.
import * as tf from '@tensorflow/tfjs';
import { canConvSoftplus, convSoftplus } from './conv-softplus.js';
import { dropoutMask } from './dropout-mask.js';

type LayerClass = new (args: never) => tf.layers.Layer;

/** A tfjs-layers class as registered for deserialisation (tfjs exports factories, not the classes). */
function registeredLayerClass(className: string): LayerClass {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry === undefined) {
    throw new Error(`tfjs-layers registers no '${className}' layer class; eff needs @tensorflow/tfjs 4.22`);
  }
  return entry[0] as unknown as LayerClass;
}

/** The fields of tfjs-layers' Conv2D that `call` reads. */
interface Conv2DFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: number[];
  padding: 'same' | 'valid' | 'causal';
  dataFormat: 'channelsFirst' | 'channelsLast';
  dilationRate: number | number[];
  activation: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string } | null;
}

const Conv2DBase = registeredLayerClass('Conv2D') as unknown as new (
  args: Parameters<typeof tf.layers.conv2d>[0],
) => tf.layers.Layer;

/**
 * tfjs-layers' Conv2D (same arguments, weights and config) computed as `conv2d + bias + activation` instead of
 * one fused op. The fused op's gradient computes the input gradient eagerly; with separate ops tfjs only
 * computes the gradients someone needs, so a first layer (whose input is data) skips its input gradient, a
 * `Conv2DBackpropInput` over the whole 28×28 batch (~15 % of a LeNet-1 step on wasm). Elsewhere it costs one
 * extra bias add. Channels-last only; channels-first runs tfjs's own code.
 */
export class LazyGradConv2D extends Conv2DBase {
  static className = 'EffConv2D';

  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: tf.serialization.ConfigDict,
  ): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as Conv2DFields;
    if (self.dataFormat !== 'channelsLast' || self.padding === 'causal') return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined || x.rank !== 4) {
        throw new Error(`${this.name} expects one rank-4 NHWC input but got ${describeInputs(inputs)}`);
      }
      const dilations = self.dilationRate as number | [number, number];
      const kernel = self.kernel.read();
      const bias = self.bias?.read();
      // LeNet's first layer on wasm: conv, bias and softplus in one kernel (split across threads), whose gradient
      // needs only the output.
      if (
        bias !== undefined &&
        self.activation?.getClassName() === 'softplus' &&
        canConvSoftplus(x, kernel, bias, self.strides, dilations, self.padding)
      ) {
        return convSoftplus(x as tf.Tensor4D, kernel as tf.Tensor4D, bias, self.padding as 'same' | 'valid');
      }
      let y: tf.Tensor = tf.conv2d(
        x as tf.Tensor4D,
        kernel as tf.Tensor4D,
        self.strides as [number, number],
        self.padding as 'same' | 'valid',
        'NHWC',
        dilations,
      );
      if (bias !== undefined) y = tf.add(y, bias);
      return self.activation === null ? y : self.activation.apply(y);
    });
  }
}

function describeInputs(inputs: tf.Tensor | tf.Tensor[]): string {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  return `${list.length} input(s) of shape ${list.map((t) => JSON.stringify(t.shape)).join(', ')}`;
}

/** The fields of tfjs-layers' Dropout that `call` reads. */
interface DropoutFields {
  rate: number;
  noiseShape: number[] | undefined;
  seed: number | undefined;
}

const DropoutBase = registeredLayerClass('Dropout') as unknown as new (
  args: Parameters<typeof tf.layers.dropout>[0],
) => tf.layers.Layer;

/**
 * tfjs-layers' Dropout (same arguments and config; active only with `training: true`, as MC-dropout needs)
 * drawing its mask with `dropoutMask`: on wasm eff's SIMD kernel, ~25× faster than tfjs's JS `randomUniform`
 * loop, which is most of the cost of dropout. With a `noiseShape` it runs tfjs's own code.
 */
export class FastDropout extends DropoutBase {
  static className = 'EffDropout';

  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: tf.serialization.ConfigDict,
  ): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as DropoutFields;
    if (self.noiseShape != null) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined) throw new Error(`${this.name} expects one input but got none`);
      if (kwargs.training !== true || !(self.rate > 0 && self.rate < 1)) return x;
      return tf.mul(x, dropoutMask(x.shape, self.rate, self.seed));
    });
  }
}

tf.serialization.registerClass(
  LazyGradConv2D as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>,
);
tf.serialization.registerClass(
  FastDropout as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>,
);
