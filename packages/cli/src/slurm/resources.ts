// What one SLURM array task of a grid needs: time limit, memory, CPUs, GPUs and whether it must have the node alone.
import { createRequire } from 'node:module';
import type { RunConfig } from '@eff/core';
import { probeHardware } from '@eff/probes';
import type { GridConfig } from '../grid/config.js';

/**
 * Conservative training throughput of LeNet-1 on one CPU core, images per second: half of what eff's wasm backend
 * reached on one thread here (docs/performance.md, `wasm1` column: 6,284 img/s for LeNet-1), because cluster cores
 * are often slower and shared, and a time limit that is too short kills the run while one too long only waits
 * longer in the queue.
 */
export const BASE_IMAGES_PER_S = 3000;

/**
 * Throughput falls with the width multiplier k about as k^1.5 (the `wasm1` column of docs/performance.md: 6,284,
 * 2,403, 1,273, 788, 534 img/s for k = 1…5; 6,284 / k^1.5 gives 6,284, 2,222, 1,209, 786, 562).
 */
export const WIDTH_EXPONENT = 1.5;

/** A CIFAR-10 image (32×32×3) costs about 1.5 MNIST images (28×28×1): only the first convolution sees 3 channels. */
export const CIFAR_IMAGE_COST = 1.5;

/** Evaluating an image (forward pass only) costs about a third of training on it (forward + backward + update). */
export const EVAL_IMAGE_COST = 1 / 3;

/** Start-up per task and per run: node, tfjs, the dataset, the probes (seconds; generous on a network file system). */
export const STARTUP_S = 60;

/** The time limit is the estimate times this margin, rounded up to whole minutes, and at least MIN_TIME_MINUTES. */
export const TIME_MARGIN = 1.5;
export const MIN_TIME_MINUTES = 10;

/** Epochs a run can take at most: its hard cap, or fewer when its criterion is a fixed number of epochs. */
export function maxEpochsOf(config: RunConfig): number {
  const c = config.criterion;
  const fixed = c.name === 'fixedEpochs' ? Number((c.params as { epochs?: unknown }).epochs) : Number.NaN;
  return Number.isFinite(fixed) && fixed > 0 ? Math.min(fixed, config.maxEpochs) : config.maxEpochs;
}

/**
 * Upper estimate of one run's duration in seconds: `STARTUP_S + epochs × cost / (BASE_IMAGES_PER_S / k^1.5)`, where
 * epochs = `maxEpochsOf(config)` (a criterion may stop earlier; the limit must hold when it does not) and cost is
 * the images trained per epoch plus a third of those evaluated, in MNIST-image units:
 * MNIST: trainSize (validation carved out of it counts as trained, an overestimate) + testSize/3;
 * CIFAR-10 (k-fold): (folds − 1) × 10 × perClassPerFold trained + 10 × perClassPerFold / 3 tested, × 1.5.
 */
export function estimateRunSeconds(config: RunConfig): number {
  const extra = config.extra as Record<string, unknown>;
  const num = (key: string, fallback: number) => {
    const v = Number(extra[key]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  let imagesPerEpoch: number;
  if (config.dataset === 'cifar10') {
    const fold = 10 * num('perClassPerFold', 1000);
    imagesPerEpoch = ((num('folds', 6) - 1) * fold + fold * EVAL_IMAGE_COST) * CIFAR_IMAGE_COST;
  } else {
    imagesPerEpoch = num('trainSize', 60_000) + num('testSize', 10_000) * EVAL_IMAGE_COST;
  }
  const imagesPerS = BASE_IMAGES_PER_S / config.size ** WIDTH_EXPONENT;
  return STARTUP_S + (maxEpochsOf(config) * imagesPerEpoch) / imagesPerS;
}

/**
 * Time limit of a task of at most `runsPerTask` runs, in minutes: the `runsPerTask` slowest runs of the grid back to
 * back (`estimateRunSeconds`), plus STARTUP_S, × TIME_MARGIN, rounded up, at least MIN_TIME_MINUTES.
 */
export function estimateTaskMinutes(configs: readonly RunConfig[], runsPerTask: number): number {
  const slowest = configs
    .map(estimateRunSeconds)
    .sort((a, b) => b - a)
    .slice(0, runsPerTask);
  const seconds = STARTUP_S + slowest.reduce((a, b) => a + b, 0);
  return Math.max(MIN_TIME_MINUTES, Math.ceil((seconds * TIME_MARGIN) / 60));
}

/** `minutes` as sbatch's `--time` takes it: `D-HH:MM:SS` (sbatch(1), `-t, --time`). */
export function formatSlurmTime(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days}-${pad(h)}:${pad(m)}:00`;
}

/**
 * Memory a task asks for, in MB: 1,536 MB for node, tfjs and the model, plus the dataset's float32 pixels twice
 * (the decoded set and the tensors made from it), rounded up to a whole GB. Full MNIST: 2 GB; full CIFAR-10: 3 GB.
 */
export function estimateMemoryMB(grid: GridConfig): number {
  let pixels = 0;
  if (grid.datasets.includes('mnist')) {
    pixels = Math.max(pixels, ((grid.mnist.trainSize ?? 60_000) + (grid.mnist.testSize ?? 10_000)) * 784);
  }
  if (grid.datasets.includes('cifar10')) {
    pixels = Math.max(pixels, grid.cifar10.folds * 10 * grid.cifar10.perClassPerFold * 3072);
  }
  const mb = 1536 + (pixels * 4 * 2) / 2 ** 20;
  return Math.ceil(mb / 1024) * 1024;
}

/** Probes that read only GPUs: a job measured by these alone is not charged for other jobs' CPU or RAM. */
const GPU_HARDWARE = new Set(['nvidia-gpu', 'amd-gpu']);

/**
 * Whether the grid measures CPU or RAM energy: true unless its `probes` are all GPU probes (nvml, nvidia-smi,
 * rocm-smi). Without `probes` eff picks what the node has (RAPL or the CPU estimate among them), so true.
 */
export function measuresCpuOrRam(grid: GridConfig): boolean {
  if (grid.probes === undefined) return true;
  return grid.probes.some((name) => !GPU_HARDWARE.has(probeHardware(name)));
}

/** Whether tfjs-node-gpu (libtensorflow with CUDA) is installed where this eff runs, i.e. where the tasks will. */
export function gpuBackendInstalled(): boolean {
  const fromCli = createRequire(import.meta.url);
  const bases: Array<() => NodeJS.Require> = [
    // @eff/models loads it (use-backend.ts), so its resolution is the one that counts; the CLI's as a fallback.
    () => createRequire(fromCli.resolve('@eff/models')),
    () => fromCli,
  ];
  for (const base of bases) {
    try {
      base().resolve('@tensorflow/tfjs-node-gpu');
      return true;
    } catch {
      // Not installed there (or @eff/models not built): try the next place.
    }
  }
  return false;
}

/**
 * GPUs per task by default: 1 when the runs train on the GPU (backend `tensorflow` or `auto` with tfjs-node-gpu
 * installed) or the grid measures with a GPU probe (its energy is the allocated GPU's, so one must be allocated);
 * else 0.
 */
export function defaultGpusPerTask(grid: GridConfig, gpuBackend: boolean = gpuBackendInstalled()): number {
  const trainsOnGpu = gpuBackend && (grid.backend === 'auto' || grid.backend === 'tensorflow');
  const gpuProbe = (grid.probes ?? []).some((name) => GPU_HARDWARE.has(probeHardware(name)));
  return trainsOnGpu || gpuProbe ? 1 : 0;
}

/** CPUs per task by default: the grid's `threads` when set, else 2 (eff's wasm kernels gain from a second core). */
export function defaultCpusPerTask(grid: GridConfig): number {
  return grid.threads ?? 2;
}
