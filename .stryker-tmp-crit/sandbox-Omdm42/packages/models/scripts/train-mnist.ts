// @ts-nocheck
// Trains LeNet-1, MC-dropout BCNN-1 (and Bayes-by-Backprop BCNN-1) on full MNIST and prints test accuracy per epoch.
// Run: npx tsx packages/models/scripts/train-mnist.ts [--epochs 10] [--models lenet,bcnn,bcnn-bbb,lenet-normal,lenet-relu]
//      [--samples 1] [--validation-split 0.2] [--batch-size 256] [--seed 0] [--backend auto]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { bcnn, compileModel, evaluateAccuracy, lenet, loadMnist, useBackend } from '../src/index.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    models: { type: 'string', default: 'lenet,bcnn,bcnn-bbb' },
    'batch-size': { type: 'string', default: '256' },
    samples: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '0' },
    'validation-split': { type: 'string', default: '0.2' },
  },
});
const epochs = Number(values.epochs);
const batchSize = Number(values['batch-size']);
const samples = Number(values.samples);
const seed = Number(values.seed);
const builders = {
  lenet: () => lenet({ seed }),
  'lenet-normal': () => lenet({ seed, init: 'normal', name: 'lenet-1-normal-init' }),
  'lenet-relu': () => lenet({ seed, activation: 'relu', name: 'lenet-1-relu' }),
  bcnn: () => bcnn({ seed }),
  'bcnn-bbb': () => bcnn({ kind: 'bayes-by-backprop', seed }),
} as const;
const names = (values.models ?? '').split(',').map((s) => s.trim());
for (const name of names) {
  if (!(name in builders))
    throw new Error(
      `--models: unknown model '${name}'; expected some of ${Object.keys(builders).join(', ')}`,
    );
}

const info = await useBackend(values.backend as 'auto', { log: (m) => console.log(`# ${m}`) });
console.log(
  `# ${new Date().toISOString()} backend=${info.backend} package=${info.package} trainingKernels=${info.trainingKernels}`,
);
console.log(
  `# node ${process.version}, tfjs ${tf.version.tfjs}, batch ${batchSize}, test samples T=${samples}, seed ${seed}`,
);
const data = await loadMnist({ seed, validationSplit: Number(values['validation-split']) });
console.log(
  `# MNIST train ${data.train.count}, validation ${data.validation.count}, test ${data.test.count}`,
);

for (const name of names) {
  const model = builders[name as keyof typeof builders]();
  // Bayes-by-Backprop: loss = NLL·N + β·KL with N = the images trained on.
  compileModel(model, name === 'bcnn-bbb' ? { trainSize: data.train.count } : {});
  console.log(`# ${model.name}: ${model.countParams()} parameters`);
  const t0 = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const h = await model.fit(data.train.xs, data.train.ys, {
      epochs: 1,
      batchSize,
      shuffle: true,
      verbose: 0,
    });
    const trainMs = performance.now() - t0;
    const stochastic = name.startsWith('bcnn');
    const opts = stochastic ? { samples } : {};
    const validationAccuracy =
      data.validation.count > 0
        ? await evaluateAccuracy(model, data.validation.xs, data.validation.labels, opts)
        : null;
    const testAccuracy = await evaluateAccuracy(model, data.test.xs, data.test.labels, opts);
    const extra = stochastic
      ? { testAccuracyT10: await evaluateAccuracy(model, data.test.xs, data.test.labels, { samples: 10 }) }
      : {};
    console.log(
      JSON.stringify({
        model: model.name,
        epoch,
        loss: Number(Number(h.history.loss?.[0]).toFixed(4)),
        trainAccuracy: Number(Number(h.history.acc?.[0]).toFixed(4)),
        validationAccuracy,
        testAccuracy,
        ...extra,
        elapsedS: Math.round(trainMs / 1000),
      }),
    );
  }
  model.dispose();
}
data.dispose();
