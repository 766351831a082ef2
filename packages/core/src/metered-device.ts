// One device's fate in a measurement: claimed, unsupported, lost, bad readings, and its report over a window.
import type { Component, DeviceEvent } from '@eff/probes';
import type { DeviceEnergy } from './device-track.js';
import { toGaps } from './gap-ledger.js';
import type { DeviceReport, Gap } from './schema.js';

/** What the meter knows about one device of one probe, apart from its readings (those live in its DeviceTrack). */
export class MeteredDevice {
  /** Set when the device is present but cannot be measured at all (and delivered no reading). */
  unsupportedReason: string | null = null;
  /** When and why the device stopped delivering readings (a `lost` event, or its probe ended); null while delivering. */
  loss: { atMs: number; reason: string } | null = null;
  /** Times of unusable readings (`bad-reading` events), ms. */
  readonly badReadingMs: number[] = [];
  lastBadReason: string | null = null;
  uuid: string | undefined;
  selectedBy: string | undefined;
  /** What the probe said on `present` about how the device is read (e.g. a MIG instance measured through its GPU). */
  presentNote: string | undefined;
  firstSampleMs: number | null = null;
  lastSampleMs: number | null = null;
  /** Losses that ended with a new reading, for the notes. */
  readonly resumed: Array<{ lostAtMs: number; resumedAtMs: number; reason: string }> = [];

  constructor(
    readonly key: string,
    readonly deviceId: string,
    readonly component: Component,
    readonly source: string,
  ) {}

  /** Applies a device event. Returns true when the device stops delivering (the caller ends its energy track). */
  onEvent(e: DeviceEvent): boolean {
    if (e.uuid !== undefined) this.uuid = e.uuid;
    if (e.selectedBy !== undefined) this.selectedBy = e.selectedBy;
    const reason = e.reason ?? `${e.state} (no reason given by ${e.source})`;
    switch (e.state) {
      case 'present':
        // The power limit goes to the energy meter (meter.ts); a claimed device that delivers nothing is a gap.
        if (e.reason !== undefined) this.presentNote = e.reason;
        return false;
      case 'unsupported':
        // Unsupported after readings is a loss: the energy so far is real, the rest is missing.
        if (this.firstSampleMs === null) {
          this.unsupportedReason = reason;
          return false;
        }
        return this.lose(e.tMs, reason);
      case 'lost':
        return this.lose(e.tMs, reason);
      case 'bad-reading':
        this.badReadingMs.push(e.tMs);
        this.lastBadReason = reason;
        return false;
    }
  }

  /** Marks the device as no longer delivering from tMs (kept at the earliest time while it stays lost). */
  lose(tMs: number, reason: string): boolean {
    if (this.loss !== null) return false;
    this.loss = { atMs: tMs, reason };
    return true;
  }

  /** Records a reading accepted by the energy meter; a reading after a loss resumes the device. */
  onSample(tMs: number): void {
    if (this.loss !== null) {
      this.resumed.push({ lostAtMs: this.loss.atMs, resumedAtMs: tMs, reason: this.loss.reason });
      this.loss = null;
    }
    this.unsupportedReason = null;
    this.firstSampleMs ??= tMs;
    this.lastSampleMs = tMs;
  }

  get hasSamples(): boolean {
    return this.firstSampleMs !== null;
  }

  /** Measurable now: delivered or may still deliver readings (not unsupported, not lost). */
  get live(): boolean {
    return this.unsupportedReason === null && this.loss === null;
  }

  /**
   * This device's report over [a, b] (its energy from the energy meter, absent when it delivered nothing) and its
   * gaps: none for an unsupported device (it was never part of the measurable energy), the whole window for a
   * claimed device without readings, the track's gaps otherwise.
   */
  report(energy: DeviceEnergy | undefined, a: number, b: number): { report: DeviceReport; gaps: Gap[] } {
    const base = {
      deviceId: this.deviceId,
      component: this.component,
      ...(this.selectedBy !== undefined ? { selectedBy: this.selectedBy } : {}),
      ...(this.uuid !== undefined ? { uuid: this.uuid } : {}),
    };
    const bad = this.badReadingMs.filter((t) => t >= a && t <= b).length;
    const badPart = bad > 0 ? { badReadingCount: bad } : {};
    const badReason =
      bad > 0 ? `${bad} unusable reading${bad === 1 ? '' : 's'} (last: ${this.lastBadReason})` : null;
    if (!energy || !this.hasSamples) {
      if (this.unsupportedReason !== null) {
        const report: DeviceReport = {
          ...base,
          status: 'unsupported',
          energyJ: 0,
          sampleCount: 0,
          uncoveredMs: 0,
          reason: this.unsupportedReason,
          ...badPart,
        };
        return { report, gaps: [] };
      }
      const gaps = toGaps(b > a ? [{ startMs: a, endMs: b }] : [], this.deviceId);
      const why = this.loss ? ` (${this.loss.reason})` : '';
      const report: DeviceReport = {
        ...base,
        status: 'no-samples',
        energyJ: 0,
        sampleCount: 0,
        uncoveredMs: b - a, // windows with b < a are refused before (energy meter)
        reason: `claimed by ${this.source} but delivered no readings${why}; its energy is missing`,
        ...badPart,
      };
      return { report, gaps };
    }
    const loss = this.loss !== null && this.loss.atMs <= b ? this.loss : null;
    const reasons = [
      this.presentNote ?? null,
      loss ? `lost at ${new Date(loss.atMs).toISOString()}: ${loss.reason}` : null,
      energy.reason ?? null,
      badReason,
    ].filter((x): x is string => x !== null);
    const report: DeviceReport = {
      ...base,
      status: loss ? 'lost' : 'measured',
      method: energy.method,
      energyJ: energy.energyJ,
      sampleCount: energy.sampleCount,
      uncoveredMs: energy.uncoveredMs,
      // Not for the estimate: a model's error is not a sampling error (uncertainty.ts bounds it as a whole).
      ...(energy.method !== 'estimate' && energy.samplingBoundJ !== undefined
        ? { samplingBoundJ: energy.samplingBoundJ }
        : {}),
      ...(loss ? { lostAtMs: loss.atMs } : {}),
      ...(reasons.length ? { reason: reasons.join('; ') } : {}),
      ...badPart,
    };
    return { report, gaps: energy.gaps };
  }
}
