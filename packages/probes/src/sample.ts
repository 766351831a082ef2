// The contract between probes and the meter in @eff/core: what one power reading is.
import type { Observable } from 'rxjs';
import type { BadLineReport } from './tolerance.js';

/** What a reading covers. `system` is a whole-machine figure (battery, wall meter) and contains the others. */
export type Component = 'gpu' | 'cpu' | 'ram' | 'system';

export const COMPONENTS: readonly Component[] = ['gpu', 'cpu', 'ram', 'system'];

interface SampleBase {
  /** Monotonic time in ms: `performance.timeOrigin + performance.now()` at the moment of reading. */
  tMs: number;
  /** Stable id of the device within its source, e.g. `gpu0`, `GPU-3f2c…`, `intel-rapl:0`, `cpu`. */
  deviceId: string;
  component: Component;
  /** Which probe produced it, e.g. `nvidia-smi`, `nvml`, `rapl`, `estimate`. */
  source: string;
  /** True when the value is not a hardware measurement (utilisation × TDP and the like). */
  estimated: boolean;
}

/** An instantaneous (or short-average) power reading in watts. */
export interface PowerReading extends SampleBase {
  kind: 'power';
  powerW: number;
}

/**
 * A cumulative energy counter in joules (RAPL energy_uj, NVML total energy, rocm-smi accumulator).
 * `rangeJ` is the value at which the counter wraps back to 0, when known.
 */
export interface EnergyCounterReading extends SampleBase {
  kind: 'energy';
  energyJ: number;
  rangeJ?: number;
}

export type PowerSample = PowerReading | EnergyCounterReading;

/** Monotonic wall-clock in ms, comparable across processes started on the same machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Whether this machine can run a probe, and if not, why (missing binary, no device, permission denied). */
export interface ProbeCheck {
  available: boolean;
  /** One sentence a user can act on; set whenever `available` is false. */
  reason?: string;
  /** Devices the probe would read, e.g. `['gpu0', 'gpu1']`. */
  devices?: string[];
}

export interface ProbeOptions {
  /** Sampling interval in ms. Each probe documents its minimum and default. */
  intervalMs?: number;
  /**
   * Tool outputs (lines, polls, reports) that cannot be parsed are skipped, reported to `onBadLine` and leave a
   * gap; more than this many in a row error the stream with ProbeParseError. 0 = strict. Default 3.
   */
  maxConsecutiveBadLines?: number;
  /** Called for every skipped unparseable output (count them, show them). */
  onBadLine?: (report: BadLineReport) => void;
}

/**
 * A power source. `samples()` is cold: subscribing starts the tool (or opens the files),
 * unsubscribing stops it and kills any child process. Failures arrive as typed errors on the stream.
 */
export interface Probe {
  readonly name: string;
  /** Components this probe reports, e.g. `['cpu', 'ram']` for RAPL package + dram. */
  readonly components: readonly Component[];
  /** True when every sample of this probe is an estimate. */
  readonly estimated: boolean;
  check(): Promise<ProbeCheck>;
  samples(options?: ProbeOptions): Observable<PowerSample>;
}
