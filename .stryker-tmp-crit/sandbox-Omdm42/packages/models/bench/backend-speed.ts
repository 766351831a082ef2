// @ts-nocheck
// LeNet-k/BCNN-k training throughput (img/s) on wasm with eff's kernels and layers vs without, and vs cpu, interleaved
// in one process; `--profile` adds per-kernel times of wasm steps. Run: npx tsx packages/models/bench/backend-speed.ts
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { fusedAdam } from '../src/backend/adam.js';
import { useBackend } from '../src/backend/use-backend.js';
import {
  registerWasmTrainingKernels,
  selectWasmTrainingKernels,
} from '../src/backend/wasm-training-kernels.js';
import { bcnn } from '../src/models/bcnn.js';
import { lenet as effLenet } from '../src/models/lenet.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    'wasm-steps': { type: 'string', default: '8' },
    'cpu-steps': { type: 'string', default: '1' },
    batch: { type: 'string', default: '256' },
    width: { type: 'string', default: '1' },
    // bcnn: MC-dropout BCNN-k, dropout 0.5 after every conv and hidden dense layer (Gal & Ghahramani's lenet-all).
    model: { type: 'string', default: 'lenet' },
    // wasm: eff's kernels, @eff/models' lenet()/bcnn() (eff's first conv and dropout layers) and fused Adam;
    // wasm-tfjs-layers: eff's kernels, model from tfjs's own layers and tfjs's Adam;
    // wasm-own: the wasm backend's own kernels plus only the one it lacks (Conv2DBackpropFilter), tfjs layers.
    backends: { type: 'string', default: 'wasm,wasm-tfjs-layers,wasm-own,cpu' },
    profile: { type: 'boolean', default: false },
  },
});
const reps = Number(args.reps);
const batch = Number(args.batch);
const k = Number(args.width);
type Mode = 'wasm' | 'wasm-tfjs-layers' | 'wasm-own' | 'cpu';
const backends = (args.backends ?? '').split(',') as Mode[];
const stepsOn: Record<Mode, number> = {
  wasm: Number(args['wasm-steps']),
  'wasm-tfjs-layers': Number(args['wasm-steps']),
  'wasm-own': Number(args['wasm-steps']),
  cpu: Number(args['cpu-steps']),
};
const allKernels = registerWasmTrainingKernels();

async function enter(mode: Mode): Promise<void> {
  if (mode === 'cpu') {
    await tf.setBackend('cpu');
    return;
  }
  selectWasmTrainingKernels(mode === 'wasm-own' ? [] : allKernels);
  await tf.setBackend('wasm');
}

/**
 * LeNet-k as in the paper from tfjs's own layers: conv 6k@5×5 same, pool, conv 16k@5×5 valid, pool, dense 120k,
 * 84, 10; softplus; dropout (bcnn) after the conv activations (before pooling) and the hidden dense layers.
 */
function tfjsLenet(width: number, dropoutRate: number): tf.Sequential {
  const m = tf.sequential();
  const drop = () => {
    if (dropoutRate > 0) m.add(tf.layers.dropout({ rate: dropoutRate }));
  };
  m.add(
    tf.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 6 * width,
      kernelSize: 5,
      padding: 'same',
      activation: 'softplus',
    }),
  );
  drop();
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 16 * width, kernelSize: 5, padding: 'valid', activation: 'softplus' }));
  drop();
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 120 * width, activation: 'softplus' }));
  drop();
  m.add(tf.layers.dense({ units: 84, activation: 'softplus' }));
  drop();
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

await tf.setBackend('cpu');
const info = await useBackend('wasm', { log: () => {} });
const modelName = args.model === 'bcnn' ? 'BCNN' : 'LeNet';
const dropoutRate = args.model === 'bcnn' ? 0.5 : 0;
function effModel(): tf.LayersModel {
  const m = dropoutRate > 0 ? bcnn({ width: k, dropoutRate }) : effLenet({ width: k });
  m.compile({ optimizer: fusedAdam(1e-3), loss: 'categoricalCrossentropy' });
  return m;
}
const models: Record<Mode, tf.LayersModel | undefined> = {
  wasm: backends.includes('wasm') ? effModel() : undefined,
  'wasm-tfjs-layers': backends.includes('wasm-tfjs-layers') ? tfjsLenet(k, dropoutRate) : undefined,
  'wasm-own': backends.includes('wasm-own') ? tfjsLenet(k, dropoutRate) : undefined,
  cpu: backends.includes('cpu') ? tfjsLenet(k, dropoutRate) : undefined,
};
const xs = tf.randomUniform([batch, 28, 28, 1]);
const ys = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10);

async function step(mode: Mode): Promise<void> {
  const model = models[mode] ?? effModel();
  await model.trainOnBatch(xs, ys); // awaits the loss value, so the step is complete
}

const imgPerS: Record<Mode, number[]> = { wasm: [], 'wasm-tfjs-layers': [], 'wasm-own': [], cpu: [] };
for (let r = 0; r < reps; r++) {
  for (const b of backends) {
    await enter(b);
    await step(b); // warm-up: moves weights to this backend, first-call setup
    const t0 = performance.now();
    for (let s = 0; s < stepsOn[b]; s++) await step(b);
    const seconds = (performance.now() - t0) / 1000;
    imgPerS[b]?.push((stepsOn[b] * batch) / seconds);
    process.stderr.write(`rep ${r + 1}/${reps} ${b}: ${((stepsOn[b] * batch) / seconds).toFixed(1)} img/s\n`);
  }
}

console.log(
  `${modelName}-${k}, batch ${batch}, Adam, softplus; ${info.package} + eff kernels (${allKernels.join(', ')}); ${reps} interleaved reps`,
);
for (const b of backends) {
  const v = imgPerS[b] ?? [];
  console.log(
    `${b.padEnd(16)} median ${median(v).toFixed(1)} img/s (min ${Math.min(...v).toFixed(1)}, max ${Math.max(...v).toFixed(1)})`,
  );
}
function ratio(a: Mode, b: Mode, digits: number): void {
  if (!backends.includes(a) || !backends.includes(b)) return;
  const ratios = imgPerS[a].map((v, i) => v / (imgPerS[b][i] ?? Number.NaN));
  console.log(
    `${a}/${b} per rep: ${ratios.map((x) => x.toFixed(digits)).join(', ')}; median ${median(ratios).toFixed(digits)}×`,
  );
}
ratio('wasm', 'cpu', 0);
ratio('wasm', 'wasm-tfjs-layers', 2);
ratio('wasm', 'wasm-own', 2);

if (args.profile) {
  await enter('wasm');
  await step('wasm');
  const totals = new Map<string, { ms: number; calls: number }>();
  let stepMs = 0;
  const n = 3;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const p = await tf.profile(() => {
      void step('wasm');
    });
    stepMs += performance.now() - t0;
    for (const kern of p.kernels.filter((x) => !x.name.endsWith('__op'))) {
      const ms = typeof kern.kernelTimeMs === 'number' ? kern.kernelTimeMs : 0;
      const key = `${kern.name} ${JSON.stringify(kern.inputShapes)}`;
      const t = totals.get(key) ?? { ms: 0, calls: 0 };
      t.ms += ms;
      t.calls += 1;
      totals.set(key, t);
    }
  }
  const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const sum = rows.reduce((a, [, t]) => a + t.ms, 0);
  console.log(
    `\nwasm per-kernel time, mean of ${n} steps: kernels ${(sum / n).toFixed(1)} ms, step ${(stepMs / n).toFixed(1)} ms`,
  );
  for (const [key, t] of rows.slice(0, 30)) {
    console.log(
      `${(t.ms / n).toFixed(2).padStart(8)} ms  ${((100 * t.ms) / sum).toFixed(1).padStart(5)}%  x${t.calls / n}  ${key}`,
    );
  }
}
