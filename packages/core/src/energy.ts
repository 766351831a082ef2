// Power samples and energy counters -> joules per device and component, split exactly at time marks; batch and streaming.
import type { Component, EnergyCounterReading, PowerSample } from '@eff/probes';
import { Observable, type OperatorFunction } from 'rxjs';
import type { EnergyByComponent, Gap } from './schema.js';

/** Default longest time between two samples of one device before the interval counts as a gap (ms). */
export const DEFAULT_GAP_THRESHOLD_MS = 5000;

const COMPONENT_NAMES: readonly Component[] = ['gpu', 'cpu', 'ram', 'system'];

/** Bad power/energy input: NaN, negative or infinite values, time going backwards, no samples at all. */
export class EnergyInputError extends Error {
  readonly code = 'E_ENERGY_INPUT';
  constructor(
    message: string,
    /** The offending value, as found. */
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'EnergyInputError';
  }
}

/** Something in the data that is not an input error but makes the energy a lower bound (e.g. a counter went down). */
export interface EnergyAnomaly {
  deviceId: string;
  component: Component;
  tMs: number;
  kind: 'counter-decrease';
  message: string;
}

/** Energy of one device (one source, one component) inside an interval. */
export interface DeviceEnergy {
  deviceId: string;
  component: Component;
  source: string;
  kind: 'power' | 'energy';
  estimated: boolean;
  energyJ: number;
  /** Samples of this device with startMs < tMs <= endMs. */
  sampleCount: number;
}

/** Energy spent between two instants, with everything that makes it uncertain. */
export interface EnergyInterval {
  startMs: number;
  endMs: number;
  energyJ: EnergyByComponent;
  devices: DeviceEnergy[];
  /** Periods inside the interval with no usable data for a device: their energy is NOT included (lower bound). */
  gaps: Gap[];
  anomalies: EnergyAnomaly[];
  /**
   * The paper's measure ("paper-sum"): the plain sum of the watt readings of power samples with
   * startMs < tMs <= endMs (integrateEnergy's whole-run figure also counts a sample at startMs). It is a sum of watts, NOT energy; energy counters do not contribute.
   */
  paperSumW: number;
  /** Some contributing device reported estimates rather than measurements. */
  estimated: boolean;
}

export interface EnergyOptions {
  /** Longest time between two samples of one device that is still integrated across (ms). Default 5000. */
  gapThresholdMs?: number;
}

interface Track {
  deviceId: string;
  component: Component;
  source: string;
  kind: 'power' | 'energy';
  estimated: boolean;
  tMs: number[];
  /** Cumulative energy at each sample time, J (0 at the first sample). */
  cumJ: number[];
  /** Power at each sample, W (power tracks only). */
  powerW: number[];
  /** Segment i (between sample i and i+1) carries no energy: a gap or a counter anomaly. */
  hole: boolean[];
  lastRawJ: number;
  anomalies: EnergyAnomaly[];
}

function checkNumber(name: string, value: unknown, where: string, allowZero = true): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new EnergyInputError(
      `${name} must be a finite number ${allowZero ? '>= 0' : '> 0'}, found ${String(value)} (${where}); fix or drop the reading at its source.`,
      value,
    );
  }
  return value;
}

function trackKey(s: PowerSample): string {
  return `${s.source}\u0000${s.component}\u0000${s.deviceId}`;
}

function upperBound(xs: readonly number[], t: number): number {
  // First index with xs[i] > t.
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBound(xs: readonly number[], t: number): number {
  // First index with xs[i] >= t.
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A stateful integrator fed one sample at a time. Energy between any two instants is exact for the model
 * "power varies linearly between two power readings" and "power is constant between two counter readings".
 */
export interface EnergyMeter {
  /** Adds one sample. Throws EnergyInputError on a bad value or a timestamp earlier than the device's previous one. */
  push(sample: PowerSample): void;
  /**
   * Energy spent in [startMs, endMs] from the samples pushed so far. paperSumW counts samples with
   * startMs < tMs <= endMs (so consecutive intervals add up), or startMs <= tMs with `includeStart`.
   */
  energyBetween(startMs: number, endMs: number, opts?: { includeStart?: boolean }): EnergyInterval;
  /**
   * Energy since the previous mark (the first call only sets the origin and returns an empty interval).
   * Use it at epoch/batch ends; call it once samples at or after `tMs` have arrived (see coveredUntilMs),
   * otherwise the tail after the last sample is reported as missing rather than guessed.
   */
  mark(tMs: number): EnergyInterval;
  /** Earliest "last sample time" over devices: energy up to this instant is known for every device; null before any sample. */
  coveredUntilMs(): number | null;
  /** Time of the first sample seen, null before any. */
  firstSampleMs(): number | null;
  /** Number of samples pushed. */
  readonly sampleCount: number;
  /** Devices seen so far. */
  devices(): Array<Pick<DeviceEnergy, 'deviceId' | 'component' | 'source' | 'kind' | 'estimated'>>;
}

/** Creates an energy meter (the streaming core of integrateEnergy). */
export function createEnergyMeter(options: EnergyOptions = {}): EnergyMeter {
  const gapThresholdMs = checkNumber(
    'gapThresholdMs',
    options.gapThresholdMs ?? DEFAULT_GAP_THRESHOLD_MS,
    'energy options',
    false,
  );
  const tracks = new Map<string, Track>();
  let count = 0;
  let lastMark: number | null = null;
  let first: number | null = null;

  function push(s: PowerSample): void {
    const where = `sample of ${String(s?.deviceId)} (${String(s?.component)}) at tMs=${String(s?.tMs)}`;
    if (s === null || typeof s !== 'object')
      throw new EnergyInputError(`expected a PowerSample, found ${String(s)}`, s);
    if (typeof s.tMs !== 'number' || !Number.isFinite(s.tMs)) {
      throw new EnergyInputError(`tMs must be a finite number, found ${String(s.tMs)} (${where})`, s.tMs);
    }
    if (!COMPONENT_NAMES.includes(s.component)) {
      throw new EnergyInputError(
        `component must be one of ${COMPONENT_NAMES.join('/')}, found ${String(s.component)} (${where})`,
        s.component,
      );
    }
    if (s.kind !== 'power' && s.kind !== 'energy') {
      throw new EnergyInputError(
        `kind must be 'power' or 'energy', found ${String((s as { kind: unknown }).kind)}`,
        s,
      );
    }
    const value =
      s.kind === 'power' ? checkNumber('powerW', s.powerW, where) : checkNumber('energyJ', s.energyJ, where);
    if (s.kind === 'energy' && s.rangeJ !== undefined) checkNumber('rangeJ', s.rangeJ, where, false);

    const key = trackKey(s);
    let tr = tracks.get(key);
    if (!tr) {
      tr = {
        deviceId: s.deviceId,
        component: s.component,
        source: s.source,
        kind: s.kind,
        estimated: s.estimated,
        tMs: [s.tMs],
        cumJ: [0],
        powerW: s.kind === 'power' ? [value] : [],
        hole: [],
        lastRawJ: value,
        anomalies: [],
      };
      tracks.set(key, tr);
      count++;
      first = first === null ? s.tMs : Math.min(first, s.tMs);
      return;
    }
    if (tr.kind !== s.kind) {
      throw new EnergyInputError(
        `device ${s.deviceId} (${s.component}, ${s.source}) mixes power and energy-counter samples; found kind ${s.kind} after ${tr.kind}`,
        s.kind,
      );
    }
    const prevT = tr.tMs[tr.tMs.length - 1] as number;
    if (s.tMs < prevT) {
      throw new EnergyInputError(
        `timestamps out of order for device ${s.deviceId} (${s.component}): tMs=${s.tMs} after ${prevT}; samples of one device must arrive in time order`,
        s.tMs,
      );
    }
    const dtMs = s.tMs - prevT;
    const prevCum = tr.cumJ[tr.cumJ.length - 1] as number;
    let deltaJ: number;
    let hole = false;
    if (s.kind === 'power') {
      const prevP = tr.powerW[tr.powerW.length - 1] as number;
      if (dtMs > gapThresholdMs) {
        hole = true;
        deltaJ = 0;
      } else {
        deltaJ = (((prevP + value) / 2) * dtMs) / 1000;
      }
      tr.powerW.push(value);
    } else {
      const c = s as EnergyCounterReading;
      if (value >= tr.lastRawJ) {
        deltaJ = value - tr.lastRawJ;
      } else if (c.rangeJ !== undefined) {
        // One wrap: the counter went past rangeJ and restarted at 0.
        deltaJ = c.rangeJ - tr.lastRawJ + value;
        if (deltaJ < 0) {
          throw new EnergyInputError(
            `energy counter of ${s.deviceId} was ${tr.lastRawJ} J, above its rangeJ ${c.rangeJ}; check the counter's range`,
            c.rangeJ,
          );
        }
      } else {
        hole = true;
        deltaJ = 0;
        tr.anomalies.push({
          deviceId: s.deviceId,
          component: s.component,
          tMs: s.tMs,
          kind: 'counter-decrease',
          message: `energy counter went down from ${tr.lastRawJ} J to ${value} J and its range is unknown; the interval since ${prevT} ms is left out`,
        });
      }
      tr.lastRawJ = value;
    }
    tr.tMs.push(s.tMs);
    tr.cumJ.push(prevCum + deltaJ);
    tr.hole.push(hole);
    tr.estimated ||= s.estimated;
    count++;
  }

  /** Cumulative energy of a track at time t (clamped to the sampled range). */
  function cumAt(tr: Track, t: number): number {
    const n = tr.tMs.length;
    if (t <= (tr.tMs[0] as number)) return 0;
    if (t >= (tr.tMs[n - 1] as number)) return tr.cumJ[n - 1] as number;
    const i = upperBound(tr.tMs, t) - 1; // tMs[i] <= t < tMs[i+1]
    const t0 = tr.tMs[i] as number;
    const t1 = tr.tMs[i + 1] as number;
    const c0 = tr.cumJ[i] as number;
    const c1 = tr.cumJ[i + 1] as number;
    if (tr.hole[i] || t1 === t0) return c0;
    const tau = t - t0;
    if (tr.kind === 'energy') return c0 + ((c1 - c0) * tau) / (t1 - t0);
    const p0 = tr.powerW[i] as number;
    const p1 = tr.powerW[i + 1] as number;
    return c0 + (p0 * tau + ((p1 - p0) * tau * tau) / (2 * (t1 - t0))) / 1000;
  }

  function gapsOf(tr: Track, a: number, b: number): Gap[] {
    const out: Gap[] = [];
    const add = (s: number, e: number) => {
      const lo = Math.max(s, a);
      const hi = Math.min(e, b);
      if (hi > lo) out.push({ startMs: lo, endMs: hi, durationMs: hi - lo, deviceId: tr.deviceId });
    };
    const firstT = tr.tMs[0] as number;
    const lastT = tr.tMs[tr.tMs.length - 1] as number;
    if (firstT - a > gapThresholdMs) add(a, firstT);
    for (let i = 0; i < tr.hole.length; i++) {
      if (tr.hole[i]) add(tr.tMs[i] as number, tr.tMs[i + 1] as number);
    }
    if (b - lastT > gapThresholdMs) add(lastT, b);
    return out;
  }

  function energyBetween(
    startMs: number,
    endMs: number,
    opts: { includeStart?: boolean } = {},
  ): EnergyInterval {
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs < startMs) {
      throw new EnergyInputError(
        `an energy interval needs finite startMs <= endMs, found [${startMs}, ${endMs}]`,
        [startMs, endMs],
      );
    }
    const devices: DeviceEnergy[] = [];
    const gaps: Gap[] = [];
    const anomalies: EnergyAnomaly[] = [];
    let paperSumW = 0;
    let estimated = false;
    for (const tr of tracks.values()) {
      const energyJ = Math.max(0, cumAt(tr, endMs) - cumAt(tr, startMs));
      const lo = opts.includeStart ? lowerBound(tr.tMs, startMs) : upperBound(tr.tMs, startMs);
      const hi = upperBound(tr.tMs, endMs);
      if (tr.kind === 'power') for (let i = lo; i < hi; i++) paperSumW += tr.powerW[i] as number;
      devices.push({
        deviceId: tr.deviceId,
        component: tr.component,
        source: tr.source,
        kind: tr.kind,
        estimated: tr.estimated,
        energyJ,
        sampleCount: hi - lo,
      });
      estimated ||= tr.estimated;
      gaps.push(...gapsOf(tr, startMs, endMs));
      anomalies.push(...tr.anomalies.filter((x) => x.tMs > startMs && x.tMs <= endMs));
    }
    return {
      startMs,
      endMs,
      energyJ: sumByComponent(devices),
      devices,
      gaps,
      anomalies,
      paperSumW,
      estimated,
    };
  }

  return {
    push,
    energyBetween,
    mark(tMs) {
      const from = lastMark ?? tMs;
      if (lastMark !== null && tMs < lastMark) {
        throw new EnergyInputError(`marks must not go back in time: mark ${tMs} after ${lastMark}`, tMs);
      }
      const out = energyBetween(from, tMs);
      lastMark = tMs;
      return out;
    },
    coveredUntilMs() {
      let m: number | null = null;
      for (const tr of tracks.values()) {
        const last = tr.tMs[tr.tMs.length - 1] as number;
        m = m === null ? last : Math.min(m, last);
      }
      return m;
    },
    firstSampleMs: () => first,
    get sampleCount() {
      return count;
    },
    devices: () =>
      [...tracks.values()].map((t) => ({
        deviceId: t.deviceId,
        component: t.component,
        source: t.source,
        kind: t.kind,
        estimated: t.estimated,
      })),
  };
}

/** Per-component sums; `total` is `system` when any whole-machine device exists, else gpu + cpu + ram. */
export function sumByComponent(
  devices: readonly Pick<DeviceEnergy, 'component' | 'energyJ'>[],
): EnergyByComponent {
  const out: EnergyByComponent = { total: 0 };
  for (const d of devices) out[d.component] = (out[d.component] ?? 0) + d.energyJ;
  out.total = out.system ?? (out.gpu ?? 0) + (out.cpu ?? 0) + (out.ram ?? 0);
  return out;
}

export interface IntegrateOptions extends EnergyOptions {
  /** Start of the whole interval; default the first sample's time. */
  startMs?: number;
  /** End of the whole interval; default the last sample's time. */
  endMs?: number;
  /** Increasing instants (epoch/batch boundaries); `intervals` holds the energy between consecutive marks. */
  marks?: readonly number[];
}

export interface EnergyIntegration extends EnergyInterval {
  /** One interval per consecutive pair of marks (empty without marks). */
  intervals: EnergyInterval[];
  sampleCount: number;
}

/**
 * Batch form: integrates power readings (trapezoid rule) and energy counters (differences, wraps via rangeJ)
 * per device, then per component. Throws EnergyInputError on empty input or a bad sample.
 */
export function integrateEnergy(
  samples: readonly PowerSample[],
  options: IntegrateOptions = {},
): EnergyIntegration {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new EnergyInputError(
      `integrateEnergy needs at least one sample, found ${Array.isArray(samples) ? 'an empty array' : String(samples)}; did the probe run?`,
      samples,
    );
  }
  const meter = createEnergyMeter(options);
  let minT = Number.POSITIVE_INFINITY;
  let maxT = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    meter.push(s);
    minT = Math.min(minT, s.tMs);
    maxT = Math.max(maxT, s.tMs);
  }
  const marks = options.marks ?? [];
  for (let i = 1; i < marks.length; i++) {
    if (!((marks[i] as number) >= (marks[i - 1] as number))) {
      throw new EnergyInputError(
        `marks must be increasing, found ${marks[i]} after ${marks[i - 1]} (index ${i})`,
        marks[i],
      );
    }
  }
  const startMs = options.startMs ?? minT;
  const endMs = options.endMs ?? maxT;
  const whole = meter.energyBetween(startMs, endMs, { includeStart: true });
  const intervals: EnergyInterval[] = [];
  for (let i = 1; i < marks.length; i++) {
    intervals.push(meter.energyBetween(marks[i - 1] as number, marks[i] as number));
  }
  return { ...whole, intervals, sampleCount: meter.sampleCount };
}

/** Joules from a microjoule reading (RAPL energy_uj and the like). */
export function microjoulesToJ(uJ: number): number {
  return uJ / 1e6;
}

/** Builds an energy-counter sample from a microjoule counter (e.g. RAPL `energy_uj`, `max_energy_range_uj`). */
export function counterSampleFromMicrojoules(r: {
  tMs: number;
  deviceId: string;
  component: Component;
  source: string;
  estimated?: boolean;
  energyUj: number;
  maxRangeUj?: number;
}): EnergyCounterReading {
  return {
    kind: 'energy',
    tMs: r.tMs,
    deviceId: r.deviceId,
    component: r.component,
    source: r.source,
    estimated: r.estimated ?? false,
    energyJ: microjoulesToJ(r.energyUj),
    ...(r.maxRangeUj !== undefined ? { rangeJ: microjoulesToJ(r.maxRangeUj) } : {}),
  };
}

/**
 * Streaming form: feeds every sample into a meter and, for each instant emitted by `marks$`, emits the energy
 * since the previous mark (the first mark only sets the origin and emits nothing). Completes with the source.
 */
export function energyBetweenMarks(
  marks$: Observable<number>,
  options: EnergyOptions = {},
): OperatorFunction<PowerSample, EnergyInterval> {
  return (source) =>
    new Observable<EnergyInterval>((sub) => {
      const meter = createEnergyMeter(options);
      let started = false;
      const m = marks$.subscribe({
        next: (t) => {
          try {
            const out = meter.mark(t);
            if (started) sub.next(out);
            started = true;
          } catch (e) {
            sub.error(e);
          }
        },
        error: (e) => sub.error(e),
      });
      const s = source.subscribe({
        next: (x) => {
          try {
            meter.push(x);
          } catch (e) {
            sub.error(e);
          }
        },
        error: (e) => sub.error(e),
        complete: () => sub.complete(),
      });
      return () => {
        m.unsubscribe();
        s.unsubscribe();
      };
    });
}
