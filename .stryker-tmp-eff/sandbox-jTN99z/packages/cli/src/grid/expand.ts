// @ts-nocheck
// Expands a grid config into its runs: datasets × architectures × sizes × criteria (× CIFAR folds), each hashed.
import { configHash, type RunConfig, RunConfigSchema } from '@eff/core';
import type { GridConfig } from './config.js';

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
 * Order: dataset, criterion, architecture, size, fold — so a partly finished grid already holds
 * complete LeNet-vs-BCNN comparisons for the first criteria.
 */
export function expandGrid(grid: GridConfig): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const dataset of grid.datasets) {
    const folds: (number | null)[] = dataset === 'cifar10' ? foldsOf(grid) : [null];
    for (const criterion of grid.criteria) {
      for (const architecture of grid.architectures) {
        for (const size of grid.sizes) {
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
              seed: grid.seed,
              extra,
            });
            const label = `${dataset}${fold === null ? '' : ` fold ${fold}`} ${config.model} ${criterion.label ?? criterion.name}`;
            runs.push({ runId: configHash(config), config, label });
          }
        }
      }
    }
  }
  return runs;
}
