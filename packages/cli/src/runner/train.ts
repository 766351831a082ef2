// One training run of the grid: builds the model, trains it under measureEfficiency, returns its RunRecord.
import { resolve } from 'node:path';
import {
  criteria,
  type Environment,
  type MeasureWarning,
  measureEfficiency,
  type RunRecord,
} from '@eff/core';
import {
  bcnn,
  compileModel,
  evaluateAccuracy,
  fitStoppingOnError,
  type KFold,
  kFold,
  lenet,
  loadCifar10Dataset,
  loadMnist,
  releaseWasmHelperHeaps,
  type Splits,
  useBackend,
  withTensorScope,
} from '@eff/models';
import type { Probe } from '@eff/probes';
import { InterruptedError } from '../errors.js';
import type { GridConfig } from '../grid/config.js';
import type { PlannedRun } from '../grid/expand.js';
import { selectProbes } from '../measure/probes.js';
import type { LiveMetrics } from '../metrics/live-metrics.js';
import { describeEnvironment } from './environment.js';
import type { EpochProgress, GridProgress } from './progress.js';

export interface TrainOptions {
  signal?: AbortSignal;
  onEpoch?: (p: EpochProgress) => void;
  /** Live series (`--metrics-port`): fed the run's accepted samples and its epoch records. */
  metrics?: LiveMetrics;
}

/** The runs of one grid in this process, one at a time, sharing the backend, the probes and the loaded data. */
export interface TrainingSession {
  /**
   * Trains one run and resolves to its record (completed, diverged or failed); rejects with InterruptedError when
   * `options.signal` aborts it. Before it settles, everything the run allocated is freed: model, optimizer state,
   * tfjs's training tensors, grown helper-thread heaps. The run's data split stays for the next run on it.
   */
  train(run: PlannedRun, options: TrainOptions): Promise<RunRecord>;
  /**
   * Untimed warm-up before the first timed run of the process: `run`'s model trained for one epoch on at most
   * WARM_UP_EXAMPLES of its training data, on the same backend, unmeasured and then freed. Resolves to what it did
   * (examples trained on, duration in ms), so the caller can say it was done.
   */
  warmUp(run: PlannedRun): Promise<{ examples: number; durationMs: number }>;
  /** Frees the data the runs shared (split tensors, raw CIFAR-10 images); call it once the grid is done. */
  close(): Promise<void>;
}

/**
 * Data for one run. Only one split is held as tensors at a time: a CIFAR-10 fold is ~740 MB and the wasm heap
 * is at most 4 GB, so the grid's fold-innermost order re-cuts the fold (seconds) instead of caching six. The raw
 * CIFAR-10 images (plain arrays) and the fold plan are kept for the whole grid.
 */
class SplitCache {
  private key: string | null = null;
  private splits: Splits | null = null;
  private cifar: KFold | null = null;

  constructor(private readonly grid: GridConfig) {}

  async get(run: PlannedRun): Promise<Splits> {
    const key = `${run.config.dataset}:${run.config.fold ?? '-'}`;
    if (this.key === key && this.splits) return this.splits;
    this.dispose();
    const grid = this.grid;
    if (run.config.dataset === 'mnist') {
      this.splits = await loadMnist({
        trainSize: grid.mnist.trainSize,
        testSize: grid.mnist.testSize,
        validationSplit: grid.mnist.validationSplit,
        seed: grid.seed,
      });
    } else {
      if (!this.cifar) {
        const all = await loadCifar10Dataset(
          grid.cifar10.dir ? { dir: resolve(grid.cifar10.dir) } : { download: true },
        );
        this.cifar = kFold(all, {
          folds: grid.cifar10.folds,
          perClassPerFold: grid.cifar10.perClassPerFold,
          seed: grid.seed,
          validationSplit: grid.cifar10.validationSplit,
        });
      }
      this.splits = this.cifar.fold(run.config.fold ?? 0);
    }
    this.key = key;
    return this.splits;
  }

  dispose(): void {
    this.splits?.dispose();
    this.splits = null;
    this.key = null;
  }

  /** At the end of the grid: frees the split's tensors and lets go of the raw CIFAR-10 images (~740 MB). */
  close(): void {
    this.dispose();
    this.cifar = null;
  }
}

export async function openTrainingSession(
  grid: GridConfig,
  ctx: { progress: GridProgress },
): Promise<TrainingSession> {
  const backend = await useBackend(
    grid.backend as 'auto',
    grid.threads === undefined ? {} : { threads: grid.threads },
  );
  const probes: Probe[] = await selectProbes(grid.probes ?? [], {
    ...(grid.gpus ? { gpus: grid.gpus } : {}),
    ...(grid.tdpW !== undefined ? { tdpW: grid.tdpW } : {}),
  });
  const environment: Environment = await describeEnvironment(backend.backend, backend.threads);
  ctx.progress.message(
    `backend ${backend.backend} (${backend.package}${backend.trainingKernels ? `, eff training kernels, ${backend.threads ?? 1} threads` : ''}); probes ${probes.map((p) => `${p.name}${p.estimated ? ' (estimate)' : ''}`).join(', ')}; ${environment.cpu?.model ?? 'cpu'} × ${environment.cpu?.cores ?? '?'} cores`,
  );
  const cache = new SplitCache(grid);
  return {
    async warmUp(run) {
      const splits = await cache.get(run);
      const t0 = performance.now();
      const n = Math.min(WARM_UP_EXAMPLES, splits.train.count);
      await withTensorScope(async () => {
        const xs = splits.train.xs.slice(0, n);
        const ys = splits.train.ys.slice(0, n);
        const model = buildModel(grid, run, splits);
        try {
          await model.fit(xs, ys, {
            epochs: 1,
            batchSize: run.config.batchSize ?? grid.batchSize,
            verbose: 0,
          });
          await evaluateAccuracy(model, xs, splits.train.labels.slice(0, n), { batchSize: 512 });
        } finally {
          model.dispose();
        }
      });
      await releaseWasmHelperHeaps();
      return { examples: n, durationMs: performance.now() - t0 };
    },
    async train(run, options) {
      // Data first: it outlives the run (the next run on the same split reuses it), so it must not be in its scope.
      const splits = await cache.get(run);
      try {
        return await withTensorScope(() =>
          trainRun(grid, run, splits, options, {
            probes,
            environment,
            // The grid says what measures once, above; warnings go through the progress display, not around it.
            warn: (w) => ctx.progress.message(`warning: ${w.message}`),
          }),
        );
      } finally {
        // A large model grows the helper threads' heaps; a smaller next run should not keep paying for it.
        const { failures } = await releaseWasmHelperHeaps();
        for (const failure of failures)
          ctx.progress.message(`a helper thread for eff's wasm kernels failed to restart (${failure})`);
      }
    },
    async close() {
      cache.close();
    },
  };
}

/** Examples the warm-up trains on: a few batches, enough to compile every kernel the run will use. */
export const WARM_UP_EXAMPLES = 512;

/** The run's model, built and compiled (optimizer included); the caller disposes it. */
function buildModel(grid: GridConfig, run: PlannedRun, splits: Splits) {
  const c = run.config;
  const inputShape = splits.train.xs.shape.slice(1) as [number, number, number];
  const model =
    c.architecture === 'lenet'
      ? lenet({ width: c.size, inputShape, seed: c.seed })
      : bcnn({ width: c.size, inputShape, kind: grid.bcnnKind, seed: c.seed });
  try {
    compileModel(model, {
      learningRate: c.learningRate ?? grid.learningRate,
      ...(grid.bcnnKind === 'bayes-by-backprop' && c.architecture === 'bcnn'
        ? { trainSize: splits.train.count }
        : {}),
    });
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/**
 * One run on `splits`: everything it allocates — the model and the optimizer it owns, the tensors tfjs makes while
 * fitting and evaluating — is freed before it returns or throws, whichever way it ended (completed, stopped by its
 * criterion, diverged, failed, interrupted). Resolves to the run's record; throws InterruptedError when aborted.
 */
async function trainRun(
  grid: GridConfig,
  run: PlannedRun,
  splits: Splits,
  options: TrainOptions,
  measured: { probes: Probe[]; environment: Environment; warn: (w: MeasureWarning) => void },
): Promise<RunRecord> {
  const c = run.config;
  const model = buildModel(grid, run, splits);
  try {
    const session = measureEfficiency({
      runId: run.runId,
      config: c,
      probes: measured.probes,
      intervalMs: grid.intervalMs,
      criterion: criteria.fromConfig(c.criterion),
      maxEpochs: c.maxEpochs,
      environment: measured.environment,
      log: false,
      onWarning: measured.warn,
      evaluate: async () => ({
        testAccuracy: await evaluateAccuracy(model, splits.test.xs, splits.test.labels, { batchSize: 512 }),
      }),
      ...(options.metrics ? { onSample: options.metrics.observeSample.bind(options.metrics) } : {}),
    });
    const sub = session.epochs$.subscribe((e) => {
      options.metrics?.epochEnded(e);
      options.onEpoch?.({
        epoch: e.epoch,
        maxEpochs: c.maxEpochs,
        accuracy: e.testAccuracy ?? e.validationAccuracy ?? e.trainAccuracy,
        cumulativeEnergyJ: e.cumulativeEnergyJ.total,
        elapsedMs: e.elapsedMs,
        ...(e.prediction ? { prediction: e.prediction } : {}),
      });
    });
    const interrupt = {
      onBatchEnd: async () => {
        if (options.signal?.aborted) model.stopTraining = true;
      },
    };
    try {
      await session.start();
      // A callback's error (the criterion, the energy check, a non-finite loss) ends fit through tfjs's own
      // clean-up before it is rethrown here, so the epoch's tensors go with the run.
      await fitStoppingOnError(model, splits.train.xs, splits.train.ys, {
        epochs: c.maxEpochs,
        batchSize: c.batchSize ?? grid.batchSize,
        validationData: [splits.validation.xs, splits.validation.ys],
        shuffle: true,
        verbose: 0,
        callbacks: [session.callback(model), interrupt],
      });
      if (options.signal?.aborted) {
        await session.abort();
        throw new InterruptedError('run interrupted');
      }
      return await session.finish();
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      // Stopping mid-epoch (Ctrl-C, SIGTERM from scancel) ends that epoch without validation, so a criterion may
      // throw for want of it: that is the interruption, not a failure of the run, and nothing is recorded.
      if (options.signal?.aborted) {
        await session.abort();
        throw new InterruptedError('run interrupted');
      }
      return await session.fail(err);
    } finally {
      sub.unsubscribe();
    }
  } finally {
    // The model owns its weights and (compileModel) its optimizer's state: Adam's moments and β powers.
    model.dispose();
  }
}
