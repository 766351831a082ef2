// Example: LeNet vs BCNN (MC-dropout) on MNIST under two stopping criteria, then Eq. 3, Eq. 4 and their ratio.
// Run: npx tsx --tsconfig examples/tsconfig.json examples/compare-architectures.ts
import { pathToFileURL } from 'node:url';
import {
  type ArchitectureEfficiencyRow,
  architectureEfficiency,
  criteria,
  type EfficiencyRatios,
  efficiencyRatios,
  measureEfficiency,
  type OverallEfficiencyRow,
  overallEfficiency,
  type RunRecord,
  type StoppingCriterion,
} from '@eff/core';
import { bcnn, compileModel, evaluateAccuracy, lenet, loadMnist, useBackend } from '@eff/models';

export interface CompareOptions {
  /** Model widths k (LeNet-k, BCNN-k); Eq. 3 averages over them. */
  sizes?: number[];
  trainSize?: number;
  testSize?: number;
  /** Epoch cap under every criterion. */
  maxEpochs?: number;
  /** The energy budget criterion's joules (checked per batch). */
  budgetJ?: number;
  batchSize?: number;
  intervalMs?: number;
  log?: (line: string) => void;
}

export interface Comparison {
  records: RunRecord[];
  /** Eq. 3 per architecture × criterion. */
  perCriterion: ArchitectureEfficiencyRow[];
  /** Eq. 4 per architecture. */
  overall: OverallEfficiencyRow[];
  /** LeNet / BCNN (and the reverse) on MNIST. */
  ratios: EfficiencyRatios;
}

export async function compareArchitectures(options: CompareOptions = {}): Promise<Comparison> {
  const {
    sizes = [1, 2],
    trainSize = 6_000,
    testSize = 1_000,
    maxEpochs = 5,
    budgetJ = 1_500,
    batchSize = 128,
    intervalMs = 1000,
    log = console.log,
  } = options;
  const backend = await useBackend('auto');
  const data = await loadMnist({ trainSize, testSize, seed: 1 });
  // One criterion object serves every run: measureEfficiency calls its start() per run, and its config (label)
  // is what groups the runs in Eq. 3.
  const criterionList: StoppingCriterion[] = [
    criteria.fixedEpochs(Math.min(3, maxEpochs)),
    criteria.energyBudget({ joules: budgetJ, checkEvery: 'batch' }),
  ];
  const records: RunRecord[] = [];
  try {
    for (const criterion of criterionList) {
      for (const architecture of ['lenet', 'bcnn'] as const) {
        for (const size of sizes) {
          const model =
            architecture === 'lenet' ? lenet({ width: size, seed: size }) : bcnn({ width: size, seed: size });
          compileModel(model, { learningRate: 1e-3 });
          const session = measureEfficiency({
            config: { architecture, size, dataset: 'mnist', batchSize, learningRate: 1e-3 },
            criterion,
            maxEpochs,
            intervalMs,
            environment: { backend: backend.backend },
            // BCNN accuracy is one stochastic pass with dropout on (the paper's "test ensemble 1").
            evaluate: async () => ({
              testAccuracy: await evaluateAccuracy(model, data.test.xs, data.test.labels, { batchSize: 512 }),
            }),
          });
          try {
            await model.fit(data.train.xs, data.train.ys, {
              epochs: maxEpochs,
              batchSize,
              validationData: [data.validation.xs, data.validation.ys],
              verbose: 0,
              callbacks: [session.callback(model)],
            });
            const record = await session.finish();
            records.push(record);
            const f = record.final;
            log(
              `${architecture}-${size} under ${criterion.label}: ${f.epochs} epochs, test accuracy ${f.accuracy.toFixed(4)}, ` +
                `${f.energyJ.total.toFixed(0)} J${f.estimated ? ' (estimated)' : ''}, Eq. 1 ${f.efficiency.toExponential(3)} /J`,
            );
          } catch (err) {
            records.push(await session.fail(err));
            throw err;
          } finally {
            model.dispose();
          }
        }
      }
    }
  } finally {
    data.dispose();
  }
  const perCriterion = architectureEfficiency(records);
  const overall = overallEfficiency(records);
  const ratios = efficiencyRatios(overall, { architectures: ['lenet', 'bcnn'] });
  for (const row of perCriterion) {
    log(`Eq. 3 ${row.architecture} under ${row.criterion}: ${row.efficiency.toExponential(3)} accuracy/J`);
  }
  for (const row of overall) log(`Eq. 4 ${row.architecture}: ${row.efficiency.toExponential(3)} accuracy/J`);
  for (const r of ratios.architectures) {
    log(`${r.numerator}/${r.denominator} on ${r.dataset}: ${r.ratio.toFixed(2)}× as efficient`);
  }
  return { records, perCriterion, overall, ratios };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await compareArchitectures();
}
