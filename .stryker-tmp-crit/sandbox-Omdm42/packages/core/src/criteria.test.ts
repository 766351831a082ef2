// @ts-nocheck
// Tests for stopping criteria: decisions and reasons, fresh state per run, combinators, maxEpochs, config round trip.
import { describe, expect, it } from 'vitest';
import type { EpochState } from './criteria.js';
import * as criteria from './criteria.js';

const ep = (epoch: number, o: Partial<EpochState> = {}): EpochState => ({
  epoch,
  trainAccuracy: 0.5,
  validationAccuracy: 0.5,
  cumulativeEnergyJ: 100 * epoch,
  elapsedMs: 1000 * epoch,
  ...o,
});

/** Runs a criterion over a sequence of states, returns the first decision. */
function runUntilStop(run: criteria.CriterionRun, states: EpochState[]) {
  for (const s of states) {
    const d = run.afterEpoch(s);
    if (d) return d;
  }
  return null;
}

describe('criteria', () => {
  it('fixedEpochs stops at n with a reason', () => {
    const run = criteria.fixedEpochs(3).start();
    expect(run.afterEpoch(ep(2))).toBeNull();
    expect(run.afterEpoch(ep(3))).toEqual({ criterion: 'fixedEpochs', reason: 'reached 3 epochs', epoch: 3 });
    expect(criteria.fixedEpochs().toConfig()).toEqual({
      name: 'fixedEpochs',
      params: { epochs: 50 },
      label: '50 epochs',
    });
  });

  it('accuracyTarget on train or validation', () => {
    const t = criteria.accuracyTarget({ target: 0.9, on: 'train' }).start();
    expect(t.afterEpoch(ep(1, { trainAccuracy: 0.89, validationAccuracy: 0.95 }))).toBeNull();
    expect(t.afterEpoch(ep(2, { trainAccuracy: 0.9 }))?.reason).toBe('train accuracy 0.9000 ≥ target 0.9');
    const v = criteria.accuracyTarget().start();
    expect(v.afterEpoch(ep(1, { validationAccuracy: 0.989 }))).toBeNull();
    expect(v.afterEpoch(ep(2, { validationAccuracy: 0.99 }))?.criterion).toBe('accuracyTarget');
    expect(() => v.afterEpoch(ep(3, { validationAccuracy: null }))).toThrow(/validationAccuracy.*null/);
    expect(() => v.afterEpoch(ep(3, { validationAccuracy: 1.2 }))).toThrow(/\[0, 1\], found 1.2/);
  });

  it('earlyStopping: patience epochs without improvement > minDelta, fresh state per run', () => {
    const es = criteria.earlyStopping({ patience: 2, minDelta: 0.01 });
    const accs = [0.5, 0.6, 0.605, 0.7, 0.7, 0.709];
    const states = accs.map((a, i) => ep(i + 1, { validationAccuracy: a }));
    const d = runUntilStop(es.start(), states);
    expect(d?.epoch).toBe(6);
    expect(d?.reason).toContain('0.7000 (epoch 4)');
    // A second run starts from scratch.
    const again = es.start();
    expect(again.afterEpoch(ep(1, { validationAccuracy: 0.1 }))).toBeNull();
    expect(again.afterEpoch(ep(2, { validationAccuracy: 0.1 }))).toBeNull();
    expect(again.afterEpoch(ep(3, { validationAccuracy: 0.1 }))?.epoch).toBe(3);
  });

  it('energyBudget per epoch and per batch', () => {
    const perEpoch = criteria.energyBudget({ joules: 250 });
    expect(perEpoch.checksBatches).toBe(false);
    expect(runUntilStop(perEpoch.start(), [ep(1), ep(2), ep(3)])?.epoch).toBe(3);
    const perBatch = criteria.energyBudget({ joules: 250, checkEvery: 'batch' });
    expect(perBatch.checksBatches).toBe(true);
    const run = perBatch.start();
    expect(run.afterBatch({ epoch: 3, batch: 4, cumulativeEnergyJ: 249, elapsedMs: 0 })).toBeNull();
    expect(run.afterBatch({ epoch: 3, batch: 5, cumulativeEnergyJ: 251, elapsedMs: 0 })).toEqual({
      criterion: 'energyBudget',
      reason: 'cumulative energy 251.0 J ≥ budget 250 J',
      epoch: 3,
      batch: 5,
    });
    expect(() => criteria.energyBudget({ joules: -1 })).toThrow(/params.joules/);
  });

  it('anyOf names the child that stopped; allOf waits for all', () => {
    const any = criteria.anyOf(criteria.fixedEpochs(5), criteria.energyBudget({ joules: 150 })).start();
    expect(any.afterEpoch(ep(1))).toBeNull();
    expect(any.afterEpoch(ep(2))?.criterion).toBe('energyBudget');
    const all = criteria.allOf(criteria.fixedEpochs(3), criteria.energyBudget({ joules: 150 })).start();
    expect(all.afterEpoch(ep(2))).toBeNull();
    const d = all.afterEpoch(ep(3));
    expect(d?.criterion).toBe('allOf');
    expect(d?.reason).toContain('fixedEpochs: reached 3 epochs');
  });

  it('withMaxEpochs caps every run, criterion wins ties', () => {
    const capped = criteria.withMaxEpochs(criteria.earlyStopping(), 2);
    expect(capped.afterEpoch(ep(1, { validationAccuracy: 0.1 }))).toBeNull();
    expect(capped.afterEpoch(ep(2, { validationAccuracy: 0.2 }))?.criterion).toBe('maxEpochs');
    expect(criteria.withMaxEpochs(criteria.fixedEpochs(2), 2).afterEpoch(ep(2))?.criterion).toBe(
      'fixedEpochs',
    );
    expect(() => criteria.withMaxEpochs(criteria.fixedEpochs(2), 0)).toThrow(/maxEpochs.*found 0/);
  });

  it('round-trips through config, keeps labels, names bad fields', () => {
    const c = criteria.anyOf(
      criteria.accuracyTarget({ target: 0.97, on: 'train' }),
      criteria.energyBudget({ joules: 300, checkEvery: 'batch' }),
    );
    const back = criteria.fromConfig(JSON.parse(JSON.stringify(c.toConfig())));
    expect(back.toConfig()).toEqual(c.toConfig());
    expect(back.checksBatches).toBe(true);
    expect(criteria.fromConfig({ name: 'earlyStopping', params: { patience: 3 }, label: 'ES3' }).label).toBe(
      'ES3',
    );
    expect(criteria.fromConfig({ name: 'earlyStopping' }).toConfig().params).toEqual({
      patience: 3,
      minDelta: 0,
    });
    expect(() => criteria.fromConfig({ name: 'earlyStopping', params: { patience: '3' } })).toThrow(
      /params.patience/,
    );
    expect(() => criteria.fromConfig({ name: 'nope' })).toThrow(/unknown criterion nope/);
    try {
      criteria.fromConfig({ name: 'nope' });
    } catch (e) {
      expect((e as criteria.CriterionError).code).toBe('E_CRITERION');
    }
  });
});
