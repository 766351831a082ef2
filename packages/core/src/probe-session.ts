// One probe inside a running meter: its subscription, effective interval, devices, errors, notes and report.
import type { Component, Probe } from '@eff/probes';
import type { Subscription } from 'rxjs';
import { type DeviceEnergy, sumByComponent } from './energy.js';
import { mergeGaps, toGaps } from './gap-ledger.js';
import { MeteredDevice } from './metered-device.js';
import { FoldedInstantError } from './reading-series.js';
import type { DeviceReport, EnergyByComponent, Gap, ProbeReport } from './schema.js';

const MAX_ERRORS_KEPT = 20;

/** One probe's part of a reading: its report restricted to the interval, plus the energy it measured there. */
export interface MeasuredProbe extends ProbeReport {
  energyJ: EnergyByComponent;
}

/** Key of a device across the meter: its source, component and id. */
export function deviceKey(d: { source: string; component: Component; deviceId: string }): string {
  return `${d.source}\u0000${d.component}\u0000${d.deviceId}`;
}

/** Samples with a <= t <= b in a list (in arrival order). */
function countIn(times: readonly number[], a: number, b: number): number {
  let n = 0;
  for (const t of times) if (t >= a && t <= b) n++;
  return n;
}

/**
 * Times of a probe's accepted samples, to count them inside a window. Times before a release horizon are folded:
 * only, per anchored instant, how many of them are at or after it.
 */
class SampleTimes {
  private times: number[] = [];
  private horizonMs = Number.NEGATIVE_INFINITY;
  /** Per anchor before the horizon: folded samples at or after it. */
  private readonly foldedFrom = new Map<number, number>();

  push(tMs: number): void {
    this.times.push(tMs);
  }

  get retained(): number {
    return this.times.length;
  }

  /** Samples with a <= t <= b; `a` before the horizon must be anchored, `b` must not be before it. */
  countIn(a: number, b: number): number {
    if (a >= this.horizonMs) return countIn(this.times, a, b);
    const folded = this.foldedFrom.get(a);
    if (folded === undefined || b < this.horizonMs) throw new FoldedInstantError(a, this.horizonMs);
    return folded + countIn(this.times, a, b);
  }

  /** Folds times before horizonMs, keeping per anchor the count at or after it. */
  fold(horizonMs: number, anchorsMs: Iterable<number>): void {
    if (!(horizonMs > this.horizonMs)) return;
    const old = this.times.filter((t) => t < horizonMs);
    for (const a of anchorsMs) {
      const known = this.foldedFrom.get(a);
      if (known === undefined && a < this.horizonMs) continue; // anchored after its samples were folded
      if (a >= horizonMs) continue;
      this.foldedFrom.set(a, (known ?? 0) + old.filter((t) => t >= a).length);
    }
    this.times = this.times.filter((t) => t >= horizonMs);
    this.horizonMs = horizonMs;
  }
}

/**
 * A probe as the meter runs it. The sampling interval is the larger of the requested one and the probe's own
 * minimum (a note says when it was raised). Devices are created on their first event or sample.
 */
export class ProbeSession {
  readonly intervalMs: number;
  readonly notes: string[] = [];
  readonly errors: string[] = [];
  private extraErrors = 0;
  running = true;
  endedAtMs: number | null = null;
  sub: Subscription | null = null;
  estimated: boolean;
  readonly devices = new Map<string, MeteredDevice>();
  /** Times of accepted samples, to count them inside a window. */
  readonly sampleTimes = new SampleTimes();

  constructor(
    readonly probe: Probe,
    requestedIntervalMs: number,
  ) {
    const minMs = probe.minIntervalMs ?? 0;
    this.intervalMs = Math.max(requestedIntervalMs, minMs);
    this.estimated = probe.estimated;
    if (this.intervalMs > requestedIntervalMs) {
      this.notes.push(
        `interval raised from ${requestedIntervalMs} ms to ${this.intervalMs} ms: ${probe.name} cannot deliver readings faster`,
      );
    }
  }

  get name(): string {
    return this.probe.name;
  }

  addError(message: string): void {
    if (this.errors.length < MAX_ERRORS_KEPT) this.errors.push(message);
    else this.extraErrors++;
  }

  /** The device with this key, created (and reported to `onNew`) on first use. */
  device(
    d: { source: string; component: Component; deviceId: string },
    onNew: (dev: MeteredDevice) => void,
  ): MeteredDevice {
    const key = deviceKey(d);
    let dev = this.devices.get(key);
    if (!dev) {
      dev = new MeteredDevice(key, d.deviceId, d.component, d.source);
      this.devices.set(key, dev);
      onNew(dev);
    }
    return dev;
  }

  recordSample(dev: MeteredDevice, tMs: number, estimated: boolean): void {
    dev.onSample(tMs);
    this.sampleTimes.push(tMs);
    this.estimated ||= estimated;
  }

  /** Devices that deliver or may still deliver readings. */
  liveDevices(): MeteredDevice[] {
    return [...this.devices.values()].filter((d) => d.live);
  }

  /**
   * Instant up to which every live device of this (running) probe has delivered, +Infinity when nothing is left to
   * wait for, null while the probe has not delivered anything it could be waited on (no device yet, or only
   * claimed devices without readings). Unsupported and lost devices are not waited for.
   */
  coveredUntilMs(): number | null {
    if (this.devices.size === 0) return null;
    const live = this.liveDevices();
    const sampled = live.filter((d) => d.hasSamples);
    if (sampled.length === 0) return live.length > 0 ? null : Number.POSITIVE_INFINITY;
    return Math.min(...sampled.map((d) => d.lastSampleMs as number));
  }

  /** True while some live device (or the probe, before any event) has not delivered its first reading. */
  awaitingFirstSamples(): boolean {
    return this.devices.size === 0 || this.liveDevices().some((d) => !d.hasSamples);
  }

  /** The probe's report over [a, b], given the energy of its devices there (from the energy meter). */
  report(a: number, b: number, energies: ReadonlyMap<string, DeviceEnergy>): MeasuredProbe {
    const deviceReports: DeviceReport[] = [];
    const gaps: Gap[] = [];
    const notes = [...this.notes];
    const contributing: DeviceEnergy[] = [];
    for (const dev of this.devices.values()) {
      const energy = energies.get(dev.key);
      if (energy) contributing.push(energy);
      const { report, gaps: devGaps } = dev.report(energy, a, b);
      deviceReports.push(report);
      gaps.push(...devGaps);
      // A no-samples report always has a reason (claimed … delivered no readings), so it is noted here too.
      if (report.status === 'unsupported') notes.push(`${dev.deviceId} not measured: ${report.reason}`);
      else if (report.reason) notes.push(`${dev.deviceId}: ${report.reason}`);
      for (const r of dev.resumed) {
        if (r.resumedAtMs >= a && r.lostAtMs <= b) {
          notes.push(
            `${dev.deviceId} lost at ${new Date(r.lostAtMs).toISOString()} (${r.reason}), readings resumed at ${new Date(r.resumedAtMs).toISOString()}`,
          );
        }
      }
    }
    const delivered = [...this.devices.values()].some((d) => d.hasSamples);
    const claimedGap = deviceReports.some((r) => r.status === 'no-samples');
    if (!delivered && !claimedGap) {
      // Nothing ever arrived from this probe, and no device of its own to charge it to: the whole window is missing.
      // An empty window gives a zero-length span, which mergeGaps drops.
      gaps.push(...toGaps([{ startMs: a, endMs: b }]));
      notes.push(`${this.name} delivered no readings at all; its energy is missing`);
    }
    const merged = mergeGaps(gaps);
    const errors = [...this.errors, ...(this.extraErrors ? [`... and ${this.extraErrors} more errors`] : [])];
    return {
      name: this.name,
      components: [...this.probe.components],
      estimated: this.estimated,
      // The estimate's assumptions travel with its joules (TDP, RAM W/GiB, load scope): no estimate without them.
      ...(this.probe.estimate ? { estimate: { ...this.probe.estimate } } : {}),
      sampleCount: this.sampleTimes.countIn(a, b),
      devices: [...this.devices.values()].filter((d) => d.hasSamples).map((d) => d.deviceId),
      gaps: merged,
      errors,
      // Degraded means energy is missing: a gap of some device or of the whole probe.
      degraded: merged.length > 0,
      intervalMs: this.intervalMs,
      deviceReports,
      notes,
      energyJ: sumByComponent(contributing),
    };
  }
}
