// @ts-nocheck
// One device's readings of one kind in time order, as a cumulative-energy curve with holes (power or counter).
import type { Span } from './gap-ledger.js';

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
 * Readings of one kind for one device. Energy between two readings is known exactly for the model of the subclass
 * (power varying linearly, or constant power between two counter readings); a segment marked as a hole carries none.
 */
abstract class ReadingSeries {
  readonly tMs: number[] = [];
  /** Cumulative energy at each reading, J (0 at the first). */
  readonly cumJ: number[] = [];
  /** Segments (between reading i and i+1) without usable energy, as time spans, in time order. */
  readonly holes: Span[] = [];

  get length(): number {
    return this.tMs.length;
  }
  get firstMs(): number | null {
    return this.tMs.length ? (this.tMs[0] as number) : null;
  }
  get lastMs(): number | null {
    return this.tMs.length ? (this.tMs[this.tMs.length - 1] as number) : null;
  }

  protected append(tMs: number, deltaJ: number, hole: boolean): void {
    const n = this.tMs.length;
    if (n > 0 && hole) this.holes.push({ startMs: this.tMs[n - 1] as number, endMs: tMs });
    this.cumJ.push(n === 0 ? 0 : (this.cumJ[n - 1] as number) + deltaJ);
    this.tMs.push(tMs);
  }

  /** Energy inside segment i up to `tau` ms after its start, given the segment's total. */
  protected abstract partialJ(i: number, tau: number, segmentJ: number): number;

  /** Cumulative energy at t, J; clamped to the readings' range, flat across holes. */
  cumAt(t: number): number {
    const n = this.tMs.length;
    if (n === 0 || t <= (this.tMs[0] as number)) return 0;
    if (t >= (this.tMs[n - 1] as number)) return this.cumJ[n - 1] as number;
    const i = upperBound(this.tMs, t) - 1; // tMs[i] <= t < tMs[i+1]
    const c0 = this.cumJ[i] as number;
    const c1 = this.cumJ[i + 1] as number;
    if (c1 === c0) return c0;
    return c0 + this.partialJ(i, t - (this.tMs[i] as number), c1 - c0);
  }

  /** Energy in [a, b] from these readings alone, J (0 outside their range). */
  energyJ(a: number, b: number): number {
    return b > a ? Math.max(0, this.cumAt(b) - this.cumAt(a)) : 0;
  }

  /** Number of readings with a < t <= b, or a <= t <= b with `includeStart`. */
  countIn(a: number, b: number, includeStart = false): number {
    const lo = includeStart ? lowerBound(this.tMs, a) : upperBound(this.tMs, a);
    return Math.max(0, upperBound(this.tMs, b) - lo);
  }

  /** Holes overlapping [a, b]. */
  holesIn(a: number, b: number): Span[] {
    return this.holes.filter((h) => h.endMs > a && h.startMs < b);
  }
}

/** Power readings, W; energy by the trapezoid rule, and exact inside a segment for linearly varying power. */
export class PowerSeries extends ReadingSeries {
  readonly powerW: number[] = [];

  /** Appends a reading; `hole` leaves the segment since the previous reading out (a gap). Time order is the caller's. */
  push(tMs: number, powerW: number, hole: boolean): void {
    const n = this.tMs.length;
    const deltaJ =
      n === 0 || hole
        ? 0
        : ((((this.powerW[n - 1] as number) + powerW) / 2) * (tMs - (this.tMs[n - 1] as number))) / 1000;
    this.append(tMs, deltaJ, hole);
    this.powerW.push(powerW);
  }

  protected partialJ(i: number, tau: number): number {
    const p0 = this.powerW[i] as number;
    const p1 = this.powerW[i + 1] as number;
    const dt = (this.tMs[i + 1] as number) - (this.tMs[i] as number);
    return (p0 * tau + ((p1 - p0) * tau * tau) / (2 * dt)) / 1000;
  }

  /** Sum of the readings with a < t <= b (or a <= t with `includeStart`), W: the paper's "paper-sum". */
  sumW(a: number, b: number, includeStart = false): number {
    const lo = includeStart ? lowerBound(this.tMs, a) : upperBound(this.tMs, a);
    const hi = upperBound(this.tMs, b);
    let sum = 0;
    for (let i = lo; i < hi; i++) sum += this.powerW[i] as number;
    return sum;
  }

  firstRateW(): number | null {
    return this.powerW.length ? (this.powerW[0] as number) : null;
  }
  lastRateW(): number | null {
    return this.powerW.length ? (this.powerW[this.powerW.length - 1] as number) : null;
  }

  /** Mean power over [a, b] from the covered parts (from the first reading on), W; null until readings reach b. */
  meanW(a: number, b: number): number | null {
    const first = this.firstMs;
    const last = this.lastMs;
    if (first === null || last === null || last < b) return null;
    a = Math.max(a, first);
    if (b <= a) return null;
    const holesMs = this.holesIn(a, b).reduce((s, h) => s + Math.min(h.endMs, b) - Math.max(h.startMs, a), 0);
    const coveredMs = b - a - holesMs;
    return coveredMs > 0 ? (this.energyJ(a, b) * 1000) / coveredMs : null;
  }
}

/** Accepted energy-counter steps, J; power is constant between two counter readings. */
export class CounterSeries extends ReadingSeries {
  /** Appends a reading whose energy since the previous one is `deltaJ` (ignored for the first), or a hole. */
  push(tMs: number, deltaJ: number, hole: boolean): void {
    this.append(tMs, hole ? 0 : deltaJ, hole);
  }

  protected partialJ(i: number, tau: number, segmentJ: number): number {
    return (segmentJ * tau) / ((this.tMs[i + 1] as number) - (this.tMs[i] as number));
  }

  /** Slope of the first / last usable segment, W (null with fewer than two readings or a hole there). */
  firstRateW(): number | null {
    return this.slopeW(0);
  }
  lastRateW(): number | null {
    return this.slopeW(this.tMs.length - 2);
  }

  private slopeW(i: number): number | null {
    if (i < 0 || i + 1 >= this.tMs.length) return null;
    const t0 = this.tMs[i] as number;
    const t1 = this.tMs[i + 1] as number;
    if (t1 <= t0 || this.holes.some((h) => h.startMs === t0)) return null;
    return (((this.cumJ[i + 1] as number) - (this.cumJ[i] as number)) * 1000) / (t1 - t0);
  }
}
