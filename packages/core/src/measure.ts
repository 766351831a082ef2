// measureEfficiency: runs probes around a training loop (tfjs model.fit or a custom loop), applies the stopping criterion, and writes the RunRecord.

import { nowMs, type Probe } from '@eff/probes';
import { type Observable, ReplaySubject } from 'rxjs';
import type { z } from 'zod';
import { type CriterionRun, type StoppingCriterion, withMaxEpochs } from './criteria.js';
import { defaultProbes, normalizeGpuList } from './default-probes.js';
import type { AccuracyOn } from './efficiency.js';
import {
  divergenceReason,
  type EpochMetrics,
  EpochMetricsInputError,
  readTfjsEpochLogs,
  screenEpochMetrics,
} from './epoch-metrics.js';
import { MeasureError } from './measure-error.js';
import { type Meter, type MeterOptions, type MeterReading, startMeter } from './meter.js';
import { configHash } from './results.js';
import {
  type EnergyByComponent,
  EnvironmentSchema,
  type EpochRecord,
  RESULT_SCHEMA_VERSION,
  RunConfigSchema,
  type RunRecord,
  RunRecordSchema,
  type StopDecision,
} from './schema.js';
import { energyBoundOf } from './uncertainty.js';

export { MeasureError } from './measure-error.js';

type RunConfigInput = z.input<typeof RunConfigSchema>;

/** The run's config; `criterion` and `maxEpochs` are taken from the session options when left out. */
export type MeasureConfig = Omit<RunConfigInput, 'criterion' | 'maxEpochs'> &
  Partial<Pick<RunConfigInput, 'criterion' | 'maxEpochs'>>;

/** What `evaluate` returns: accuracy in [0, 1] on the held-out test data, and optionally its loss. */
export interface Evaluation {
  testAccuracy: number;
  testLoss?: number | null;
}

export interface MeasureEfficiencyOptions {
  /** Run id; default configHash(config) (stable: a grid resumes by it). */
  runId?: string;
  config: MeasureConfig;
  /** Probes to start; default every available hardware probe from detectProbes(), else the labelled estimate. */
  probes?: readonly Probe[];
  /**
   * The GPUs the training may use, as the vendor tools name them: indices (`'1'`), `GPU-…` UUIDs or `MIG-…` ids.
   * The default probes' GPU probes measure only these; this wins over `CUDA_VISIBLE_DEVICES`,
   * `ROCR_VISIBLE_DEVICES`, SLURM's variables and the rest. A GPU that does not exist makes start() reject
   * (`E_MEASURE_OPTIONS`, naming it and the GPUs that exist) before training. With `probes`, pass `gpus` to the
   * probe factories instead (giving both is an error). Default: the probes follow the environment.
   */
  gpus?: readonly string[];
  /** Sampling interval asked of every probe, ms. Default 1000. */
  intervalMs?: number;
  criterion: StoppingCriterion;
  /** Hard epoch cap (criteria.withMaxEpochs); default config.maxEpochs. One of the two is required. */
  maxEpochs?: number;
  /** Called after every epoch (inside the epoch's energy) to get the test accuracy; e.g. model.evaluate on test data. */
  evaluate?: () => Evaluation | Promise<Evaluation>;
  environment?: z.input<typeof EnvironmentSchema>;
  /** Idle power measured for this long before training (ms), to report energy above idle. Default: none. */
  baselineMs?: number;
  /**
   * Accuracy for Eq. 1/2. Default: `test` when `evaluate` is given, else `validation` when present, else `train`.
   * When set explicitly, an epoch without it is an error (except an epoch cut short by a per-batch stop).
   */
  accuracyOn?: AccuracyOn;
  /** Longest time between two samples of one device still integrated across (ms). Default 5000. */
  gapThresholdMs?: number;
  /** How long an epoch's record waits for the probes' samples to reach its end (ms). Default max(3000, 5 × intervalMs). */
  coverTimeoutMs?: number;
  /** Every sample the probes delivered and the meter accepted (see MeterOptions.onSample), e.g. for live power views. */
  onSample?: MeterOptions['onSample'];
}

export type { EpochMetrics } from './epoch-metrics.js';

export interface EpochEndResult {
  /**
   * True when training must stop now (criterion, per-batch stop earlier in the epoch, the epoch cap, or a non-finite
   * loss or accuracy: then `decision.criterion` is `diverged`).
   */
  stop: boolean;
  decision: StopDecision | null;
  /** 1-based number of the epoch that just ended. */
  epoch: number;
}

/** The part of a tfjs LayersModel the callback touches (typed structurally: core has no tfjs import). */
export interface StoppableModel {
  stopTraining: boolean;
}

type Logs = Record<string, unknown> | undefined;

/** A plain-object tfjs callback (tfjs wraps it in a CustomCallback, which calls these hooks and awaits them). */
export interface TfjsCallback {
  onTrainBegin: (logs?: Logs) => Promise<void>;
  onEpochBegin: (epoch: number, logs?: Logs) => Promise<void>;
  onEpochEnd: (epoch: number, logs?: Logs) => Promise<void>;
  /** Present only when the criterion checks batches (a per-batch hook makes tfjs read every batch's loss). */
  onBatchEnd?: (batch: number, logs?: Logs) => Promise<void>;
  onTrainEnd: (logs?: Logs) => Promise<void>;
}

export interface EfficiencySession {
  readonly runId: string;
  /** Every epoch record as soon as its energy is known (replayed to late subscribers); completes at the end. */
  readonly epochs$: Observable<EpochRecord>;
  /** Resolves once the probes deliver samples (and the baseline, if any, is measured); training starts then. */
  start(): Promise<void>;
  /** Callback for `model.fit(x, y, { callbacks: [session.callback(model)] })`. */
  callback(model: StoppableModel): TfjsCallback;
  /**
   * Custom loops: call after every epoch; returns whether to stop. A NaN or ±Infinity loss or accuracy ends the run
   * as diverged (stop is true; the epoch is kept, the value recorded as null plus its text in `nonFinite`).
   * Rejects with a MeasureError `E_MEASURE_INPUT` for a value that is not a number or an accuracy outside [0, 1].
   */
  epochEnd(metrics: EpochMetrics): Promise<EpochEndResult>;
  /** Custom loops: call after every batch; returns true when training must stop now (per-batch energy budget). */
  batchEnd(): Promise<boolean>;
  /**
   * Stops the probes and returns the validated record: `completed`, or `diverged` when a non-finite loss or accuracy
   * ended the run (every epoch kept; `final.stoppedBy.criterion` is `diverged`).
   */
  finish(): Promise<RunRecord>;
  /** Stops the probes and returns the validated record of a failed run (epochs so far, the error). */
  fail(error: unknown): Promise<RunRecord>;
  /** Stops the probes; no record. */
  abort(): Promise<void>;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${err.message}`;
  }
  return String(err);
}

function screen(metrics: EpochMetrics, epoch: number, otherNonFinite: Record<string, string>) {
  try {
    return screenEpochMetrics(metrics, epoch, otherNonFinite);
  } catch (err) {
    if (err instanceof EpochMetricsInputError)
      throw new MeasureError('E_MEASURE_INPUT', err.message, err.value);
    throw err;
  }
}

/**
 * Measures a training run: starts the probes (at once), marks epochs and batches, applies `criterion` (plus
 * the `maxEpochs` cap) and records every epoch's accuracies, energy per component and Eq. 2 efficiency.
 * Always end a session with finish(), fail(err) or abort(): they stop the probes and their child processes.
 */
export function measureEfficiency(options: MeasureEfficiencyOptions): EfficiencySession {
  const intervalMs = options.intervalMs ?? 1000;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      `intervalMs must be > 0, found ${String(intervalMs)}`,
      intervalMs,
    );
  }
  const baselineMs = options.baselineMs ?? 0;
  if (!Number.isFinite(baselineMs) || baselineMs < 0) {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      `baselineMs must be >= 0, found ${String(baselineMs)}`,
      baselineMs,
    );
  }
  const gpus = options.gpus === undefined ? undefined : normalizeGpuList(options.gpus);
  if (gpus && options.probes) {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      'gpus applies to the default probes; with explicit probes, pass gpus to their factories (e.g. nvidiaSmiProbe({ gpus }))',
      options.gpus,
    );
  }
  const { criterion } = options;
  if (!criterion || typeof criterion.start !== 'function') {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      `criterion must be a StoppingCriterion (e.g. criteria.fixedEpochs(50)), found ${String(criterion)}`,
      criterion,
    );
  }
  const maxEpochs = options.maxEpochs ?? options.config?.maxEpochs;
  if (maxEpochs === undefined) {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      'maxEpochs is required (in the options or config.maxEpochs): every run has a hard epoch cap',
    );
  }
  const parsedConfig = RunConfigSchema.safeParse({
    ...options.config,
    criterion: options.config?.criterion ?? criterion.toConfig(),
    maxEpochs,
  });
  if (!parsedConfig.success) {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      `config: ${parsedConfig.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      options.config,
    );
  }
  const config = parsedConfig.data;
  const runId = options.runId ?? configHash(config);
  const run: CriterionRun = withMaxEpochs(criterion, maxEpochs);
  const parsedEnvironment = EnvironmentSchema.safeParse({
    nodeVersion: process.version,
    os: `${process.platform}-${process.arch}`,
    ...options.environment,
  });
  if (!parsedEnvironment.success) {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      `environment: ${parsedEnvironment.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      options.environment,
    );
  }
  const environment = parsedEnvironment.data;
  const startedAt = new Date().toISOString();
  const createdMs = nowMs();
  const epochs$ = new ReplaySubject<EpochRecord>();

  let meter: Meter | null = null;
  let baseline: { startMs: number; endMs: number; reading: MeterReading } | null = null;
  const startup = (async () => {
    const probes = options.probes ? [...options.probes] : await defaultProbes(gpus ? { gpus } : {});
    meter = startMeter(probes, {
      intervalMs,
      ...(options.gapThresholdMs !== undefined ? { gapThresholdMs: options.gapThresholdMs } : {}),
      ...(options.coverTimeoutMs !== undefined ? { coverTimeoutMs: options.coverTimeoutMs } : {}),
      ...(options.onSample !== undefined ? { onSample: options.onSample } : {}),
    });
    const firstMs = (await meter.waitFirstSamples()) ?? nowMs();
    if (baselineMs > 0) {
      const endMs = firstMs + baselineMs;
      await new Promise((r) => setTimeout(r, Math.max(0, endMs - nowMs())));
      await meter.waitCovered(endMs);
      baseline = { startMs: firstMs, endMs, reading: meter.energyBetween(firstMs, endMs) };
      meter.anchor(firstMs); // the final reports start here
    }
    return meter;
  })();
  startup.catch(() => {}); // surfaced by start()/epochEnd()/fail(); never an unhandled rejection

  let trainStartMs: number | null = null;
  let lastMarkMs = 0;
  let epochCount = 0;
  let batchInEpoch = 0;
  let decision: StopDecision | null = null;
  let decidedInBatch = false;
  let previousAccuracyOn: AccuracyOn | null = null;
  let ended = false;
  let degraded = false;
  const records: EpochRecord[] = [];
  let chain: Promise<void> = Promise.resolve();
  let chainError: unknown = null;
  const accuracyOrder: AccuracyOn[] = options.accuracyOn
    ? [options.accuracyOn, 'test', 'validation', 'train']
    : options.evaluate
      ? ['test', 'validation', 'train']
      : ['validation', 'train', 'test'];

  const assertOpen = (what: string) => {
    if (ended) {
      throw new MeasureError(
        'E_MEASURE_ORDER',
        `${what} after the session ended (finish/fail/abort was called)`,
      );
    }
  };

  async function start(): Promise<void> {
    const m = await startup;
    if (trainStartMs === null) {
      trainStartMs = nowMs();
      lastMarkMs = trainStartMs;
      // Cumulative figures start here; readings before it are no longer needed once the baseline is measured.
      m.anchor(trainStartMs);
      m.releaseBefore(trainStartMs);
    }
  }

  async function ensureStarted(): Promise<{ m: Meter; t0: number }> {
    if (trainStartMs === null) {
      if (baselineMs > 0) {
        throw new MeasureError(
          'E_MEASURE_ORDER',
          'a baseline was asked for: await session.start() before training so that idle power is measured while idle',
        );
      }
      // Training began when the session was created; probes still starting show up as a gap.
      const m = await startup;
      trainStartMs = createdMs;
      lastMarkMs = createdMs;
      m.anchor(createdMs);
      return { m, t0: createdMs };
    }
    return { m: await startup, t0: trainStartMs };
  }

  /**
   * The accuracy Eq. 2 uses for an epoch. An epoch cut short by a per-batch stop may lack the accuracy asked for;
   * a diverged epoch may lack any (accuracy null: its non-finite values are recorded instead).
   */
  function pickAccuracy(
    e: Pick<EpochRecord, 'trainAccuracy' | 'validationAccuracy' | 'testAccuracy'>,
    epoch: number,
    allow: { cutShort: boolean; diverged: boolean },
  ): { on: AccuracyOn; accuracy: number | null } {
    const value = (on: AccuracyOn) =>
      on === 'test' ? e.testAccuracy : on === 'validation' ? e.validationAccuracy : e.trainAccuracy;
    const lenient = allow.cutShort || allow.diverged;
    // A diverged epoch keeps the kind of accuracy the run used so far: its outcome must not switch from validation
    // to training accuracy because the validation accuracy became NaN.
    const keep = options.accuracyOn ?? previousAccuracyOn;
    if (allow.diverged && keep) return { on: keep, accuracy: value(keep) };
    if (options.accuracyOn && !lenient && value(options.accuracyOn) === null) {
      throw new MeasureError(
        'E_MEASURE_INPUT',
        `accuracyOn is '${options.accuracyOn}' but epoch ${epoch} has no ${options.accuracyOn} accuracy; ${options.accuracyOn === 'test' ? 'pass evaluate or testAccuracy' : options.accuracyOn === 'validation' ? 'fit with validationData/validationSplit' : "compile with metrics: ['accuracy']"}`,
      );
    }
    for (const on of accuracyOrder) {
      const v = value(on);
      if (v !== null) return { on, accuracy: v };
    }
    if (allow.diverged) return { on: accuracyOrder[0] as AccuracyOn, accuracy: null };
    throw new MeasureError(
      'E_MEASURE_INPUT',
      `epoch ${epoch} has no accuracy at all (train, validation, test); compile the model with metrics: ['accuracy'], or pass evaluate / the accuracies to epochEnd`,
    );
  }

  async function endEpoch(
    metrics: EpochMetrics,
    otherNonFinite: Record<string, string> = {},
  ): Promise<EpochEndResult> {
    assertOpen('epochEnd');
    const { m, t0 } = await ensureStarted();
    const epoch = epochCount + 1;
    const got: EpochMetrics = { ...metrics };
    if (options.evaluate && (got.testAccuracy === undefined || got.testAccuracy === null)) {
      const ev = await options.evaluate();
      got.testAccuracy = ev?.testAccuracy;
      if (ev?.testLoss !== undefined) got.testLoss = ev.testLoss;
    }
    const { values, nonFinite } = screen(got, epoch, otherNonFinite);
    const diverged = Object.keys(nonFinite).length > 0;
    const accuracies = {
      trainAccuracy: values.trainAccuracy,
      validationAccuracy: values.validationAccuracy,
      testAccuracy: values.testAccuracy,
    };
    const losses = {
      trainLoss: values.trainLoss,
      validationLoss: values.validationLoss,
      testLoss: values.testLoss,
    };
    const chosen = pickAccuracy(accuracies, epoch, { cutShort: decidedInBatch, diverged });
    previousAccuracyOn = chosen.on;
    const endMs = nowMs();
    const startMs = lastMarkMs;
    lastMarkMs = endMs;
    epochCount = epoch;
    batchInEpoch = 0;
    if (diverged && (!decision || decision.epoch === epoch)) {
      // A diverged model will not recover: stop here, whatever the criterion would say (also over a per-batch stop
      // decided in this same epoch, which is the less important fact).
      decision = { criterion: 'diverged', reason: divergenceReason(nonFinite, epoch), epoch };
    } else if (!decision) {
      decision = run.afterEpoch({
        epoch,
        ...accuracies,
        cumulativeEnergyJ: m.estimateEnergyUntil(t0, endMs).total,
        elapsedMs: endMs - t0,
      });
    }
    // The record waits for the samples that cover the epoch's end; training goes on meanwhile.
    chain = chain.then(async () => {
      if (chainError) return;
      try {
        const covered = await m.waitCovered(endMs);
        const iv = m.energyBetween(startMs, endMs);
        const cum = m.energyBetween(t0, endMs);
        // Later windows start at this epoch's end (or at t0, anchored): fold older readings, bounding memory. Not
        // while a probe lags behind the mark, so that its late readings still land in this epoch's successor.
        if (covered) m.releaseBefore(endMs);
        degraded ||= iv.degraded;
        const cumulativeJ = cum.energyJ.total;
        if (!(cumulativeJ > 0)) degraded = true; // no energy measured: Eq. 2 is undefined, recorded as 0
        const record: EpochRecord = {
          epoch,
          ...accuracies,
          ...losses,
          ...(diverged ? { nonFinite } : {}),
          durationMs: endMs - startMs,
          elapsedMs: endMs - t0,
          energyJ: iv.energyJ,
          cumulativeEnergyJ: cum.energyJ,
          cumulativePaperSumW: cum.paperSumW,
          efficiency: cumulativeJ > 0 && chosen.accuracy !== null ? chosen.accuracy / cumulativeJ : 0,
          efficiencyAccuracy: chosen.on,
        };
        records.push(record);
        epochs$.next(record);
      } catch (err) {
        chainError = err;
      }
    });
    return { stop: decision !== null, decision, epoch };
  }

  function checkBatch(m: Meter, t0: number): boolean {
    batchInEpoch++;
    if (decision) return true;
    if (!criterion.checksBatches) return false;
    const t = nowMs();
    const d = run.afterBatch({
      epoch: epochCount + 1,
      batch: batchInEpoch,
      cumulativeEnergyJ: m.estimateEnergyUntil(t0, t).total,
      elapsedMs: t - t0,
    });
    if (d) {
      decision = d;
      decidedInBatch = true;
    }
    return decision !== null;
  }

  function energyAboveIdle(energyJ: EnergyByComponent, durationMs: number): EnergyByComponent | undefined {
    if (!baseline) return undefined;
    const b = baseline;
    const idleS = (b.endMs - b.startMs) / 1000;
    const out: EnergyByComponent = { total: 0 };
    for (const c of ['gpu', 'cpu', 'ram', 'system', 'total'] as const) {
      const e = energyJ[c];
      if (e === undefined) continue;
      const idleW = idleS > 0 ? (b.reading.energyJ[c] ?? 0) / idleS : 0;
      out[c] = Math.max(0, e - (idleW * durationMs) / 1000);
    }
    return out;
  }

  async function buildRecord(
    status: 'completed' | 'diverged' | 'failed',
    error: string | undefined,
  ): Promise<RunRecord> {
    let m: Meter | null = null;
    try {
      m = await startup;
    } catch (err) {
      if (status !== 'failed') return buildRecord('failed', `probes did not start: ${errorText(err)}`);
      error = `${error}; probes did not start: ${errorText(err)}`;
    }
    await chain;
    if (chainError && status !== 'failed') {
      status = 'failed';
      error = `measuring the epochs failed: ${errorText(chainError)}`;
    }
    const last = records[records.length - 1];
    if (!last && status !== 'failed') {
      status = 'failed';
      error =
        'no epoch ended: call epochEnd() after every epoch, or pass session.callback(model) to model.fit';
    }
    const t0 = trainStartMs ?? createdMs;
    const endMs = last ? t0 + last.elapsedMs : nowMs();
    const reportFrom = baseline?.startMs ?? t0;
    if (m) await m.stop();
    const probes = m ? m.reports(reportFrom, Math.max(reportFrom, endMs)) : [];
    const estimated = probes.some((p) => p.estimated && p.sampleCount > 0);
    const anyDegraded = degraded || probes.some((p) => p.degraded) || (baseline?.reading.degraded ?? false);
    const energyJ =
      last?.cumulativeEnergyJ ??
      (m && trainStartMs !== null ? m.energyBetween(t0, endMs).energyJ : { total: 0 });
    const durationMs = last ? last.elapsedMs : Math.max(0, endMs - t0);
    // A diverged epoch may have no finite accuracy: the run's outcome is then the model of the epoch before.
    const outcome = records.findLast((e) => e[`${e.efficiencyAccuracy}Accuracy`] !== null);
    const chosen = outcome
      ? { on: outcome.efficiencyAccuracy, accuracy: outcome[`${outcome.efficiencyAccuracy}Accuracy`] ?? 0 }
      : { on: accuracyOrder[0] as AccuracyOn, accuracy: 0 };
    const aboveIdle = energyAboveIdle(energyJ, durationMs);
    const b = baseline as { startMs: number; endMs: number; reading: MeterReading } | null;
    const stoppedBy: StopDecision =
      status === 'failed'
        ? { criterion: 'error', reason: error ?? 'failed', epoch: records.length }
        : (decision ?? {
            criterion: 'user',
            reason: `training ended after ${records.length} epochs before ${criterion.label} or the ${maxEpochs}-epoch cap stopped it (model.fit's epochs or the loop ran out)`,
            epoch: records.length,
          });
    const record = {
      schemaVersion: RESULT_SCHEMA_VERSION,
      runId,
      status,
      ...(error !== undefined ? { error } : {}),
      startedAt,
      endedAt: new Date().toISOString(),
      config,
      environment,
      probes,
      ...(b
        ? {
            baseline: {
              durationMs: b.endMs - b.startMs,
              powerW: Object.fromEntries(
                Object.entries(b.reading.energyJ).map(([c, e]) => [
                  c,
                  (e as number) / ((b.endMs - b.startMs) / 1000),
                ]),
              ),
              energyJ: b.reading.energyJ,
            },
          }
        : {}),
      epochs: records,
      final: {
        epochs: records.length,
        accuracy: chosen.accuracy,
        accuracyOn: chosen.on,
        trainAccuracy: outcome?.trainAccuracy ?? null,
        energyJ,
        ...(aboveIdle ? { energyAboveIdleJ: aboveIdle } : {}),
        ...(last?.cumulativePaperSumW !== undefined ? { paperSumW: last.cumulativePaperSumW } : {}),
        efficiency:
          outcome === last
            ? energyJ.total > 0
              ? chosen.accuracy / energyJ.total
              : 0
            : (outcome?.efficiency ?? 0),
        durationMs,
        stoppedBy,
        degraded: anyDegraded || !(energyJ.total > 0),
        estimated,
        // From the sensors' accuracy and the sampling each device had (uncertainty.ts), not a second integration.
        energyBoundJ: (({ lowJ, highJ }) => ({ lowJ, highJ }))(
          energyBoundOf(probes, Math.max(reportFrom, endMs) - reportFrom, {
            energyJ: energyJ.total,
            estimated,
          }),
        ),
      },
    };
    epochs$.complete();
    return RunRecordSchema.parse(record);
  }

  const endOnce = (what: string) => {
    assertOpen(what);
    ended = true;
  };

  return {
    runId,
    epochs$: epochs$.asObservable(),
    start,
    callback(model) {
      // tfjs wraps plain callback objects in a CustomCallback that never learns the model: it must be passed.
      if (!model || typeof model !== 'object') {
        throw new MeasureError(
          'E_MEASURE_OPTIONS',
          `callback(model) needs the model being fit (to set model.stopTraining), found ${String(model)}`,
          model,
        );
      }
      const stopModel = () => {
        model.stopTraining = true;
      };
      const cb: TfjsCallback = {
        async onTrainBegin() {
          await start();
        },
        async onEpochBegin() {
          batchInEpoch = 0;
        },
        async onEpochEnd(_epoch, logs) {
          const read = readTfjsEpochLogs(logs);
          const r = await endEpoch(read.metrics, read.otherNonFinite);
          // Setting stopTraining (not throwing) lets fit end normally, also for a diverged run.
          if (r.stop) stopModel();
        },
        async onTrainEnd() {},
      };
      if (criterion.checksBatches) {
        cb.onBatchEnd = async () => {
          if (trainStartMs === null || !meter) return;
          if (checkBatch(meter, trainStartMs)) stopModel();
        };
      }
      return cb;
    },
    epochEnd: (metrics) => endEpoch(metrics),
    async batchEnd() {
      assertOpen('batchEnd');
      const { m, t0 } = await ensureStarted();
      return checkBatch(m, t0);
    },
    async finish() {
      endOnce('finish');
      return buildRecord(decision?.criterion === 'diverged' ? 'diverged' : 'completed', undefined);
    },
    async fail(err) {
      endOnce('fail');
      return buildRecord('failed', errorText(err));
    },
    async abort() {
      if (ended) return;
      ended = true;
      try {
        await (await startup).stop();
      } catch {
        // probes never started: nothing to stop
      }
      epochs$.complete();
    },
  };
}
