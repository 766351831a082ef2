// @ts-nocheck
// Tests of seeded stratified sampling and of toSplit's tensors on small hand-made datasets.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../types.js';
import { DatasetSplitError } from './errors.js';
import { seededRandom, stratifiedSample, toSplit } from './split.js';

/** A dataset whose image i has every pixel equal to i / 1000, so a gathered row shows where it came from. */
function tinyDataset(
  labels: number[],
  classes: number,
  imageShape: [number, number, number] = [2, 2, 1],
): Dataset {
  const pixels = imageShape[0] * imageShape[1] * imageShape[2];
  const images = new Float32Array(labels.length * pixels);
  labels.forEach((_, i) => {
    images.fill(i / 1000, i * pixels, (i + 1) * pixels);
  });
  return { name: 'tiny', images, labels: Uint8Array.from(labels), count: labels.length, imageShape, classes };
}

describe('toSplit', () => {
  it('gathers the chosen images NHWC and one-hot labels in the order given', () => {
    const dataset = tinyDataset([2, 0, 1, 2], 3, [1, 2, 3]);
    const split = toSplit(dataset, [3, 1, 3]);
    expect(split.count).toBe(3);
    expect(split.xs.shape).toEqual([3, 1, 2, 3]);
    expect(split.xs.dtype).toBe('float32');
    expect(split.ys.shape).toEqual([3, 3]);
    expect(split.ys.dtype).toBe('float32');
    expect([...split.labels]).toEqual([2, 0, 2]);
    const xs = split.xs.dataSync();
    expect(xs[0]).toBeCloseTo(0.003);
    expect(xs[6]).toBeCloseTo(0.001);
    expect(xs[17]).toBeCloseTo(0.003);
    expect(split.ys.arraySync()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
      [0, 0, 1],
    ]);
    tf.dispose([split.xs, split.ys]);
  });

  it('names a bad index', () => {
    const dataset = tinyDataset([0, 1], 2);
    expect(() => toSplit(dataset, [0, 2])).toThrow(/index 2 at position 1 is not an image index in 0..1/);
    expect(() => toSplit(dataset, [0.5])).toThrow(DatasetSplitError);
  });

  it('makes an empty split with the right shapes', () => {
    const split = toSplit(tinyDataset([0, 1], 2), []);
    expect(split.xs.shape).toEqual([0, 2, 2, 1]);
    expect(split.ys.shape).toEqual([0, 2]);
    tf.dispose([split.xs, split.ys]);
  });
});

describe('stratifiedSample', () => {
  const labelsArb = fc
    .integer({ min: 1, max: 5 })
    .chain((classes) =>
      fc.tuple(
        fc.constant(classes),
        fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: 1, maxLength: 200 }),
      ),
    );

  it('partitions the input, follows class proportions to within one image, and is deterministic', () => {
    fc.assert(
      fc.property(
        labelsArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(),
        ([classes, labels], f, seed) => {
          const dataset = tinyDataset(labels, classes);
          const size = Math.round(f * labels.length);
          const { taken, rest } = stratifiedSample(dataset, size, seededRandom(seed));
          expect(taken.length).toBe(size);
          expect([...taken, ...rest].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
          expect(taken).toEqual([...taken].sort((a, b) => a - b));
          for (let c = 0; c < classes; c++) {
            const inClass = labels.filter((l) => l === c).length;
            const takenOfClass = taken.filter((i) => labels[i] === c).length;
            expect(Math.abs(takenOfClass - (size * inClass) / labels.length)).toBeLessThan(1);
          }
          expect(stratifiedSample(dataset, size, seededRandom(seed)).taken).toEqual(taken);
        },
      ),
    );
  });

  it('samples only from the given indices', () => {
    const dataset = tinyDataset([0, 1, 0, 1, 0, 1, 0, 1], 2);
    const { taken, rest } = stratifiedSample(dataset, 2, seededRandom(1), [4, 5, 6, 7]);
    expect([...taken, ...rest].sort()).toEqual([4, 5, 6, 7]);
    expect(taken.map((i) => dataset.labels[i]).sort()).toEqual([0, 1]);
  });

  it('gives different samples for different seeds', () => {
    const dataset = tinyDataset(
      Array.from({ length: 1000 }, (_, i) => i % 10),
      10,
    );
    const a = stratifiedSample(dataset, 100, seededRandom(0)).taken;
    const b = stratifiedSample(dataset, 100, seededRandom(1)).taken;
    expect(a).not.toEqual(b);
  });

  it('refuses sizes it cannot meet', () => {
    const dataset = tinyDataset([0, 1, 1], 2);
    expect(() => stratifiedSample(dataset, 4, seededRandom(0))).toThrow(/cannot take 4 images from 3/);
    expect(() => stratifiedSample(dataset, -1, seededRandom(0))).toThrow(DatasetSplitError);
  });
});
