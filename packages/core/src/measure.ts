// measureEfficiency: runs probes around a training loop (tfjs model.fit or a custom loop), applies the stopping criterion, and writes the RunRecord.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_INTERVAL_MS,
  installedVersion,
  inWorkerThread,
  MAX_INTERVAL_MS,
  nowMs,
  type Probe,
} from '@eff/probes';
import { type Observable, ReplaySubject } from 'rxjs';
import type { z } from 'zod';
import { type CriterionRun, type StoppingCriterion, withMaxEpochs } from './criteria.js';
import { defaultProbes, type EstimateOptions, normalizeGpuList } from './default-probes.js';
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
import { type RunPredictor, startPredictor } from './predict.js';
import { appendJsonl, configHash, resultsFileName } from './results.js';
import {
  activeBackend,
  type BackendInfoLike,
  cpuBackendWarning,
  machineEnvironment,
  slurmJobOf,
} from './run-environment.js';
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
import { markShortWindow } from './short-window.js';
import { energyBoundOf } from './uncertainty.js';

export { MeasureError } from './measure-error.js';

// Node 20.0-20.3 have no Symbol.asyncDispose (20.4 added it): `await using session = …` needs it at run time.
if (typeof (Symbol as { asyncDispose?: unknown }).asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('Symbol.asyncDispose') });
}

/** Something the user should know that does not stop the run; `code` says which. */
export interface MeasureWarning {
  /**
   * `W_CPU_BACKEND`: training runs on tfjs's pure-JS backend while a faster one is available (once per process);
   * `W_SHORT_WINDOW`: the run was shorter than the sampling interval, no sample fell inside it;
   * `W_NEVER_FINISHED`: the process exits with this session neither finished, failed nor aborted.
   */
  code: 'W_CPU_BACKEND' | 'W_SHORT_WINDOW' | 'W_NEVER_FINISHED';
  message: string;
}

/** Default warning hook: one line on stderr. */
function warnOnStderr(w: MeasureWarning): void {
  process.stderr.write(`eff: warning: ${w.message}\n`);
}

let warnedCpuBackend = false;

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
  /**
   * Probes to start, as Probe objects or registry names (`'rapl'`, sampled in a worker thread like
   * `inWorkerThread('rapl')`). Each must be able to run here: one that cannot makes start() reject with
   * `E_MEASURE_PROBE_UNAVAILABLE` before training (never a run measured with less than asked for). Default: every
   * available hardware probe (detected once per process), else the labelled estimate.
   */
  probes?: readonly (Probe | string)[];
  /**
   * The labelled estimate's assumptions when the default probes fall back to it: `{ tdpW, ramWPerGB, loadScope }`
   * (defaults 85 W, 0.375 W/GiB, `machine`). Recorded in the probe's `ProbeReport.estimate`. With `probes`, give
   * them to `estimateProbe(…)` / `inWorkerThread('estimate', …)` instead.
   */
  estimate?: EstimateOptions;
  /**
   * The tfjs backend that trains: useBackend()'s result from @eff/models (`{ backend, threads }`) or a name. Default:
   * read from tfjs's engine in this process once training starts. Recorded as `environment.backend` and
   * `environment.trainingThreads`.
   */
  backend?: string | BackendInfoLike;
  /**
   * Where the one line saying what measures (probes, devices, interval) goes when the probes start. Default: stderr;
   * `false` silences it.
   */
  log?: false | ((line: string) => void);
  /** Warnings (pure-JS backend, run shorter than the interval, never finished). Default: one line on stderr. */
  onWarning?: (warning: MeasureWarning) => void;
  /**
   * Directory to append every record finish() and fail() return to, as one line of `<resultsDir>/results.jsonl`
   * (created if missing; under SLURM `results-slurm-<job>[_<task>].jsonl`, one file per array task, see
   * resultsFileName): the files `eff report <resultsDir>` reads. Default: not saved.
   */
  resultsDir?: string;
  /**
   * The GPUs the training may use, as the vendor tools name them: indices (`'1'`), `GPU-…` UUIDs or `MIG-…` ids.
   * The default probes' GPU probes measure only these; this wins over `CUDA_VISIBLE_DEVICES`,
   * `ROCR_VISIBLE_DEVICES`, SLURM's variables and the rest. A GPU that does not exist makes start() reject
   * (`E_MEASURE_OPTIONS`, naming it and the GPUs that exist) before training. With `probes`, pass `gpus` to the
   * probe factories instead (giving both is an error). Default: the probes follow the environment.
   */
  gpus?: readonly string[];
  /** Sampling interval asked of every probe, ms. Default DEFAULT_INTERVAL_MS (100; the CLI's default too). */
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
  /**
   * `await using session = measureEfficiency(…)`: leaving the scope without finish() or fail() aborts the session
   * (probes stopped, no record); after finish()/fail() it does nothing.
   */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Validation images of a run when its config says (eff's grids: extra.trainSize × extra.validationSplit), for the
 * predictor's early-stopping noise floor; nothing otherwise.
 */
function validationCountOf(extra: Record<string, unknown> | undefined): { validationCount?: number } {
  const n = extra?.trainSize;
  const split = extra?.validationSplit;
  return typeof n === 'number' && typeof split === 'number' && n > 0 && split > 0
    ? { validationCount: Math.round(n * split) }
    : {};
}

/** Keeps a kept prediction only when its epoch's record carries it (not the epoch that ended the run). */
const keptIn = (records: readonly EpochRecord[]) => (p: { afterEpoch: number }) =>
  records[p.afterEpoch - 1]?.prediction !== undefined;

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
 * The explicit probes, names made worker-thread probes, each checked: one that cannot run here is an error before
 * training (the CLI's `--probe` exits 2 for the same), never a run measured with less than was asked for.
 * @throws MeasureError `E_MEASURE_PROBE_UNAVAILABLE` naming every such probe and why; `E_MEASURE_OPTIONS` for an
 *   unknown name.
 */
async function checkedProbes(given: readonly (Probe | string)[]): Promise<Probe[]> {
  const probes = given.map((p) => {
    if (typeof p !== 'string') return p;
    try {
      return inWorkerThread(p);
    } catch (err) {
      throw new MeasureError('E_MEASURE_OPTIONS', `probes: ${(err as Error).message}`, p);
    }
  });
  const checks = await Promise.all(
    probes.map((p) =>
      p.check().catch((err: unknown) => ({ available: false, reason: errorText(err) }) as const),
    ),
  );
  const unavailable = probes
    .map((p, i) => ({ p, check: checks[i] }))
    .filter(({ check }) => !check?.available)
    .map(({ p, check }) => `${p.name}: ${check?.reason ?? 'unavailable'}`);
  if (unavailable.length > 0) {
    throw new MeasureError(
      'E_MEASURE_PROBE_UNAVAILABLE',
      `a probe you asked for cannot run on this machine (${unavailable.join('; ')}); fix it, or leave probes out to use what \`eff probes\` finds`,
      unavailable,
    );
  }
  return probes;
}

/**
 * The line saying what measures: `eff: measuring with rapl (package-0, dram) every 100 ms`, an estimate marked
 * as such with its assumptions. Devices come from each probe's check() (cached per process).
 */
async function measuringLine(probes: readonly Probe[], intervalMs: number): Promise<string> {
  const parts = await Promise.all(
    probes.map(async (p) => {
      const devices = (await p.check().catch(() => ({ devices: undefined }))).devices ?? [];
      const what = devices.length > 0 ? devices.join(', ') : p.components.join(', ');
      const estimate = p.estimate
        ? `; ESTIMATE, not a measurement: TDP ${p.estimate.tdpW} W × ${p.estimate.loadScope} load, ${p.estimate.ramWPerGB} W/GiB RAM`
        : p.estimated
          ? '; ESTIMATE, not a measurement'
          : '';
      const every =
        p.minIntervalMs !== undefined && p.minIntervalMs > intervalMs ? ` every ${p.minIntervalMs} ms` : '';
      return `${p.name} (${what}${estimate})${every}`;
    }),
  );
  return `eff: measuring with ${parts.join(', ')} every ${intervalMs} ms`;
}

/**
 * Measures a training run: starts the probes (at once), marks epochs and batches, applies `criterion` (plus
 * the `maxEpochs` cap) and records every epoch's accuracies, energy per component and Eq. 2 efficiency.
 * Always end a session with finish(), fail(err) or abort(): they stop the probes and their child processes.
 */
export function measureEfficiency(options: MeasureEfficiencyOptions): EfficiencySession {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0 || intervalMs > MAX_INTERVAL_MS) {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      `intervalMs must be > 0 and ≤ ${MAX_INTERVAL_MS} (one hour), found ${String(intervalMs)}`,
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
  if (options.estimate && options.probes) {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      "estimate applies to the default probes; with explicit probes, pass it to the estimate's factory (inWorkerThread('estimate', { tdpW }))",
      options.estimate,
    );
  }
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
  const predictor: RunPredictor = startPredictor(config.criterion, {
    maxEpochs,
    ...validationCountOf(config.extra),
  });
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
  // Only the keys the caller set: an explicit `undefined` must not hide what the machine description found.
  const userEnvironment = Object.fromEntries(
    Object.entries(options.environment ?? {}).filter(([, v]) => v !== undefined),
  ) as z.input<typeof EnvironmentSchema>;
  const startedAt = new Date().toISOString();
  const createdMs = nowMs();
  const epochs$ = new ReplaySubject<EpochRecord>();
  const log =
    options.log === false ? null : (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)));
  const warn = options.onWarning ?? warnOnStderr;
  // The machine is described while the probes are detected (systeminformation; once per process).
  const machine = machineEnvironment(20_000);

  let meter: Meter | null = null;
  let baseline: { startMs: number; endMs: number; reading: MeterReading } | null = null;
  const startup = (async () => {
    const probes = options.probes
      ? await checkedProbes(options.probes)
      : await defaultProbes({
          ...(gpus ? { gpus } : {}),
          ...(options.estimate ? { estimate: options.estimate } : {}),
        });
    // Describing the machine runs tools and parses their output on this thread: finish it (once per process) before
    // the probes start and training begins, so it neither delays training nor is counted in its energy.
    await machine;
    if (log) log(await measuringLine(probes, intervalMs));
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
  let backendAtStart: ReturnType<typeof activeBackend> | null = null;
  // A session nobody ends must not pass unnoticed: its record is lost. (Timers, workers and tools are unref'd, so it
  // does not keep the process alive either.)
  const onExit = () => {
    if (!ended) {
      warn({
        code: 'W_NEVER_FINISHED',
        message: `measureEfficiency session ${runId} was never finished: no record was written. End it with finish(), fail(err) or abort(), or declare it with \`await using\`.`,
      });
    }
  };
  process.once('exit', onExit);
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

  /** Reads the backend once training starts and warns (once per process) when it is tfjs's pure-JS one. */
  function noteBackend(): void {
    if (backendAtStart) return;
    backendAtStart = activeBackend(options.backend);
    if (warnedCpuBackend) return;
    const wasm = installedVersion('@tensorflow/tfjs-backend-wasm', process.cwd());
    const text = cpuBackendWarning(backendAtStart, wasm ? { '@tensorflow/tfjs-backend-wasm': wasm } : {});
    if (text) {
      warnedCpuBackend = true;
      warn({ code: 'W_CPU_BACKEND', message: text });
    }
  }

  async function start(): Promise<void> {
    const m = await startup;
    if (trainStartMs === null) {
      noteBackend();
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
      noteBackend();
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
    // No prediction for the epoch that ends the run: nothing is left to predict.
    const stopsHere = decision !== null;
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
        const prediction = predictor.afterEpoch({
          epoch,
          energyJ: iv.energyJ.total,
          durationMs: endMs - startMs,
          ...accuracies,
        });
        if (prediction && !stopsHere) record.prediction = prediction;
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
    // A run shorter than the interval has no sample inside it: its joules are extrapolated from readings around it,
    // which is not a measurement of this run. Flagged (degraded, a note, a warning), never passed off as measured.
    const shortWindow =
      last !== undefined &&
      markShortWindow(probes, {
        ms: endMs - reportFrom,
        intervalMs,
        what: 'the run',
        advice: 'train longer or lower intervalMs',
      });
    if (shortWindow) {
      warn({
        code: 'W_SHORT_WINDOW',
        message: `run ${runId} lasted ${Math.round(endMs - reportFrom)} ms and no sample fell inside it (sampled every ${intervalMs} ms), so its energy is extrapolated (the record is marked degraded)`,
      });
    }
    // Any joule from an estimating probe makes the run estimated, also when none of its samples fell inside the run.
    const estimated = probes.some(
      (p) => p.estimated && (p.sampleCount > 0 || p.deviceReports.some((d) => d.energyJ > 0)),
    );
    const anyDegraded =
      degraded || shortWindow || probes.some((p) => p.degraded) || (baseline?.reading.degraded ?? false);
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
      environment: await recordEnvironment(),
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
        energyBoundJ: (({ lowJ, highJ, devices }) => ({
          lowJ,
          highJ,
          ...(devices.length ? { devices } : {}),
        }))(
          energyBoundOf(probes, Math.max(reportFrom, endMs) - reportFrom, {
            energyJ: energyJ.total,
            estimated,
          }),
        ),
      },
      ...(records.some((r) => r.prediction) ? { predictions: predictor.kept().filter(keptIn(records)) } : {}),
    };
    epochs$.complete();
    const parsed = RunRecordSchema.parse(record);
    if (options.resultsDir !== undefined) {
      await mkdir(options.resultsDir, { recursive: true });
      // Array tasks sharing one directory each append to their own file (as `eff run` does), never to one file.
      await appendJsonl(
        join(options.resultsDir, resultsFileName(parsed.environment.placement ?? slurmJobOf(process.env))),
        parsed,
      );
    }
    return parsed;
  }

  /**
   * This machine (described while the probes started), the backend read when training started (or now), then what
   * the caller gave in `environment`, which wins.
   */
  async function recordEnvironment() {
    const described = await machine;
    const backend = backendAtStart ?? activeBackend(options.backend);
    const parsed = EnvironmentSchema.safeParse({
      ...described,
      ...(backend.backend ? { backend: backend.backend } : {}),
      ...(backend.trainingThreads ? { trainingThreads: backend.trainingThreads } : {}),
      ...userEnvironment,
      versions: { ...described.versions, ...userEnvironment.versions },
    });
    // The caller's part was validated at creation; a description the schema refuses is dropped, never fatal.
    return parsed.success ? parsed.data : environment;
  }

  const endOnce = (what: string) => {
    assertOpen(what);
    ended = true;
    process.removeListener('exit', onExit);
  };

  async function abort(): Promise<void> {
    if (ended) return;
    ended = true;
    process.removeListener('exit', onExit);
    try {
      await (await startup).stop();
    } catch {
      // probes never started: nothing to stop
    }
    epochs$.complete();
  }

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
    abort,
    [Symbol.asyncDispose]: abort,
  };
}
