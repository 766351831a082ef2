// Labels, configs, validation messages and combinator plumbing of the stopping criteria (gaps Stryker found).
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

describe('labels and configs', () => {
  it('default labels say what each criterion does', () => {
    expect(criteria.fixedEpochs(7).label).toBe('7 epochs');
    expect(criteria.accuracyTarget().label).toBe('accuracy ≥ 0.99 (validation)');
    expect(criteria.accuracyTarget({ target: 0.5, on: 'train' }).label).toBe('accuracy ≥ 0.5 (train)');
    expect(criteria.earlyStopping().label).toBe('early stopping (patience 3)');
    expect(criteria.energyBudget({ joules: 5 }).label).toBe('energy budget 5 J (per epoch)');
    expect(criteria.energyBudget({ joules: 5, checkEvery: 'batch' }).label).toBe(
      'energy budget 5 J (per batch)',
    );
    const a = criteria.fixedEpochs(2);
    const b = criteria.earlyStopping();
    expect(criteria.anyOf(a, b).label).toBe('any of: 2 epochs, early stopping (patience 3)');
    expect(criteria.allOf(a, b).label).toBe('all of: 2 epochs, early stopping (patience 3)');
    expect(criteria.fixedEpochs(2, 'two').label).toBe('two');
    expect(criteria.earlyStopping({ label: 'ES' }).label).toBe('ES');
  });

  it('fixedEpochs takes an options object (documented) and a positional count, to the same criterion', () => {
    const byOptions = criteria.fixedEpochs({ epochs: 3 });
    const byNumber = criteria.fixedEpochs(3);
    expect(byOptions.toConfig()).toEqual({ name: 'fixedEpochs', params: { epochs: 3 }, label: '3 epochs' });
    expect(byNumber.toConfig()).toEqual(byOptions.toConfig());
    expect(criteria.fixedEpochs({ epochs: 4, label: 'four' }).label).toBe('four');
    expect(criteria.fixedEpochs().toConfig().params).toEqual({ epochs: 50 });
    expect(criteria.fixedEpochs({}).toConfig().params).toEqual({ epochs: 50 });
    // stops at its third epoch in both forms
    const run = byOptions.start();
    expect(run.afterEpoch(ep(2))).toBeNull();
    expect(run.afterEpoch(ep(3))?.reason).toBe('reached 3 epochs');
    expect(() => criteria.fixedEpochs({ epochs: 0 })).toThrow(/^criterion fixedEpochs: params.epochs: /);
    // a typo in an option is refused, not silently ignored
    expect(() => criteria.fixedEpochs({ epoch: 3 } as never)).toThrow(/Unrecognized key/);
  });

  it('each criterion carries its config name, and its errors name it', () => {
    expect(criteria.fixedEpochs(1).name).toBe('fixedEpochs');
    expect(criteria.accuracyTarget().name).toBe('accuracyTarget');
    expect(criteria.earlyStopping().name).toBe('earlyStopping');
    expect(criteria.energyBudget({ joules: 1 }).name).toBe('energyBudget');
    expect(() => criteria.earlyStopping({ patience: 0 })).toThrow(
      /^criterion earlyStopping: params.patience: /,
    );
    expect(() => criteria.energyBudget({ joules: 0 })).toThrow(/^criterion energyBudget: params.joules: /);
    expect(() =>
      criteria
        .fixedEpochs(1)
        .start()
        .afterEpoch(ep(1, { validationAccuracy: 2 })),
    ).toThrow('validationAccuracy must be in [0, 1], found 2 after epoch 1');
  });

  it('names and configs', () => {
    expect(criteria.accuracyTarget().toConfig()).toEqual({
      name: 'accuracyTarget',
      params: { target: 0.99, on: 'validation' },
      label: 'accuracy ≥ 0.99 (validation)',
    });
    expect(criteria.energyBudget({ joules: 5 }).toConfig()).toEqual({
      name: 'energyBudget',
      params: { joules: 5, checkEvery: 'epoch' },
      label: 'energy budget 5 J (per epoch)',
    });
    const all = criteria.allOf(criteria.fixedEpochs(2));
    expect(all.name).toBe('allOf');
    expect(all.toConfig()).toEqual({
      name: 'allOf',
      params: { criteria: [{ name: 'fixedEpochs', params: { epochs: 2 }, label: '2 epochs' }] },
      label: 'all of: 2 epochs',
    });
    expect(criteria.anyOf(criteria.fixedEpochs(2)).name).toBe('anyOf');
    const back = criteria.fromConfig(all.toConfig());
    expect(back.name).toBe('allOf');
    expect(back.label).toBe('all of: 2 epochs');
    expect(criteria.fromConfig({ name: 'anyOf', params: { criteria: [{ name: 'fixedEpochs' }] } }).name).toBe(
      'anyOf',
    );
    for (const c of [criteria.fixedEpochs(1), criteria.accuracyTarget(), criteria.earlyStopping()])
      expect(c.checksBatches).toBe(false);
  });

  it('fromConfig: nested, registered, and errors that say what was expected', () => {
    expect(() => criteria.fromConfig({ name: 'allOf', params: { criteria: [] } })).toThrow(
      /criterion allOf: params.criteria: /,
    );
    expect(() => criteria.fromConfig({ name: 'nope' })).toThrow(
      'unknown criterion nope; expected one of fixedEpochs, accuracyTarget, earlyStopping, energyBudget, anyOf, allOf',
    );
    expect(() => criteria.fromConfig({ name: 5 } as never)).toThrow(/^criterion config: name: /);
    expect(() => criteria.fromConfig({ name: 'fixedEpochs', params: { epochs: 0 } })).toThrow(
      /criterion fixedEpochs: params.epochs: /,
    );
    expect(() => criteria.fromConfig({ name: 'fixedEpochs', params: { nope: 1 } })).toThrow(
      /criterion fixedEpochs: params.\(root\): /,
    );
    // The registry lives as long as the module: a fresh name per run keeps re-runs (Stryker, watch) independent.
    const name = `afterTwo${Math.random().toString(36).slice(2)}`;
    criteria.register(name, (_p, label) => criteria.fixedEpochs(2, label));
    expect(criteria.fromConfig({ name, label: 'custom' }).label).toBe('custom');
    expect(() => criteria.register(name, () => criteria.fixedEpochs(1))).toThrow(
      `a criterion named ${name} is already registered`,
    );
    expect(() => criteria.fromConfig({ name: 'energyBudget', params: { joules: 5 } }).start()).not.toThrow();
    expect(
      criteria.fromConfig({ name: 'energyBudget', params: { joules: 5, checkEvery: 'batch' } }).checksBatches,
    ).toBe(true);
  });

  it('bad options are CriterionErrors with the code and value', () => {
    try {
      criteria.accuracyTarget({ target: 1.5 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(criteria.CriterionError);
      expect((e as criteria.CriterionError).code).toBe('E_CRITERION');
      expect((e as criteria.CriterionError).name).toBe('CriterionError');
      expect((e as criteria.CriterionError).message).toMatch(/^criterion accuracyTarget: params.target: /);
    }
    expect(() => criteria.earlyStopping({ patience: 0 })).toThrow(/params.patience/);
    expect(() => criteria.earlyStopping({ minDelta: -0.1 })).toThrow(/params.minDelta/);
    expect(() => criteria.energyBudget(undefined as never)).toThrow(/params.joules/);
    expect(() => criteria.allOf()).toThrow('allOf needs at least one criterion, found none');
    expect(() => criteria.anyOf()).toThrow('anyOf needs at least one criterion, found none');
    expect(() => criteria.withMaxEpochs(criteria.fixedEpochs(1), 1.5)).toThrow(
      'maxEpochs must be an integer >= 1, found 1.5',
    );
  });
});

describe('state checks and messages', () => {
  it('accuracyTarget says which accuracy is missing and what to use instead', () => {
    expect(() =>
      criteria
        .accuracyTarget({ on: 'train' })
        .start()
        .afterEpoch(ep(2, { trainAccuracy: null })),
    ).toThrow(
      "accuracyTarget on train needs trainAccuracy after epoch 2, found null; measure it or use on: 'validation'",
    );
    expect(() =>
      criteria
        .accuracyTarget()
        .start()
        .afterEpoch(ep(1, { validationAccuracy: null })),
    ).toThrow(/use on: 'train'$/);
  });

  it('earlyStopping needs validation accuracy', () => {
    expect(() =>
      criteria
        .earlyStopping()
        .start()
        .afterEpoch(ep(4, { validationAccuracy: null })),
    ).toThrow(
      'earlyStopping needs validationAccuracy after epoch 4, found null; train with a validation split',
    );
  });

  it('epoch states are checked by every criterion: integer epoch, finite energy, test accuracy', () => {
    const run = criteria.earlyStopping().start();
    expect(() => run.afterEpoch(ep(1.5))).toThrow('epoch must be an integer >= 1, found 1.5');
    expect(() => run.afterEpoch(ep(1, { cumulativeEnergyJ: Number.POSITIVE_INFINITY }))).toThrow(
      'cumulativeEnergyJ must be a finite number >= 0, found Infinity after epoch 1',
    );
    expect(() => run.afterEpoch(ep(1, { testAccuracy: 2 }))).toThrow(
      'testAccuracy must be in [0, 1], found 2 after epoch 1',
    );
    expect(() => run.afterEpoch(ep(1, { testAccuracy: Number.NaN }))).toThrow(/testAccuracy/);
    expect(run.afterEpoch(ep(1, { testAccuracy: undefined }))).toBeNull();
    expect(() => criteria.energyBudget({ joules: 1 }).start().afterEpoch(ep(0))).toThrow(/epoch must be/);
    expect(() => criteria.accuracyTarget().start().afterEpoch(ep(0))).toThrow(/epoch must be/);
  });

  it('afterBatch: criteria that do not check batches say nothing, withMaxEpochs passes batches through', () => {
    const b = { epoch: 1, batch: 1, cumulativeEnergyJ: 1e9, elapsedMs: 0 };
    expect(criteria.fixedEpochs(1).start().afterBatch(b)).toBeNull();
    expect(criteria.accuracyTarget().start().afterBatch(b)).toBeNull();
    expect(criteria.earlyStopping().start().afterBatch(b)).toBeNull();
    const budget = criteria.energyBudget({ joules: 10, checkEvery: 'batch' });
    expect(criteria.withMaxEpochs(budget, 5).afterBatch(b)?.criterion).toBe('energyBudget');
    expect(criteria.withMaxEpochs(criteria.energyBudget({ joules: 10 }), 5).afterBatch(b)).toBeNull();
    expect(criteria.anyOf(criteria.fixedEpochs(3), budget).checksBatches).toBe(true);
    expect(criteria.allOf(criteria.fixedEpochs(3), criteria.earlyStopping()).checksBatches).toBe(false);
  });

  it('anyOf returns the first child to fire, in order; allOf decisions carry the batch only when in one', () => {
    const any = criteria
      .anyOf(criteria.fixedEpochs(1, 'first'), criteria.energyBudget({ joules: 1 }))
      .start();
    expect(any.afterEpoch(ep(1))).toEqual({ criterion: 'fixedEpochs', reason: 'reached 1 epochs', epoch: 1 });
    const all = criteria.allOf(criteria.fixedEpochs(1), criteria.energyBudget({ joules: 1 })).start();
    const d = all.afterEpoch(ep(1));
    expect(d).toEqual({
      criterion: 'allOf',
      reason: 'fixedEpochs: reached 1 epochs; energyBudget: cumulative energy 100.0 J ≥ budget 1 J',
      epoch: 1,
    });
    expect(d && 'batch' in d).toBe(false);
  });
});
