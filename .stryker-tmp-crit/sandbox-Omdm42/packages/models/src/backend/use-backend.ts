// @ts-nocheck
// Chooses the tfjs backend eff trains on: libtensorflow if installed, else wasm with eff's training kernels, else cpu.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice, BackendInfo } from '../types.js';
import { defaultWasmThreads, setWasmThreads, wasmThreads } from './simd/helper-threads.js';
import { registerWasmTrainingKernels } from './wasm-training-kernels.js';

export interface UseBackendOptions {
  /** Where the choice and the reasons for skipping others go. Default: `console.info`. */
  log?: (msg: string) => void;
  /**
   * Threads eff's wasm training kernels run on, the main thread included (helper worker threads run the
   * convolutions' other images). Default: the environment variable `EFF_WASM_THREADS`, else every core up to four.
   */
  threads?: number;
}

const choices: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** The packages that bring libtensorflow, in the order `auto` tries them. */
const tensorflowPackages = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** `useBackend` was asked for something that is not a backend eff knows. */
export class UnknownBackendError extends Error {
  readonly code = 'EFF_UNKNOWN_BACKEND';
  constructor(readonly choice: unknown) {
    super(
      `Unknown backend ${JSON.stringify(choice)}; expected one of ${choices.map((c) => `'${c}'`).join(', ')}.`,
    );
    this.name = 'UnknownBackendError';
  }
}

/** The requested backend could not be started; `reasons` says what was tried and what failed. */
export class BackendUnavailableError extends Error {
  readonly code = 'EFF_BACKEND_UNAVAILABLE';
  constructor(
    readonly backend: 'tensorflow' | 'wasm' | 'cpu',
    readonly reasons: string[],
    advice: string,
  ) {
    super(`The '${backend}' backend is not available: ${reasons.join('; ')}. ${advice}`);
    this.name = 'BackendUnavailableError';
  }
}

type Attempt = { ok: true; info: Omit<BackendInfo, 'skipped'> } | { ok: false; reason: string };

function describeError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]?.trim() ?? msg;
}

/** Module-not-found from a dynamic import: the package is simply not installed (as opposed to broken). */
function isNotInstalled(err: unknown, specifier: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const msg = err instanceof Error ? err.message : '';
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && msg.includes(specifier);
}

async function tryTensorflow(specifier: string): Promise<Attempt> {
  try {
    // A computed specifier: these optional packages are never dependencies, and TypeScript must not need their types.
    await import(/* @vite-ignore */ specifier);
  } catch (err) {
    if (isNotInstalled(err, specifier)) return { ok: false, reason: `${specifier} is not installed` };
    return { ok: false, reason: `${specifier} is installed but failed to load (${describeError(err)})` };
  }
  if (tf.findBackendFactory('tensorflow') === undefined) {
    return {
      ok: false,
      reason: `${specifier} loaded but registered no 'tensorflow' backend with this copy of @tensorflow/tfjs (versions differ?)`,
    };
  }
  if (!(await tf.setBackend('tensorflow'))) {
    return { ok: false, reason: `${specifier} loaded but its 'tensorflow' backend failed to initialise` };
  }
  return { ok: true, info: { backend: 'tensorflow', package: specifier, trainingKernels: false } };
}

/** The directory holding tfjs-backend-wasm's .wasm binaries, found from this module so any cwd works. */
export function wasmBinaryDirectory(): string {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return join(dirname(pkgJson), 'dist') + sep;
}

let wasmPathsSet = false;

async function tryWasm(threads: number, log: (msg: string) => void): Promise<Attempt> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  if (!wasmPathsSet && tf.engine().registry.wasm === undefined) {
    const dir = wasmBinaryDirectory();
    const binary = join(dir, 'tfjs-backend-wasm-simd.wasm');
    if (!existsSync(binary)) return { ok: false, reason: `${pkg} has no ${binary}` };
    setWasmPaths(dir);
    wasmPathsSet = true;
  }
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) {
    return { ok: false, reason: `${pkg} failed to initialise (see the tfjs warning above)` };
  }
  const { failures } = await setWasmThreads(threads);
  for (const failure of failures)
    log(`eff: a helper thread for eff's wasm kernels failed to start (${failure})`);
  return { ok: true, info: { backend: 'wasm', package: pkg, trainingKernels: true, threads: wasmThreads() } };
}

async function tryCpu(): Promise<Attempt> {
  if (!(await tf.setBackend('cpu')))
    return { ok: false, reason: 'the pure-JS cpu backend failed to initialise' };
  return {
    ok: true,
    info: { backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', trainingKernels: false },
  };
}

const tensorflowAdvice =
  "Install it with 'npm install @tensorflow/tfjs-node' (or '@tensorflow/tfjs-node-gpu' for CUDA); its install " +
  "downloads libtensorflow, so it needs internet. Without it use 'wasm' (fast, embedded) or 'auto'.";

/**
 * Makes `choice` the active tfjs backend and says which one runs and why others were skipped.
 * `auto` tries tfjs-node-gpu, tfjs-node (optional, only if installed), wasm with eff's training kernels, then cpu.
 * Calling it again is harmless: kernels are registered once and the backend is only switched.
 */
export async function useBackend(
  choice: BackendChoice = 'auto',
  opts: UseBackendOptions = {},
): Promise<BackendInfo> {
  if (!choices.includes(choice)) throw new UnknownBackendError(choice);
  const log = opts.log ?? ((msg: string) => console.info(msg));
  const skipped: string[] = [];
  const plan: Array<() => Promise<Attempt>> = [];
  if (choice === 'auto' || choice === 'tensorflow')
    plan.push(...tensorflowPackages.map((p) => () => tryTensorflow(p)));
  // Checked before anything starts: a bad EFF_WASM_THREADS is an error, not a reason to skip wasm.
  const threads = opts.threads ?? defaultWasmThreads();
  if (choice === 'auto' || choice === 'wasm') plan.push(() => tryWasm(threads, log));
  if (choice === 'auto' || choice === 'cpu') plan.push(tryCpu);

  for (const attempt of plan) {
    const result = await attempt();
    if (result.ok) {
      const info: BackendInfo = { ...result.info, skipped };
      const why = skipped.length > 0 ? ` (skipped: ${skipped.join('; ')})` : '';
      const kernels = info.trainingKernels
        ? ` with eff training kernels on ${info.threads ?? 1} thread${info.threads === 1 ? '' : 's'}`
        : '';
      log(`eff: backend '${info.backend}' from ${info.package}${kernels}${why}`);
      return info;
    }
    skipped.push(result.reason);
  }
  const backend = choice === 'auto' ? 'cpu' : choice;
  const advice = choice === 'tensorflow' ? tensorflowAdvice : "Try useBackend('auto').";
  throw new BackendUnavailableError(backend, skipped, advice);
}
