// Probe registry: names -> factories for the CLI's `--probe NAME`, and detection of what this machine can run.

import { type AmdSmiProbeOptions, amdSmiProbe } from './amd-smi.js';
import { ProbeError } from './errors.js';
import { type EstimateProbeOptions, estimateProbe } from './estimate.js';
import { type HwmonProbeOptions, hwmonProbe } from './hwmon.js';
import { type IpmiProbeOptions, ipmiProbe } from './ipmi.js';
import { type NvidiaSmiProbeOptions, nvidiaSmiProbe } from './nvidia-smi.js';
import { type NvmlProbeOptions, nvmlProbe } from './nvml.js';
import { type PowermetricsProbeOptions, powermetricsProbe } from './powermetrics.js';
import { type PowerstatProbeOptions, powerstatProbe } from './powerstat.js';
import { type PowertopProbeOptions, powertopProbe } from './powertop.js';
import { type RaplProbeOptions, raplProbe } from './rapl.js';
import { type RocmSmiProbeOptions, rocmSmiProbe } from './rocm-smi.js';
import type { Probe, ProbeCheck } from './sample.js';

/** The factory options of each built-in probe, by registry name. */
export interface ProbeOptionsByName {
  nvml: NvmlProbeOptions;
  'nvidia-smi': NvidiaSmiProbeOptions;
  'amd-smi': AmdSmiProbeOptions;
  'rocm-smi': RocmSmiProbeOptions;
  rapl: RaplProbeOptions;
  powerstat: PowerstatProbeOptions;
  ipmi: IpmiProbeOptions;
  hwmon: HwmonProbeOptions;
  powermetrics: PowermetricsProbeOptions;
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

/**
 * Detection order: in-process and counter-based readers before tool pollers of the same hardware (NVML before
 * nvidia-smi, amd-smi before rocm-smi, rapl before powerstat), dedicated tools before the generic hwmon files,
 * measurements before the estimate (last).
 */
const FACTORIES: Record<string, Factory> = {
  nvml: nvmlProbe,
  'nvidia-smi': nvidiaSmiProbe,
  'amd-smi': amdSmiProbe,
  'rocm-smi': rocmSmiProbe,
  rapl: raplProbe,
  powerstat: powerstatProbe,
  ipmi: ipmiProbe,
  hwmon: hwmonProbe,
  powermetrics: powermetricsProbe,
  powertop: powertopProbe,
  estimate: estimateProbe,
};

/**
 * Which hardware each probe reads. Two probes of one kind read the same devices (NVML and nvidia-smi the same
 * NVIDIA boards; amd-smi and rocm-smi the same AMD GPUs; powerstat reads the RAPL counters the rapl probe reads), so
 * measuring with both would count those joules twice: automatic selection keeps only the first available probe of
 * each kind, in detection order. A probe may read several kinds: hwmon reads amdgpu's sensors (the AMD GPUs amd-smi
 * and rocm-smi read) and the ACPI power meter (on servers, the BMC's whole-node reading ipmi gives), so it is used
 * automatically only when no probe before it claimed either; `node` is the one whole-machine (`system`) reading a
 * result may have (two would be summed into a total twice the machine's).
 */
const HARDWARE: Record<string, readonly string[]> = {
  nvml: ['nvidia-gpu'],
  'nvidia-smi': ['nvidia-gpu'],
  'amd-smi': ['amd-gpu'],
  'rocm-smi': ['amd-gpu'],
  rapl: ['rapl'],
  powerstat: ['rapl'],
  ipmi: ['node'],
  hwmon: ['amd-gpu', 'node'],
  powermetrics: ['apple-soc'],
  powertop: ['battery', 'node'],
  estimate: ['estimate'],
};

/** What each probe measures and what it needs to run, for `eff probes` and docs/probes.md (one sentence each). */
export interface ProbeDescription {
  measures: string;
  needs: string;
}

const DESCRIPTIONS: Record<string, ProbeDescription> = {
  nvml: {
    measures: 'NVIDIA GPU energy counters and power, per GPU, in-process',
    needs: 'libnvidia-ml.so.1 (NVIDIA driver) and the koffi FFI module',
  },
  'nvidia-smi': {
    measures: 'NVIDIA GPU power (and energy counters), per GPU',
    needs: 'nvidia-smi on PATH (NVIDIA driver)',
  },
  'amd-smi': {
    measures: 'AMD GPU socket power and energy counters, per GPU (ROCm 6+)',
    needs: 'amd-smi on PATH (ROCm 6 or later), amdgpu driver loaded',
  },
  'rocm-smi': {
    measures: 'AMD GPU power and energy counters, per card',
    needs: 'rocm-smi on PATH (ROCm 5, Debian rocm-smi), amdgpu driver loaded',
  },
  rapl: {
    measures: 'CPU package and DRAM energy counters (Intel/AMD RAPL), per domain',
    needs: 'readable /sys/class/powercap/intel-rapl* (root-only by default)',
  },
  powerstat: {
    measures: 'CPU package and DRAM power from RAPL, per domain',
    needs: 'powerstat on PATH and readable RAPL',
  },
  ipmi: {
    measures:
      "the whole node's power from the BMC (DCMI power reading), component system: it becomes the total",
    needs: 'ipmitool, a BMC with DCMI, read access to /dev/ipmi0 (root by default)',
  },
  hwmon: {
    measures:
      'kernel hwmon power/energy sensors (amdgpu, i915/xe, ACPI power meter, …), each channel a device',
    needs: 'a hwmon driver with power or energy files under /sys/class/hwmon (amdgpu: no root, no ROCm)',
  },
  powermetrics: {
    measures: 'Apple Silicon CPU, GPU and ANE power (ANE counted as gpu; Combined not added)',
    needs: 'macOS on Apple Silicon, root (or a sudoers rule for sudo -n powermetrics)',
  },
  powertop: {
    measures: "the battery's discharge power (whole machine, component system)",
    needs: 'powertop on PATH, running on battery',
  },
  estimate: {
    measures: 'an ESTIMATE: CPU utilisation × TDP plus RAM by GB, labelled estimated',
    needs: 'nothing (always available)',
  },
};

/** What probe `name` measures and needs; a neutral sentence for probes registered without a description. */
export function describeProbe(name: string): ProbeDescription {
  return (
    DESCRIPTIONS[name] ?? {
      measures: `the readings of the ${name} probe`,
      needs: "see the probe's documentation",
    }
  );
}

/**
 * The kind of hardware probe `name` reads (its first kind; probes registered without one read hardware of their
 * own). probeHardwareKinds gives all of them.
 */
export function probeHardware(name: string): string {
  return probeHardwareKinds(name)[0] ?? name;
}

/** Every kind of hardware probe `name` reads, e.g. `['amd-gpu', 'node']` for hwmon. */
export function probeHardwareKinds(name: string): readonly string[] {
  return HARDWARE[name] ?? [name];
}

/**
 * Of the probe names given (available ones, in detection order), each probe none of whose hardware kinds an earlier
 * one already reads: e.g. `['nvml', 'nvidia-smi', 'rapl', 'powerstat']` → `['nvml', 'rapl']`, and
 * `['ipmi', 'hwmon']` → `['ipmi']` (both may read the node's meter). Order is kept.
 */
export function oneProbePerHardware(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const kinds = probeHardwareKinds(name);
    if (kinds.some((k) => seen.has(k))) return false;
    for (const k of kinds) seen.add(k);
    return true;
  });
}

/** Adds a probe factory to the registry (used by modules that need optional native code, e.g. NVML). */
export function registerProbe(
  name: string,
  factory: Factory,
  hardware?: string | readonly string[],
  description?: ProbeDescription,
): void {
  FACTORIES[name] = factory;
  if (hardware !== undefined) HARDWARE[name] = typeof hardware === 'string' ? [hardware] : hardware;
  if (description !== undefined) DESCRIPTIONS[name] = description;
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
