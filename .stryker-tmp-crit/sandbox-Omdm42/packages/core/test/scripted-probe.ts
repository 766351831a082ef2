// @ts-nocheck
// User-written probes that replay scripted events (readings and device events) for the meter tests.
import { type Component, nowMs, type Probe, type ProbeEvent, type ProbeOptions } from '@eff/probes';
import { Observable } from 'rxjs';

/** One step of a script: wait `afterMs` after the previous step, then emit the events made for the current time. */
export interface ScriptStep {
  afterMs: number;
  events: (tMs: number) => ProbeEvent[];
}

export interface ScriptedProbeOptions {
  name?: string;
  components?: Component[];
  minIntervalMs?: number;
  /** Completes the stream after the last step (a probe whose tool ended); default false: it stays open. */
  complete?: boolean;
  /** Receives the options each subscription was given (to see the interval the meter asked for). */
  onSubscribe?: (options: ProbeOptions | undefined) => void;
}

/**
 * A probe emitting fixed events synchronously at subscription (`events`), or a timed script (`steps`). The events'
 * tMs are whatever the test chose, so energies can be computed by hand.
 */
export function scriptedProbe(script: ProbeEvent[] | ScriptStep[], o: ScriptedProbeOptions = {}): Probe {
  const name = o.name ?? 'scripted';
  const steps: ScriptStep[] =
    script.length > 0 && 'afterMs' in (script[0] as object)
      ? (script as ScriptStep[])
      : [{ afterMs: 0, events: () => script as ProbeEvent[] }];
  return {
    name,
    components: o.components ?? ['gpu'],
    estimated: false,
    ...(o.minIntervalMs !== undefined ? { minIntervalMs: o.minIntervalMs } : {}),
    check: async () => ({ available: true }),
    samples: (options) =>
      new Observable<ProbeEvent>((sub) => {
        o.onSubscribe?.(options);
        const timers: NodeJS.Timeout[] = [];
        let at = 0;
        const run = (i: number) => {
          const step = steps[i];
          if (!step) {
            if (o.complete) sub.complete();
            return;
          }
          for (const e of step.events(nowMs())) sub.next(e);
          const next = steps[i + 1];
          if (next) timers.push(setTimeout(() => run(i + 1), next.afterMs));
          else if (o.complete) sub.complete();
        };
        at = steps[0]?.afterMs ?? 0;
        if (at === 0) run(0);
        else timers.push(setTimeout(() => run(0), at));
        return () => {
          for (const t of timers) clearTimeout(t);
        };
      }),
  };
}

/** A power reading of a GPU of the scripted probe. */
export function power(tMs: number, deviceId: string, powerW: number, source = 'scripted'): ProbeEvent {
  return { kind: 'power', tMs, deviceId, component: 'gpu', source, estimated: false, powerW };
}

/** An energy-counter reading of a GPU of the scripted probe. */
export function counter(
  tMs: number,
  deviceId: string,
  energyJ: number,
  rangeJ?: number,
  component: Component = 'gpu',
  source = 'scripted',
): ProbeEvent {
  return {
    kind: 'energy',
    tMs,
    deviceId,
    component,
    source,
    estimated: false,
    energyJ,
    ...(rangeJ !== undefined ? { rangeJ } : {}),
  };
}

/** A device event of a GPU of the scripted probe. */
export function device(
  tMs: number,
  deviceId: string,
  state: 'present' | 'unsupported' | 'lost' | 'bad-reading',
  extra: { reason?: string; powerLimitW?: number; uuid?: string; selectedBy?: string } = {},
  source = 'scripted',
): ProbeEvent {
  return { kind: 'device', tMs, deviceId, component: 'gpu', source, state, ...extra };
}

/** Readings of one device every `stepMs` over [fromMs, toMs] (both included when on the grid). */
export function every(
  fromMs: number,
  toMs: number,
  stepMs: number,
  make: (tMs: number, i: number) => ProbeEvent | ProbeEvent[],
): ProbeEvent[] {
  const out: ProbeEvent[] = [];
  for (let i = 0, t = fromMs; t <= toMs + 1e-9; i++, t = fromMs + i * stepMs) {
    const e = make(t, i);
    out.push(...(Array.isArray(e) ? e : [e]));
  }
  return out;
}
