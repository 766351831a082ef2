// Labelled fallback: CPU power from load × TDP and RAM power from installed memory, when no meter is readable.

import { totalmem } from 'node:os';
import { concatMap, from, mergeMap, Observable, timer } from 'rxjs';
import si from 'systeminformation';
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

export function estimateProbe(options: EstimateProbeOptions = {}): Probe {
  const tdpW = options.tdpW ?? 85;
  const ramWPerGB = options.ramWPerGB ?? 0.375;
  const defaultIntervalMs = options.intervalMs ?? 1000;
  if (!(tdpW > 0)) throw new ProbeError('E_PROBE_CONFIG', `estimate: tdpW must be > 0, got ${tdpW}`);
  if (!(ramWPerGB >= 0))
    throw new ProbeError('E_PROBE_CONFIG', `estimate: ramWPerGB must be >= 0, got ${ramWPerGB}`);

  const readOnce = async (): Promise<PowerReading[]> => {
    // Installed memory comes from Node (cheap); si.mem() cost ~2.5 ms per sample, most of this probe's overhead.
    const load = await si.currentLoad();
    const memTotalBytes = totalmem();
    const loadFraction = Math.min(1, Math.max(0, load.currentLoad / 100));
    if (!Number.isFinite(loadFraction) || !(memTotalBytes > 0)) {
      throw new ProbeError(
        'E_PROBE_READ',
        `estimate: systeminformation gave load ${load.currentLoad}% and Node gave memory ${memTotalBytes} B; expected numbers`,
      );
    }
    // A linear variant of CodeCarbon's load model TDP × (0.1 + 0.9·load³): same 10% idle floor and TDP at full
    // load, but linear in load so a half-busy CPU is not credited with only ~21% of its TDP; it errs high, which
    // suits a labelled upper-side fallback.
    const cpuW = tdpW * (0.1 + 0.9 * loadFraction);
    const ramW = (memTotalBytes / BYTES_PER_GB) * ramWPerGB;
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
      return new Observable<PowerReading>((subscriber) =>
        timer(0, intervalMs)
          .pipe(
            concatMap(() => from(readOnce())),
            mergeMap((readings) => readings),
          )
          .subscribe(subscriber),
      );
    },
  };
}
