// Stopping criteria (the paper's four, combinators, a hard epoch cap), describable as config and rebuilt from it.
import { z } from 'zod';
import type { StopDecision } from './schema.js';
import { StoppingCriterionConfigSchema } from './schema.js';

export type StoppingCriterionConfig = z.input<typeof StoppingCriterionConfigSchema>;

/** What a criterion sees after an epoch. Accuracies in [0, 1], null when not measured. */
export interface EpochState {
  /** 1-based number of the epoch that just ended. */
  epoch: number;
  trainAccuracy: number | null;
  validationAccuracy: number | null;
  testAccuracy?: number | null;
  /** Total energy (J, EnergyByComponent.total) since training started. */
  cumulativeEnergyJ: number;
  elapsedMs: number;
}

/** What a criterion sees after a batch (only criteria with `checksBatches` need it). */
export interface BatchState {
  /** 1-based epoch in progress. */
  epoch: number;
  /** 1-based batch number within the epoch. */
  batch: number;
  cumulativeEnergyJ: number;
  elapsedMs: number;
}

/** The per-run state of a criterion: call afterEpoch after every epoch, afterBatch after every batch if wanted. */
export interface CriterionRun {
  afterEpoch(state: EpochState): StopDecision | null;
  afterBatch(state: BatchState): StopDecision | null;
}

/**
 * A stopping criterion. It holds only options; `start()` gives fresh state for one run, so one criterion
 * object can serve a whole grid.
 */
export interface StoppingCriterion {
  /** Config name, e.g. `earlyStopping`; also StopDecision.criterion when this criterion stops a run. */
  readonly name: string;
  /** Human label for reports, e.g. `early stopping (patience 3)`. */
  readonly label: string;
  /** True when it wants afterBatch calls (an energy budget checked per batch). */
  readonly checksBatches: boolean;
  start(): CriterionRun;
  toConfig(): StoppingCriterionConfig;
}

/** Bad criterion options or config, or a state the criterion cannot judge (e.g. no validation accuracy). */
export class CriterionError extends Error {
  readonly code = 'E_CRITERION';
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'CriterionError';
  }
}

function checkAccuracy(name: string, v: number | null | undefined, epoch: number): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new CriterionError(`${name} must be in [0, 1], found ${String(v)} after epoch ${epoch}`, v);
  }
  return v;
}

function checkEpochState(s: EpochState): void {
  if (!Number.isInteger(s.epoch) || s.epoch < 1) {
    throw new CriterionError(`epoch must be an integer >= 1, found ${String(s.epoch)}`, s.epoch);
  }
  if (!Number.isFinite(s.cumulativeEnergyJ) || s.cumulativeEnergyJ < 0) {
    throw new CriterionError(
      `cumulativeEnergyJ must be a finite number >= 0, found ${String(s.cumulativeEnergyJ)} after epoch ${s.epoch}`,
      s.cumulativeEnergyJ,
    );
  }
  checkAccuracy('trainAccuracy', s.trainAccuracy, s.epoch);
  checkAccuracy('validationAccuracy', s.validationAccuracy, s.epoch);
  checkAccuracy('testAccuracy', s.testAccuracy, s.epoch);
}

const noBatch = (): null => null;

function parse<T extends z.ZodType>(schema: T, name: string, params: unknown): z.output<T> {
  const r = schema.safeParse(params ?? {});
  if (!r.success) {
    const problems = r.error.issues
      .map((i) => `params.${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new CriterionError(`criterion ${name}: ${problems}`, params);
  }
  return r.data;
}

const positiveInt = z.number().int().positive();

// ---------------------------------------------------------------- fixedEpochs

const FixedEpochsParams = z.object({ epochs: positiveInt.default(50) }).strict();

export interface FixedEpochsOptions {
  /** Epochs to train. Default 50 (the paper's value). */
  epochs?: number;
  label?: string;
}

/**
 * Stops after `epochs` epochs. Documented form: `fixedEpochs({ epochs: 3 })`, an options object like every other
 * criterion; `fixedEpochs(3)` (a positional epoch count, optionally a label) is accepted too, because that is how
 * the paper's "fixed epochs" reads and how earlier versions took it. Throws CriterionError for a count that is not
 * a positive integer or an unknown option.
 */
export function fixedEpochs(options?: FixedEpochsOptions): StoppingCriterion;
export function fixedEpochs(epochs: number, label?: string): StoppingCriterion;
export function fixedEpochs(
  optionsOrEpochs: FixedEpochsOptions | number = {},
  positionalLabel?: string,
): StoppingCriterion {
  const { label, ...rest }: FixedEpochsOptions =
    typeof optionsOrEpochs === 'number'
      ? { epochs: optionsOrEpochs, ...(positionalLabel === undefined ? {} : { label: positionalLabel }) }
      : (optionsOrEpochs ?? {});
  const p = parse(FixedEpochsParams, 'fixedEpochs', rest);
  const lbl = label ?? `${p.epochs} epochs`;
  return {
    name: 'fixedEpochs',
    label: lbl,
    checksBatches: false,
    start: () => ({
      afterEpoch(s) {
        checkEpochState(s);
        return s.epoch >= p.epochs
          ? { criterion: 'fixedEpochs', reason: `reached ${p.epochs} epochs`, epoch: s.epoch }
          : null;
      },
      afterBatch: noBatch,
    }),
    toConfig: () => ({ name: 'fixedEpochs', params: { epochs: p.epochs }, label: lbl }),
  };
}

// ------------------------------------------------------------- accuracyTarget

const AccuracyTargetParams = z
  .object({
    target: z.number().min(0).max(1).default(0.99),
    on: z.enum(['train', 'validation']).default('validation'),
  })
  .strict();

export interface AccuracyTargetOptions {
  /** Accuracy in [0, 1] to reach. Default 0.99 (the paper's value). */
  target?: number;
  /** Which accuracy to compare; default `validation` (the paper chose per dataset). */
  on?: 'train' | 'validation';
  label?: string;
}

/** Stops once the chosen accuracy is >= target. */
export function accuracyTarget(options: AccuracyTargetOptions = {}): StoppingCriterion {
  const { label, ...rest } = options;
  const p = parse(AccuracyTargetParams, 'accuracyTarget', rest);
  const lbl = label ?? `accuracy ≥ ${p.target} (${p.on})`;
  return {
    name: 'accuracyTarget',
    label: lbl,
    checksBatches: false,
    start: () => ({
      afterEpoch(s) {
        checkEpochState(s);
        const acc = p.on === 'train' ? s.trainAccuracy : s.validationAccuracy;
        if (acc === null || acc === undefined) {
          throw new CriterionError(
            `accuracyTarget on ${p.on} needs ${p.on}Accuracy after epoch ${s.epoch}, found ${String(acc)}; measure it or use on: '${p.on === 'train' ? 'validation' : 'train'}'`,
            acc,
          );
        }
        return acc >= p.target
          ? {
              criterion: 'accuracyTarget',
              reason: `${p.on} accuracy ${acc.toFixed(4)} ≥ target ${p.target}`,
              epoch: s.epoch,
            }
          : null;
      },
      afterBatch: noBatch,
    }),
    toConfig: () => ({ name: 'accuracyTarget', params: { target: p.target, on: p.on }, label: lbl }),
  };
}

// -------------------------------------------------------------- earlyStopping

const EarlyStoppingParams = z
  .object({ patience: positiveInt.default(3), minDelta: z.number().nonnegative().default(0) })
  .strict();

export interface EarlyStoppingOptions {
  /** Epochs without improvement of validation accuracy before stopping. Default 3 (the paper's value). */
  patience?: number;
  /** An improvement must exceed the best so far by more than this. Default 0. */
  minDelta?: number;
  label?: string;
}

/** Stops when validation accuracy has not improved by more than minDelta for `patience` epochs (Keras semantics). */
export function earlyStopping(options: EarlyStoppingOptions = {}): StoppingCriterion {
  const { label, ...rest } = options;
  const p = parse(EarlyStoppingParams, 'earlyStopping', rest);
  const lbl = label ?? `early stopping (patience ${p.patience})`;
  return {
    name: 'earlyStopping',
    label: lbl,
    checksBatches: false,
    start: () => {
      let best = Number.NEGATIVE_INFINITY;
      let bestEpoch = 0;
      let wait = 0;
      return {
        afterEpoch(s) {
          checkEpochState(s);
          const acc = s.validationAccuracy;
          if (acc === null) {
            throw new CriterionError(
              `earlyStopping needs validationAccuracy after epoch ${s.epoch}, found null; train with a validation split`,
              acc,
            );
          }
          if (acc > best + p.minDelta) {
            best = acc;
            bestEpoch = s.epoch;
            wait = 0;
            return null;
          }
          wait++;
          return wait >= p.patience
            ? {
                criterion: 'earlyStopping',
                reason: `validation accuracy did not improve on ${best.toFixed(4)} (epoch ${bestEpoch}) by more than ${p.minDelta} for ${p.patience} epochs`,
                epoch: s.epoch,
              }
            : null;
        },
        afterBatch: noBatch,
      };
    },
    toConfig: () => ({
      name: 'earlyStopping',
      params: { patience: p.patience, minDelta: p.minDelta },
      label: lbl,
    }),
  };
}

// --------------------------------------------------------------- energyBudget

const EnergyBudgetParams = z
  .object({
    joules: z.number().positive(),
    checkEvery: z.enum(['epoch', 'batch']).default('epoch'),
  })
  .strict();

export interface EnergyBudgetOptions {
  /** Budget in J (total energy since training started). Required; the paper's budget was hardware-specific. */
  joules: number;
  /** `epoch` (the paper: checked at epoch end, so it overshoots) or `batch` (stops within the epoch). Default `epoch`. */
  checkEvery?: 'epoch' | 'batch';
  label?: string;
}

/** Stops once cumulative energy >= the budget. */
export function energyBudget(options: EnergyBudgetOptions): StoppingCriterion {
  const { label, ...rest } = options ?? ({} as EnergyBudgetOptions);
  const p = parse(EnergyBudgetParams, 'energyBudget', rest);
  const lbl = label ?? `energy budget ${p.joules} J (per ${p.checkEvery})`;
  const reason = (e: number) => `cumulative energy ${e.toFixed(1)} J ≥ budget ${p.joules} J`;
  return {
    name: 'energyBudget',
    label: lbl,
    checksBatches: p.checkEvery === 'batch',
    start: () => ({
      afterEpoch(s) {
        checkEpochState(s);
        return s.cumulativeEnergyJ >= p.joules
          ? { criterion: 'energyBudget', reason: reason(s.cumulativeEnergyJ), epoch: s.epoch }
          : null;
      },
      afterBatch(s) {
        if (p.checkEvery !== 'batch') return null;
        if (!Number.isFinite(s.cumulativeEnergyJ) || s.cumulativeEnergyJ < 0) {
          throw new CriterionError(
            `cumulativeEnergyJ must be a finite number >= 0, found ${String(s.cumulativeEnergyJ)} (epoch ${s.epoch}, batch ${s.batch})`,
            s.cumulativeEnergyJ,
          );
        }
        return s.cumulativeEnergyJ >= p.joules
          ? { criterion: 'energyBudget', reason: reason(s.cumulativeEnergyJ), epoch: s.epoch, batch: s.batch }
          : null;
      },
    }),
    toConfig: () => ({
      name: 'energyBudget',
      params: { joules: p.joules, checkEvery: p.checkEvery },
      label: lbl,
    }),
  };
}

// ---------------------------------------------------------------- combinators

function combinator(
  kind: 'anyOf' | 'allOf',
  children: StoppingCriterion[],
  label?: string,
): StoppingCriterion {
  if (children.length === 0)
    throw new CriterionError(`${kind} needs at least one criterion, found none`, children);
  const lbl =
    label ?? `${kind === 'anyOf' ? 'any of' : 'all of'}: ${children.map((c) => c.label).join(', ')}`;
  return {
    name: kind,
    label: lbl,
    checksBatches: children.some((c) => c.checksBatches),
    start() {
      const runs = children.map((c) => c.start());
      // allOf: a child that has said "stop" once stays satisfied (early stopping would otherwise reset).
      const met: (StopDecision | null)[] = children.map(() => null);
      const combine = (ds: (StopDecision | null)[], epoch: number, batch?: number): StopDecision | null => {
        if (kind === 'anyOf') return ds.find((d) => d !== null) ?? null;
        ds.forEach((d, i) => {
          if (d && !met[i]) met[i] = d;
        });
        if (!met.every((d) => d !== null)) return null;
        return {
          criterion: 'allOf',
          reason: met.map((d) => `${d?.criterion}: ${d?.reason}`).join('; '),
          epoch,
          ...(batch !== undefined ? { batch } : {}),
        };
      };
      return {
        afterEpoch: (s) =>
          combine(
            runs.map((r) => r.afterEpoch(s)),
            s.epoch,
          ),
        afterBatch: (s) =>
          combine(
            runs.map((r) => r.afterBatch(s)),
            s.epoch,
            s.batch,
          ),
      };
    },
    toConfig: () => ({ name: kind, params: { criteria: children.map((c) => c.toConfig()) }, label: lbl }),
  };
}

/** Stops when any child says stop; the decision names that child. */
export function anyOf(...children: StoppingCriterion[]): StoppingCriterion {
  return combinator('anyOf', children);
}

/** Stops when every child has said stop at least once during the run. */
export function allOf(...children: StoppingCriterion[]): StoppingCriterion {
  return combinator('allOf', children);
}

// ------------------------------------------------------------------ maxEpochs

/**
 * The run-level evaluator every run uses: the criterion, then the hard cap. When both fire at the same epoch
 * the criterion's decision wins (fixedEpochs(50) with maxEpochs 50 reports fixedEpochs).
 */
export function withMaxEpochs(criterion: StoppingCriterion, maxEpochs: number): CriterionRun {
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1) {
    throw new CriterionError(`maxEpochs must be an integer >= 1, found ${String(maxEpochs)}`, maxEpochs);
  }
  const run = criterion.start();
  return {
    afterEpoch(s) {
      const d = run.afterEpoch(s);
      if (d) return d;
      return s.epoch >= maxEpochs
        ? { criterion: 'maxEpochs', reason: `hit the hard cap of ${maxEpochs} epochs`, epoch: s.epoch }
        : null;
    },
    afterBatch: (s) => (criterion.checksBatches ? run.afterBatch(s) : null),
  };
}

// ----------------------------------------------------------------- fromConfig

export type CriterionFactory = (params: Record<string, unknown>, label?: string) => StoppingCriterion;

const factories = new Map<string, CriterionFactory>([
  [
    'fixedEpochs',
    (p, label) => fixedEpochs({ epochs: parse(FixedEpochsParams, 'fixedEpochs', p).epochs, label }),
  ],
  [
    'accuracyTarget',
    (p, label) => accuracyTarget({ ...parse(AccuracyTargetParams, 'accuracyTarget', p), label }),
  ],
  [
    'earlyStopping',
    (p, label) => earlyStopping({ ...parse(EarlyStoppingParams, 'earlyStopping', p), label }),
  ],
  ['energyBudget', (p, label) => energyBudget({ ...parse(EnergyBudgetParams, 'energyBudget', p), label })],
  ['anyOf', (p, label) => combinator('anyOf', childConfigs('anyOf', p).map(fromConfig), label)],
  ['allOf', (p, label) => combinator('allOf', childConfigs('allOf', p).map(fromConfig), label)],
]);

function childConfigs(kind: string, p: Record<string, unknown>): StoppingCriterionConfig[] {
  return parse(z.object({ criteria: z.array(StoppingCriterionConfigSchema).min(1) }).strict(), kind, p)
    .criteria;
}

/** Makes a user-defined criterion available to fromConfig (and so to grid YAML). */
export function register(name: string, factory: CriterionFactory): void {
  if (factories.has(name)) throw new CriterionError(`a criterion named ${name} is already registered`, name);
  factories.set(name, factory);
}

/** Rebuilds a criterion from its config (as read from YAML/JSON); the config's label is kept. */
export function fromConfig(config: StoppingCriterionConfig): StoppingCriterion {
  const cfg = StoppingCriterionConfigSchema.safeParse(config);
  if (!cfg.success) {
    throw new CriterionError(
      `criterion config: ${cfg.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      config,
    );
  }
  const f = factories.get(cfg.data.name);
  if (!f) {
    throw new CriterionError(
      `unknown criterion ${cfg.data.name}; expected one of ${[...factories.keys()].join(', ')} (or register() it)`,
      cfg.data.name,
    );
  }
  return f(cfg.data.params, cfg.data.label);
}
