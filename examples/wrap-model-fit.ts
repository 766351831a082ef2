// Example: measure the training efficiency of LeNet-1 on MNIST around an ordinary model.fit call.
// Run: npx tsx --tsconfig examples/tsconfig.json examples/wrap-model-fit.ts
import { pathToFileURL } from 'node:url';
import { criteria, formatRecord, measureEfficiency, type RunRecord } from '@eff/core';
import { lenet, loadMnist, useBackend } from '@eff/models';
import * as tf from '@tensorflow/tfjs';

export interface WrapModelFitOptions {
  /** Training images (before the 20% validation split); the full set is 60,000. */
  trainSize?: number;
  testSize?: number;
  maxEpochs?: number;
  /** Default 256 (the authors' value). */
  batchSize?: number;
  /** Probe sampling interval, ms. Default: eff's (100 ms). */
  intervalMs?: number;
  /** Append the record to `<resultsDir>/results.jsonl`, where `eff report <resultsDir>` reads it. Default: not saved. */
  resultsDir?: string;
  log?: (line: string) => void;
}

export async function wrapModelFit(options: WrapModelFitOptions = {}): Promise<RunRecord> {
  const {
    trainSize = 12_000,
    testSize = 2_000,
    maxEpochs = 20,
    batchSize = 256,
    intervalMs,
    resultsDir,
    log = console.log,
  } = options;
  // Before building the model: tfjs's pure-JS default backend is hundreds of times slower (and costlier) than wasm.
  const backend = await useBackend('auto');
  const data = await loadMnist({ trainSize, testSize, seed: 1 });
  const model = lenet({ width: 1, seed: 1 });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  // Probes: every hardware meter detected here (once per process), else the labelled estimate; one stderr line says which.
  const session = measureEfficiency({
    config: { architecture: 'lenet', size: 1, dataset: 'mnist', batchSize, learningRate: 1e-3 },
    criterion: criteria.earlyStopping({ patience: 3 }),
    maxEpochs,
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    backend, // recorded as environment.backend and trainingThreads
    ...(resultsDir !== undefined ? { resultsDir } : {}),
    evaluate: async () => {
      const [loss, acc] = model.evaluate(data.test.xs, data.test.ys, { batchSize: 512 }) as tf.Scalar[];
      const [testLoss, testAccuracy] = [(await loss!.data())[0]!, (await acc!.data())[0]!];
      tf.dispose([loss!, acc!]);
      return { testAccuracy, testLoss };
    },
  });
  session.epochs$.subscribe((e) =>
    log(
      `epoch ${e.epoch}: test ${e.testAccuracy?.toFixed(4)}, val ${e.validationAccuracy?.toFixed(4)}, ` +
        `${e.cumulativeEnergyJ.total.toFixed(1)} J so far, ${(e.efficiency * 1000).toFixed(3)} accuracy/kJ`,
    ),
  );
  try {
    await model.fit(data.train.xs, data.train.ys, {
      epochs: maxEpochs,
      batchSize,
      validationData: [data.validation.xs, data.validation.ys],
      verbose: 0,
      callbacks: [session.callback(model)],
    });
    const record = await session.finish();
    log(`stopped by ${record.final.stoppedBy.criterion} (${record.final.stoppedBy.reason})`);
    // What `eff run` prints for a run: epochs, accuracy, joules, accuracy per kJ, labels (estimated, DEGRADED).
    log(formatRecord(record));
    return record;
  } catch (err) {
    await session.fail(err); // stops the probes; the failed record could be appended to a results file
    throw err;
  } finally {
    data.dispose();
    model.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await wrapModelFit();
}
