// Example: a hand-written training loop (trainOnBatch) under measureEfficiency, with an energy budget checked per batch.
// Run: npx tsx --tsconfig examples/tsconfig.json examples/custom-loop.ts
import { pathToFileURL } from 'node:url';
import { criteria, measureEfficiency, type RunRecord } from '@eff/core';
import { lenet, loadMnist, useBackend } from '@eff/models';
import * as tf from '@tensorflow/tfjs';

export interface CustomLoopOptions {
  trainSize?: number;
  testSize?: number;
  maxEpochs?: number;
  batchSize?: number;
  /** Stop as soon as training has used this many joules (checked after every batch). */
  budgetJ?: number;
  intervalMs?: number;
  log?: (line: string) => void;
}

async function accuracyOf(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor): Promise<number> {
  const [loss, acc] = model.evaluate(xs, ys, { batchSize: 512 }) as tf.Scalar[];
  const value = (await acc!.data())[0]!;
  tf.dispose([loss!, acc!]);
  return value;
}

export async function customLoop(options: CustomLoopOptions = {}): Promise<RunRecord> {
  const { trainSize = 12_000, testSize = 2_000, maxEpochs = 10, batchSize = 128, budgetJ = 2000 } = options;
  const { intervalMs = 500, log = console.log } = options;
  const backend = await useBackend('auto');
  const data = await loadMnist({ trainSize, testSize, seed: 2 });
  const model = lenet({ width: 1, seed: 2 });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  const session = measureEfficiency({
    config: { architecture: 'lenet', size: 1, dataset: 'mnist', batchSize },
    // Whichever comes first: 98% validation accuracy, or the energy budget (stops within one batch of it).
    criterion: criteria.anyOf(
      criteria.accuracyTarget({ target: 0.98, on: 'validation' }),
      criteria.energyBudget({ joules: budgetJ, checkEvery: 'batch' }),
    ),
    maxEpochs,
    intervalMs,
    backend, // useBackend's result: recorded as environment.backend and trainingThreads
  });
  try {
    await session.start(); // probes are sampling: training starts now
    const n = data.train.count;
    training: for (let epoch = 1; epoch <= maxEpochs; epoch++) {
      let correct = 0;
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const [xs, ys] = [data.train.xs.slice(start, size), data.train.ys.slice(start, size)];
        const [, acc] = (await model.trainOnBatch(xs, ys)) as number[];
        tf.dispose([xs, ys]);
        correct += (acc ?? 0) * size;
        if (await session.batchEnd()) {
          const r = await session.epochEnd({ trainAccuracy: correct / (start + size) });
          log(`stopped inside epoch ${r.epoch}: ${r.decision?.reason}`);
          break training;
        }
      }
      const validationAccuracy = await accuracyOf(model, data.validation.xs, data.validation.ys);
      const r = await session.epochEnd({ trainAccuracy: correct / n, validationAccuracy });
      log(`epoch ${epoch}: validation ${validationAccuracy.toFixed(4)}`);
      if (r.stop) break;
    }
    const record = await session.finish();
    const f = record.final;
    log(
      `stopped by ${f.stoppedBy.criterion}${f.stoppedBy.batch ? ` at batch ${f.stoppedBy.batch}` : ''}; ` +
        `${f.accuracyOn} accuracy ${f.accuracy.toFixed(4)} for ${f.energyJ.total.toFixed(1)} J` +
        `${f.estimated ? ' (ESTIMATED)' : ''}, efficiency ${(f.efficiency * 1000).toFixed(3)} accuracy/kJ`,
    );
    return record;
  } catch (err) {
    await session.fail(err);
    throw err;
  } finally {
    data.dispose();
    model.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await customLoop();
}
