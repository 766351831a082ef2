// Time spans with and without usable data: clipping, subtracting, complementing and merging them into gaps.
import type { Gap } from './schema.js';

/** A half-open stretch of time [startMs, endMs) on the meter's clock, ms. */
export interface Span {
  startMs: number;
  endMs: number;
}

/** The part of `s` inside [a, b], or null when nothing of positive length is left. */
export function clipSpan(s: Span, a: number, b: number): Span | null {
  const startMs = Math.max(s.startMs, a);
  const endMs = Math.min(s.endMs, b);
  return endMs > startMs ? { startMs, endMs } : null;
}

/** `from` minus every span of `remove` (both in any order); the result is sorted and disjoint. */
export function subtractSpans(from: readonly Span[], remove: readonly Span[]): Span[] {
  let out = mergeSpans(from);
  for (const r of mergeSpans(remove)) {
    const next: Span[] = [];
    for (const s of out) {
      if (r.endMs <= s.startMs || r.startMs >= s.endMs) {
        next.push(s);
        continue;
      }
      if (r.startMs > s.startMs) next.push({ startMs: s.startMs, endMs: r.startMs });
      if (r.endMs < s.endMs) next.push({ startMs: r.endMs, endMs: s.endMs });
    }
    out = next;
  }
  return out;
}

/** Sorted, disjoint union of spans (touching spans join); zero-length spans are dropped. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = spans.filter((s) => s.endMs > s.startMs).sort((x, y) => x.startMs - y.startMs);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.startMs <= last.endMs) last.endMs = Math.max(last.endMs, s.endMs);
    else out.push({ startMs: s.startMs, endMs: s.endMs });
  }
  return out;
}

/** The parts of [a, b] that no span of `covered` covers ([] when b <= a: subtractSpans drops an empty [a, b]). */
export function uncoveredSpans(covered: readonly Span[], a: number, b: number): Span[] {
  return subtractSpans([{ startMs: a, endMs: b }], covered);
}

/** Spans of one device as Gap records (deviceId omitted when the whole probe is meant). */
export function toGaps(spans: readonly Span[], deviceId?: string): Gap[] {
  return spans.map((s) => ({
    startMs: s.startMs,
    endMs: s.endMs,
    durationMs: s.endMs - s.startMs,
    ...(deviceId !== undefined ? { deviceId } : {}),
  }));
}

/** Merges overlapping gaps of the same device; sorted by start. */
export function mergeGaps(gaps: readonly Gap[]): Gap[] {
  const byDevice = new Map<string | undefined, Span[]>();
  for (const g of gaps) {
    const list = byDevice.get(g.deviceId) ?? [];
    list.push(g);
    byDevice.set(g.deviceId, list);
  }
  const out: Gap[] = [];
  for (const [deviceId, list] of byDevice) out.push(...toGaps(mergeSpans(list), deviceId));
  return out.sort((x, y) => x.startMs - y.startMs);
}

/** Total length of a set of spans, counting overlaps once, ms. */
export function spannedMs(spans: readonly Span[]): number {
  return mergeSpans(spans).reduce((sum, s) => sum + (s.endMs - s.startMs), 0);
}
