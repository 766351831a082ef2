// An epoch's accuracies and losses, read from tfjs logs or a custom loop, and screened: non-finite values mean the run diverged.

/** Metrics of one epoch for custom loops; accuracies in [0, 1], null or absent when not measured. */
export interface EpochMetrics {
  trainAccuracy?: number | null;
  validationAccuracy?: number | null;
  testAccuracy?: number | null;
  trainLoss?: number | null;
  validationLoss?: number | null;
  testLoss?: number | null;
}

export type EpochMetricName = keyof EpochMetrics;

/**
 * Every name tfjs-layers (4.x) gives an accuracy metric in the logs of a single-output model, without the `val_`
 * prefix of validation logs. Derived from tfjs-layers `engine/training.js` and `metrics.js`:
 * - `metrics: ['accuracy']` or `['acc']` logs `acc` (training.js picks binary/categorical/sparse accuracy by the
 *   loss and output shape, and always names it `acc`);
 * - any other string or function goes through `getLossOrMetricName`: a name of `metricsMap` (`binaryAccuracy`,
 *   `categoricalAccuracy`), or the function's own name (`tf.metrics.sparseCategoricalAccuracy` is not in
 *   `metricsMap`, so it logs `sparseCategoricalAccuracy`);
 * - a model loaded with a Keras training config has its snake-case metric names camel-cased by tfjs
 *   (`binary_accuracy` → `binaryAccuracy`); the snake-case spellings are kept for custom metric functions named
 *   after Keras's keys and for logs written by Keras itself, as is Keras 2's `accuracy`.
 * Top-k accuracies are not accuracies in the paper's sense (and tfjs does not implement them): not listed.
 * Order is precedence when a model logs several (they then hold the same value).
 */
export const TFJS_ACCURACY_METRIC_NAMES = [
  'acc',
  'accuracy',
  'binaryAccuracy',
  'categoricalAccuracy',
  'sparseCategoricalAccuracy',
  'binary_accuracy',
  'categorical_accuracy',
  'sparse_categorical_accuracy',
] as const;

const VALIDATION_PREFIX = 'val_';

type Logs = Record<string, unknown> | undefined;

/** Log keys read for each of EpochMetrics' fields from a tfjs `onEpochEnd` logs object, in precedence order. */
export const TFJS_LOG_KEYS: Readonly<
  Record<'trainAccuracy' | 'validationAccuracy' | 'trainLoss' | 'validationLoss', readonly string[]>
> = {
  trainAccuracy: TFJS_ACCURACY_METRIC_NAMES,
  validationAccuracy: TFJS_ACCURACY_METRIC_NAMES.map((k) => `${VALIDATION_PREFIX}${k}`),
  trainLoss: ['loss'],
  validationLoss: [`${VALIDATION_PREFIX}loss`],
};

const ACCURACY_KEY_SET = new Set<string>([
  ...TFJS_LOG_KEYS.trainAccuracy,
  ...TFJS_LOG_KEYS.validationAccuracy,
]);

/**
 * True for an accuracy log key: one of TFJS_LOG_KEYS' accuracy keys, or a multi-output model's per-output key
 * `<output>_<accuracy name>` / `val_<output>_<accuracy name>` (tfjs-layers training.js prefixes each output's
 * metrics with the output's name, as it does for `<output>_loss`).
 */
export function isTfjsAccuracyKey(key: string): boolean {
  return ACCURACY_KEY_SET.has(key) || TFJS_ACCURACY_METRIC_NAMES.some((name) => key.endsWith(`_${name}`));
}

/** Float32 rounding can put a perfect accuracy just above 1 (1.0000001); an excess up to this is read as 1. */
export const ACCURACY_ROUNDING_TOLERANCE = 1e-6;

/** What one tfjs `onEpochEnd` logs object says, in EpochMetrics' terms. */
export interface TfjsEpochLogs {
  /** Values as logged, non-finite ones included (screenEpochMetrics turns them into null + text). */
  metrics: EpochMetrics;
  /**
   * Non-finite values under other loss or accuracy keys (per-output losses `<output>_loss` and accuracies
   * `<output>_acc` of a multi-output model, an accuracy alias that was not the one read), keyed by the tfjs log
   * key, value as text.
   */
  otherNonFinite: Record<string, string>;
}

/**
 * Reads a tfjs `onEpochEnd` logs object: train/validation accuracy (any spelling in TFJS_ACCURACY_METRIC_NAMES,
 * with and without `val_`) and loss (`loss`, `val_loss`), plus any other loss or accuracy key whose value is not
 * finite. Never throws; keys that are absent or not numbers read as null.
 *
 * A multi-output model: the accuracy recorded is the plain key (`acc`, `val_acc`, …) when the logs hold one, else
 * none (null): the per-output accuracies (`<output>_acc`) measure different tasks, and picking or averaging one
 * would be a number the model never reported. They are only screened: a non-finite one ends the run as diverged.
 */
export function readTfjsEpochLogs(logs: Logs): TfjsEpochLogs {
  const metrics: EpochMetrics = {};
  const usedKeys = new Set<string>();
  for (const [field, keys] of Object.entries(TFJS_LOG_KEYS) as [
    keyof typeof TFJS_LOG_KEYS,
    readonly string[],
  ][]) {
    const key = keys.find((k) => typeof logs?.[k] === 'number');
    metrics[field] = key === undefined ? null : (logs?.[key] as number);
    if (key !== undefined) usedKeys.add(key);
  }
  const otherNonFinite: Record<string, string> = {};
  for (const [k, v] of Object.entries(logs ?? {})) {
    if (usedKeys.has(k) || typeof v !== 'number' || Number.isFinite(v)) continue;
    if (k === 'loss' || k.endsWith('_loss') || isTfjsAccuracyKey(k)) otherNonFinite[k] = String(v);
  }
  return { metrics, otherNonFinite };
}

const LABELS: Record<EpochMetricName, string> = {
  trainAccuracy: 'training accuracy',
  validationAccuracy: 'validation accuracy',
  testAccuracy: 'test accuracy',
  trainLoss: 'training loss',
  validationLoss: 'validation loss',
  testLoss: 'test loss',
};

const METRIC_NAMES = Object.keys(LABELS) as EpochMetricName[];

/** Thrown for a metric that is neither null, a finite number nor a non-finite number (or an accuracy outside [0, 1]). */
export class EpochMetricsInputError extends Error {
  readonly code = 'E_MEASURE_INPUT';
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'EpochMetricsInputError';
  }
}

/** One epoch's metrics after screening: finite values or null, and the non-finite ones as text. */
export interface ScreenedEpochMetrics {
  values: Record<EpochMetricName, number | null>;
  /** Field name (or other tfjs log key) → the offending value as text (`NaN`, `Infinity`, `-Infinity`). */
  nonFinite: Record<string, string>;
}

/**
 * Screens one epoch's metrics. A finite accuracy must lie in [0, 1] (an excess up to ACCURACY_ROUNDING_TOLERANCE,
 * float32 rounding, is clamped to 1); a NaN or ±Infinity loss or accuracy is not an
 * error but a fact about the run (it diverged): it becomes null in `values` and its text goes to `nonFinite`.
 * `otherNonFinite` (from readTfjsEpochLogs) is merged into `nonFinite`.
 * @throws EpochMetricsInputError (code `E_MEASURE_INPUT`) for a value that is not a number, or an accuracy
 *   outside [0, 1 + ACCURACY_ROUNDING_TOLERANCE]; the message names the metric, the epoch and the value.
 */
export function screenEpochMetrics(
  metrics: EpochMetrics,
  epoch: number,
  otherNonFinite: Record<string, string> = {},
): ScreenedEpochMetrics {
  const values = {} as Record<EpochMetricName, number | null>;
  const nonFinite: Record<string, string> = {};
  for (const name of METRIC_NAMES) {
    const v: unknown = metrics[name];
    const isAccuracy = name.endsWith('Accuracy');
    if (v === null || v === undefined) {
      values[name] = null;
    } else if (typeof v !== 'number') {
      throw new EpochMetricsInputError(
        `${name} after epoch ${epoch} must be ${isAccuracy ? 'an accuracy in [0, 1]' : 'a number'}, found ${typeof v} ${String(v)}`,
        v,
      );
    } else if (!Number.isFinite(v)) {
      values[name] = null;
      nonFinite[name] = String(v);
    } else if (isAccuracy && v > 1 && v <= 1 + ACCURACY_ROUNDING_TOLERANCE) {
      // float32 rounding of a perfect score, not a wrong input
      values[name] = 1;
    } else if (isAccuracy && (v < 0 || v > 1)) {
      throw new EpochMetricsInputError(
        `${name} after epoch ${epoch} must be an accuracy in [0, 1], found ${String(v)}`,
        v,
      );
    } else {
      values[name] = v;
    }
  }
  for (const [k, text] of Object.entries(otherNonFinite)) nonFinite[k] ??= text;
  return { values, nonFinite };
}

/**
 * Why a run diverged, e.g. `training loss is Infinity after epoch 1` or
 * `training loss is NaN, validation loss is NaN after epoch 4`.
 */
export function divergenceReason(nonFinite: Record<string, string>, epoch: number): string {
  const parts = Object.entries(nonFinite).map(
    ([k, text]) => `${LABELS[k as EpochMetricName] ?? `'${k}'`} is ${text}`,
  );
  return `${parts.join(', ')} after epoch ${epoch}`;
}
