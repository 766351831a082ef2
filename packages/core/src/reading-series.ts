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

/** An instant asked about before the readings kept in memory (see ReadingSeries.fold): a bug of the caller. */
export class FoldedInstantError extends Error {
  readonly code = 'E_FOLDED_INSTANT';
  constructor(
    readonly tMs: number,
    readonly keptFromMs: number,
  ) {
    super(
      `energy at ${tMs} ms was asked for, but readings before ${keptFromMs} ms were folded into running totals; ` +
        'anchor that instant (anchor(tMs)) before releasing the readings around it (releaseBefore)',
    );
    this.name = 'FoldedInstantError';
  }
}

/**
 * What an anchored instant needs once the readings around it are folded away: the cumulative energy there, the global
 * indices of the first reading at/after it, and the running sums of the folded readings' values from those indices
 * (accumulated in the same order as a plain loop would, so sums stay bit-identical).
 */
/** Key of the anchor standing for every instant before a series' first reading. */
const WHOLE = Number.NEGATIVE_INFINITY;

interface AnchorTotals {
  cumJ: number;
  /** Global index of the first reading with t >= anchor / t > anchor. */
  loIdx: number;
  upIdx: number;
  /** Sum of `value` over folded readings from loIdx / upIdx on. */
  sumFromLo: number;
  sumFromUp: number;
}

/**
 * Readings of one kind for one device. Energy between two readings is known exactly for the model of the subclass
 * (power varying linearly, or constant power between two counter readings); a segment marked as a hole carries none.
 * Readings older than what any caller still needs can be folded (fold): they are dropped from memory and only the
 * totals at anchored instants are kept, so memory stays bounded over a long session.
 */
abstract class ReadingSeries {
  /** Kept readings' times, ms (the first `dropped` readings of the series are folded away). */
  readonly tMs: number[] = [];
  /** Cumulative energy at each kept reading, J (0 at the series' very first reading). */
  readonly cumJ: number[] = [];
  /** Segments (between reading i and i+1) without usable energy, as time spans, in time order (never folded). */
  readonly holes: Span[] = [];
  /** Number of readings folded away. */
  dropped = 0;
  /** Time of the very first reading (kept even once folded), ms. */
  private first: number | null = null;
  private readonly anchors = new Map<number, AnchorTotals>();

  get length(): number {
    return this.dropped + this.tMs.length;
  }
  /** Readings held in memory. */
  get retained(): number {
    return this.tMs.length;
  }
  get firstMs(): number | null {
    return this.first;
  }
  get lastMs(): number | null {
    return this.tMs.length ? (this.tMs[this.tMs.length - 1] as number) : null;
  }

  protected append(tMs: number, deltaJ: number, hole: boolean): void {
    const n = this.tMs.length;
    if (n > 0 && hole) this.holes.push({ startMs: this.tMs[n - 1] as number, endMs: tMs });
    this.cumJ.push(n === 0 ? 0 : (this.cumJ[n - 1] as number) + deltaJ);
    this.tMs.push(tMs);
    this.first ??= tMs;
  }

  /** The value sumIn adds up (power: W; a counter has none: 0). */
  protected abstract valueAt(i: number): number;

  /** Energy inside kept segment i up to `tau` ms after its start, given the segment's total. */
  protected abstract partialJ(i: number, tau: number, segmentJ: number): number;

  /**
   * Totals of an instant before the kept readings (an anchor, or the whole series for an instant before its first
   * reading); null when the kept readings answer. Throws FoldedInstantError for any other folded instant.
   */
  private folded(t: number): AnchorTotals | null {
    if (this.dropped === 0 || t >= (this.tMs[0] as number)) return null;
    const a = this.anchors.get(this.first !== null && t < this.first ? WHOLE : t);
    if (a) return a;
    throw new FoldedInstantError(t, this.tMs[0] as number);
  }

  /** Cumulative energy at t, J; clamped to the readings' range, flat across holes. */
  cumAt(t: number): number {
    const n = this.tMs.length;
    if (n === 0 || this.first === null || t <= this.first) return 0;
    const f = this.folded(t);
    if (f) return f.cumJ;
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

  /** Global index of the first reading with t >= a (or t > a without `includeStart`), and the folded values' sum from it. */
  private startIndex(a: number, includeStart: boolean): { idx: number; sum: number } {
    const f = this.folded(a);
    if (f) return includeStart ? { idx: f.loIdx, sum: f.sumFromLo } : { idx: f.upIdx, sum: f.sumFromUp };
    const local = includeStart ? lowerBound(this.tMs, a) : upperBound(this.tMs, a);
    return { idx: this.dropped + local, sum: 0 };
  }

  /** Global index of the first reading with t > b. */
  private endIndex(b: number): number {
    if (this.dropped > 0 && b < (this.tMs[0] as number))
      throw new FoldedInstantError(b, this.tMs[0] as number);
    return this.dropped + upperBound(this.tMs, b);
  }

  /** Number of readings with a < t <= b, or a <= t <= b with `includeStart`. */
  countIn(a: number, b: number, includeStart: boolean): number {
    return Math.max(0, this.endIndex(b) - this.startIndex(a, includeStart).idx);
  }

  /** Sum of the readings' values with a < t <= b (or a <= t with `includeStart`), in time order. */
  protected sumIn(a: number, b: number, includeStart: boolean): number {
    const hi = this.endIndex(b);
    const start = this.startIndex(a, includeStart);
    let sum = start.sum;
    for (let i = Math.max(start.idx, this.dropped); i < hi; i++) sum += this.valueAt(i - this.dropped);
    return sum;
  }

  /** Holes overlapping [a, b]. */
  holesIn(a: number, b: number): Span[] {
    return this.holes.filter((h) => h.endMs > a && h.startMs < b);
  }

  /**
   * Drops readings before `horizonMs` from memory (keeping the last one at or before it, so energy from the horizon
   * on is still exact), after saving the totals every instant of `anchorsMs` needs. Afterwards, windows must start at
   * an anchored instant or at/after the kept readings, and end at/after them (else FoldedInstantError).
   * Returns the number of readings dropped.
   */
  fold(horizonMs: number, anchorsMs: Iterable<number>): number {
    // Keep the reading at or before the horizon; never split readings sharing a timestamp; keep two for rates.
    let k = Math.min(upperBound(this.tMs, horizonMs) - 1, this.tMs.length - 2);
    while (k > 0 && (this.tMs[k - 1] as number) === (this.tMs[k] as number)) k--;
    if (k <= 0) return 0;
    const newFirst = this.tMs[k] as number;
    // An instant before the first reading stands for the whole series: one anchor of its own (WHOLE).
    for (const t of [WHOLE, ...anchorsMs]) {
      if (t >= newFirst || (t !== WHOLE && this.first !== null && t < this.first)) continue;
      let a = this.anchors.get(t);
      if (!a) {
        if (this.dropped > 0 && t !== WHOLE && t < (this.tMs[0] as number)) continue; // anchored too late
        if (t === WHOLE && this.dropped > 0) continue;
        a =
          t === WHOLE
            ? { cumJ: 0, loIdx: 0, upIdx: 0, sumFromLo: 0, sumFromUp: 0 }
            : {
                cumJ: this.cumAt(t),
                loIdx: this.dropped + lowerBound(this.tMs, t),
                upIdx: this.dropped + upperBound(this.tMs, t),
                sumFromLo: 0,
                sumFromUp: 0,
              };
        this.anchors.set(t, a);
      }
      for (let i = 0; i < k; i++) {
        const g = this.dropped + i;
        if (g >= a.loIdx) a.sumFromLo += this.valueAt(i);
        if (g >= a.upIdx) a.sumFromUp += this.valueAt(i);
      }
    }
    this.dropRetained(k);
    this.tMs.splice(0, k);
    this.cumJ.splice(0, k);
    this.dropped += k;
    return k;
  }

  /** Subclasses drop their own per-reading arrays' first k entries. */
  protected abstract dropRetained(k: number): void;
}

/**
 * Power readings, W; energy by the trapezoid rule, and exact inside a segment for linearly varying power. Beside the
 * energy it keeps the sampling bound (samplingBoundJ): how far the trapezoids can be from the true energy when power
 * is monotone between two readings.
 */
export class PowerSeries extends ReadingSeries {
  readonly powerW: number[] = [];
  /** Sum of the whole segments' sampling bounds up to each kept reading, J (a hole's segment adds 0). */
  private readonly cumBoundJ: number[] = [];
  /** boundStartJ and boundEndJ of each anchored instant, saved before its readings are folded away. */
  private readonly boundAnchors = new Map<number, { startJ: number; endJ: number }>();
  private firstW: number | null = null;

  /** Appends a reading; `hole` leaves the segment since the previous reading out (a gap). Time order is the caller's. */
  push(tMs: number, powerW: number, hole: boolean): void {
    const n = this.tMs.length;
    const prevW = this.powerW[n - 1] as number;
    const dtMs = n === 0 ? 0 : tMs - (this.tMs[n - 1] as number);
    const deltaJ = n === 0 || hole ? 0 : (((prevW + powerW) / 2) * dtMs) / 1000;
    this.append(tMs, deltaJ, hole);
    // A whole segment's bound: |P_i+1 − P_i| · Δt / 2 (see pieceBoundJ).
    const segmentBoundJ = n === 0 || hole ? 0 : (Math.abs(powerW - prevW) * dtMs) / 2 / 1000;
    this.cumBoundJ.push(n === 0 ? 0 : (this.cumBoundJ[n - 1] as number) + segmentBoundJ);
    this.powerW.push(powerW);
    this.firstW ??= powerW;
  }

  /**
   * Largest error of the trapezoid rule over [a, b], J, when the true power between two consecutive readings is
   * monotone (it moves from one reading to the next without overshooting). Per whole segment: |P_i+1 − P_i| · Δt / 2 —
   * for a monotone function the left and right Riemann sums bracket the integral, and the trapezoid is their mean,
   * so it is off by at most half their difference (the classical error bound of Riemann sums of monotone functions,
   * e.g. Apostol, Calculus vol. 1, §1.15 / Stewart, Calculus §5.2). A window edge that cuts a segment gets the
   * bound of its piece (pieceBoundJ). Summed over the segments the window covers; a hole (a gap) carries none — its
   * energy is missing, which the caller accounts for separately. 0 outside the readings.
   */
  samplingBoundJ(a: number, b: number): number {
    if (!(b > a) || this.tMs.length === 0) return 0;
    const i = this.segmentOf(a);
    const j = this.segmentOf(b);
    // Both ends inside one kept segment: that piece alone.
    if (i !== null && i === j) return this.pieceBoundJ(i, a, b);
    return Math.max(0, this.boundEndJ(b) - this.boundStartJ(a));
  }

  /** Index of the kept segment [tMs[i], tMs[i+1]] holding t (t < tMs[i+1]), null outside the kept readings. */
  private segmentOf(t: number): number | null {
    const n = this.tMs.length;
    if (n < 2 || t < (this.tMs[0] as number) || t >= (this.tMs[n - 1] as number)) return null;
    return upperBound(this.tMs, t) - 1;
  }

  /**
   * The bound of the part [u, v] of segment i, J: the true power there lies between the segment's two readings
   * (lo, hi), so its energy lies in [lo·w, hi·w] (w = v − u), as does the linear interpolation's L; the error is at
   * most max(L − lo·w, hi·w − L). For the whole segment this is |ΔP|·Δt/2.
   */
  private pieceBoundJ(i: number, u: number, v: number): number {
    const c0 = this.cumBoundJ[i] as number;
    const c1 = this.cumBoundJ[i + 1] as number;
    if (c1 === c0 || v <= u) return 0; // a hole, flat power, or nothing of the segment
    const t0 = this.tMs[i] as number;
    const dt = (this.tMs[i + 1] as number) - t0;
    const p0 = this.powerW[i] as number;
    const p1 = this.powerW[i + 1] as number;
    const at = (t: number) => p0 + ((p1 - p0) * (t - t0)) / dt;
    const w = v - u;
    const linear = ((at(u) + at(v)) / 2) * w;
    return Math.max(linear - Math.min(p0, p1) * w, Math.max(p0, p1) * w - linear) / 1000;
  }

  /** The bound from the series' start up to t for a window ending at t, J (its last piece bounded on its own). */
  private boundEndJ(t: number): number {
    const n = this.tMs.length;
    const first = this.firstMs;
    if (first === null || t <= first) return 0;
    if (t >= (this.tMs[n - 1] as number)) return this.cumBoundJ[n - 1] as number;
    const saved = this.savedAt(t);
    if (saved) return saved.endJ;
    const i = this.segmentOf(t);
    if (i === null) return 0; // before the first reading
    return (this.cumBoundJ[i] as number) + this.pieceBoundJ(i, this.tMs[i] as number, t);
  }

  /** What a window starting at t subtracts, J: the bound up to the end of t's segment less that of [t, its end]. */
  private boundStartJ(t: number): number {
    const first = this.firstMs;
    if (first === null || t <= first) return 0;
    const saved = this.savedAt(t);
    if (saved) return saved.startJ;
    const i = this.segmentOf(t);
    if (i === null) return this.cumBoundJ[this.tMs.length - 1] as number; // at/after the last reading
    return (this.cumBoundJ[i + 1] as number) - this.pieceBoundJ(i, t, this.tMs[i + 1] as number);
  }

  /** An instant before the kept readings: its saved values (FoldedInstantError when it was not anchored); else null. */
  private savedAt(t: number): { startJ: number; endJ: number } | null {
    if (this.dropped === 0 || t >= (this.tMs[0] as number)) return null;
    const saved = this.boundAnchors.get(t);
    if (saved === undefined) throw new FoldedInstantError(t, this.tMs[0] as number);
    return saved;
  }

  override fold(horizonMs: number, anchorsMs: Iterable<number>): number {
    const anchors = [...anchorsMs];
    // Save each anchor's bound-start while its segment is still kept (the base class saves the energy's).
    // Only once t's segment is complete (a reading after t): before that, its value would still change.
    for (const t of anchors) {
      if (this.boundAnchors.has(t) || this.segmentOf(t) === null) continue;
      this.boundAnchors.set(t, { startJ: this.boundStartJ(t), endJ: this.boundEndJ(t) });
    }
    return super.fold(horizonMs, anchors);
  }

  protected valueAt(i: number): number {
    return this.powerW[i] as number;
  }

  protected dropRetained(k: number): void {
    this.powerW.splice(0, k);
    this.cumBoundJ.splice(0, k);
  }

  protected partialJ(i: number, tau: number): number {
    const p0 = this.powerW[i] as number;
    const p1 = this.powerW[i + 1] as number;
    const dt = (this.tMs[i + 1] as number) - (this.tMs[i] as number);
    return (p0 * tau + ((p1 - p0) * tau * tau) / (2 * dt)) / 1000;
  }

  /** Sum of the readings with a < t <= b (or a <= t with `includeStart`), W: the paper's "paper-sum". */
  sumW(a: number, b: number, includeStart: boolean): number {
    return this.sumIn(a, b, includeStart);
  }

  firstRateW(): number | null {
    return this.firstW;
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
  private firstSlope: number | null | undefined;

  /** Appends a reading whose energy since the previous one is `deltaJ` (ignored for the first), or a hole. */
  push(tMs: number, deltaJ: number, hole: boolean): void {
    this.append(tMs, hole ? 0 : deltaJ, hole);
    if (this.length === 2) this.firstSlope = this.slopeW(0);
  }

  protected valueAt(): number {
    return 0;
  }

  protected dropRetained(): void {}

  protected partialJ(i: number, tau: number, segmentJ: number): number {
    return (segmentJ * tau) / ((this.tMs[i + 1] as number) - (this.tMs[i] as number));
  }

  /** Slope of the first / last usable segment, W (null with fewer than two readings or a hole there). */
  firstRateW(): number | null {
    return this.firstSlope ?? null;
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
