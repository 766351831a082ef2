// @ts-nocheck
// Tests of the machine description and of the "other processes' CPU share" arithmetic the bench reports.
import { describe, expect, it } from 'vitest';
import { describeMachine, machineCpuMs, othersCpuShare, processCpuMs } from './machine.js';

describe('othersCpuShare', () => {
  it('is the busy time not ours, over all CPU time', () => {
    // 2 cores × 10 s = 20,000 ms; 15,000 ms busy of which 9,000 ms ours -> others used 30 %.
    expect(
      othersCpuShare({ busyMs: 1000, totalMs: 5000 }, { busyMs: 16_000, totalMs: 25_000 }, 9000),
    ).toBeCloseTo(0.3, 12);
  });

  it('never goes below 0 (tick rounding) and is 0 over an empty interval', () => {
    expect(othersCpuShare({ busyMs: 0, totalMs: 0 }, { busyMs: 100, totalMs: 1000 }, 120)).toBe(0);
    expect(othersCpuShare({ busyMs: 5, totalMs: 10 }, { busyMs: 5, totalMs: 10 }, 0)).toBe(0);
  });
});

describe('reading /proc', () => {
  it('counts this process CPU time and the machine totals', () => {
    const t0 = processCpuMs(process.pid, 100);
    const m0 = machineCpuMs();
    let x = 0;
    const until = performance.now() + 150;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(processCpuMs(process.pid, 100)).toBeGreaterThan(t0);
    const m1 = machineCpuMs();
    expect(m1!.totalMs).toBeGreaterThan(m0!.totalMs);
    expect(m1!.busyMs).toBeGreaterThanOrEqual(m0!.busyMs);
  });

  it('gives 0 for a process that does not exist', () => {
    expect(processCpuMs(2 ** 22 + 12_345, 100)).toBe(0);
  });

  it('describes the CPU from /proc/cpuinfo', () => {
    const m = describeMachine();
    expect(m.cores).toBeGreaterThanOrEqual(1);
    expect(m.cpuModel.length).toBeGreaterThan(0);
    expect(m.simdFlags.every((f) => /^(sse|ssse|avx|fma|f16c)/.test(f))).toBe(true);
  });
});
