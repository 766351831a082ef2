// @ts-nocheck
// Stratified k-fold cross-validation as in the paper's CIFAR-10 protocol: each test fold holds exactly N images per class.
import type { Dataset, Splits } from '../types.js';
import { DatasetSplitError } from './errors.js';
import {
  checkValidationSplit,
  indicesByClass,
  seededRandom,
  shuffleInPlace,
  stratifiedSample,
  toSplits,
} from './split.js';

/** Options of `kFold`. */
export interface KFoldArgs {
  /** Number of folds. Default 6 (the paper's). */
  folds?: number;
  /** Images of each class in every test fold. Default 1000 (the paper's: 6 × 1000 × 10 = all 60k of CIFAR-10). */
  perClassPerFold?: number;
  /** Seed of the assignment to folds and of the validation splits; the same seed gives the same folds. Default 0. */
  seed?: number;
  /** Fraction of each fold's training images held out for validation, stratified by class. Default 0.2. */
  validationSplit?: number;
}

/** Image indices of one fold, each list in ascending order. */
export interface FoldIndices {
  train: number[];
  validation: number[];
  test: number[];
}

/** A k-fold partition of a dataset. */
export interface KFold {
  folds: number;
  perClassPerFold: number;
  /** Indices of fold `i` (0-based): its test images, and the rest split into training and validation. */
  indices(i: number): FoldIndices;
  /** Fold `i` as tensors on the active (initialised) tfjs backend; dispose the result when done. */
  fold(i: number): Splits;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new DatasetSplitError(`kFold: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

/**
 * Splits `dataset` into `folds` disjoint test folds, each with exactly `perClassPerFold` images of every class,
 * drawn at random per class (deterministic in `seed`). For fold i the training images are all images outside
 * test fold i (images beyond `folds × perClassPerFold` of a class are never tested, always trained on), with a
 * stratified `validationSplit` part held out. Throws a `DatasetSplitError` listing every class with too few images.
 */
export function kFold(dataset: Dataset, args: KFoldArgs = {}): KFold {
  const { folds = 6, perClassPerFold = 1000, seed = 0, validationSplit = 0.2 } = args;
  checkCount('folds', folds, 1);
  checkCount('perClassPerFold', perClassPerFold, 1);
  checkValidationSplit(validationSplit);
  const groups = indicesByClass(dataset);
  const needed = folds * perClassPerFold;
  const short = groups
    .map((group, c) => ({ c, have: group.length }))
    .filter(({ have }) => have < needed)
    .map(
      ({ c, have }) =>
        `class ${c}${dataset.classNames?.[c] ? ` (${dataset.classNames[c]})` : ''} has ${have}`,
    );
  if (short.length > 0) {
    throw new DatasetSplitError(
      `${dataset.name}: ${folds} folds × ${perClassPerFold} images per class need ${needed} images of every ` +
        `class, but ${short.join(', ')}. Lower folds or perClassPerFold, or load the whole dataset.`,
    );
  }
  // foldOf[i] = test fold of image i, or -1 for images no fold tests.
  const foldOf = new Int32Array(dataset.count).fill(-1);
  const random = seededRandom(seed, 'kfold');
  for (const group of groups) {
    shuffleInPlace(group, random);
    for (let f = 0; f < folds; f++) {
      for (const index of group.slice(f * perClassPerFold, (f + 1) * perClassPerFold)) foldOf[index] = f;
    }
  }

  const indices = (i: number): FoldIndices => {
    if (!Number.isInteger(i) || i < 0 || i >= folds) {
      throw new DatasetSplitError(`kFold: fold ${i} does not exist; expected 0..${folds - 1}`);
    }
    const test: number[] = [];
    const rest: number[] = [];
    foldOf.forEach((f, index) => {
      (f === i ? test : rest).push(index);
    });
    const { taken: validation, rest: train } = stratifiedSample(
      dataset,
      Math.round(rest.length * validationSplit),
      seededRandom(seed, `kfold-validation-${i}`),
      rest,
    );
    return { train, validation, test };
  };

  return {
    folds,
    perClassPerFold,
    indices,
    fold(i: number): Splits {
      const { train, validation, test } = indices(i);
      return toSplits({ train: [dataset, train], validation: [dataset, validation], test: [dataset, test] });
    },
  };
}
