// Releasing old readings (anchor/releaseBefore) keeps every figure exact and the memory held bounded.
import type { PowerSample, ProbeEvent } from '@eff/probes';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createEnergyMeter, type EnergyMeter, FoldedInstantError } from './energy.js';
import { startMeter } from './meter.js';

const T = 1_000_000;

function pw(tMs: number, deviceId: string, powerW: number): PowerSample {
  return { kind: 'power', tMs, deviceId, component: 'gpu', source: 'fold', estimated: false, powerW };
}
function ctr(tMs: number, deviceId: string, energyJ: number, component: 'gpu' | 'cpu' = 'gpu'): PowerSample {
  return {
    kind: 'energy',
    tMs,
    deviceId,
    component,
    source: 'fold',
    estimated: false,
    energyJ,
    ...(component === 'cpu' ? { rangeJ: 1000 } : {}),
  };
}

/** Deterministic readings for [T, T + durationMs]: varied power, a wrapping counter, a loss, a counter that freezes. */
function* session(durationMs: number): Generator<{ s: PowerSample } | { lost: PowerSample }> {
  let cpuJ = 0;
  let gpu1J = 0;
  for (let t = T; t <= T + durationMs; t += 100) {
    const k = (t - T) / 100;
    // gpu0: power only, silent for 7 s in the middle (a hole), lost once at 60 s and resumed 2 s later.
    const silent = t > T + 30_000 && t < T + 37_000;
    if (!silent && !(t > T + 60_000 && t < T + 62_000)) yield { s: pw(t, 'gpu0', 100 + ((k * 37) % 50)) };
    if (t === T + 60_000) yield { lost: pw(t, 'gpu0', 0) };
    // gpu1: power and a counter; the counter freezes from 80 s on (then power is used).
    yield { s: pw(t + 3, 'gpu1', 200 + ((k * 13) % 20)) };
    if (t < T + 80_000) gpu1J += 21;
    yield { s: ctr(t + 5, 'gpu1', gpu1J) };
    // cpu: a counter with a 1000 J range (wraps every ~30 s).
    cpuJ = (cpuJ + 3.3) % 1000;
    yield { s: ctr(t + 7, 'cpu0', cpuJ, 'cpu') };
  }
}

function feed(meters: EnergyMeter[], e: { s: PowerSample } | { lost: PowerSample }): void {
  for (const m of meters) {
    if ('s' in e) m.push(e.s);
    else m.deviceLost(e.lost, e.lost.tMs);
  }
}

describe('releaseBefore', () => {
  it('every window the run asks for is the same to the last bit with and without releases', () => {
    const plain = createEnergyMeter({ edgeHoldMs: 100 });
    const released = createEnergyMeter({ edgeHoldMs: 100 });
    const t0 = T + 250; // training starts between readings
    released.anchor(T);
    released.anchor(t0);
    let prevMark = t0;
    let nextMark = t0 + 1000;
    let checks = 0;
    let freed = 0;
    for (const e of session(120_000)) {
      feed([plain, released], e);
      const t = 's' in e ? e.s.tMs : e.lost.tMs;
      // A per-batch check at every reading: energy alone, tail held.
      if (t >= t0) {
        const est = released.energyJBetween(t0, t, { holdTailMs: 5000 });
        expect(est).toEqual(plain.energyBetween(t0, t, { holdTailMs: 5000 }).energyJ);
        checks++;
      }
      // An epoch's figures once readings 300 ms past its mark have arrived, then the release.
      if (t >= nextMark + 300) {
        expect(released.energyBetween(prevMark, nextMark)).toEqual(plain.energyBetween(prevMark, nextMark));
        expect(released.energyBetween(t0, nextMark)).toEqual(plain.energyBetween(t0, nextMark));
        freed += released.releaseBefore(nextMark);
        prevMark = nextMark;
        nextMark += 1000 + (nextMark % 7) * 10;
      }
    }
    expect(checks).toBeGreaterThan(4000);
    expect(freed).toBeGreaterThan(4000);
    const end = T + 120_000;
    expect(released.energyBetween(T, end, { includeStart: true })).toEqual(
      plain.energyBetween(T, end, { includeStart: true }),
    );
    const whole = released.energyBetween(t0, end);
    expect(whole).toEqual(plain.energyBetween(t0, end));
    // The scenario reached every path: a gap, a loss, a frozen counter, a wrapped counter.
    expect(whole.gaps.length).toBeGreaterThanOrEqual(2);
    expect(whole.anomalies.map((a) => a.kind)).toContain('counter-frozen');
    expect(whole.energyJ.cpu).toBeGreaterThan(1000);
  });

  it('a window starting at a released, unanchored instant throws FoldedInstantError instead of a wrong figure', () => {
    const m = createEnergyMeter();
    for (let t = T; t <= T + 10_000; t += 100) m.push(pw(t, 'gpu0', 100));
    m.anchor(T);
    m.releaseBefore(T + 5000);
    expect(m.energyBetween(T, T + 10_000).energyJ.total).toBeCloseTo(1000, 9);
    let err: unknown;
    try {
      m.energyBetween(T + 2000, T + 10_000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FoldedInstantError);
    expect((err as FoldedInstantError).code).toBe('E_FOLDED_INSTANT');
  });

  it('memory held stays bounded over a long simulated session with marks advancing each epoch', async () => {
    // A user-written probe fed by the test: two GPUs read every 10 ms, 200 epochs of 10 s.
    const events = new Subject<ProbeEvent>();
    const probe = {
      name: 'fed',
      components: ['gpu' as const],
      estimated: false,
      check: async () => ({ available: true }),
      samples: () => events.asObservable(),
    };
    const m = startMeter([probe], { intervalMs: 10 });
    const t0 = m.startedAtMs;
    m.anchor(t0);
    const epochMs = 10_000;
    const perEpochPerDevice = epochMs / 10;
    const peaks: number[] = [];
    let t = t0;
    for (let epoch = 1; epoch <= 200; epoch++) {
      const mark = t0 + epoch * epochMs;
      for (; t <= mark + 50; t += 10) {
        events.next(pw(t, 'gpu0', 150));
        events.next(pw(t + 1, 'gpu1', 250));
      }
      peaks.push(m.retainedSampleCount);
      const check = m.estimateEnergyUntil(t0, mark);
      expect(check.total).toBeCloseTo(((150 + 250) * (mark - t0)) / 1000, 6);
      m.releaseBefore(mark);
    }
    // Without releases the meter would hold 2 devices × 200 epochs × 1000 readings, twice (readings and times).
    const bound = 2 * 2 * (perEpochPerDevice + 10);
    expect(Math.max(...peaks)).toBeLessThanOrEqual(bound);
    expect(m.retainedSampleCount).toBeLessThan(50);
    const end = t0 + 200 * epochMs;
    const reading = m.energyBetween(t0, end);
    expect(reading.energyJ.total).toBeCloseTo(((150 + 250) * 200 * epochMs) / 1000, 6);
    expect(reading.probes[0]?.sampleCount).toBe(2 * (200 * perEpochPerDevice + 1) - 1);
    await m.stop();
  });
});
