// @ts-nocheck
// Tests of the stratified k-fold protocol: disjoint test folds with exactly N images per class, determinism, errors.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../types.js';
import { DatasetSplitError } from './errors.js';
import { kFold } from './kfold.js';

/** A labels-only dataset (1×1×1 images whose pixel is index / count, to trace rows in tensors). */
function labelled(labels: number[], classes: number, classNames?: string[]): Dataset {
  return {
    name: 'synthetic',
    images: Float32Array.from(labels, (_, i) => i / labels.length),
    labels: Uint8Array.from(labels),
    count: labels.length,
    imageShape: [1, 1, 1],
    classes,
    classNames,
  };
}

const perClass = (dataset: Dataset, indices: number[]): number[] => {
  const counts = new Array(dataset.classes).fill(0);
  for (const i of indices) counts[dataset.labels[i]!]++;
  return counts;
};

/** Labels with `counts[c]` images of class c, interleaved so that classes are not in blocks. */
function labelsWithCounts(counts: number[]): number[] {
  const labels: number[] = [];
  const left = [...counts];
  while (left.some((n) => n > 0)) {
    left.forEach((n, c) => {
      if (n > 0) {
        labels.push(c);
        left[c] = n - 1;
      }
    });
  }
  return labels;
}

describe('kFold', () => {
  it('follows the paper protocol on a 60k, 10-class label set: 6 disjoint folds of 1000 per class', () => {
    const dataset = labelled(labelsWithCounts(new Array(10).fill(6000)), 10);
    const cv = kFold(dataset);
    expect(cv.folds).toBe(6);
    const seen = new Uint8Array(dataset.count);
    for (let i = 0; i < 6; i++) {
      const { train, validation, test } = cv.indices(i);
      expect(perClass(dataset, test)).toEqual(new Array(10).fill(1000));
      expect(train.length).toBe(40_000);
      expect(validation.length).toBe(10_000);
      expect(perClass(dataset, validation)).toEqual(new Array(10).fill(1000));
      for (const t of test) seen[t]! += 1;
    }
    // Every image is tested exactly once over the six folds.
    expect(seen.every((n) => n === 1)).toBe(true);
  });

  it('keeps test folds disjoint, exact per class, each fold a partition, deterministic in the seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        fc.nat(),
        (classes, folds, p, extra, validationSplit, seed) => {
          const counts = Array.from({ length: classes }, (_, c) => folds * p + extra[c]!);
          const dataset = labelled(labelsWithCounts(counts), classes);
          const cv = kFold(dataset, { folds, perClassPerFold: p, seed, validationSplit });
          const testedIn = new Int32Array(dataset.count).fill(-1);
          for (let i = 0; i < folds; i++) {
            const { train, validation, test } = cv.indices(i);
            expect(perClass(dataset, test)).toEqual(new Array(classes).fill(p));
            for (const t of test) {
              expect(testedIn[t]).toBe(-1);
              testedIn[t] = i;
            }
            const all = [...train, ...validation, ...test].sort((a, b) => a - b);
            expect(all).toEqual(Array.from({ length: dataset.count }, (_, k) => k));
            expect(validation.length).toBe(Math.round((dataset.count - test.length) * validationSplit));
            expect(cv.indices(i)).toEqual({ train, validation, test });
            expect(
              kFold(dataset, { folds, perClassPerFold: p, seed, validationSplit }).indices(i).test,
            ).toEqual(test);
          }
          // Untested images are exactly the extras beyond folds × p of each class.
          const untested = [...testedIn].filter((f) => f === -1).length;
          expect(untested).toBe(extra.slice(0, classes).reduce((a, b) => a + b, 0));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('gives different folds for different seeds', () => {
    const dataset = labelled(labelsWithCounts([60, 60, 60]), 3);
    const a = kFold(dataset, { folds: 6, perClassPerFold: 10, seed: 0 }).indices(0).test;
    const b = kFold(dataset, { folds: 6, perClassPerFold: 10, seed: 1 }).indices(0).test;
    expect(a).not.toEqual(b);
  });

  it('names every class with too few images', () => {
    const dataset = labelled(labelsWithCounts([12, 11, 12, 9]), 4, ['a', 'b', 'c', 'd']);
    const make = () => kFold(dataset, { folds: 6, perClassPerFold: 2 });
    expect(make).toThrow(DatasetSplitError);
    expect(make).toThrow(
      'synthetic: 6 folds × 2 images per class need 12 images of every class, but class 1 (b) has 11, ' +
        'class 3 (d) has 9. Lower folds or perClassPerFold, or load the whole dataset.',
    );
  });

  it('rejects bad options and fold numbers', () => {
    const dataset = labelled(labelsWithCounts([12, 12]), 2);
    expect(() => kFold(dataset, { folds: 0 })).toThrow(/folds must be an integer ≥ 1, got 0/);
    expect(() => kFold(dataset, { perClassPerFold: 1.5 })).toThrow(/perClassPerFold must be an integer/);
    expect(() => kFold(dataset, { folds: 2, perClassPerFold: 1, validationSplit: -0.1 })).toThrow(
      /validationSplit/,
    );
    const cv = kFold(dataset, { folds: 2, perClassPerFold: 6 });
    expect(() => cv.indices(2)).toThrow(/fold 2 does not exist; expected 0..1/);
  });

  it('builds fold tensors that match its indices', () => {
    const dataset = labelled(labelsWithCounts([10, 10]), 2);
    const cv = kFold(dataset, { folds: 2, perClassPerFold: 5, validationSplit: 0.2, seed: 7 });
    const { validation, test } = cv.indices(1);
    const before = tf.memory().numTensors;
    const splits = cv.fold(1);
    expect([splits.train.count, splits.validation.count, splits.test.count]).toEqual([8, 2, 10]);
    expect(splits.test.xs.shape).toEqual([10, 1, 1, 1]);
    expect([...splits.test.xs.dataSync()]).toEqual(test.map((i) => Math.fround(i / dataset.count)));
    expect([...splits.validation.labels]).toEqual(validation.map((i) => dataset.labels[i]));
    splits.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
