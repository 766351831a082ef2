// Labelled fallback: CPU power from load × TDP and RAM power from installed memory, when no meter is readable.

import { cpus, loadavg, totalmem } from 'node:os';
import { concatMap, from, mergeMap, Observable } from 'rxjs';
import { ProbeError } from './errors.js';
import type { EstimateAssumptions, PowerReading, Probe, ProbeCheck, ProbeOptions } from './sample.js';
import { DEFAULT_INTERVAL_MS, nowMs } from './sample.js';

/**
 * Options of the labelled estimate. A closed shape: a misspelt key (`{ tdpw: 35 }`) is a compile error in an object
 * literal, and `estimateProbe` rejects unknown keys at run time too (E_PROBE_CONFIG) for callers without types.
 */
export interface EstimateProbeOptions {
  /** CPU thermal design power in W. Default 85 W, CodeCarbon's value for an unknown CPU. */
  tdpW?: number;
  /** RAM power in W per GiB installed. Default 3/8 W (eco2AI, jupyter-power-usage). */
  ramWPerGB?: number;
  /**
   * Whose CPU load drives the CPU term: `machine` (default; every process on the machine, from os.cpus() idle
   * times) or `process` (this process only, all its threads: process.cpuUsage() / (wall time × cores)).
   */
  loadScope?: 'machine' | 'process';
  /** Sampling interval in ms when samples() is not given one. Default DEFAULT_INTERVAL_MS (100). */
  intervalMs?: number;
}

/** Default TDP of the estimate, W (CodeCarbon's value for a CPU it does not know). */
export const DEFAULT_ESTIMATE_TDP_W = 85;
/** Default RAM power of the estimate, W per GiB (eco2AI, jupyter-power-usage). */
export const DEFAULT_ESTIMATE_RAM_W_PER_GB = 0.375;

const ESTIMATE_OPTION_KEYS = new Set(['tdpW', 'ramWPerGB', 'loadScope', 'intervalMs']);

const BYTES_PER_GB = 1024 ** 3;

interface LoadState {
  previous: { totalMs: number; idleMs: number };
  lastLoad: number;
}

/**
 * Busy fraction of all cores spent by this process (every thread) since `previous`, in [0, 1]:
 * Δ(user + system CPU time) / (Δwall time × cores), from process.cpuUsage() (µs) and the monotonic clock (ms).
 */
function processTimes(): { totalMs: number; idleMs: number } {
  const u = process.cpuUsage();
  const busyMs = (u.user + u.system) / 1000;
  const totalMs = nowMs() * Math.max(1, cpus().length);
  // Expressed as (total, idle) like cpuTimes so busyFraction applies unchanged.
  return { totalMs, idleMs: totalMs - busyMs };
}

/**
 * Ticks at 0, intervalMs, 2 × intervalMs, … on timers that do not keep the process alive: a session the user never
 * finished must not hang their script (inside a sampler worker, the worker's port keeps the thread alive).
 */
function unrefTicks(intervalMs: number): Observable<number> {
  return new Observable<number>((subscriber) => {
    let n = 0;
    const first = setTimeout(() => subscriber.next(n++), 0);
    first.unref();
    const every = setInterval(() => subscriber.next(n++), intervalMs);
    every.unref();
    return () => {
      clearTimeout(first);
      clearInterval(every);
    };
  });
}

/** CPU time of all cores since boot, total and idle (ms), from os.cpus(). */
function cpuTimes(): { totalMs: number; idleMs: number } {
  let totalMs = 0;
  let idleMs = 0;
  for (const c of cpus()) {
    const t = c.times;
    totalMs += t.user + t.nice + t.sys + t.idle + t.irq;
    idleMs += t.idle;
  }
  return { totalMs, idleMs };
}

/**
 * Busy fraction of all cores between two os.cpus() totals, in [0, 1]: 1 − idle time / total time elapsed.
 * When no tick elapsed (readings < 10 ms apart) the previous fraction `lastLoad` is returned again.
 */
export function busyFraction(
  previous: { totalMs: number; idleMs: number },
  now: { totalMs: number; idleMs: number },
  lastLoad: number,
): number {
  const totalMs = now.totalMs - previous.totalMs;
  if (!(totalMs > 0)) return lastLoad;
  return Math.min(1, Math.max(0, 1 - (now.idleMs - previous.idleMs) / totalMs));
}

/** Inputs of the estimate's power model: load in [0, 1], TDP in W, installed memory in bytes, W per GiB. */
export interface EstimateInputs {
  loadFraction: number;
  tdpW: number;
  memTotalBytes: number;
  ramWPerGB: number;
}

/**
 * The labelled estimate's power model, in W: CPU `tdpW × (0.1 + 0.9 × load)`, RAM `GiB installed × ramWPerGB`.
 * A linear variant of CodeCarbon's TDP × (0.1 + 0.9·load³): same 10 % idle floor and TDP at full load, but
 * linear in load so a half-busy CPU is not credited with only ~21 % of its TDP; it errs high, which suits a
 * labelled upper-side fallback.
 */
export function estimatedPowerW(x: EstimateInputs): { cpuW: number; ramW: number } {
  return {
    cpuW: x.tdpW * (0.1 + 0.9 * x.loadFraction),
    ramW: (x.memTotalBytes / BYTES_PER_GB) * x.ramWPerGB,
  };
}

/**
 * The labelled estimate: CPU and RAM power from load × TDP and installed memory (see estimatedPowerW), every
 * reading `estimated: true`; its assumptions are on `probe.estimate` and end up in the run's `ProbeReport.estimate`.
 * @throws ProbeError `E_PROBE_CONFIG` for tdpW <= 0, ramWPerGB < 0, an unknown loadScope or an unknown option key.
 */
export function estimateProbe(options: EstimateProbeOptions = {}): Probe {
  const unknown = Object.keys(options).filter((k) => !ESTIMATE_OPTION_KEYS.has(k));
  if (unknown.length > 0) {
    throw new ProbeError(
      'E_PROBE_CONFIG',
      `estimate: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; expected ${[...ESTIMATE_OPTION_KEYS].join(', ')}`,
    );
  }
  const tdpW = options.tdpW ?? DEFAULT_ESTIMATE_TDP_W;
  const ramWPerGB = options.ramWPerGB ?? DEFAULT_ESTIMATE_RAM_W_PER_GB;
  const loadScope = options.loadScope ?? 'machine';
  const defaultIntervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (!(tdpW > 0)) throw new ProbeError('E_PROBE_CONFIG', `estimate: tdpW must be > 0, got ${tdpW}`);
  if (!(ramWPerGB >= 0))
    throw new ProbeError('E_PROBE_CONFIG', `estimate: ramWPerGB must be >= 0, got ${ramWPerGB}`);
  if (loadScope !== 'machine' && loadScope !== 'process') {
    throw new ProbeError(
      'E_PROBE_CONFIG',
      `estimate: loadScope must be 'machine' or 'process', got ${JSON.stringify(loadScope)}`,
    );
  }
  const estimate: EstimateAssumptions = { tdpW, ramWPerGB, loadScope };
  const times = loadScope === 'process' ? processTimes : cpuTimes;

  // Load and memory come from Node's os module (tens of µs): this probe runs on the training thread, and
  // systeminformation's si.currentLoad()/si.mem() cost ~1.3 + 2.5 ms per reading, >1% of a core at 100 ms.
  // Each subscription keeps its own previous reading: load is the busy fraction since then.
  const readOnce = async (state: LoadState): Promise<PowerReading[]> => {
    const now = times();
    const loadFraction = busyFraction(state.previous, now, state.lastLoad);
    if (now.totalMs - state.previous.totalMs > 0) state.previous = now;
    state.lastLoad = loadFraction;
    const memTotalBytes = totalmem();
    if (!Number.isFinite(loadFraction) || !(memTotalBytes > 0)) {
      throw new ProbeError(
        'E_PROBE_READ',
        `estimate: the OS gave a CPU load of ${loadFraction} and ${memTotalBytes} B of memory; expected numbers`,
      );
    }
    const { cpuW, ramW } = estimatedPowerW({ loadFraction, tdpW, memTotalBytes, ramWPerGB });
    const tMs = nowMs();
    const base = { kind: 'power', tMs, source: 'estimate', estimated: true } as const;
    return [
      { ...base, deviceId: 'cpu', component: 'cpu', powerW: cpuW },
      { ...base, deviceId: 'ram', component: 'ram', powerW: ramW },
    ];
  };

  return {
    name: 'estimate',
    components: ['cpu', 'ram'],
    estimated: true,
    estimate,
    async check(): Promise<ProbeCheck> {
      return { available: true, devices: ['cpu', 'ram'] };
    },
    samples(sampleOptions?: ProbeOptions): Observable<PowerReading> {
      const intervalMs = sampleOptions?.intervalMs ?? defaultIntervalMs;
      return new Observable<PowerReading>((subscriber) => {
        // The first reading has no interval behind it: start from the 1-minute load average per core.
        const state: LoadState = {
          previous: times(),
          lastLoad:
            loadScope === 'process' ? 0 : Math.min(1, (loadavg()[0] ?? 0) / Math.max(1, cpus().length)),
        };
        return unrefTicks(intervalMs)
          .pipe(
            concatMap(() => from(readOnce(state))),
            mergeMap((readings) => readings),
          )
          .subscribe(subscriber);
      });
    },
  };
}
