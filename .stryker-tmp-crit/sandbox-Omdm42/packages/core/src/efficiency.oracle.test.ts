// @ts-nocheck
// Oracle tests for the bootstrap: interval ends pinned by an independent computation, and by normal theory.
import { describe, expect, it } from 'vitest';
import { bootstrapArchitectureEfficiency, bootstrapOverallEfficiency } from './efficiency.js';

// mulberry32 as published (Tommy Ettinger, 2017), written out again here so the test does not reuse the code
// under test: the same seed gives the same resample indices.
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Hyndman & Fan type 7 (R's default): x[floor(h)] + (h − floor(h))·(x[floor(h)+1] − x[floor(h)]), h = (n−1)p. */
function type7(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const below = sorted[Math.floor(h)] as number;
  const above = sorted[Math.ceil(h)] as number;
  return below + (h - Math.floor(h)) * (above - below);
}

/** Percentile bootstrap of the mean of group means, computed independently of efficiency.ts. */
function independentInterval(groups: number[][], seed: number, resamples: number, level: number) {
  const next = mulberry32(seed);
  const means: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const groupMeans = groups.map((g) => {
      const draws = g.map(() => g[Math.floor(next() * g.length)] as number);
      return draws.reduce((a, b) => a + b, 0) / g.length;
    });
    means.push(groupMeans.reduce((a, b) => a + b, 0) / groups.length);
  }
  means.sort((a, b) => a - b);
  return { low: type7(means, (1 - level) / 2), high: type7(means, (1 + level) / 2) };
}

const values = [0.012, 0.031, 0.018, 0.044, 0.009, 0.027, 0.035];

describe('bootstrap interval ends', () => {
  it('default level is 95 %: ends equal the independent 2.5 % and 97.5 % type-7 quantiles', () => {
    const ci = bootstrapArchitectureEfficiency(values, { seed: 11, resamples: 999 });
    const want = independentInterval([values], 11, 999, 0.95);
    expect(ci.level).toBe(0.95);
    expect(ci.low).toBeCloseTo(want.low, 14);
    expect(ci.high).toBeCloseTo(want.high, 14);
    // A 90 % interval is strictly inside: it must not pass for the 95 % one.
    const ninety = independentInterval([values], 11, 999, 0.9);
    expect(ninety.low).toBeGreaterThan(want.low);
    expect(ninety.high).toBeLessThan(want.high);
  });

  it('an explicit level is honoured (80 %), with resamples giving a fractional quantile position', () => {
    // 1000 resamples: h = 999 × 0.1 = 99.9, so interpolation between order statistics matters.
    const ci = bootstrapArchitectureEfficiency(values, { seed: 5, resamples: 1000, level: 0.8 });
    const want = independentInterval([values], 5, 1000, 0.8);
    expect(ci.low).toBeCloseTo(want.low, 14);
    expect(ci.high).toBeCloseTo(want.high, 14);
    expect(ci.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 14);
    expect(ci.n).toBe(values.length);
  });

  it('Eq. 4: resamples within each criterion, averages per criterion then over criteria', () => {
    const groups = [
      [0.02, 0.03, 0.05],
      [0.01, 0.04],
      [0.06, 0.02, 0.03, 0.01],
    ];
    const ci = bootstrapOverallEfficiency(groups, { seed: 3, resamples: 501 });
    const want = independentInterval(groups, 3, 501, 0.95);
    expect(ci.low).toBeCloseTo(want.low, 14);
    expect(ci.high).toBeCloseTo(want.high, 14);
    // The mean of criterion means, not the pooled mean of all nine values.
    expect(ci.mean).toBeCloseTo((0.1 / 3 + 0.05 / 2 + 0.12 / 4) / 3, 14);
    expect(ci.n).toBe(9);
  });

  it('agrees with normal theory on a large sample: half-width ≈ 1.96 σ/√n, not 1.645 σ/√n', () => {
    // 100 evenly spread values: the bootstrap distribution of the mean is close to normal with sd σ/√n.
    // (Kept small: under Stryker's instrumentation every resample draw costs ~50× more.)
    const xs = Array.from({ length: 100 }, (_, i) => (i + 0.5) / 100);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length / xs.length);
    const ci = bootstrapArchitectureEfficiency(xs, { seed: 2026, resamples: 4000 });
    const halfWidth = (ci.high - ci.low) / 2;
    // Monte-Carlo error of a 4000-resample percentile is ~3 %; 1.645/1.96 = 0.84 is far outside ±8 %.
    expect(halfWidth / (1.96 * sd)).toBeGreaterThan(0.92);
    expect(halfWidth / (1.96 * sd)).toBeLessThan(1.08);
  });
});
