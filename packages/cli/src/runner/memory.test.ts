// Must show (issue 17 item 1): runs of `eff run` leave no tensor, optimizer state or helper heap behind, however they end.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criteria, type RunRecord } from '@eff/core';
import { wasmHelperHeapBytes } from '@eff/models';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../errors.js';
import { type GridConfig, type GridConfigInput, GridConfigSchema } from '../grid/config.js';
import { expandGrid, type PlannedRun } from '../grid/expand.js';
import type { GridProgress } from './progress.js';
import { openTrainingSession, type TrainOptions } from './train.js';

// A user-defined criterion (core's public register()) that throws at the second batch of the first epoch: an
// exception from inside model.fit, in the middle of an epoch, like a failing kernel or probe would raise.
criteria.register('throwsMidEpoch', () => ({
  name: 'throwsMidEpoch',
  label: 'throws at batch 2',
  checksBatches: true,
  start: () => ({
    afterEpoch: () => null,
    afterBatch: (s) => {
      if (s.batch >= 2) throw new Error('throwsMidEpoch: failing on purpose at batch 2');
      return null;
    },
  }),
  toConfig: () => ({ name: 'throwsMidEpoch', params: {} }),
}));

const quiet: GridProgress = {
  gridStart() {},
  runStart() {},
  epoch() {},
  runEnd() {},
  runFailed() {},
  message() {},
  gridEnd() {},
};

interface Memory {
  tensors: number;
  bytes: number;
}

const memory = (): Memory => {
  const m = tf.memory();
  return { tensors: m.numTensors, bytes: m.numBytes };
};

/** What one run left behind beyond the data the session holds, and how it ended. */
interface RunLeft {
  label: string;
  ended: string;
  tensorsLeft: number;
  bytesLeft: number;
}

/** The tensors a dataset split cache holds: xs float32 [n, h, w, c] and one-hot ys [n, 10] per split. */
function splitsMemory(counts: number[], pixels: number): Memory {
  const images = counts.reduce((a, b) => a + b, 0);
  return { tensors: 2 * counts.length, bytes: 4 * images * (pixels + 10) };
}

/** A run of the plan with some of its config changed (and so another run id). */
function variant(run: PlannedRun, tag: string, change: Partial<PlannedRun['config']>): PlannedRun {
  return { runId: `${run.runId}-${tag}`, config: { ...run.config, ...change }, label: `${run.label} ${tag}` };
}

interface Step {
  run: PlannedRun;
  /** Abort the run's signal after this epoch (Ctrl-C in `eff run`). */
  interruptAfterEpoch?: number;
  /** How the run must end: a record status, or 'interrupted' (the session throws InterruptedError). */
  expect: RunRecord['status'] | 'interrupted';
}

/**
 * Trains `steps` in order in one training session (what `eff run` does for a grid) and returns what each run
 * left behind: memory after the run minus memory before the session minus the data the session caches.
 */
async function trainAll(
  grid: GridConfig,
  steps: Step[],
  dataMemory: Memory,
): Promise<{
  rows: RunLeft[];
  afterClose: Memory;
  before: Memory;
  heapBeforeBytes: number;
  heapsBytes: number[];
}> {
  const session = await openTrainingSession(grid, { progress: quiet });
  // Measured after the backend is up: tfjs allocates nothing of its own afterwards.
  const before = memory();
  // Helper threads outlive sessions (and exist on cpu too after a wasm session in the same process).
  const heapBeforeBytes = wasmHelperHeapBytes();
  const rows: RunLeft[] = [];
  const heapsBytes: number[] = [];
  try {
    for (const step of steps) {
      const controller = new AbortController();
      const options: TrainOptions = {
        signal: controller.signal,
        onEpoch: (p) => {
          if (step.interruptAfterEpoch !== undefined && p.epoch >= step.interruptAfterEpoch) {
            controller.abort(new InterruptedError('test interrupt'));
          }
        },
      };
      let ended: string;
      try {
        const record = await session.train(step.run, options);
        ended = record.status;
      } catch (err) {
        if (!(err instanceof InterruptedError)) throw err;
        ended = 'interrupted';
      }
      const now = memory();
      rows.push({
        label: step.run.label,
        ended,
        tensorsLeft: now.tensors - before.tensors - dataMemory.tensors,
        bytesLeft: now.bytes - before.bytes - dataMemory.bytes,
      });
      heapsBytes.push(wasmHelperHeapBytes());
    }
  } finally {
    await session.close();
  }
  return { rows, afterClose: memory(), before, heapBeforeBytes, heapsBytes };
}

function gridFor(backend: 'wasm' | 'cpu', extra: Partial<GridConfigInput> = {}): GridConfig {
  return GridConfigSchema.parse({
    name: `leak-${backend}`,
    datasets: ['mnist'],
    architectures: ['lenet', 'bcnn'],
    sizes: [1, 2],
    criteria: [
      { name: 'fixedEpochs', params: { epochs: 2 } },
      { name: 'earlyStopping', params: { patience: 1 } },
      { name: 'throwsMidEpoch' },
    ],
    maxEpochs: 2,
    batchSize: 4,
    mnist: { trainSize: 10, testSize: 4 },
    intervalMs: 50,
    probes: ['estimate'],
    backend,
    ...(backend === 'wasm' ? { threads: 2 } : {}),
    ...extra,
  });
}

function finder(grid: GridConfig) {
  const plan = expandGrid(grid);
  return (model: string, criterion: string) => {
    const run = plan.find((r) => r.config.model === model && r.config.criterion.name === criterion);
    if (!run) throw new Error(`no ${model} ${criterion} in the plan`);
    return run;
  };
}

/**
 * MC-dropout grid: LeNet-1, LeNet-2 and BCNN-1 under two criteria, one run that throws mid-epoch, one interrupted
 * (Ctrl-C) after its first epoch of thirty.
 */
function mcDropoutSteps(grid: GridConfig): Step[] {
  const find = finder(grid);
  const long = { maxEpochs: 30, criterion: { name: 'fixedEpochs', params: { epochs: 30 } } };
  return [
    { run: find('LeNet-1', 'fixedEpochs'), expect: 'completed' },
    { run: find('LeNet-2', 'earlyStopping'), expect: 'completed' },
    { run: find('BCNN-1', 'fixedEpochs'), expect: 'completed' },
    { run: find('LeNet-2', 'throwsMidEpoch'), expect: 'failed' },
    {
      run: variant(find('BCNN-1', 'fixedEpochs'), 'ctrl-c', long),
      interruptAfterEpoch: 1,
      expect: 'interrupted',
    },
    { run: find('LeNet-1', 'earlyStopping'), expect: 'completed' },
  ];
}

/**
 * Bayes-by-Backprop grid: BCNN-1 trains, then diverges at Adam 1e30 (σ = softplus(ρ) overflows, so the KL term
 * and the loss are non-finite from the first epoch; LeNet's clipped cross-entropy would stay finite).
 */
function bayesSteps(grid: GridConfig): Step[] {
  const find = finder(grid);
  return [
    { run: find('BCNN-1', 'fixedEpochs'), expect: 'completed' },
    {
      run: variant(find('BCNN-1', 'fixedEpochs'), 'lr 1e30', { learningRate: 1e30 }),
      expect: 'diverged',
    },
    { run: find('BCNN-1', 'earlyStopping'), expect: 'completed' },
  ];
}

// MNIST with trainSize 10, validationSplit 0.2, testSize 4: 8 + 2 + 4 images of 28×28×1 (two batches of 4 per epoch).
const MNIST_DATA = splitsMemory([8, 2, 4], 28 * 28);

/** Every run left nothing, the session's close() freed its data, and the helper heaps are as before the runs. */
function expectNothingLeft(steps: Step[], result: Awaited<ReturnType<typeof trainAll>>) {
  expect(result.rows).toEqual(
    steps.map((s) => ({
      label: s.run.label,
      ended: s.expect,
      tensorsLeft: 0,
      bytesLeft: 0,
    })),
  );
  expect(result.afterClose).toEqual(result.before);
  expect(result.heapsBytes).toEqual(steps.map(() => result.heapBeforeBytes));
}

/** One helper thread's heap as it starts (threads: 2 means the main thread and one helper). */
const HELPER_HEAP_BYTES = 16 * 1024 * 1024;

describe.each(['wasm', 'cpu'] as const)('runs of eff run on %s free what they allocate', (backend) => {
  it('leaves tensors and bytes where they were after every run, however it ended', {
    timeout: 600_000,
  }, async () => {
    const grid = gridFor(backend);
    const steps = mcDropoutSteps(grid);
    const result = await trainAll(grid, steps, MNIST_DATA);
    // wasm: one helper thread (threads: 2) with its initial 16 MiB heap, and so after every run.
    if (backend === 'wasm') expect(result.heapBeforeBytes).toBe(HELPER_HEAP_BYTES);
    expectNothingLeft(steps, result);
  });

  it('frees Bayes-by-Backprop variables too, also when the loss diverges', { timeout: 600_000 }, async () => {
    const grid = gridFor(backend, { architectures: ['bcnn'], sizes: [1], bcnnKind: 'bayes-by-backprop' });
    const steps = bayesSteps(grid);
    const result = await trainAll(grid, steps, MNIST_DATA);
    if (backend === 'wasm') expect(result.heapBeforeBytes).toBe(HELPER_HEAP_BYTES);
    expectNothingLeft(steps, result);
  });
});

/** The six CIFAR-10 batch files in their binary format, one image of each class per file (60 images). */
async function tinyCifarDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eff-memory-cifar-'));
  const recordBytes = 3073;
  const files = [
    'data_batch_1',
    'data_batch_2',
    'data_batch_3',
    'data_batch_4',
    'data_batch_5',
    'test_batch',
  ];
  await Promise.all(
    files.map((file, f) => {
      const buf = Buffer.alloc(10 * recordBytes);
      for (let c = 0; c < 10; c++) {
        buf[c * recordBytes] = c;
        for (let p = 1; p < recordBytes; p++)
          buf[c * recordBytes + p] = (c * 25 + ((p * (f + 1)) % 13)) & 0xff;
      }
      return writeFile(join(dir, `${file}.bin`), buf);
    }),
  );
  return dir;
}

describe('CIFAR-10 folds on wasm', () => {
  it('hold one fold at a time: a run on another fold frees the previous fold before cutting its own', {
    timeout: 600_000,
  }, async () => {
    const grid = gridFor('wasm', {
      datasets: ['cifar10'],
      architectures: ['lenet'],
      sizes: [1],
      criteria: [{ name: 'fixedEpochs', params: { epochs: 1 } }],
      batchSize: 10,
      cifar10: { dir: await tinyCifarDir(), folds: 2, perClassPerFold: 1 },
    });
    const [fold0, fold1] = expandGrid(grid);
    if (!fold0 || !fold1) throw new Error('expected two folds in the plan');
    const steps: Step[] = [
      { run: fold0, expect: 'completed' },
      { run: fold1, expect: 'completed' },
      {
        run: variant(fold0, 'again', { criterion: { name: 'earlyStopping', params: { patience: 1 } } }),
        expect: 'completed',
      },
    ];
    // Each fold: 10 test images, the other 50 split 40 for training and 10 for validation, 32×32×3.
    const foldData = splitsMemory([40, 10, 10], 32 * 32 * 3);
    const result = await trainAll(grid, steps, foldData);
    expect(result.heapBeforeBytes).toBe(HELPER_HEAP_BYTES);
    expectNothingLeft(steps, result);
  });
});
