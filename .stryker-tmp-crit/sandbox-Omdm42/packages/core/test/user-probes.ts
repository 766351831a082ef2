// @ts-nocheck
// User-written probes for the meter and measureEfficiency tests (a Probe object is a public extension point).
import { type Component, nowMs, type PowerReading, type Probe } from '@eff/probes';
import { Observable } from 'rxjs';

export interface UserProbeOptions {
  name?: string;
  component?: Component;
  deviceId?: string;
  /** Power in W, read at every sample (a function lets a test change the load). */
  powerW: number | (() => number);
  /** Error the stream this long after subscribing (a sensor that fails mid-run). */
  failAfterMs?: number;
  /** Stop emitting (without an error) this long after subscribing (a stalled sensor). */
  stallAfterMs?: number;
  estimated?: boolean;
}

/** A probe that reads a (possibly changing) power at every interval, like a wall meter polled over a socket. */
export function userProbe(o: UserProbeOptions): Probe {
  const name = o.name ?? 'wattmeter';
  const component = o.component ?? 'cpu';
  const read = typeof o.powerW === 'function' ? o.powerW : () => o.powerW as number;
  return {
    name,
    components: [component],
    estimated: o.estimated ?? false,
    check: async () => ({ available: true, devices: [o.deviceId ?? `${name}0`] }),
    samples: (opts) =>
      new Observable<PowerReading>((sub) => {
        const intervalMs = opts?.intervalMs ?? 100;
        const t0 = nowMs();
        const emit = () => {
          const tMs = nowMs();
          if (o.failAfterMs !== undefined && tMs - t0 >= o.failAfterMs) {
            sub.error(new Error(`${name}: sensor disconnected`));
            return;
          }
          if (o.stallAfterMs !== undefined && tMs - t0 >= o.stallAfterMs) return;
          sub.next({
            kind: 'power',
            tMs,
            deviceId: o.deviceId ?? `${name}0`,
            component,
            source: name,
            estimated: o.estimated ?? false,
            powerW: read(),
          });
        };
        emit();
        const id = setInterval(emit, intervalMs);
        return () => clearInterval(id);
      }),
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
