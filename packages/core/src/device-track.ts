// One device's readings -> its energy between two instants: which method covers which time, counter checks, gaps.
import type { Component, PowerSample } from '@eff/probes';
import { FROZEN_MIN_SPAN_MS, isFrozen, judgeCounterStep } from './counter-check.js';
import { EnergyInputError } from './energy-input-error.js';
import { clipSpan, type Span, subtractSpans, toGaps, uncoveredSpans } from './gap-ledger.js';
import { CounterSeries, PowerSeries } from './reading-series.js';
import type { Gap } from './schema.js';

/** How a device's joules were obtained: an energy counter, integrated power readings, or an estimate. */
export type EnergyMethod = 'counter' | 'power' | 'estimate';

/** Something in the data that makes part of a device's energy come from elsewhere or be missing. */
export interface EnergyAnomaly {
  deviceId: string;
  component: Component;
  tMs: number;
  /** A counter that went down without a known range, rose impossibly fast, or did not move while power was read. */
  kind: 'counter-decrease' | 'counter-implausible' | 'counter-frozen';
  message: string;
}

/** Energy of one device (one source, one component) inside an interval. */
export interface DeviceEnergy {
  deviceId: string;
  component: Component;
  source: string;
  /** `power` once a rejected counter was replaced by the device's power readings inside the interval. */
  method: EnergyMethod;
  estimated: boolean;
  energyJ: number;
  /** Samples of this device (both kinds) with startMs < tMs <= endMs. */
  sampleCount: number;
  /** Parts of the interval without usable data for this device (their energy is not in energyJ). */
  gaps: Gap[];
  /** Total length of `gaps`, ms. */
  uncoveredMs: number;
  /**
   * Largest error of the trapezoid rule over the power readings used, J (PowerSeries.samplingBoundJ: |ΔP|·Δt/2 per
   * segment under monotone power between readings); 0 when no power readings were integrated (a counter, gaps).
   */
  samplingBoundJ: number;
  /** Why the method is not the device's first choice (a rejected counter), when that happened by endMs. */
  reason?: string;
}

/** How the time after a device's last reading is treated by DeviceTrack.energy. */
export type TailRule =
  /** Held at the last rate when at most edgeHoldMs long (then not a gap); longer: all of it is a gap. */
  | { kind: 'edge' }
  /** Held at the last rate for at most capMs (a best guess for stop decisions; gaps are not computed for it). */
  | { kind: 'cap'; capMs: number };

/** A part of the timeline and the readings that give its energy. */
interface Piece {
  series: PowerSeries | CounterSeries;
  span: Span;
}

/**
 * One device's readings. Power readings and an energy counter may both arrive: the counter is used while it is
 * believable; a counter that goes down without a range, implies impossible power or stays still while the power
 * readings are not zero (for FROZEN_MIN_SPAN_MS or more) is dropped from then on (a latch, so a stale counter that later jumps is never counted
 * twice) and the power readings are used instead. A device with a counter only has no fallback: a rejected step is
 * a hole (a gap) and the counter resumes from its new value.
 */
export class DeviceTrack {
  readonly power = new PowerSeries();
  readonly counter = new CounterSeries();
  readonly anomalies: EnergyAnomaly[] = [];
  estimated = false;
  /** From the device's `present` event, W: counters implying more (with a margin) are rejected. */
  powerLimitW: number | undefined;
  private lostAtMs: number | null = null;
  private holeNext = { power: false, counter: false };
  /** The latest counter reading as the tool gave it (raw joules), with its time. */
  private lastCounter: { tMs: number; rawJ: number } | null = null;
  private latch: { atMs: number; reason: string } | null = null;
  /** The counter has not moved since startMs (last checked reading at endMs), while power readings exist. */
  private stall: (Span & { rawJ: number }) | null = null;

  constructor(
    readonly deviceId: string,
    readonly component: Component,
    readonly source: string,
    private readonly gapThresholdMs: number,
    /** Longest uncovered edge of a window held at the nearest reading instead of being a gap, ms. */
    public edgeHoldMs: number,
  ) {}

  /** Adds a validated sample (values checked by the caller). Throws EnergyInputError when time goes backwards. */
  push(s: PowerSample): void {
    const series = s.kind === 'power' ? this.power : this.counter;
    const last = series.lastMs;
    if (last !== null && s.tMs < last) {
      throw new EnergyInputError(
        `timestamps out of order for device ${s.deviceId} (${s.component}): tMs=${s.tMs} after ${last}; samples of one device must arrive in time order`,
        s.tMs,
      );
    }
    this.estimated ||= s.estimated;
    this.lostAtMs = null;
    if (s.kind === 'power') {
      const hole = this.holeNext.power || (last !== null && s.tMs - last > this.gapThresholdMs);
      this.holeNext.power = false;
      this.power.push(s.tMs, s.powerW, hole);
    } else {
      this.pushCounter(s.tMs, s.energyJ, s.rangeJ);
    }
    this.checkStall();
  }

  /** The device stopped delivering readings at tMs: its tail is not held, and the time until its next reading is a gap. */
  lose(tMs: number): void {
    this.lostAtMs = tMs;
    this.holeNext = { power: true, counter: true };
  }

  /** True while the device is lost (no reading since `lose`). */
  get lost(): boolean {
    return this.lostAtMs !== null;
  }

  /** Time of the first / last reading of any kind, ms (null before any). */
  get firstMs(): number | null {
    return minOf(this.power.firstMs, this.counter.firstMs);
  }
  get lastMs(): number | null {
    return maxOf(this.power.lastMs, this.counter.lastMs);
  }
  get sampleCount(): number {
    return this.power.length + this.counter.length;
  }

  /** The method in use at the latest reading. */
  get method(): EnergyMethod {
    if (this.estimated) return 'estimate';
    return this.latch || this.counter.length === 0 ? 'power' : 'counter';
  }

  private pushCounter(tMs: number, rawJ: number, rangeJ: number | undefined): void {
    const prev = this.lastCounter;
    this.lastCounter = { tMs, rawJ };
    if (prev === null) {
      this.holeNext.counter = false;
      this.counter.push(tMs, 0, false);
      return;
    }
    if (this.latch) return; // no longer used; kept only as a sample
    // Not latched: every counter reading so far went into the series, so the previous one is the series' last.
    const { tMs: prevMs, rawJ: fromJ } = prev;
    if (this.holeNext.counter) {
      this.holeNext.counter = false;
      this.counter.push(tMs, 0, true);
      return;
    }
    const verdict = judgeCounterStep({
      fromJ,
      toJ: rawJ,
      ...(rangeJ !== undefined ? { rangeJ } : {}),
      dtMs: tMs - prevMs,
      component: this.component,
      ...(this.powerLimitW !== undefined ? { powerLimitW: this.powerLimitW } : {}),
    });
    if ('error' in verdict) {
      throw new EnergyInputError(
        `energy counter of ${this.deviceId} ${verdict.error}; check the counter's range`,
        rangeJ,
      );
    }
    if ('rejection' in verdict) {
      if (this.power.length > 0) {
        this.latchToPower(prevMs, verdict.rejection.kind, verdict.rejection.message);
      } else {
        this.counter.push(tMs, 0, true);
        this.anomalies.push({
          deviceId: this.deviceId,
          component: this.component,
          tMs,
          kind: verdict.rejection.kind,
          message: `${verdict.rejection.message}; the interval since ${prevMs} ms is left out (no power readings to fall back on)`,
        });
      }
      return;
    }
    this.counter.push(tMs, verdict.deltaJ, false);
    if (verdict.deltaJ === 0 && this.power.length > 0) {
      if (this.stall) this.stall.endMs = tMs;
      else this.stall = { startMs: prevMs, endMs: tMs, rawJ };
    } else {
      // The counter moves again: a stall too short to judge was the counter's own update granularity.
      this.checkStall();
      this.stall = null;
    }
  }

  /**
   * A counter that has not moved is judged once power readings cover the stall and it lasts FROZEN_MIN_SPAN_MS:
   * frozen if the device drew power meanwhile (a shorter stall is how often some counters update).
   */
  private checkStall(): void {
    const p = this.stall;
    const powerLast = this.power.lastMs;
    if (this.latch || !p || powerLast === null || powerLast < p.endMs) return;
    if (p.endMs - p.startMs < FROZEN_MIN_SPAN_MS) return;
    const meanW = this.power.meanW(p.startMs, p.endMs);
    if (isFrozen(0, meanW)) {
      this.latchToPower(
        p.startMs,
        'counter-frozen',
        `energy counter frozen at ${p.rawJ} J while power read ${Math.round((meanW as number) * 10) / 10} W`,
      );
    }
  }

  private latchToPower(atMs: number, kind: EnergyAnomaly['kind'], message: string): void {
    const reason = `${message}; power readings integrated since ${new Date(atMs).toISOString()}`;
    this.latch = { atMs, reason };
    this.stall = null;
    this.anomalies.push({
      deviceId: this.deviceId,
      component: this.component,
      tMs: atMs,
      kind,
      message: reason,
    });
  }

  /**
   * The parts of the timeline and the readings that cover them: the counter from its first reading until it is
   * dropped, power readings everywhere else. Zero-length spans mark a single reading.
   */
  private pieces(): Piece[] {
    const out: Piece[] = [];
    const cf = this.counter.firstMs;
    const cl = this.counter.lastMs;
    let counterSpan: Span | null = null;
    if (cf !== null && cl !== null) {
      const end = this.latch ? Math.min(cl, this.latch.atMs) : cl;
      if (end > cf || (end === cf && this.power.length === 0)) counterSpan = { startMs: cf, endMs: end };
    }
    const pf = this.power.firstMs;
    const pl = this.power.lastMs;
    const powerSpans: Span[] = [];
    if (pf !== null && pl !== null) {
      const whole = { startMs: pf, endMs: pl };
      if (!counterSpan || counterSpan.endMs === counterSpan.startMs) powerSpans.push(whole);
      else {
        if (pf < counterSpan.startMs)
          powerSpans.push({ startMs: pf, endMs: Math.min(pl, counterSpan.startMs) });
        if (pl > counterSpan.endMs) powerSpans.push({ startMs: Math.max(pf, counterSpan.endMs), endMs: pl });
      }
    }
    if (counterSpan) out.push({ series: this.counter, span: counterSpan });
    for (const span of powerSpans) out.push({ series: this.power, span });
    return out.sort((x, y) => x.span.startMs - y.span.startMs);
  }

  /** Instant up to which this device's energy is known (its latest usable reading), null before any. */
  coveredUntilMs(): number | null {
    const ps = this.pieces();
    return ps.length ? Math.max(...ps.map((p) => p.span.endMs)) : null;
  }

  /**
   * Energy in [a, b] with its gaps. The uncovered edges of the window (before the first reading, after the last)
   * are gaps, except an edge at most edgeHoldMs long, which is held at the nearest reading's power and counted.
   * A lost device's tail is never held. `includeStart` counts a reading at exactly `a` in sampleCount/paperSumW.
   */
  energy(a: number, b: number, tail: TailRule, includeStart: boolean): DeviceEnergy & { paperSumW: number } {
    const parts = this.integrate(a, b, tail, true);
    let uncovered = uncoveredSpans(parts.covered, a, b);
    if (parts.held.length) uncovered = subtractSpans(uncovered, parts.held);
    const latchedBy = this.latch && this.latch.atMs < b ? this.latch : null;
    const method = this.estimated
      ? 'estimate'
      : latchedBy || (parts.usesPower && !parts.usesCounter)
        ? 'power'
        : parts.usesCounter || this.counter.length > 0
          ? 'counter'
          : 'power';
    const gaps = toGaps(uncovered, this.deviceId);
    return {
      deviceId: this.deviceId,
      component: this.component,
      source: this.source,
      method,
      estimated: this.estimated,
      energyJ: Math.max(0, parts.energyJ),
      sampleCount: this.power.countIn(a, b, includeStart) + this.counter.countIn(a, b, includeStart),
      gaps,
      uncoveredMs: gaps.reduce((s, g) => s + g.durationMs, 0),
      samplingBoundJ: parts.samplingBoundJ,
      ...(latchedBy ? { reason: latchedBy.reason } : {}),
      paperSumW: this.power.sumW(a, b, includeStart),
    };
  }

  /**
   * Energy alone in [a, b], J: the same number as energy(a, b, tail).energyJ without gaps, counts or paper-sum, so it
   * costs O(1) once the window's start is anchored or the latest reading's index is known (for per-batch checks).
   */
  energyJ(a: number, b: number, tail: TailRule): number {
    return Math.max(0, this.integrate(a, b, tail, false).energyJ);
  }

  /** Energy of the readings and held edges in [a, b]; with `coverage`, also the covered and held spans. */
  private integrate(
    a: number,
    b: number,
    tail: TailRule,
    coverage: boolean,
  ): {
    energyJ: number;
    usesCounter: boolean;
    usesPower: boolean;
    covered: Span[];
    held: Span[];
    samplingBoundJ: number;
  } {
    const pieces = this.pieces();
    let energyJ = 0;
    let samplingBoundJ = 0;
    let usesCounter = false;
    let usesPower = false;
    const covered: Span[] = [];
    const held: Span[] = [];
    for (const piece of pieces) {
      const c = clipSpan(piece.span, a, b);
      if (!c) continue;
      energyJ += piece.series.energyJ(c.startMs, c.endMs);
      if (coverage) {
        covered.push(...subtractSpans([c], piece.series.holesIn(c.startMs, c.endMs)));
        if (piece.series instanceof PowerSeries)
          samplingBoundJ += piece.series.samplingBoundJ(c.startMs, c.endMs);
      }
      if (piece.series === this.counter) usesCounter = true;
      else usesPower = true;
    }
    const first = pieces[0];
    const lastPiece = pieces.reduce<Piece | undefined>(
      (m, p) => (m === undefined || p.span.endMs >= m.span.endMs ? p : m),
      undefined,
    );
    if (first && b > a) {
      const headRateW = first.series.firstRateW();
      const headMs = first.span.startMs - a;
      if (headMs > 0 && headMs <= this.edgeHoldMs && headRateW !== null) {
        const span = { startMs: a, endMs: Math.min(first.span.startMs, b) };
        energyJ += (headRateW * (span.endMs - span.startMs)) / 1000;
        held.push(span);
      }
    }
    if (lastPiece && b > a && this.lostAtMs === null) {
      // A dropped counter's last steps are the ones that were not believed: never hold them.
      const tailRateW = lastPiece.series === this.counter && this.latch ? null : lastPiece.series.lastRateW();
      const from = Math.max(lastPiece.span.endMs, a);
      const tailMs = b - lastPiece.span.endMs;
      if (tailRateW !== null && tailMs > 0) {
        if (tail.kind === 'cap') {
          energyJ += (tailRateW * Math.min(b - from, tail.capMs)) / 1000;
        } else if (tailMs <= this.edgeHoldMs) {
          energyJ += (tailRateW * (b - from)) / 1000;
          held.push({ startMs: from, endMs: b });
        }
      }
    }
    return { energyJ, usesCounter, usesPower, covered, held, samplingBoundJ };
  }

  /** Readings held in memory (both kinds). */
  get retainedCount(): number {
    return this.power.retained + this.counter.retained;
  }

  /**
   * Folds readings before `horizonMs` into running totals (see ReadingSeries.fold). Later windows must start at an
   * instant of `anchorsMs` or at/after the horizon. A counter still being judged (a stall) keeps its readings.
   * Returns the number of readings dropped.
   */
  fold(horizonMs: number, anchorsMs: readonly number[]): number {
    // A stall being judged, and the counter's last reading (where a later rejection would switch to power), may
    // still become window edges: keep the readings from there on.
    let h = this.stall ? Math.min(horizonMs, this.stall.startMs) : horizonMs;
    const counterLast = this.counter.lastMs;
    if (!this.latch && counterLast !== null) h = Math.min(h, counterLast);
    // Where the counter's span starts and ends are window edges of the power readings too.
    const own = [
      ...anchorsMs,
      ...(this.latch ? [this.latch.atMs] : []),
      ...(this.counter.firstMs !== null ? [this.counter.firstMs] : []),
    ];
    return this.power.fold(h, own) + this.counter.fold(h, own);
  }
}

function minOf(x: number | null, y: number | null): number | null {
  return x === null ? y : y === null ? x : Math.min(x, y);
}
function maxOf(x: number | null, y: number | null): number | null {
  return x === null ? y : y === null ? x : Math.max(x, y);
}
