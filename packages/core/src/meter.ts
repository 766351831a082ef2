// Runs probes for one measurement: every probe feeds one energy meter; per-probe counts, errors, gaps and coverage.
import type { Component, PowerSample, Probe, ProbeEvent } from '@eff/probes';
import { isPowerSample, nowMs } from '@eff/probes';
import type { Subscription } from 'rxjs';
import { createEnergyMeter, DEFAULT_GAP_THRESHOLD_MS, type DeviceEnergy, sumByComponent } from './energy.js';
import type { EnergyByComponent, Gap, ProbeReport } from './schema.js';

/** Bad meter options or use (no probes, a non-positive interval, reading before the meter started). */
export class MeterError extends Error {
  readonly code = 'E_METER';
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'MeterError';
  }
}

export interface MeterOptions {
  /** Sampling interval asked of every probe, in ms. */
  intervalMs: number;
  /** Longest time between two samples of one device still integrated across (ms). Default 5000. */
  gapThresholdMs?: number;
  /** Default bound of waitCovered / waitFirstSamples, in ms. Default max(3000, 5 × intervalMs). */
  coverTimeoutMs?: number;
}

/** One probe's part of a reading: its report restricted to the interval, plus the energy it measured there. */
export interface MeasuredProbe extends ProbeReport {
  energyJ: EnergyByComponent;
}

/** Energy spent between two instants over all probes, with everything that makes it uncertain. */
export interface MeterReading {
  startMs: number;
  endMs: number;
  /** Per component; `total` = system when present, else gpu + cpu + ram. */
  energyJ: EnergyByComponent;
  probes: MeasuredProbe[];
  /** Periods of some device with no data inside the interval; their energy is NOT included (lower bound). */
  gaps: Gap[];
  /** The authors' measure: plain sum of watt readings in the interval (not energy). */
  paperSumW: number;
  /** Some energy came from an estimate, not a hardware meter. */
  estimated: boolean;
  /** A probe failed or some device has a gap in the interval: energyJ is a lower bound. */
  degraded: boolean;
}

/** A running measurement. Create with startMeter; always stop() it (it kills the probes' child processes). */
export interface Meter {
  readonly intervalMs: number;
  /** Time the probes were subscribed. */
  readonly startedAtMs: number;
  /**
   * Energy in [startMs, endMs] from the samples received so far. A device whose last sample is before endMs
   * (a crashed probe, a reading not yet arrived) gets a gap for the missing tail: call waitCovered first.
   */
  energyBetween(startMs: number, endMs: number): MeterReading;
  /**
   * Best current guess of the energy in [startMs, tMs] without waiting: the samples so far, plus each live
   * device's last power held until tMs (at most gapThresholdMs). For stop decisions; records use energyBetween.
   */
  estimateEnergyUntil(startMs: number, tMs: number): EnergyByComponent;
  /** Earliest last-sample time over the devices of probes still running; null while some running probe has none. */
  coveredUntilMs(): number | null;
  /**
   * Resolves true once every running probe's devices have a sample at or after tMs, false after timeoutMs
   * (then energyBetween reports the missing tail as a gap). Probes that failed are not waited for.
   */
  waitCovered(tMs: number, timeoutMs?: number): Promise<boolean>;
  /** Resolves with the instant every running probe has delivered a sample (or null after timeoutMs). */
  waitFirstSamples(timeoutMs?: number): Promise<number | null>;
  /** One report per probe over [startMs, endMs] (default: from the start to now / the stop). */
  reports(startMs?: number, endMs?: number): ProbeReport[];
  /** Unsubscribes every probe (their teardown kills child processes) and returns the final reports. Idempotent. */
  stop(): Promise<ProbeReport[]>;
}

interface DeviceState {
  key: string;
  deviceId: string;
  component: Component;
  firstTMs: number;
  lastTMs: number;
  /** Current power estimate of the device (last reading, or last counter slope), W. */
  rateW: number;
  lastRawJ: number | null;
}

interface ProbeState {
  probe: Probe;
  sub: Subscription | null;
  running: boolean;
  sampleCount: number;
  errors: string[];
  extraErrors: number;
  estimated: boolean;
  devices: Map<string, DeviceState>;
  /** Sample times, to count samples inside an interval. */
  sampleTimes: number[];
  endedAtMs: number | null;
}

const MAX_ERRORS_KEPT = 20;

function deviceKey(s: Pick<PowerSample, 'source' | 'component' | 'deviceId'>): string {
  return `${s.source}\u0000${s.component}\u0000${s.deviceId}`;
}

function countIn(times: readonly number[], a: number, b: number): number {
  // Samples with a <= t <= b (a linear pass: this runs per epoch or per report, not per batch).
  let n = 0;
  for (const t of times) if (t >= a && t <= b) n++;
  return n;
}

/** Merges overlapping gaps of the same device. */
function mergeGaps(gaps: readonly Gap[]): Gap[] {
  const byDevice = new Map<string, Gap[]>();
  for (const g of gaps) {
    const k = g.deviceId ?? '';
    const list = byDevice.get(k) ?? [];
    list.push(g);
    byDevice.set(k, list);
  }
  const out: Gap[] = [];
  for (const list of byDevice.values()) {
    list.sort((x, y) => x.startMs - y.startMs);
    let cur: Gap | null = null;
    for (const g of list) {
      if (cur && g.startMs <= cur.endMs) {
        cur.endMs = Math.max(cur.endMs, g.endMs);
        cur.durationMs = cur.endMs - cur.startMs;
      } else {
        if (cur) out.push(cur);
        cur = { ...g };
      }
    }
    if (cur) out.push(cur);
  }
  return out.sort((x, y) => x.startMs - y.startMs);
}

/**
 * Subscribes every probe at `intervalMs` and integrates their samples. A probe that errors is recorded
 * (error text, degraded, a gap from its last sample on) while the others keep going: never a silently low energy.
 */
export function startMeter(probes: readonly Probe[], options: MeterOptions): Meter {
  if (!Array.isArray(probes) || probes.length === 0) {
    throw new MeterError(
      'startMeter needs at least one probe, found none; pass detectProbes() results or estimateProbe()',
      probes,
    );
  }
  const { intervalMs } = options;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new MeterError(`intervalMs must be a number > 0, found ${String(intervalMs)}`, intervalMs);
  }
  const gapThresholdMs = options.gapThresholdMs ?? DEFAULT_GAP_THRESHOLD_MS;
  const coverTimeoutMs = options.coverTimeoutMs ?? Math.max(3000, 5 * intervalMs);
  const meter = createEnergyMeter({ gapThresholdMs });
  const states: ProbeState[] = probes.map((probe) => ({
    probe,
    sub: null,
    running: true,
    sampleCount: 0,
    errors: [],
    extraErrors: 0,
    estimated: probe.estimated,
    devices: new Map(),
    sampleTimes: [],
    endedAtMs: null,
  }));
  const owner = new Map<string, ProbeState>();
  const waiters = new Set<() => void>();
  let stoppedAtMs: number | null = null;
  /** Default report window after stop: from the last first sample to the coverage reached at stop. */
  let stopWindow: [number, number] | null = null;
  const startedAtMs = nowMs();

  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const addError = (st: ProbeState, message: string) => {
    if (st.errors.length < MAX_ERRORS_KEPT) st.errors.push(message);
    else st.extraErrors++;
  };
  const endProbe = (st: ProbeState, message: string) => {
    if (!st.running) return;
    st.running = false;
    st.endedAtMs = nowMs();
    addError(st, message);
    notify();
  };

  const onSample = (st: ProbeState, e: ProbeEvent) => {
    if (!isPowerSample(e)) return; // device events: handled by the device model (issue 12), not yet
    const s: PowerSample = e;
    const key = deviceKey(s);
    const taken = owner.get(key);
    if (taken && taken !== st) {
      addError(
        st,
        `device ${s.deviceId} (${s.component}, source ${s.source}) is already read by probe ${taken.probe.name}; sample ignored`,
      );
      return;
    }
    try {
      meter.push(s);
    } catch (err) {
      addError(st, `${st.probe.name}: rejected a sample: ${(err as Error).message}`);
      return;
    }
    owner.set(key, st);
    st.sampleCount++;
    st.sampleTimes.push(s.tMs);
    st.estimated ||= s.estimated;
    const d = st.devices.get(key);
    const raw = s.kind === 'energy' ? s.energyJ : null;
    if (!d) {
      st.devices.set(key, {
        key,
        deviceId: s.deviceId,
        component: s.component,
        firstTMs: s.tMs,
        lastTMs: s.tMs,
        rateW: s.kind === 'power' ? s.powerW : 0,
        lastRawJ: raw,
      });
    } else {
      if (s.kind === 'power') d.rateW = s.powerW;
      else if (d.lastRawJ !== null && s.tMs > d.lastTMs && s.energyJ >= d.lastRawJ) {
        d.rateW = ((s.energyJ - d.lastRawJ) * 1000) / (s.tMs - d.lastTMs);
      }
      d.lastTMs = s.tMs;
      d.lastRawJ = raw;
    }
    notify();
  };

  for (const st of states) {
    try {
      st.sub = st.probe.samples({ intervalMs }).subscribe({
        next: (s) => onSample(st, s),
        error: (err: unknown) =>
          endProbe(
            st,
            `${st.probe.name} failed at ${new Date(nowMs()).toISOString()}: ${err instanceof Error ? err.message : String(err)}`,
          ),
        complete: () =>
          endProbe(
            st,
            `${st.probe.name}: sample stream ended before the meter was stopped; later energy is missing`,
          ),
      });
    } catch (err) {
      endProbe(st, `${st.probe.name} could not start: ${(err as Error).message}`);
    }
  }

  // Unsubscribing kills each probe's child; do it even if the process exits without stop() (a crash).
  const onExit = () => {
    for (const st of states) st.sub?.unsubscribe();
  };
  process.once('exit', onExit);

  const coveredUntilMs = (): number | null => {
    let m: number | null = null;
    for (const st of states) {
      if (!st.running) continue;
      if (st.devices.size === 0) return null;
      for (const d of st.devices.values()) m = m === null ? d.lastTMs : Math.min(m, d.lastTMs);
    }
    return m ?? Number.POSITIVE_INFINITY;
  };

  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, onTimeout: T): Promise<T> =>
    new Promise((resolve) => {
      const first = check();
      if (first !== undefined) return resolve(first);
      let timer: NodeJS.Timeout | undefined;
      const waiter = () => {
        const v = check();
        if (v === undefined) return;
        waiters.delete(waiter);
        if (timer) clearTimeout(timer);
        resolve(v);
      };
      waiters.add(waiter);
      timer = setTimeout(() => {
        waiters.delete(waiter);
        resolve(onTimeout);
      }, timeoutMs);
    });

  function probeGaps(st: ProbeState, a: number, b: number, devGaps: readonly Gap[]): Gap[] {
    const out: Gap[] = [];
    const add = (s: number, e: number, deviceId?: string) => {
      const lo = Math.max(s, a);
      const hi = Math.min(e, b);
      if (hi > lo)
        out.push({ startMs: lo, endMs: hi, durationMs: hi - lo, ...(deviceId ? { deviceId } : {}) });
    };
    if (st.devices.size === 0) {
      // Nothing ever arrived from this probe: the whole interval is missing for it.
      add(a, b);
      return out;
    }
    for (const d of st.devices.values()) {
      if (d.firstTMs > a) add(a, d.firstTMs, d.deviceId);
      if (d.lastTMs < b) add(d.lastTMs, b, d.deviceId);
    }
    out.push(...devGaps);
    return mergeGaps(out);
  }

  /** [instant every device had started, instant every running device had reached], or up to now. */
  function defaultWindow(): [number, number] {
    if (stopWindow) return stopWindow;
    let a = startedAtMs;
    for (const st of states) for (const d of st.devices.values()) a = Math.max(a, d.firstTMs);
    const c = coveredUntilMs();
    const now = stoppedAtMs ?? nowMs();
    const b = c === null || !Number.isFinite(c) ? now : Math.min(c, now);
    return [Math.min(a, b), b];
  }

  function energyBetween(startMs: number, endMs: number): MeterReading {
    const iv = meter.energyBetween(startMs, endMs);
    const byProbe = new Map<ProbeState, DeviceEnergy[]>();
    for (const d of iv.devices) {
      const st = owner.get(deviceKey(d));
      if (!st) continue;
      const list = byProbe.get(st) ?? [];
      list.push(d);
      byProbe.set(st, list);
    }
    const measured: MeasuredProbe[] = states.map((st) => {
      const ids = new Set([...st.devices.values()].map((d) => d.deviceId));
      const gaps = probeGaps(
        st,
        startMs,
        endMs,
        iv.gaps.filter((g) => g.deviceId !== undefined && ids.has(g.deviceId)),
      );
      const errors = [...st.errors, ...(st.extraErrors ? [`... and ${st.extraErrors} more errors`] : [])];
      return {
        name: st.probe.name,
        components: [...st.probe.components],
        estimated: st.estimated,
        sampleCount: countIn(st.sampleTimes, startMs, endMs),
        devices: [...ids],
        gaps,
        errors,
        degraded: errors.length > 0 || gaps.length > 0,
        deviceReports: [],
        notes: [],
        energyJ: sumByComponent(byProbe.get(st) ?? []),
      };
    });
    const gaps = measured.flatMap((p) => p.gaps);
    return {
      startMs,
      endMs,
      energyJ: iv.energyJ,
      probes: measured,
      gaps,
      paperSumW: iv.paperSumW,
      estimated: iv.estimated || measured.some((p) => p.estimated && p.sampleCount > 0),
      degraded: measured.some((p) => p.degraded),
    };
  }

  return {
    intervalMs,
    startedAtMs,
    energyBetween,
    estimateEnergyUntil(startMs, tMs) {
      const iv = meter.energyBetween(startMs, Math.max(startMs, tMs));
      const devices = iv.devices.map((d) => {
        const st = owner.get(deviceKey(d));
        const dev = st?.devices.get(deviceKey(d));
        if (!st?.running || !dev || dev.lastTMs >= tMs) return d;
        const heldMs = Math.min(tMs - Math.max(dev.lastTMs, startMs), gapThresholdMs);
        return { ...d, energyJ: d.energyJ + (dev.rateW * heldMs) / 1000 };
      });
      return sumByComponent(devices);
    },
    coveredUntilMs,
    waitCovered(tMs, timeoutMs = coverTimeoutMs) {
      return waitFor(
        () => {
          const c = coveredUntilMs();
          return c !== null && c >= tMs ? true : undefined;
        },
        timeoutMs,
        false,
      );
    },
    waitFirstSamples(timeoutMs = coverTimeoutMs) {
      return waitFor(
        () => {
          if (states.some((st) => st.running && st.devices.size === 0)) return undefined;
          let t = startedAtMs;
          for (const st of states) for (const d of st.devices.values()) t = Math.max(t, d.firstTMs);
          return t;
        },
        timeoutMs,
        null,
      );
    },
    reports(startMs, endMs) {
      const [a, b] = startMs !== undefined && endMs !== undefined ? [startMs, endMs] : defaultWindow();
      return energyBetween(startMs ?? a, Math.max(endMs ?? b, startMs ?? a)).probes.map(
        ({ energyJ: _energy, ...report }) => report,
      );
    },
    async stop() {
      if (stoppedAtMs === null) {
        stoppedAtMs = nowMs();
        stopWindow = defaultWindow();
        for (const st of states) {
          st.sub?.unsubscribe();
          st.running = false;
        }
        process.off('exit', onExit);
        notify();
      }
      const [a, b] = stopWindow ?? defaultWindow();
      return this.reports(a, b);
    },
  };
}
