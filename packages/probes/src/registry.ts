// Probe registry: names -> factories for the CLI's `--probe NAME`, and detection of what this machine can run.
import { ProbeError } from './errors.js';
import { type EstimateProbeOptions, estimateProbe } from './estimate.js';
import { type NvidiaSmiProbeOptions, nvidiaSmiProbe } from './nvidia-smi.js';
import { type NvmlProbeOptions, nvmlProbe } from './nvml.js';
import { type PowerstatProbeOptions, powerstatProbe } from './powerstat.js';
import { type PowertopProbeOptions, powertopProbe } from './powertop.js';
import { type RaplProbeOptions, raplProbe } from './rapl.js';
import { type RocmSmiProbeOptions, rocmSmiProbe } from './rocm-smi.js';
import type { Probe, ProbeCheck } from './sample.js';

/** The factory options of each built-in probe, by registry name. */
export interface ProbeOptionsByName {
  nvml: NvmlProbeOptions;
  'nvidia-smi': NvidiaSmiProbeOptions;
  'rocm-smi': RocmSmiProbeOptions;
  rapl: RaplProbeOptions;
  powerstat: PowerstatProbeOptions;
  powertop: PowertopProbeOptions;
  estimate: EstimateProbeOptions;
}

/**
 * The options a probe called `N` takes: the built-in probe's own (closed) options type, so that
 * `inWorkerThread('estimate', { tdpw: 35 })` does not compile; any object for a probe registered at run time.
 */
export type ProbeFactoryOptions<N extends string> = N extends keyof ProbeOptionsByName
  ? ProbeOptionsByName[N]
  : Record<string, unknown>;

// biome-ignore lint/suspicious/noExplicitAny: each factory takes its own options object
type Factory = (options?: any) => Probe;

const FACTORIES: Record<string, Factory> = {
  nvml: nvmlProbe,
  'nvidia-smi': nvidiaSmiProbe,
  'rocm-smi': rocmSmiProbe,
  rapl: raplProbe,
  powerstat: powerstatProbe,
  powertop: powertopProbe,
  estimate: estimateProbe,
};

/**
 * Which hardware each probe reads. Two probes of one kind read the same devices (NVML and nvidia-smi the same
 * NVIDIA boards; powerstat reads the RAPL counters the rapl probe reads), so measuring with both would count those
 * joules twice: automatic selection keeps only the first available probe of each kind, in detection order.
 */
const HARDWARE: Record<string, string> = {
  nvml: 'nvidia-gpu',
  'nvidia-smi': 'nvidia-gpu',
  'rocm-smi': 'amd-gpu',
  rapl: 'rapl',
  powerstat: 'rapl',
  powertop: 'battery',
  estimate: 'estimate',
};

/** The kind of hardware probe `name` reads (probes registered without one read hardware of their own). */
export function probeHardware(name: string): string {
  return HARDWARE[name] ?? name;
}

/**
 * Of the probe names given (available ones, in detection order), the first of each hardware kind: e.g.
 * `['nvml', 'nvidia-smi', 'rapl', 'powerstat']` → `['nvml', 'rapl']`. Order is kept.
 */
export function oneProbePerHardware(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const kind = probeHardware(name);
    if (seen.has(kind)) return false;
    seen.add(kind);
    return true;
  });
}

/** Adds a probe factory to the registry (used by modules that need optional native code, e.g. NVML). */
export function registerProbe(name: string, factory: Factory, hardware?: string): void {
  FACTORIES[name] = factory;
  if (hardware !== undefined) HARDWARE[name] = hardware;
}

/** Names accepted by `probeByName`, in detection order (measurements first, the estimate last). */
export function probeNames(): string[] {
  return Object.keys(FACTORIES);
}

/** The probe called `name`, built with `options` (passed to its factory). Unknown names -> ProbeError E_PROBE_UNKNOWN. */
export function probeByName<N extends string>(name: N, options?: ProbeFactoryOptions<N>): Probe;
export function probeByName(name: string, options: Record<string, unknown> = {}): Probe {
  const factory = FACTORIES[name];
  if (!factory) {
    throw new ProbeError(
      'E_PROBE_UNKNOWN',
      `unknown probe ${JSON.stringify(name)}; expected one of: ${probeNames().join(', ')}`,
    );
  }
  return factory(options);
}

export interface DetectedProbe extends ProbeCheck {
  name: string;
}

/** Options of detectProbes / checkProbe. */
export interface DetectOptions {
  /**
   * Check again instead of answering from this process's cache (e.g. after plugging in a device or fixing a
   * permission while the process runs). Default false.
   */
  refresh?: boolean;
}

/**
 * check() results of this process, by probe name, factory options and environment. Checking spawns the vendor tools
 * (seconds in all), and what a machine can measure does not change while a script runs, so a process checks once;
 * the environment is part of the key because it steers the checks (PATH finds the tools, CUDA_VISIBLE_DEVICES and
 * the like select the GPUs).
 */
const checkCache = new Map<string, Promise<ProbeCheck>>();

function checkKey(name: string, options: Record<string, unknown>): string {
  const env = Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([name, options, env]);
}

/**
 * The check() of the probe called `name` built with `options`, run once per process (cached by name, options and
 * environment; `{ refresh: true }` runs it again). A check that throws is rejected, and not cached.
 */
export function checkProbe(
  name: string,
  options: Record<string, unknown> = {},
  detectOptions: DetectOptions = {},
): Promise<ProbeCheck> {
  const key = checkKey(name, options);
  const cached = detectOptions.refresh ? undefined : checkCache.get(key);
  if (cached) return cached;
  const pending = Promise.resolve().then(() => probeByName(name, options).check());
  checkCache.set(key, pending);
  pending.catch(() => checkCache.delete(key));
  return pending;
}

/**
 * Runs every probe's check() (in parallel) and reports which can run here and why the others cannot. Cached per
 * process (see checkProbe): a second call answers at once without spawning any tool; `{ refresh: true }` checks again.
 */
export async function detectProbes(
  options: Record<string, Record<string, unknown>> = {},
  detectOptions: DetectOptions = {},
): Promise<DetectedProbe[]> {
  return Promise.all(
    probeNames().map(async (name) => {
      try {
        return { name, ...(await checkProbe(name, options[name] ?? {}, detectOptions)) };
      } catch (err) {
        return { name, available: false, reason: `${name}: check failed: ${(err as Error).message}` };
      }
    }),
  );
}
