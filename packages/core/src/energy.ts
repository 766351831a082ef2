// Power samples and energy counters -> joules per device and component, split exactly at time marks; batch and streaming.
import type { Component, EnergyCounterReading, PowerSample } from '@eff/probes';
import { Observable, type OperatorFunction } from 'rxjs';
import { type DeviceEnergy, DeviceTrack, type EnergyAnomaly } from './device-track.js';
import { EnergyInputError } from './energy-input-error.js';
import type { EnergyByComponent, Gap } from './schema.js';

/** Default longest time between two samples of one device before the interval counts as a gap (ms). */
export const DEFAULT_GAP_THRESHOLD_MS = 5000;

const COMPONENT_NAMES: readonly Component[] = ['gpu', 'cpu', 'ram', 'system'];

export type { DeviceEnergy, EnergyAnomaly, EnergyMethod } from './device-track.js';
export { EnergyInputError } from './energy-input-error.js';
export { FoldedInstantError } from './reading-series.js';

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
  /** Longest time between two power readings of one device that is still integrated across (ms). Default 5000. */
  gapThresholdMs?: number;
  /**
   * Longest uncovered edge of an interval (before a device's first reading, after its last) held at the nearest
   * reading's power and counted, instead of being reported as a gap (ms). Default 0: every uncovered edge is a gap.
   * startMeter sets it per device to its probe's sampling interval (devices of one probe are read a moment apart).
   */
  edgeHoldMs?: number;
}

/** Which device a call is about: the same triple that keys samples. */
export type DeviceRef = Pick<PowerSample, 'deviceId' | 'component' | 'source'>;

/** What is known about a device beyond its readings (from the probe's `present` event, or the meter). */
export interface DeviceSettings {
  /** Power limit, W: an energy counter implying more than 1.5 × this is rejected. */
  powerLimitW?: number;
  /** See EnergyOptions.edgeHoldMs, for this device only. */
  edgeHoldMs?: number;
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

function trackKey(s: DeviceRef): string {
  return `${s.source}\u0000${s.component}\u0000${s.deviceId}`;
}

/** Throws EnergyInputError unless `s` is a well-formed PowerSample. */
function validateSample(s: PowerSample): void {
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
  if (s.kind === 'power') checkNumber('powerW', s.powerW, where);
  else checkNumber('energyJ', s.energyJ, where);
  if (s.kind === 'energy' && s.rangeJ !== undefined) checkNumber('rangeJ', s.rangeJ, where, false);
}

/**
 * A stateful integrator fed one sample at a time. Energy between any two instants is exact for the model
 * "power varies linearly between two power readings" and "power is constant between two counter readings".
 * A device may deliver both an energy counter and power readings: the counter is used while it is believable
 * (see DeviceTrack), the power readings otherwise; the device's `method` says which.
 */
export interface EnergyMeter {
  /** Adds one sample. Throws EnergyInputError on a bad value or a timestamp earlier than the device's previous one. */
  push(sample: PowerSample): void;
  /** Sets what is known about a device (power limit, edge hold); may come before or after its first sample. */
  configureDevice(device: DeviceRef, settings: DeviceSettings): void;
  /**
   * The device stopped delivering readings at tMs (fell off the bus, its probe failed): the time after its last
   * reading is a gap, never held; a later sample resumes it, and the time in between stays a gap.
   */
  deviceLost(device: DeviceRef, tMs: number): void;
  /**
   * Energy spent in [startMs, endMs] from the samples pushed so far. paperSumW counts samples with
   * startMs < tMs <= endMs (so consecutive intervals add up), or startMs <= tMs with `includeStart`.
   * Each device's uncovered edges are gaps unless at most its edgeHoldMs long (then held and counted). With
   * `holdTailMs`, every device not lost instead holds its last rate after its last reading for at most that long
   * (a best guess for decisions, not for records).
   */
  energyBetween(
    startMs: number,
    endMs: number,
    opts?: { includeStart?: boolean; holdTailMs?: number },
  ): EnergyInterval;
  /**
   * Energy since the previous mark (the first call only sets the origin and returns an empty interval).
   * Use it at epoch/batch ends; call it once samples at or after `tMs` have arrived (see coveredUntilMs),
   * otherwise the tail after the last sample is reported as missing rather than guessed.
   */
  mark(tMs: number): EnergyInterval;
  /**
   * Energy alone in [startMs, endMs] per component: the same figures as energyBetween(...).energyJ, without gaps,
   * counts, anomalies or paper-sum. O(devices) once startMs is anchored (or recent): for per-batch checks.
   */
  energyJBetween(startMs: number, endMs: number, opts?: { holdTailMs?: number }): EnergyByComponent;
  /**
   * Declares an instant later windows may start at even after the readings around it are released (a run's start,
   * a baseline's start). Cheap; anchors are kept for the meter's life. Anchor before releasing past the instant.
   */
  anchor(tMs: number): void;
  /**
   * Declares that no later window starts before tMs, except at an anchored instant, and none ends before tMs: readings
   * older than that are folded into running totals and freed (per-epoch figures, gaps, counts, paper-sum and
   * anomalies stay exact). Never moves back. Returns the number of readings freed. A later window that breaks the
   * promise throws FoldedInstantError.
   */
  releaseBefore(tMs: number): number;
  /** Readings held in memory over all devices (what releaseBefore frees). */
  readonly retainedSampleCount: number;
  /** Earliest "last usable reading" over devices: energy up to this instant is known for every device; null before any sample. */
  coveredUntilMs(): number | null;
  /** Time of the first sample seen, null before any. */
  firstSampleMs(): number | null;
  /** Number of samples pushed. */
  readonly sampleCount: number;
  /** Devices seen so far, with the method in use now. */
  devices(): Array<Pick<DeviceEnergy, 'deviceId' | 'component' | 'source' | 'method' | 'estimated'>>;
}

/** Creates an energy meter (the streaming core of integrateEnergy). Throws EnergyInputError on bad options. */
export function createEnergyMeter(options: EnergyOptions = {}): EnergyMeter {
  const gapThresholdMs = checkNumber(
    'gapThresholdMs',
    options.gapThresholdMs ?? DEFAULT_GAP_THRESHOLD_MS,
    'energy options',
    false,
  );
  const defaultEdgeHoldMs = checkNumber('edgeHoldMs', options.edgeHoldMs ?? 0, 'energy options');
  const tracks = new Map<string, DeviceTrack>();
  const settings = new Map<string, DeviceSettings>();
  let count = 0;
  let lastMark: number | null = null;
  let first: number | null = null;

  const trackOf = (d: DeviceRef): DeviceTrack => {
    const key = trackKey(d);
    let tr = tracks.get(key);
    if (!tr) {
      const set = settings.get(key) ?? {};
      tr = new DeviceTrack(
        d.deviceId,
        d.component,
        d.source,
        gapThresholdMs,
        set.edgeHoldMs ?? defaultEdgeHoldMs,
      );
      tr.powerLimitW = set.powerLimitW;
      tracks.set(key, tr);
    }
    return tr;
  };

  /** Checks a window and picks how a device's tail is treated: held up to holdTailMs, else up to its edge hold. */
  function windowTail(startMs: number, endMs: number, holdTailMs: number | undefined) {
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs < startMs) {
      throw new EnergyInputError(
        `an energy interval needs finite startMs <= endMs, found [${startMs}, ${endMs}]`,
        [startMs, endMs],
      );
    }
    return holdTailMs !== undefined ? { kind: 'cap' as const, capMs: holdTailMs } : { kind: 'edge' as const };
  }

  function energyBetween(
    startMs: number,
    endMs: number,
    opts: { includeStart?: boolean; holdTailMs?: number } = {},
  ): EnergyInterval {
    const tail = windowTail(startMs, endMs, opts.holdTailMs);
    const devices: DeviceEnergy[] = [];
    const anomalies: EnergyAnomaly[] = [];
    let paperSumW = 0;
    for (const tr of tracks.values()) {
      if (tr.sampleCount === 0) continue;
      const { paperSumW: sumW, ...d } = tr.energy(startMs, endMs, tail, opts.includeStart ?? false);
      paperSumW += sumW;
      devices.push(d);
      anomalies.push(...tr.anomalies.filter((x) => x.tMs >= startMs && x.tMs <= endMs));
    }
    return {
      startMs,
      endMs,
      energyJ: sumByComponent(devices),
      devices,
      gaps: devices.flatMap((d) => d.gaps),
      anomalies,
      paperSumW,
      estimated: devices.some((d) => d.estimated),
    };
  }

  function energyJBetween(
    startMs: number,
    endMs: number,
    opts: { holdTailMs?: number } = {},
  ): EnergyByComponent {
    const tail = windowTail(startMs, endMs, opts.holdTailMs);
    const devices: Array<Pick<DeviceEnergy, 'component' | 'energyJ'>> = [];
    for (const tr of tracks.values()) {
      if (tr.sampleCount === 0) continue;
      devices.push({ component: tr.component, energyJ: tr.energyJ(startMs, endMs, tail) });
    }
    return sumByComponent(devices);
  }

  const anchors = new Set<number>();
  let horizonMs = Number.NEGATIVE_INFINITY;

  return {
    energyJBetween,
    anchor(tMs) {
      if (!Number.isFinite(tMs))
        throw new EnergyInputError(`an anchor must be a finite instant, found ${tMs}`, tMs);
      anchors.add(tMs);
    },
    releaseBefore(tMs) {
      if (!Number.isFinite(tMs) || tMs <= horizonMs) return 0;
      horizonMs = tMs;
      const list = [...anchors];
      let freed = 0;
      for (const tr of tracks.values()) freed += tr.fold(tMs, list);
      return freed;
    },
    get retainedSampleCount() {
      let n = 0;
      for (const tr of tracks.values()) n += tr.retainedCount;
      return n;
    },
    push(s) {
      validateSample(s);
      trackOf(s).push(s);
      count++;
      first = first === null ? s.tMs : Math.min(first, s.tMs);
    },
    configureDevice(d, set) {
      if (set.powerLimitW !== undefined)
        checkNumber('powerLimitW', set.powerLimitW, `device ${d.deviceId}`, false);
      if (set.edgeHoldMs !== undefined) checkNumber('edgeHoldMs', set.edgeHoldMs, `device ${d.deviceId}`);
      const key = trackKey(d);
      const merged = { ...settings.get(key), ...set };
      settings.set(key, merged);
      const tr = trackOf(d);
      if (merged.powerLimitW !== undefined) tr.powerLimitW = merged.powerLimitW;
      if (merged.edgeHoldMs !== undefined) tr.edgeHoldMs = merged.edgeHoldMs;
    },
    deviceLost(d, tMs) {
      trackOf(d).lose(tMs);
    },
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
        const c = tr.coveredUntilMs();
        if (c !== null) m = m === null ? c : Math.min(m, c);
      }
      return m;
    },
    firstSampleMs: () => first,
    get sampleCount() {
      return count;
    },
    devices: () =>
      [...tracks.values()]
        .filter((t) => t.sampleCount > 0)
        .map((t) => ({
          deviceId: t.deviceId,
          component: t.component,
          source: t.source,
          method: t.method,
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
 * per device, then per component. A device whose readings start after `startMs` or end before `endMs` has a gap
 * for that edge (its energy is not guessed), unless the edge is at most `edgeHoldMs` (default 0) long.
 * Throws EnergyInputError on empty input or a bad sample.
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
