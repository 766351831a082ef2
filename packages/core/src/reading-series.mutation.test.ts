// releaseBefore over a short session (a hole, a loss, a frozen and a wrapping counter): the figures of a meter that
// frees its readings equal those of one that keeps them. A 12 s cut of energy-fold.test.ts's 120 s scenario,
// cheap enough to run once per mutant under Stryker.
import type { PowerSample } from '@eff/probes';
import { describe, expect, it } from 'vitest';
import { createEnergyMeter, type EnergyMeter } from './energy.js';

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
    ...(component === 'cpu' ? { rangeJ: 100 } : {}),
  };
}

type Step = { s: PowerSample } | { lost: PowerSample };

/** Readings every 100 ms over [T, T + 12 s]: gpu0 silent 5.5–6.4 s and lost at 8 s (resumed 8.6 s); gpu1's counter
 * freezes from 9 s (its power then counts); cpu0's counter wraps at 100 J (every ~3 s). */
function* session(): Generator<Step> {
  let cpuJ = 0;
  let gpu1J = 0;
  for (let t = T; t <= T + 12_000; t += 100) {
    const k = (t - T) / 100;
    const silent = t > T + 5_500 && t < T + 6_400;
    if (!silent && !(t > T + 8_000 && t < T + 8_600)) yield { s: pw(t, 'gpu0', 100 + ((k * 37) % 50)) };
    if (t === T + 8_000) yield { lost: pw(t, 'gpu0', 0) };
    yield { s: pw(t + 3, 'gpu1', 200 + ((k * 13) % 20)) };
    if (t < T + 9_000) gpu1J += 21;
    yield { s: ctr(t + 5, 'gpu1', gpu1J) };
    cpuJ = (cpuJ + 3.3) % 100;
    yield { s: ctr(t + 7, 'cpu0', cpuJ, 'cpu') };
  }
}

function feed(meters: EnergyMeter[], e: Step): void {
  for (const m of meters) {
    if ('s' in e) m.push(e.s);
    else m.deviceLost(e.lost, e.lost.tMs);
  }
}

describe('releaseBefore on a short session (mutation-sized)', () => {
  it('every window, energy alone or in full, is identical with and without releases', () => {
    // a short gap threshold makes gpu0's 1 s silence a gap, as the 7 s one is at the default threshold
    const opts = { edgeHoldMs: 100, gapThresholdMs: 500 };
    const plain = createEnergyMeter(opts);
    const released = createEnergyMeter(opts);
    const t0 = T + 250;
    released.anchor(T);
    released.anchor(t0);
    let prevMark = t0;
    let nextMark = t0 + 700;
    let freed = 0;
    for (const e of session()) {
      feed([plain, released], e);
      const t = 's' in e ? e.s.tMs : e.lost.tMs;
      if (t >= t0) {
        expect(released.energyJBetween(t0, t, { holdTailMs: 5000 })).toEqual(
          plain.energyBetween(t0, t, { holdTailMs: 5000 }).energyJ,
        );
        expect(released.energyJBetween(prevMark, t)).toEqual(plain.energyBetween(prevMark, t).energyJ);
      }
      if (t >= nextMark + 300) {
        expect(released.energyBetween(prevMark, nextMark)).toEqual(plain.energyBetween(prevMark, nextMark));
        expect(released.energyBetween(t0, nextMark)).toEqual(plain.energyBetween(t0, nextMark));
        expect(released.energyBetween(T, nextMark, { includeStart: true })).toEqual(
          plain.energyBetween(T, nextMark, { includeStart: true }),
        );
        const n = released.releaseBefore(nextMark);
        expect(n).toBeGreaterThan(0);
        freed += n;
        // releasing again at or before the horizon frees nothing
        expect(released.releaseBefore(nextMark)).toBe(0);
        prevMark = nextMark;
        nextMark += 700 + (nextMark % 7) * 10;
      }
    }
    expect(released.retainedSampleCount).toBeLessThan(plain.retainedSampleCount);
    expect(freed + released.retainedSampleCount).toBe(plain.retainedSampleCount);
    const end = T + 12_000;
    expect(released.energyBetween(T, end, { includeStart: true })).toEqual(
      plain.energyBetween(T, end, { includeStart: true }),
    );
    const whole = released.energyBetween(t0, end);
    expect(whole).toEqual(plain.energyBetween(t0, end));
    expect(released.coveredUntilMs()).toBe(plain.coveredUntilMs());
    expect(released.devices()).toEqual(plain.devices());
    // the scenario reached every path: a gap, a loss, a frozen counter, a wrapped counter
    expect(whole.gaps.length).toBeGreaterThanOrEqual(2);
    expect(whole.anomalies.map((a) => a.kind)).toContain('counter-frozen');
    expect(whole.energyJ.cpu).toBeGreaterThan(100);
  });
});
