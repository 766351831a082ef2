// @ts-nocheck
// Labelled fallback: CPU power from load × TDP and RAM power from installed memory, when no meter is readable.

import { cpus, loadavg, totalmem } from 'node:os';
import { concatMap, from, mergeMap, Observable, timer } from 'rxjs';
import { ProbeError } from './errors.js';
import type { PowerReading, Probe, ProbeCheck, ProbeOptions } from './sample.js';
import { nowMs } from './sample.js';

export interface EstimateProbeOptions {
  /** CPU thermal design power in W; 85 W is CodeCarbon's value for an unknown CPU. */
  tdpW?: number;
  /** RAM power per GiB installed; 3/8 W (eco2AI, jupyter-power-usage). */
  ramWPerGB?: number;
  intervalMs?: number;
}

const BYTES_PER_GB = 1024 ** 3;

interface LoadState {
  previous: { totalMs: number; idleMs: number };
  lastLoad: number;
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

export function estimateProbe(options: EstimateProbeOptions = {}): Probe {
  const tdpW = options.tdpW ?? 85;
  const ramWPerGB = options.ramWPerGB ?? 0.375;
  const defaultIntervalMs = options.intervalMs ?? 1000;
  if (!(tdpW > 0)) throw new ProbeError('E_PROBE_CONFIG', `estimate: tdpW must be > 0, got ${tdpW}`);
  if (!(ramWPerGB >= 0))
    throw new ProbeError('E_PROBE_CONFIG', `estimate: ramWPerGB must be >= 0, got ${ramWPerGB}`);

  // Load and memory come from Node's os module (tens of µs): this probe runs on the training thread, and
  // systeminformation's si.currentLoad()/si.mem() cost ~1.3 + 2.5 ms per reading, >1% of a core at 100 ms.
  // Each subscription keeps its own previous reading: load is the busy fraction since then.
  const readOnce = async (state: LoadState): Promise<PowerReading[]> => {
    const now = cpuTimes();
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
    async check(): Promise<ProbeCheck> {
      return { available: true, devices: ['cpu', 'ram'] };
    },
    samples(sampleOptions?: ProbeOptions): Observable<PowerReading> {
      const intervalMs = sampleOptions?.intervalMs ?? defaultIntervalMs;
      return new Observable<PowerReading>((subscriber) => {
        // The first reading has no interval behind it: start from the 1-minute load average per core.
        const state: LoadState = {
          previous: cpuTimes(),
          lastLoad: Math.min(1, (loadavg()[0] ?? 0) / Math.max(1, cpus().length)),
        };
        return timer(0, intervalMs)
          .pipe(
            concatMap(() => from(readOnce(state))),
            mergeMap((readings) => readings),
          )
          .subscribe(subscriber);
      });
    },
  };
}
