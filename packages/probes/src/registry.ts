// Probe registry: names -> factories for the CLI's `--probe NAME`, and detection of what this machine can run.

import { amdSmiProbe } from './amd-smi.js';
import { ProbeError } from './errors.js';
import { estimateProbe } from './estimate.js';
import { hwmonProbe } from './hwmon.js';
import { ipmiProbe } from './ipmi.js';
import { nvidiaSmiProbe } from './nvidia-smi.js';
import { nvmlProbe } from './nvml.js';
import { powermetricsProbe } from './powermetrics.js';
import { powerstatProbe } from './powerstat.js';
import { powertopProbe } from './powertop.js';
import { raplProbe } from './rapl.js';
import { rocmSmiProbe } from './rocm-smi.js';
import type { Probe, ProbeCheck } from './sample.js';

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

/** Runs every probe's check() (in parallel) and reports which can run here and why the others cannot. */
export async function detectProbes(
  options: Record<string, Record<string, unknown>> = {},
): Promise<DetectedProbe[]> {
  return Promise.all(
    probeNames().map(async (name) => {
      try {
        return { name, ...(await probeByName(name, options[name] ?? {}).check()) };
      } catch (err) {
        return { name, available: false, reason: `${name}: check failed: ${(err as Error).message}` };
      }
    }),
  );
}
