// gap-ledger's span arithmetic on hand-drawn cases: touching, overlapping, nested, empty and unsorted spans.
import { describe, expect, it } from 'vitest';
import {
  clipSpan,
  mergeGaps,
  mergeSpans,
  spannedMs,
  subtractSpans,
  toGaps,
  uncoveredSpans,
} from './gap-ledger.js';

const s = (startMs: number, endMs: number) => ({ startMs, endMs });

describe('gap-ledger (mutation tests)', () => {
  it('clipSpan keeps the part inside [a, b]; nothing of positive length is null', () => {
    expect(clipSpan(s(0, 10), 2, 5)).toEqual(s(2, 5));
    expect(clipSpan(s(3, 4), 0, 10)).toEqual(s(3, 4));
    expect(clipSpan(s(0, 10), 10, 20)).toBeNull();
    expect(clipSpan(s(0, 10), 11, 20)).toBeNull();
  });

  it('mergeSpans sorts, joins touching and overlapping spans, drops empty ones', () => {
    expect(mergeSpans([s(20, 30), s(0, 5), s(5, 8), s(4, 6), s(9, 9), s(25, 26)])).toEqual([
      s(0, 8),
      s(20, 30),
    ]);
    expect(mergeSpans([s(3, 2)])).toEqual([]);
    expect(mergeSpans([s(5, 8), s(0, 5)])).toEqual([s(0, 8)]);
  });

  it('subtractSpans cuts holes, trims ends and removes covered spans', () => {
    expect(subtractSpans([s(0, 10)], [s(2, 3), s(5, 7)])).toEqual([s(0, 2), s(3, 5), s(7, 10)]);
    expect(subtractSpans([s(0, 10)], [s(-5, 2)])).toEqual([s(2, 10)]);
    expect(subtractSpans([s(0, 10)], [s(8, 15)])).toEqual([s(0, 8)]);
    expect(subtractSpans([s(0, 10)], [s(0, 10)])).toEqual([]);
    expect(subtractSpans([s(0, 10)], [s(10, 12), s(-2, 0)])).toEqual([s(0, 10)]);
    expect(subtractSpans([s(20, 30), s(0, 10)], [s(5, 25)])).toEqual([s(0, 5), s(25, 30)]);
  });

  it('uncoveredSpans of [a, b]; an empty window has none', () => {
    expect(uncoveredSpans([s(2, 4)], 0, 6)).toEqual([s(0, 2), s(4, 6)]);
    expect(uncoveredSpans([], 5, 5)).toEqual([]);
    expect(uncoveredSpans([], 5, 4)).toEqual([]);
  });

  it('toGaps adds durations and the device only when given', () => {
    expect(toGaps([s(1, 4)], 'gpu0')).toStrictEqual([
      { startMs: 1, endMs: 4, durationMs: 3, deviceId: 'gpu0' },
    ]);
    expect(toGaps([s(1, 4)])).toStrictEqual([{ startMs: 1, endMs: 4, durationMs: 3 }]);
  });

  it('mergeGaps merges per device only, sorted by start', () => {
    const g = (startMs: number, endMs: number, deviceId?: string) => ({
      startMs,
      endMs,
      durationMs: endMs - startMs,
      ...(deviceId ? { deviceId } : {}),
    });
    expect(mergeGaps([g(5, 9, 'gpu1'), g(0, 3, 'gpu0'), g(2, 6, 'gpu0'), g(1, 2)])).toStrictEqual([
      g(0, 6, 'gpu0'),
      g(1, 2),
      g(5, 9, 'gpu1'),
    ]);
  });

  it('spannedMs counts overlaps once', () => {
    expect(spannedMs([s(0, 10), s(5, 15), s(20, 21)])).toBe(16);
    expect(spannedMs([])).toBe(0);
  });
});
