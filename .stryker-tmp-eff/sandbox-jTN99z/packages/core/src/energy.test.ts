// @ts-nocheck
// Tests for energy integration: hand-computed cases, properties (fast-check), bad input, streaming.
import type { PowerSample } from '@eff/probes';
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  counterSampleFromMicrojoules,
  createEnergyMeter,
  EnergyInputError,
  type EnergyInterval,
  energyBetweenMarks,
  integrateEnergy,
} from './energy.js';

const p = (
  tMs: number,
  powerW: number,
  component: PowerSample['component'] = 'gpu',
  deviceId = 'gpu0',
): PowerSample => ({
  kind: 'power',
  tMs,
  powerW,
  component,
  deviceId,
  source: 'test',
  estimated: false,
});
const c = (tMs: number, energyJ: number, rangeJ?: number): PowerSample => ({
  kind: 'energy',
  tMs,
  energyJ,
  component: 'cpu',
  deviceId: 'pkg0',
  source: 'rapl',
  estimated: false,
  ...(rangeJ !== undefined ? { rangeJ } : {}),
});

describe('integrateEnergy (hand-computed)', () => {
  it('trapezoid rule: 100 W then 200 W over 2 s -> 300 J, paper-sum 300 W', () => {
    const r = integrateEnergy([p(0, 100), p(2000, 200)]);
    expect(r.energyJ.gpu).toBeCloseTo(300, 12);
    expect(r.energyJ.total).toBeCloseTo(300, 12);
    expect(r.paperSumW).toBe(300);
  });

  it('total is gpu+cpu+ram without system, and system when present', () => {
    const r = integrateEnergy([
      p(0, 10, 'gpu'),
      p(1000, 10, 'gpu'),
      p(0, 5, 'cpu', 'c'),
      p(1000, 5, 'cpu', 'c'),
    ]);
    expect(r.energyJ).toEqual({ gpu: 10, cpu: 5, total: 15 });
    const s = integrateEnergy([
      p(0, 10, 'gpu'),
      p(1000, 10, 'gpu'),
      p(0, 40, 'system', 'bat'),
      p(1000, 40, 'system', 'bat'),
    ]);
    expect(s.energyJ.total).toBe(40);
    expect(s.energyJ.gpu).toBe(10);
  });

  it('splits exactly at a mark with linear interpolation of power', () => {
    // 0 W at 0 s rising to 100 W at 1 s: energy in [0, 0.5 s] = 0.5*0.5*50 = 12.5 J, total 50 J.
    const r = integrateEnergy([p(0, 0), p(1000, 100)], { marks: [0, 500, 1000] });
    expect(r.intervals[0]?.energyJ.total).toBeCloseTo(12.5, 12);
    expect(r.intervals[1]?.energyJ.total).toBeCloseTo(37.5, 12);
  });

  it('counters: differences, one wrap via rangeJ, µJ helper', () => {
    const r = integrateEnergy([c(0, 90, 100), c(1000, 95, 100), c(2000, 5, 100)]);
    expect(r.energyJ.cpu).toBeCloseTo(15, 12);
    const u = counterSampleFromMicrojoules({
      tMs: 0,
      deviceId: 'd',
      component: 'cpu',
      source: 'rapl',
      energyUj: 2_500_000,
      maxRangeUj: 1e7,
    });
    expect(u.energyJ).toBe(2.5);
    expect(u.rangeJ).toBe(10);
  });

  it('counter decrease with unknown range -> anomaly and gap, never negative', () => {
    const r = integrateEnergy([c(0, 50), c(1000, 60), c(2000, 10), c(3000, 30)]);
    expect(r.energyJ.cpu).toBeCloseTo(30, 12);
    expect(r.anomalies).toHaveLength(1);
    expect(r.anomalies[0]?.message).toContain('60 J to 10 J');
    expect(r.gaps).toEqual([{ startMs: 1000, endMs: 2000, durationMs: 1000, deviceId: 'pkg0' }]);
  });

  it('reports gaps longer than the threshold instead of bridging them', () => {
    const r = integrateEnergy([p(0, 10), p(1000, 10), p(11_000, 10), p(12_000, 10)], {
      gapThresholdMs: 2000,
    });
    expect(r.energyJ.total).toBeCloseTo(20, 12);
    expect(r.gaps).toEqual([{ startMs: 1000, endMs: 11_000, durationMs: 10_000, deviceId: 'gpu0' }]);
  });

  it("docs/methodology.md's worked example: paper-sum depends on polling, joules do not", () => {
    const every = (stepMs: number) =>
      Array.from({ length: 60_000 / stepMs + 1 }, (_, i) => p(i * stepMs, 100));
    const half = integrateEnergy(every(500));
    const tenth = integrateEnergy(every(100));
    const lossy = integrateEnergy(every(1000).filter((_, i) => i !== 30));
    expect([half.paperSumW, tenth.paperSumW, lossy.paperSumW]).toEqual([12_100, 60_100, 6_000]);
    for (const r of [half, tenth, lossy]) expect(r.energyJ.total).toBeCloseTo(6000, 9);
    expect(lossy.gaps).toEqual([]);
  });

  it('bad input names the value', () => {
    expect(() => integrateEnergy([])).toThrow(EnergyInputError);
    expect(() => integrateEnergy([p(0, Number.NaN)])).toThrow(/powerW.*NaN/);
    expect(() => integrateEnergy([p(0, -3)])).toThrow(/found -3/);
    expect(() => integrateEnergy([p(0, Number.POSITIVE_INFINITY)])).toThrow(/Infinity/);
    expect(() => integrateEnergy([p(1000, 1), p(500, 1)])).toThrow(/out of order.*tMs=500/);
    try {
      integrateEnergy([p(0, Number.NaN)]);
    } catch (e) {
      expect((e as EnergyInputError).code).toBe('E_ENERGY_INPUT');
    }
  });
});

describe('integrateEnergy: gap threshold and uncovered edges', () => {
  it('a step of exactly gapThresholdMs is integrated; one a microsecond longer is a gap', () => {
    const at = integrateEnergy([p(0, 10), p(5000, 10)], { gapThresholdMs: 5000 });
    expect(at.energyJ.total).toBeCloseTo(50, 12);
    expect(at.gaps).toEqual([]);
    const over = integrateEnergy([p(0, 10), p(5000.001, 10)], { gapThresholdMs: 5000 });
    expect(over.energyJ.total).toBe(0);
    expect(over.gaps).toEqual([{ startMs: 0, endMs: 5000.001, durationMs: 5000.001, deviceId: 'gpu0' }]);
  });

  it("a device's uncovered start and end inside the window are gaps, not 0 J counted as measured", () => {
    // gpu1 delivers only over [1000, 2000] of the window [0, 3000].
    const samples = [p(0, 100), p(3000, 100), p(1000, 50, 'gpu', 'gpu1'), p(2000, 50, 'gpu', 'gpu1')];
    const r = integrateEnergy(samples, { startMs: 0, endMs: 3000 });
    expect(r.energyJ.gpu).toBeCloseTo(300 + 50, 12);
    expect(r.gaps).toEqual([
      { startMs: 0, endMs: 1000, durationMs: 1000, deviceId: 'gpu1' },
      { startMs: 2000, endMs: 3000, durationMs: 1000, deviceId: 'gpu1' },
    ]);
    expect(r.devices.find((d) => d.deviceId === 'gpu1')?.uncoveredMs).toBe(2000);
    // The whole-run default window starts at the first sample of any device: the late device has a gap too.
    expect(integrateEnergy(samples).gaps.map((g) => g.durationMs)).toEqual([1000, 1000]);
  });

  it('edgeHoldMs holds the nearest reading over an edge at most that long (counted), longer edges stay gaps', () => {
    const samples = [p(0, 100), p(3000, 100), p(1000, 50, 'gpu', 'gpu1'), p(2000, 50, 'gpu', 'gpu1')];
    const held = integrateEnergy(samples, { startMs: 0, endMs: 3000, edgeHoldMs: 1000 });
    expect(held.gaps).toEqual([]);
    expect(held.energyJ.gpu).toBeCloseTo(300 + 150, 12);
    const short = integrateEnergy(samples, { startMs: 0, endMs: 3000, edgeHoldMs: 999.999 });
    expect(short.gaps.map((g) => g.durationMs)).toEqual([1000, 1000]);
    expect(short.energyJ.gpu).toBeCloseTo(300 + 50, 12);
  });

  it('a mark after the last sample reports the missing tail as a gap', () => {
    const m = createEnergyMeter();
    m.mark(0);
    m.push(p(0, 20));
    m.push(p(1000, 20));
    const iv = m.mark(1500);
    expect(iv.energyJ.total).toBeCloseTo(20, 12);
    expect(iv.gaps).toEqual([{ startMs: 1000, endMs: 1500, durationMs: 500, deviceId: 'gpu0' }]);
  });
});

describe('energy counters beside power readings (one device, both kinds)', () => {
  const both = (tMs: number, counterJ: number, powerW: number, rangeJ?: number): PowerSample[] => [
    {
      kind: 'energy',
      tMs,
      energyJ: counterJ,
      component: 'gpu',
      deviceId: 'gpu0',
      source: 'rocm-smi',
      estimated: false,
      ...(rangeJ !== undefined ? { rangeJ } : {}),
    },
    { kind: 'power', tMs, powerW, component: 'gpu', deviceId: 'gpu0', source: 'rocm-smi', estimated: false },
  ];

  it('are accepted (no "mixes power and energy-counter samples" error); a believable counter is used', () => {
    // The counter says 100 W, the power readings 90 W: the counter wins while believable.
    const r = integrateEnergy([0, 1, 2, 3].flatMap((i) => both(i * 1000, 500 + 100 * i, 90)));
    expect(r.energyJ.gpu).toBeCloseTo(300, 12);
    expect(r.devices[0]?.method).toBe('counter');
    expect(r.anomalies).toEqual([]);
  });

  it('a frozen counter latches to power for good, with an anomaly saying so', () => {
    const raw = [500, 600, 600, 800]; // still for one second, then a jump
    const r = integrateEnergy([0, 1, 2, 3].flatMap((i) => both(i * 1000, raw[i] as number, 100)));
    expect(r.energyJ.gpu).toBeCloseTo(300, 12);
    expect(r.devices[0]).toMatchObject({
      method: 'power',
      reason: expect.stringMatching(/frozen at 600 J while power read 100 W/),
    });
    expect(r.anomalies.map((a) => [a.kind, a.tMs])).toEqual([['counter-frozen', 1000]]);
  });

  it('a counter that updates every 200 ms, polled every 100 ms, is not frozen (stalls under 500 ms are normal)', () => {
    // 100 W: the counter moves 20 J every other reading.
    const r = integrateEnergy(
      Array.from({ length: 21 }, (_, i) => both(i * 100, 20 * Math.floor(i / 2), 100)).flat(),
    );
    expect(r.devices[0]?.method).toBe('counter');
    expect(r.energyJ.gpu).toBeCloseTo(200, 12);
    // The same counter standing still for 500 ms is frozen.
    const frozen = integrateEnergy(
      Array.from({ length: 21 }, (_, i) => both(i * 100, i >= 10 && i <= 15 ? 100 : 10 * i, 100)).flat(),
    );
    expect(frozen.devices[0]?.method).toBe('power');
    expect(frozen.anomalies.map((x) => [x.kind, x.tMs])).toEqual([['counter-frozen', 1000]]);
    expect(frozen.energyJ.gpu).toBeCloseTo(200, 12);
  });

  it('a counter still while the power readings are 0 W is not frozen', () => {
    const r = integrateEnergy([0, 1, 2].flatMap((i) => both(i * 1000, 42, 0)));
    expect(r.devices[0]?.method).toBe('counter');
    expect(r.energyJ.gpu).toBe(0);
  });

  it('configureDevice sets the power limit that rejects an implausible counter', () => {
    const m = createEnergyMeter();
    m.configureDevice({ deviceId: 'gpu0', component: 'gpu', source: 'rocm-smi' }, { powerLimitW: 100 });
    for (const s of [...both(0, 0, 100), ...both(1000, 100, 100), ...both(2000, 400, 100)]) m.push(s);
    const iv = m.energyBetween(0, 2000);
    expect(iv.energyJ.gpu).toBeCloseTo(200, 12);
    expect(iv.devices[0]?.reason).toMatch(/300 W\), more than 1.5 × its power limit of 100 W/);
  });
});

describe('integrateEnergy (properties)', () => {
  it('constant P over T s gives P·T J within 1e-9 relative', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 1000, noNaN: true }),
        fc.integer({ min: 2, max: 200 }),
        fc.integer({ min: 1, max: 4000 }),
        (powerW, n, stepMs) => {
          const samples = Array.from({ length: n }, (_, i) => p(i * stepMs, powerW));
          const r = integrateEnergy(samples, { gapThresholdMs: 5000 });
          const expected = (powerW * (n - 1) * stepMs) / 1000;
          expect(Math.abs((r.energyJ.total - expected) / expected)).toBeLessThan(1e-9);
        },
      ),
    );
  });

  it('energy is additive over any split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 2, maxLength: 50 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 10 }),
        (powers, cuts) => {
          const samples = powers.map((w, i) => p(i * 100, w));
          const endMs = (powers.length - 1) * 100;
          const marks = [0, ...cuts.map((x) => x * endMs).sort((a, b) => a - b), endMs];
          const r = integrateEnergy(samples, { marks });
          const sum = r.intervals.reduce((a, x) => a + x.energyJ.total, 0);
          expect(sum).toBeCloseTo(r.energyJ.total, 6);
          const paper = r.intervals.reduce((a, x) => a + x.paperSumW, 0);
          expect(paper + (powers[0] as number)).toBeCloseTo(r.paperSumW, 6);
        },
      ),
    );
  });

  it('counters with wraps give the same total as without', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 40, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0, max: 99, noNaN: true }),
        (increments, start) => {
          const rangeJ = 100;
          let raw = start;
          let wrapped = start;
          const plain = [c(0, raw)];
          const wraps = [c(0, wrapped, rangeJ)];
          increments.forEach((d, i) => {
            raw += d;
            wrapped = (wrapped + d) % rangeJ;
            plain.push(c((i + 1) * 1000, raw));
            wraps.push(c((i + 1) * 1000, wrapped, rangeJ));
          });
          const a = integrateEnergy(plain).energyJ.total;
          const b = integrateEnergy(wraps).energyJ.total;
          expect(b).toBeCloseTo(a, 6);
          expect(b).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('counter checks (properties)', () => {
  const at = (tMs: number, counterJ: number, powerW: number): PowerSample[] => [
    {
      kind: 'energy',
      tMs,
      energyJ: counterJ,
      component: 'gpu',
      deviceId: 'g',
      source: 's',
      estimated: false,
    },
    { kind: 'power', tMs, powerW, component: 'gpu', deviceId: 'g', source: 's', estimated: false },
  ];

  it('a counter that freezes for >= 500 ms and then jumps to catch up is never counted twice', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 700, noNaN: true }), { minLength: 12, maxLength: 60 }),
        fc.nat(),
        fc.integer({ min: 5, max: 10 }),
        (powers, k0, stall) => {
          const n = powers.length;
          const k = k0 % (n - stall - 1);
          // The true counter is the trapezoid integral of the readings, 100 ms apart.
          const cum = [0];
          for (let i = 1; i < n; i++)
            cum.push(
              (cum[i - 1] as number) + (((powers[i - 1] as number) + (powers[i] as number)) / 2) * 0.1,
            );
          const samples = powers.flatMap((w, i) =>
            at(i * 100, i > k && i <= k + stall ? (cum[k] as number) : (cum[i] as number), w),
          );
          const r = integrateEnergy(samples);
          const truth = cum[n - 1] as number;
          expect(Math.abs(r.energyJ.total - truth)).toBeLessThan(1e-6 * truth);
          expect(r.devices[0]?.method).toBe('power');
        },
      ),
    );
  });

  it('a consistent counter beside power readings is used, and gives the same joules', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 700, noNaN: true }), { minLength: 2, maxLength: 60 }),
        (powers) => {
          const cum = [0];
          for (let i = 1; i < powers.length; i++)
            cum.push(
              (cum[i - 1] as number) + (((powers[i - 1] as number) + (powers[i] as number)) / 2) * 0.1,
            );
          const r = integrateEnergy(powers.flatMap((w, i) => at(i * 100, 1e6 + (cum[i] as number), w)));
          expect(r.devices[0]?.method).toBe('counter');
          expect(r.energyJ.total).toBeCloseTo(cum[cum.length - 1] as number, 6);
        },
      ),
    );
  });
});

describe('energy meter and operator', () => {
  it('mark() gives energy per epoch as samples stream in', () => {
    const m = createEnergyMeter({ gapThresholdMs: 2000 });
    expect(m.mark(0).energyJ.total).toBe(0);
    for (let t = 0; t <= 3000; t += 500) m.push(p(t, 20));
    expect(m.coveredUntilMs()).toBe(3000);
    expect(m.mark(1000).energyJ.total).toBeCloseTo(20, 12);
    expect(m.mark(3000).energyJ.total).toBeCloseTo(40, 12);
    expect(m.sampleCount).toBe(7);
    expect(() => m.mark(2000)).toThrow(EnergyInputError);
  });

  it('energyBetweenMarks emits one interval per mark after the first', () => {
    const samples = new Subject<PowerSample>();
    const marks = new Subject<number>();
    const out: EnergyInterval[] = [];
    samples.pipe(energyBetweenMarks(marks)).subscribe((x) => out.push(x));
    marks.next(0);
    samples.next(p(0, 10));
    samples.next(p(1000, 30));
    marks.next(1000);
    samples.next(p(2000, 30));
    marks.next(2000);
    samples.complete();
    expect(out.map((x) => x.energyJ.total)).toEqual([20, 30]);
    expect(out[0]?.paperSumW).toBe(30);
  });
});
