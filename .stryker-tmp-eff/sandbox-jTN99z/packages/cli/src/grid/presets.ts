// @ts-nocheck
// Named grids: the paper's full MNIST and CIFAR-10 settings, and `quick` for a 2-core machine.
import type { GridConfigInput } from './config.js';

/**
 * The paper's four stopping criteria (Section 4): 50 epochs, accuracy bound, early stopping with
 * patience 3, and an energy budget. Every run is also capped at `maxEpochs` (100).
 */
function paperCriteria(accuracyTarget: number, accuracyOn: 'train' | 'validation', budgetJ: number) {
  return [
    { name: 'fixedEpochs', params: { epochs: 50 }, label: '50 epochs' },
    {
      name: 'accuracyTarget',
      params: { target: accuracyTarget, on: accuracyOn },
      label: `accuracy ≥ ${accuracyTarget} (${accuracyOn})`,
    },
    { name: 'earlyStopping', params: { patience: 3 }, label: 'early stopping (patience 3)' },
    {
      name: 'energyBudget',
      params: { joules: budgetJ, checkEvery: 'batch' },
      label: `energy budget ${budgetJ} J`,
    },
  ];
}

/**
 * Energy budgets in joules. The paper's "100 kW" was a plain sum of ~1000 watt readings per second
 * (DESIGN.md §1), not energy; these budgets are chosen so the budget binds before 100 epochs on a
 * single GPU, like the paper's, and are stated in joules.
 */
const PAPER_BUDGET_MNIST_J = 20_000;
const PAPER_BUDGET_CIFAR_J = 40_000;

export const PRESETS: Record<string, { description: string; config: GridConfigInput }> = {
  'paper-mnist': {
    description:
      "The paper's MNIST grid: LeNet-1..5 and BCNN-1..5, four criteria, 100 max epochs, batch 256, Adam 1e-3, 60k/10k split (40 runs).",
    config: {
      name: 'paper-mnist',
      datasets: ['mnist'],
      architectures: ['lenet', 'bcnn'],
      sizes: [1, 2, 3, 4, 5],
      criteria: paperCriteria(0.99, 'train', PAPER_BUDGET_MNIST_J),
      maxEpochs: 100,
      batchSize: 256,
      learningRate: 1e-3,
      mnist: { validationSplit: 0.2 },
    },
  },
  'paper-cifar': {
    description:
      "The paper's CIFAR-10 grid: LeNet-1..5 and BCNN-1..5, four criteria, 100 max epochs, batch 256, Adam 1e-3, 6-fold CV of 1000 images per class per fold (240 runs).",
    config: {
      name: 'paper-cifar',
      datasets: ['cifar10'],
      architectures: ['lenet', 'bcnn'],
      sizes: [1, 2, 3, 4, 5],
      // The paper lowered the CIFAR accuracy bound (its exact value was lost from the text); 0.7 on train.
      criteria: paperCriteria(0.7, 'train', PAPER_BUDGET_CIFAR_J),
      maxEpochs: 100,
      batchSize: 256,
      learningRate: 1e-3,
      cifar10: { folds: 6, perClassPerFold: 1000, validationSplit: 0.2 },
    },
  },
  quick: {
    description:
      'A small MNIST grid for a 2-core machine (~10-20 min on CPU/wasm): LeNet and BCNN sizes 1-2, four criteria, 8k training images, 10 max epochs.',
    config: {
      name: 'quick',
      datasets: ['mnist'],
      architectures: ['lenet', 'bcnn'],
      sizes: [1, 2],
      criteria: [
        { name: 'fixedEpochs', params: { epochs: 5 }, label: '5 epochs' },
        {
          name: 'accuracyTarget',
          params: { target: 0.95, on: 'validation' },
          label: 'validation accuracy ≥ 0.95',
        },
        { name: 'earlyStopping', params: { patience: 2 }, label: 'early stopping (patience 2)' },
        {
          name: 'energyBudget',
          params: { joules: 3000, checkEvery: 'batch' },
          label: 'energy budget 3000 J',
        },
      ],
      maxEpochs: 10,
      batchSize: 128,
      learningRate: 1e-3,
      mnist: { trainSize: 8000, testSize: 2000, validationSplit: 0.2 },
    },
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);
