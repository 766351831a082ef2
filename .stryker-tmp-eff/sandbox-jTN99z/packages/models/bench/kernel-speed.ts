// @ts-nocheck
// Times of eff's wasm kernels vs what they replace (the wasm backend's own, or eff's earlier GEMM path) on LeNet-1
// shapes (batch 256), interleaved, medians.
// Run: npx tsx packages/models/bench/kernel-speed.ts [--reps 15]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropFilterGemm, conv2DBackpropInputGemm } from '../src/backend/conv2d-backprop.js';
import { useBackend } from '../src/backend/use-backend.js';
import { release, runBuiltinKernel, runWasmKernel } from '../src/backend/wasm-kernel-utils.js';

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '15' } } });
const reps = Number(args.reps);
await useBackend('wasm', { log: () => {} });
const backend = tf.backend() as BackendWasm;

interface Case {
  label: string;
  kernel: string;
  inputs: Record<string, tf.Tensor>;
  attrs: tf.NamedAttrMap;
  /** What eff's kernel replaced, when the wasm backend has no kernel of its own. */
  before?: () => tf.TensorInfo;
}
const conv1 = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] } as tf.NamedAttrMap;
const x1 = tf.randomUniform([256, 28, 28, 1]);
const a1 = tf.randomNormal([256, 28, 28, 6]);
const cases: Case[] = [
  {
    label: 'conv1 forward',
    kernel: 'Conv2D',
    inputs: { x: x1, filter: tf.randomNormal([5, 5, 1, 6]) },
    attrs: conv1,
  },
  {
    label: 'conv1 dW',
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: x1, dy: a1 },
    attrs: { ...conv1, filterShape: [5, 5, 1, 6] } as tf.NamedAttrMap,
    before: () =>
      conv2DBackpropFilterGemm(
        backend,
        x1,
        a1,
        tf.backend_util.computeConv2DInfo([256, 28, 28, 1], [5, 5, 1, 6], 1, 1, 'same'),
      ),
  },
  ...[1, 3, 5].map((k) => {
    const x2 = tf.randomNormal([256, 14, 14, 6 * k]);
    const dy2 = tf.randomNormal([256, 10, 10, 16 * k]);
    const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', filterShape: [5, 5, 6 * k, 16 * k] };
    return {
      label: `conv2 dW k=${k}`,
      kernel: 'Conv2DBackpropFilter',
      inputs: { x: x2, dy: dy2 },
      attrs: attrs as unknown as tf.NamedAttrMap,
      before: () =>
        conv2DBackpropFilterGemm(
          backend,
          x2,
          dy2,
          tf.backend_util.computeConv2DInfo([256, 14, 14, 6 * k], [5, 5, 6 * k, 16 * k], 1, 1, 'valid'),
        ),
    };
  }),
  ...[1, 3, 5].map((k) => {
    const dy2 = tf.randomNormal([256, 10, 10, 16 * k]);
    const w2 = tf.randomNormal([5, 5, 6 * k, 16 * k]);
    const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', inputShape: [256, 14, 14, 6 * k] };
    return {
      label: `conv2 dx k=${k}`,
      kernel: 'Conv2DBackpropInput',
      inputs: { dy: dy2, filter: w2 },
      attrs: attrs as unknown as tf.NamedAttrMap,
      before: () =>
        conv2DBackpropInputGemm(
          backend,
          dy2,
          w2,
          tf.backend_util.computeConv2DInfo([256, 14, 14, 6 * k], [5, 5, 6 * k, 16 * k], 1, 1, 'valid'),
        ),
    };
  }),
  {
    label: 'MaxPool',
    kernel: 'MaxPool',
    inputs: { x: a1 },
    attrs: { filterSize: 2, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap,
  },
  {
    label: 'MaxPoolGrad',
    kernel: 'MaxPoolGrad',
    inputs: { dy: tf.randomNormal([256, 14, 14, 6]), input: a1, output: tf.randomNormal([256, 14, 14, 6]) },
    attrs: { filterSize: 2, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap,
  },
  { label: 'Add bias', kernel: 'Add', inputs: { a: a1, b: tf.randomNormal([6]) }, attrs: {} },
  { label: 'Identity', kernel: 'Identity', inputs: { x: a1 }, attrs: {} },
];

function timeMs(run: () => tf.TensorInfo): number {
  const t0 = performance.now();
  const out = run();
  const ms = performance.now() - t0;
  release(backend, out);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

for (const c of cases) {
  const infos = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, t as tf.TensorInfo]));
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const o = timeMs(() => runWasmKernel(backend, c.kernel, infos, c.attrs));
    const t = timeMs(c.before ?? (() => runBuiltinKernel(backend, c.kernel, infos, c.attrs)));
    if (r === 0) continue; // warm-up
    ours.push(o);
    theirs.push(t);
  }
  console.log(
    `${c.label.padEnd(16)} before ${median(theirs).toFixed(2).padStart(6)} ms  eff ${median(ours).toFixed(2).padStart(6)} ms`,
  );
}
