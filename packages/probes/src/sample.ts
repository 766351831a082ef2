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

/**
 * What a device is doing, as opposed to what it reads. Multi-device probes (nvidia-smi, NVML, rocm-smi, RAPL, …)
 * emit these beside their samples so the meter can keep each device's fate apart from the others':
 * - `present`: the probe will read this device (sent once per device when the stream starts, before its first
 *   sample), so a device that then delivers no sample is a gap, never "0 J";
 * - `unsupported`: the device is there but cannot be measured at all (no power sensor, `[N/A]`, permission);
 * - `lost`: the device stopped delivering readings at `tMs` (fell off the bus, `[Unknown Error]`, `GPU is lost`);
 *   it may come back: a later sample of the same device ends the loss;
 * - `bad-reading`: one reading of the device was unusable (non-numeric, unknown error); the others are kept.
 * A probe fails as a whole (errors the stream) only when none of its devices can be measured.
 */
export interface DeviceEvent {
  kind: 'device';
  /** Monotonic time in ms (see nowMs) at which the state was observed. */
  tMs: number;
  deviceId: string;
  component: Component;
  source: string;
  state: 'present' | 'unsupported' | 'lost' | 'bad-reading';
  /**
   * One sentence a user can act on; set for every state but `present`, where it may carry a note on the device's
   * selection (a MIG instance measured through its whole GPU, CUDA_VISIBLE_DEVICES entries ignored).
   */
  reason?: string;
  /** Vendor id of the device when known (`GPU-…` UUID, PCI bus id), to tell devices apart across tools. */
  uuid?: string;
  /** The device's power limit in W when the tool reports one: counters implying more power are rejected. */
  powerLimitW?: number;
  /**
   * Why this device is measured: `option` (an explicit `gpus` / `--gpus`), the environment variable that
   * selected it (`CUDA_VISIBLE_DEVICES`, `ROCR_VISIBLE_DEVICES`, `SLURM_JOB_GPUS`, …), or `all`. Set on `present`.
   */
  selectedBy?: string;
}

/** Everything a probe's stream carries: readings, and device events. */
export type ProbeEvent = PowerSample | DeviceEvent;

/** Narrows a probe event to a reading. */
export function isPowerSample(e: ProbeEvent): e is PowerSample {
  return e.kind === 'power' || e.kind === 'energy';
}

/** Monotonic wall-clock in ms, comparable across processes started on the same machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The sampling interval eff asks of every probe unless told otherwise, ms: one default for measureEfficiency,
 * `eff run` and `eff measure`. 100 ms because epochs of small models last well under a second, and a window with
 * no sample inside is only an extrapolation; the meter costs ~0.2 % of a core at this rate, and tools that cannot
 * keep up (rocm-smi, powertop) raise it to their own minimum and say so in the record.
 */
export const DEFAULT_INTERVAL_MS = 100;

/**
 * The largest sampling interval accepted, ms (one hour). Probes wait up to 5 × the interval for a stalled tool, and
 * Node's timers overflow above 2^31 − 1 ms (~24.8 days) to fire after 1 ms instead: an interval beyond this bound
 * would turn "wait a long time" into a busy loop, and a power sample once an hour already says little.
 */
export const MAX_INTERVAL_MS = 3_600_000;

/** Whether this machine can run a probe, and if not, why (missing binary, no device, permission denied). */
export interface ProbeCheck {
  available: boolean;
  /** One sentence a user can act on; set whenever `available` is false. */
  reason?: string;
  /** Devices the probe would read, e.g. `['gpu0', 'gpu1']` (after device selection). */
  devices?: string[];
  /** Devices that are present but cannot be measured (no sensor, unreadable), each with the reason. */
  unmeasurable?: Array<{ deviceId: string; reason: string }>;
  /** Where the device choice came from (`option`, `CUDA_VISIBLE_DEVICES`, …, or `all`), for GPU probes. */
  selectedBy?: string;
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
 * The assumptions of an estimating probe's power model (recorded in the run's `ProbeReport.estimate`): the CPU's
 * thermal design power in W, RAM power in W per GiB installed, and whose CPU load drives the CPU term.
 */
export interface EstimateAssumptions {
  tdpW: number;
  ramWPerGB: number;
  loadScope: 'machine' | 'process';
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
  /** For an estimating probe: the assumptions behind its numbers (TDP, RAM W/GiB, load scope). */
  readonly estimate?: EstimateAssumptions;
  /**
   * Shortest interval between readings this probe can really deliver, in ms (measured, documented per probe).
   * The meter raises a shorter requested interval to it and says so in the result. Absent = no minimum.
   */
  readonly minIntervalMs?: number;
  check(): Promise<ProbeCheck>;
  /** Readings and device events (see DeviceEvent); a probe without devices of its own emits only readings. */
  samples(options?: ProbeOptions): Observable<ProbeEvent>;
}

/**
 * The interval a polling probe really samples at, ms: the requested one raised to the probe's minimum, and the
 * minimum for a nonsensical request (NaN, ±Infinity), so a probe never throws on it nor floods a slow tool.
 */
export function raisedIntervalMs(requestedMs: number, minIntervalMs: number): number {
  return Number.isFinite(requestedMs) ? Math.max(requestedMs, minIntervalMs) : minIntervalMs;
}
