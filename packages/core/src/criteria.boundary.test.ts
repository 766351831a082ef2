// Boundary tests for every documented threshold of the stopping criteria: each value sits exactly on its threshold.
import { describe, expect, it } from 'vitest';
import type { BatchState, EpochState } from './criteria.js';
import * as criteria from './criteria.js';

// Binary-exact values (sums of powers of two) so that "exactly at the threshold" is exact in floating point.
const ep = (epoch: number, o: Partial<EpochState> = {}): EpochState => ({
  epoch,
  trainAccuracy: 0.5,
  validationAccuracy: 0.5,
  cumulativeEnergyJ: 100 * epoch,
  elapsedMs: 1000 * epoch,
  ...o,
});
const batch = (cumulativeEnergyJ: number, b = 1): BatchState => ({
  epoch: 1,
  batch: b,
  cumulativeEnergyJ,
  elapsedMs: 0,
});

describe('energyBudget at exactly the budget', () => {
  it('per epoch: stops at budget, not just below it', () => {
    const run = criteria.energyBudget({ joules: 250 }).start();
    expect(run.afterEpoch(ep(1, { cumulativeEnergyJ: 249.75 }))).toBeNull();
    expect(run.afterEpoch(ep(2, { cumulativeEnergyJ: 250 }))).toEqual({
      criterion: 'energyBudget',
      reason: 'cumulative energy 250.0 J ≥ budget 250 J',
      epoch: 2,
    });
  });

  it('per batch: stops at the batch whose total equals the budget, not just below it', () => {
    const run = criteria.energyBudget({ joules: 250, checkEvery: 'batch' }).start();
    expect(run.afterBatch(batch(249.75, 7))).toBeNull();
    expect(run.afterBatch(batch(250, 8))).toEqual({
      criterion: 'energyBudget',
      reason: 'cumulative energy 250.0 J ≥ budget 250 J',
      epoch: 1,
      batch: 8,
    });
  });

  it('per epoch: batches are not judged, even far over the budget', () => {
    const run = criteria.energyBudget({ joules: 250 }).start();
    expect(run.afterBatch(batch(1e6))).toBeNull();
  });

  it('per batch: a negative or non-finite total is an error, zero is not', () => {
    const run = criteria.energyBudget({ joules: 250, checkEvery: 'batch' }).start();
    expect(run.afterBatch(batch(0))).toBeNull();
    expect(() => run.afterBatch(batch(-0.25))).toThrow(/found -0.25 \(epoch 1, batch 1\)/);
    expect(() => run.afterBatch(batch(Number.NaN))).toThrow(/found NaN/);
  });
});

describe('earlyStopping at equality', () => {
  it('an accuracy equal to the best is no improvement, and it stops when the wait equals patience', () => {
    const run = criteria.earlyStopping({ patience: 2 }).start();
    expect(run.afterEpoch(ep(1, { validationAccuracy: 0.5 }))).toBeNull();
    expect(run.afterEpoch(ep(2, { validationAccuracy: 0.5 }))).toBeNull();
    expect(run.afterEpoch(ep(3, { validationAccuracy: 0.5 }))?.epoch).toBe(3);
  });

  it('a gain of exactly minDelta is no improvement; a gain just above it is', () => {
    const exactly = criteria.earlyStopping({ patience: 1, minDelta: 0.25 }).start();
    expect(exactly.afterEpoch(ep(1, { validationAccuracy: 0.5 }))).toBeNull();
    const d = exactly.afterEpoch(ep(2, { validationAccuracy: 0.75 }));
    expect(d?.reason).toBe(
      'validation accuracy did not improve on 0.5000 (epoch 1) by more than 0.25 for 1 epochs',
    );
    const above = criteria.earlyStopping({ patience: 1, minDelta: 0.25 }).start();
    expect(above.afterEpoch(ep(1, { validationAccuracy: 0.5 }))).toBeNull();
    expect(above.afterEpoch(ep(2, { validationAccuracy: 0.75 + 2 ** -20 }))).toBeNull();
  });

  it('an improvement resets the wait', () => {
    const run = criteria.earlyStopping({ patience: 2 }).start();
    for (const [epoch, acc] of [
      [1, 0.5],
      [2, 0.5],
      [3, 0.625],
      [4, 0.625],
    ] as const) {
      expect(run.afterEpoch(ep(epoch, { validationAccuracy: acc })), `epoch ${epoch}`).toBeNull();
    }
    expect(run.afterEpoch(ep(5, { validationAccuracy: 0.625 }))?.reason).toContain('0.6250 (epoch 3)');
  });
});

describe('accuracyTarget and fixedEpochs at equality', () => {
  it('accuracy equal to the target stops; one step below does not (train and validation)', () => {
    for (const on of ['train', 'validation'] as const) {
      const key = on === 'train' ? 'trainAccuracy' : 'validationAccuracy';
      const other = on === 'train' ? 'validationAccuracy' : 'trainAccuracy';
      const run = criteria.accuracyTarget({ target: 0.75, on }).start();
      expect(run.afterEpoch(ep(1, { [key]: 0.75 - 2 ** -20, [other]: 1 })), on).toBeNull();
      expect(run.afterEpoch(ep(2, { [key]: 0.75, [other]: 0 }))?.reason).toBe(
        `${on} accuracy 0.7500 ≥ target 0.75`,
      );
    }
  });

  it('accuracies 0 and 1 are valid, just outside them is an error', () => {
    const run = criteria.accuracyTarget({ target: 1 }).start();
    expect(run.afterEpoch(ep(1, { validationAccuracy: 0 }))).toBeNull();
    expect(run.afterEpoch(ep(2, { validationAccuracy: 1 }))?.epoch).toBe(2);
    expect(() => run.afterEpoch(ep(3, { validationAccuracy: -(2 ** -20) }))).toThrow(/\[0, 1\]/);
    expect(() => run.afterEpoch(ep(3, { trainAccuracy: 1 + 2 ** -20 }))).toThrow(/trainAccuracy/);
  });

  it('fixedEpochs stops at epoch N exactly, for N = 1 and N = 50', () => {
    expect(criteria.fixedEpochs(1).start().afterEpoch(ep(1))?.reason).toBe('reached 1 epochs');
    const run = criteria.fixedEpochs().start();
    for (let e = 1; e < 50; e++) expect(run.afterEpoch(ep(e)), `epoch ${e}`).toBeNull();
    expect(run.afterEpoch(ep(50))?.epoch).toBe(50);
  });

  it('epoch 0 and negative energy are rejected; energy 0 is accepted', () => {
    const run = criteria.fixedEpochs(3).start();
    expect(() => run.afterEpoch(ep(0))).toThrow(/epoch must be an integer >= 1, found 0/);
    expect(() => run.afterEpoch(ep(1, { cumulativeEnergyJ: -0.25 }))).toThrow(/found -0.25 after epoch 1/);
    expect(run.afterEpoch(ep(1, { cumulativeEnergyJ: 0 }))).toBeNull();
  });

  it('withMaxEpochs stops at the cap exactly, not before', () => {
    const run = criteria.withMaxEpochs(criteria.fixedEpochs(10), 3);
    expect(run.afterEpoch(ep(2))).toBeNull();
    expect(run.afterEpoch(ep(3))).toEqual({
      criterion: 'maxEpochs',
      reason: 'hit the hard cap of 3 epochs',
      epoch: 3,
    });
  });

  it('withMaxEpochs accepts a cap of exactly 1 (the smallest) and stops after the first epoch', () => {
    const run = criteria.withMaxEpochs(criteria.fixedEpochs(10), 1);
    expect(run.afterEpoch(ep(1))).toEqual({
      criterion: 'maxEpochs',
      reason: 'hit the hard cap of 1 epochs',
      epoch: 1,
    });
  });
});

describe('allOf remembers a child that already said stop', () => {
  it('early stopping fired at epoch 3 and then reset; allOf still stops when fixedEpochs fires at 5', () => {
    // earlyStopping(patience 2) fires at epoch 3; the improvement at epoch 4 resets it, so at epoch 5 it says
    // nothing. A forgetful allOf would never stop here.
    const all = criteria.allOf(criteria.earlyStopping({ patience: 2 }), criteria.fixedEpochs(5)).start();
    const accs = [0.5, 0.5, 0.5, 0.75, 0.75];
    const decisions = accs.map((a, i) => all.afterEpoch(ep(i + 1, { validationAccuracy: a })));
    expect(decisions.slice(0, 4)).toEqual([null, null, null, null]);
    expect(decisions[4]).toEqual({
      criterion: 'allOf',
      reason:
        'earlyStopping: validation accuracy did not improve on 0.5000 (epoch 1) by more than 0 for 2 epochs; ' +
        'fixedEpochs: reached 5 epochs',
      epoch: 5,
    });
  });

  it('per batch too: a budget met in one batch stays met', () => {
    const all = criteria
      .allOf(
        criteria.energyBudget({ joules: 100, checkEvery: 'batch' }),
        criteria.energyBudget({ joules: 200, checkEvery: 'batch' }),
      )
      .start();
    expect(all.afterBatch(batch(150, 1))).toBeNull();
    // Energy can only grow, but a child's own answer is what allOf must remember: 200 meets both.
    expect(all.afterBatch(batch(200, 2))).toMatchObject({ criterion: 'allOf', epoch: 1, batch: 2 });
  });

  it('keeps the first decision of each child in its reason', () => {
    const all = criteria.allOf(criteria.energyBudget({ joules: 100 }), criteria.fixedEpochs(3)).start();
    expect(all.afterEpoch(ep(1, { cumulativeEnergyJ: 100 }))).toBeNull();
    expect(all.afterEpoch(ep(2, { cumulativeEnergyJ: 200 }))).toBeNull();
    expect(all.afterEpoch(ep(3, { cumulativeEnergyJ: 300 }))?.reason).toBe(
      'energyBudget: cumulative energy 100.0 J ≥ budget 100 J; fixedEpochs: reached 3 epochs',
    );
  });

  it('anyOf stops at the first child, on the epoch or batch it fires', () => {
    const any = criteria
      .anyOf(criteria.fixedEpochs(9), criteria.energyBudget({ joules: 250, checkEvery: 'batch' }))
      .start();
    expect(any.afterBatch(batch(249.75))).toBeNull();
    expect(any.afterBatch(batch(250, 3))).toMatchObject({ criterion: 'energyBudget', batch: 3 });
  });
});
