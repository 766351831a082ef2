// The trapezoid rule's sampling bound, computed by the energy meter from the readings, against values computed by hand.
import type { PowerSample } from '@eff/probes';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEnergyMeter } from './energy.js';

const p = (tMs: number, powerW: number): PowerSample => ({
  kind: 'power',
  tMs,
  powerW,
  component: 'gpu',
  deviceId: 'gpu0',
  source: 'test',
  estimated: false,
});
const c = (tMs: number, energyJ: number): PowerSample => ({
  kind: 'energy',
  tMs,
  energyJ,
  component: 'cpu',
  deviceId: 'pkg0',
  source: 'rapl',
  estimated: false,
});

// 100 W → 200 W → 200 W → 50 W, one reading a second: segment bounds |ΔP|·Δt/2 = 50 J, 0 J, 75 J.
const readings = [p(0, 100), p(1000, 200), p(2000, 200), p(3000, 50)];
const meterWith = (samples: PowerSample[]) => {
  const m = createEnergyMeter();
  for (const s of samples) m.push(s);
  return m;
};
const boundOf = (m: ReturnType<typeof createEnergyMeter>, a: number, b: number, id = 'gpu0') =>
  m.energyBetween(a, b).devices.find((d) => d.deviceId === id)?.samplingBoundJ;

describe('sampling bound of power readings (trapezoid rule, monotone power between readings)', () => {
  it('sums |P_i+1 − P_i| · Δt / 2 over the whole segments of the window', () => {
    expect(boundOf(meterWith(readings), 0, 3000)).toBeCloseTo(50 + 0 + 75, 12);
    expect(boundOf(meterWith(readings), 1000, 2000)).toBe(0);
  });

  it('bounds a cut segment by its piece: max(L − lo·w, hi·w − L)', () => {
    // [500, 1000] of 100→200 W: interpolated 150→200 W, L = 175 W × 0.5 s = 87.5 J; lo·w = 50 J, hi·w = 100 J:
    // max(37.5, 12.5) = 37.5 J; with the last segment's 75 J → 112.5 J.
    expect(boundOf(meterWith(readings), 500, 3000)).toBeCloseTo(112.5, 12);
    // [0, 2500]: 50 J + 0 J + [2000, 2500] of 200→50 W: 200→125 W, L = 81.25 J; lo·w = 25 J, hi·w = 100 J: 56.25 J.
    expect(boundOf(meterWith(readings), 0, 2500)).toBeCloseTo(50 + 56.25, 12);
  });

  it('a window inside one segment gets that piece alone', () => {
    // [250, 750] of 100→200 W: 125→175 W, L = 75 J; lo·w = 50 J, hi·w = 100 J: 25 J (not the segment's 50 J).
    expect(boundOf(meterWith(readings), 250, 750)).toBeCloseTo(25, 12);
  });

  it('a hole (a gap) carries no sampling bound: its energy is missing, not wrong', () => {
    // 3000 → 9000 ms is longer than the 5 s gap threshold: not integrated, so no bound there either.
    const m = meterWith([...readings, p(9000, 250), p(10_000, 150)]);
    expect(boundOf(m, 0, 10_000)).toBeCloseTo(125 + 50, 12);
  });

  it('an energy counter adds none', () => {
    const m = meterWith([c(0, 0), c(1000, 40), c(2000, 120)]);
    expect(boundOf(m, 0, 2000, 'pkg0')).toBe(0);
  });

  it('stays the same once the readings before an anchored window start are released', () => {
    const released = meterWith(readings.slice(0, 2));
    released.anchor(500);
    released.push(readings[2] as PowerSample);
    expect(released.releaseBefore(2000)).toBeGreaterThan(0);
    released.push(readings[3] as PowerSample);
    expect(boundOf(released, 500, 3000)).toBeCloseTo(112.5, 12);
    // Ending inside a kept segment: [500, 1000]'s 37.5 J + 0 J + [2000, 2500]'s 56.25 J (as above) = 93.75 J.
    expect(boundOf(released, 500, 2500)).toBeCloseTo(93.75, 12);
    // A piece at a segment's start: [0, 500] of 100→200 W: 100→150 W, L = 62.5 J, lo·w = 50 J, hi·w = 100 J: 37.5 J.
    expect(boundOf(meterWith(readings), 0, 500)).toBeCloseTo(37.5, 12);
  });

  it('never exceeds the gap between the lowest and highest energy monotone power could give (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 2000 }), fc.double({ min: 0, max: 500, noNaN: true })), {
          minLength: 2,
          maxLength: 30,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (steps, f1, f2) => {
          let t = 0;
          const samples = steps.map(([dt, w]) => {
            t += dt;
            return p(t, w);
          });
          const first = samples[0]?.tMs as number;
          const span = t - first;
          const [a, b] = [first + Math.min(f1, f2) * span, first + Math.max(f1, f2) * span];
          const m = meterWith(samples);
          const got = boundOf(m, a, b) ?? 0;
          // Each reading's step contributes at most |ΔP|·Δt (the piece rule's worst case), never less than 0.
          let most = 0;
          for (let i = 1; i < samples.length; i++) {
            const s0 = samples[i - 1] as PowerSample & { powerW: number };
            const s1 = samples[i] as PowerSample & { powerW: number };
            most += (Math.abs(s1.powerW - s0.powerW) * (s1.tMs - s0.tMs)) / 1000;
          }
          expect(got).toBeGreaterThanOrEqual(0);
          expect(got).toBeLessThanOrEqual(most + 1e-9);
        },
      ),
    );
  });
});
