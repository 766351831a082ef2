// @ts-nocheck
// Seeded stratified sampling over a Dataset's labels, and turning chosen indices into tensors (toSplit).
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { Dataset, Split, Splits } from '../types.js';
import { DatasetSplitError } from './errors.js';

/**
 * A deterministic generator of numbers in [0, 1) for a seed (seedrandom's ARC4, the PRNG tfjs itself uses).
 * `stream` names an independent sequence, so that e.g. changing the test subset leaves the validation split alone.
 */
export function seededRandom(seed: number, stream = 'default'): () => number {
  if (!Number.isFinite(seed)) throw new DatasetSplitError(`seed must be a finite number, got ${seed}`);
  return seedrandom(`eff:${stream}:${seed}`);
}

/** Fisher–Yates shuffle driven by `random`. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

/** Indices (from `indices`, or all of the dataset) grouped by class, each group in the given order. */
export function indicesByClass(dataset: Dataset, indices?: readonly number[]): number[][] {
  const groups: number[][] = Array.from({ length: dataset.classes }, () => []);
  const each = (i: number) => {
    const label = dataset.labels[i];
    if (label === undefined || label >= dataset.classes) {
      throw new DatasetSplitError(
        `${dataset.name}: image ${i} has label ${label ?? 'none'}, expected a class in 0..${dataset.classes - 1}`,
      );
    }
    groups[label]!.push(i);
  };
  if (indices) for (const i of indices) each(i);
  else for (let i = 0; i < dataset.count; i++) each(i);
  return groups;
}

/**
 * Per-class quotas that sum to `size` and follow the class proportions of `groupSizes`
 * (largest remainder; ties go to the lower class index).
 */
function proportionalQuotas(groupSizes: number[], size: number): number[] {
  const total = groupSizes.reduce((a, b) => a + b, 0);
  if (total === 0) return groupSizes.map(() => 0);
  const exact = groupSizes.map((n) => (size * n) / total);
  const quotas = exact.map((x) => Math.floor(x));
  let left = size - quotas.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, c) => ({ c, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.c - b.c);
  for (const { c } of order) {
    if (left === 0) break;
    if (quotas[c]! < groupSizes[c]!) {
      quotas[c]! += 1;
      left--;
    }
  }
  return quotas;
}

/**
 * Splits `indices` (default: the whole dataset) into `size` images chosen at random per class in proportion to
 * the class counts, and the rest. Both parts come back in ascending index order; deterministic in `random`.
 */
export function stratifiedSample(
  dataset: Dataset,
  size: number,
  random: () => number,
  indices?: readonly number[],
): { taken: number[]; rest: number[] } {
  const groups = indicesByClass(dataset, indices);
  const available = groups.reduce((a, g) => a + g.length, 0);
  if (!Number.isInteger(size) || size < 0 || size > available) {
    throw new DatasetSplitError(
      `${dataset.name}: cannot take ${size} images from ${available}; expected an integer in 0..${available}`,
    );
  }
  const quotas = proportionalQuotas(
    groups.map((g) => g.length),
    size,
  );
  const taken: number[] = [];
  const rest: number[] = [];
  groups.forEach((group, c) => {
    shuffleInPlace(group, random);
    taken.push(...group.slice(0, quotas[c]));
    rest.push(...group.slice(quotas[c]));
  });
  return { taken: taken.sort((a, b) => a - b), rest: rest.sort((a, b) => a - b) };
}

/** Checks a validation fraction in [0, 1). */
export function checkValidationSplit(validationSplit: number): void {
  if (!(validationSplit >= 0 && validationSplit < 1)) {
    throw new DatasetSplitError(`validationSplit must be in [0, 1), got ${validationSplit}`);
  }
}

/**
 * The images at `indices` as tensors: `xs` float32 NHWC `[n, h, w, c]` in [0, 1], `ys` one-hot float32
 * `[n, classes]`. The images are copied, so the dataset may be dropped afterwards; dispose the tensors when done.
 * Tensors go to the active tfjs backend, which must be initialised (`await useBackend(...)` or `await tf.ready()`).
 */
export function toSplit(dataset: Dataset, indices: readonly number[]): Split {
  const [height, width, channels] = dataset.imageShape;
  const pixels = height * width * channels;
  const n = indices.length;
  const images = new Float32Array(n * pixels);
  const labels = new Uint8Array(n);
  const oneHot = new Float32Array(n * dataset.classes);
  indices.forEach((index, row) => {
    if (!Number.isInteger(index) || index < 0 || index >= dataset.count) {
      throw new DatasetSplitError(
        `${dataset.name}: index ${index} at position ${row} is not an image index in 0..${dataset.count - 1}`,
      );
    }
    const label = dataset.labels[index]!;
    if (label >= dataset.classes) {
      throw new DatasetSplitError(
        `${dataset.name}: image ${index} has label ${label}, expected a class in 0..${dataset.classes - 1}`,
      );
    }
    images.set(dataset.images.subarray(index * pixels, (index + 1) * pixels), row * pixels);
    labels[row] = label;
    oneHot[row * dataset.classes + label] = 1;
  });
  return {
    xs: tf.tensor4d(images, [n, height, width, channels], 'float32'),
    ys: tf.tensor2d(oneHot, [n, dataset.classes], 'float32'),
    labels,
    count: n,
  };
}

/** Builds the three splits; if one fails, the tensors already made are freed. */
export function toSplits(parts: {
  train: [Dataset, number[]];
  validation: [Dataset, number[]];
  test: [Dataset, number[]];
}): Splits {
  const made: Split[] = [];
  try {
    const train = toSplit(...parts.train);
    made.push(train);
    const validation = toSplit(...parts.validation);
    made.push(validation);
    const test = toSplit(...parts.test);
    made.push(test);
    return {
      train,
      validation,
      test,
      dispose() {
        for (const split of made) tf.dispose([split.xs, split.ys]);
      },
    };
  } catch (err) {
    for (const split of made) tf.dispose([split.xs, split.ys]);
    throw err;
  }
}
