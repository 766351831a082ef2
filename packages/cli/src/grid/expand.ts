// Expands a grid config into its runs: datasets × replicates × sizes × architectures × criteria (× CIFAR folds), each hashed.
import { configHash, type RunConfig, RunConfigSchema } from '@eff/core';
import { type GridConfig, replicateSeeds } from './config.js';

export interface PlannedRun {
  /** configHash(config): the key that makes a rerun skip this run once it is in the results. */
  runId: string;
  config: RunConfig;
  /** Human label, e.g. `mnist lenet-1 earlyStopping`. */
  label: string;
}

function foldsOf(grid: GridConfig): number[] {
  const all = Array.from({ length: grid.cifar10.folds }, (_, i) => i);
  if (!grid.cifar10.onlyFolds) return all;
  return grid.cifar10.onlyFolds.filter((f) => f < grid.cifar10.folds);
}

/** Data settings that change what is trained, so they belong in the hashed config. */
function dataExtra(grid: GridConfig, dataset: string): Record<string, unknown> {
  if (dataset === 'mnist') {
    return {
      trainSize: grid.mnist.trainSize ?? 60_000,
      testSize: grid.mnist.testSize ?? 10_000,
      validationSplit: grid.mnist.validationSplit,
    };
  }
  return {
    folds: grid.cifar10.folds,
    perClassPerFold: grid.cifar10.perClassPerFold,
    validationSplit: grid.cifar10.validationSplit,
  };
}

/**
 * Every run of the grid, in the order they are trained:
 * dataset → replicate → size → architecture → criterion → fold.
 *
 * Run order matters because a run's energy depends on what ran before it (a cold process, caches, heat): the same
 * LeNet-1 epochs measured 118 J as the first run of a grid and 52 J as the third. So the criteria are interleaved
 * (every model meets every criterion before the next model starts) and rotated: the block of criteria of the b-th
 * (replicate, size, architecture) starts at criterion b mod C, so over the grid each criterion is first, second, …
 * equally often, and no criterion is always trained right after a process starts or after the largest model.
 * Replicates are outer so a partly finished grid holds complete first replicates. Folds stay innermost (one CIFAR-10
 * fold is held at a time). `replicate` is set in the config (and so in the run hash) only when there are several.
 */
export function expandGrid(grid: GridConfig): PlannedRun[] {
  const runs: PlannedRun[] = [];
  const seeds = replicateSeeds(grid);
  const criteriaCount = grid.criteria.length;
  for (const dataset of grid.datasets) {
    const folds: (number | null)[] = dataset === 'cifar10' ? foldsOf(grid) : [null];
    let block = 0;
    for (const [replicate, seed] of seeds.entries()) {
      for (const size of grid.sizes) {
        for (const architecture of grid.architectures) {
          for (let i = 0; i < criteriaCount; i++) {
            const criterion = grid.criteria[(block + i) % criteriaCount]!;
            for (const fold of folds) {
              const extra: Record<string, unknown> = { ...dataExtra(grid, dataset), backend: grid.backend };
              if (architecture === 'bcnn') extra.bcnnKind = grid.bcnnKind;
              // Only when set, so results written before the field existed keep their config hashes.
              if (grid.threads !== undefined) extra.threads = grid.threads;
              const config = RunConfigSchema.parse({
                architecture,
                size,
                model: `${architecture === 'lenet' ? 'LeNet' : 'BCNN'}-${size}`,
                dataset,
                fold,
                criterion,
                maxEpochs: grid.maxEpochs,
                batchSize: grid.batchSize,
                learningRate: grid.learningRate,
                optimizer: grid.optimizer,
                seed,
                // Only with replicates, so a grid without them keeps the hashes it had.
                ...(seeds.length > 1 ? { replicate } : {}),
                extra,
              });
              const rep = seeds.length > 1 ? ` seed ${seed}` : '';
              const label = `${dataset}${fold === null ? '' : ` fold ${fold}`} ${config.model} ${criterion.label ?? criterion.name}${rep}`;
              runs.push({ runId: configHash(config), config, label });
            }
          }
          block += 1;
        }
      }
    }
  }
  return runs;
}
