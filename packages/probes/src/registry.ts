// Probe registry: names -> factories for the CLI's `--probe NAME`, and detection of what this machine can run.
import { ProbeError } from './errors.js';
import { estimateProbe } from './estimate.js';
import { nvidiaSmiProbe } from './nvidia-smi.js';
import { nvmlProbe } from './nvml.js';
import { powerstatProbe } from './powerstat.js';
import { powertopProbe } from './powertop.js';
import { raplProbe } from './rapl.js';
import { rocmSmiProbe } from './rocm-smi.js';
import type { Probe, ProbeCheck } from './sample.js';

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
