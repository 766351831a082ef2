// DeviceTrack's first/last/lost bookkeeping and a counter resumed after a loss or above its range (Stryker found
// these uncovered); values by hand.
import type { PowerSample } from '@eff/probes';
import { describe, expect, it } from 'vitest';
import { DeviceTrack } from './device-track.js';
import { createEnergyMeter, EnergyInputError } from './energy.js';

const ref = { deviceId: 'cpu0', component: 'cpu', source: 'rapl' } as const;
const counter = (tMs: number, energyJ: number, rangeJ?: number): PowerSample => ({
  kind: 'energy',
  tMs,
  energyJ,
  ...ref,
  estimated: false,
  ...(rangeJ !== undefined ? { rangeJ } : {}),
});
const power = (tMs: number, powerW: number): PowerSample => ({
  kind: 'power',
  tMs,
  powerW,
  ...ref,
  estimated: false,
});

describe('DeviceTrack bookkeeping (mutation tests)', () => {
  it('firstMs / lastMs over both kinds of reading; lost from lose() until the next reading', () => {
    const tr = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    expect([tr.firstMs, tr.lastMs, tr.lost, tr.sampleCount]).toEqual([null, null, false, 0]);
    tr.push(power(100, 10));
    expect([tr.firstMs, tr.lastMs]).toEqual([100, 100]);
    tr.push(counter(50, 0));
    expect([tr.firstMs, tr.lastMs]).toEqual([50, 100]);
    tr.push(counter(300, 2));
    expect([tr.firstMs, tr.lastMs, tr.sampleCount]).toEqual([50, 300, 3]);
    tr.push(power(200, 10));
    expect([tr.firstMs, tr.lastMs]).toEqual([50, 300]);
    tr.lose(300);
    expect(tr.lost).toBe(true);
    tr.push(power(400, 10));
    expect(tr.lost).toBe(false);
  });

  it('an estimated reading makes the method "estimate"; a counter alone is "counter", power alone "power"', () => {
    const c = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    c.push(counter(0, 0));
    expect(c.method).toBe('counter');
    const p = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    p.push(power(0, 1));
    expect(p.method).toBe('power');
    p.push({ ...power(1, 1), estimated: true });
    expect(p.method).toBe('estimate');
    expect(p.estimated).toBe(true);
  });
});

describe('counters after a loss and above their range (mutation tests)', () => {
  it('a counter resumed after a loss starts afresh: the time lost is a gap, not the jump', () => {
    const m = createEnergyMeter();
    m.push(counter(0, 0));
    m.push(counter(1000, 10));
    m.deviceLost(ref, 1000);
    m.push(counter(3000, 50));
    m.push(counter(4000, 60));
    const iv = m.energyBetween(0, 4000);
    expect(iv.energyJ.cpu).toBeCloseTo(20, 12);
    expect(iv.gaps).toEqual([{ deviceId: 'cpu0', startMs: 1000, endMs: 3000, durationMs: 2000 }]);
  });

  it('a reading above the counter range is an input error naming the device', () => {
    const m = createEnergyMeter();
    m.push(counter(0, 50, 40));
    let caught: unknown;
    try {
      m.push(counter(1000, 5, 40));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EnergyInputError);
    expect((caught as Error).message).toBe(
      "energy counter of cpu0 was 50 J, above its rangeJ 40; check the counter's range",
    );
  });

  it('a counter-only device with a rejected step: the step is a gap and an anomaly says so', () => {
    const m = createEnergyMeter();
    m.push(counter(0, 0));
    m.push(counter(1000, 10));
    m.push(counter(2000, 5));
    m.push(counter(3000, 15));
    const iv = m.energyBetween(0, 3000);
    expect(iv.energyJ.cpu).toBeCloseTo(20, 12);
    expect(iv.gaps).toEqual([{ deviceId: 'cpu0', startMs: 1000, endMs: 2000, durationMs: 1000 }]);
    expect(iv.anomalies).toEqual([
      {
        deviceId: 'cpu0',
        component: 'cpu',
        tMs: 2000,
        kind: 'counter-decrease',
        message:
          'energy counter went down from 10 J to 5 J and its range is unknown; the interval since 1000 ms is left out ' +
          '(no power readings to fall back on)',
      },
    ]);
  });
});

describe('time order of a device (mutation tests)', () => {
  it('the first reading may be at a negative time; readings at the same instant are in order; earlier ones are refused', () => {
    const tr = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    tr.push(power(-1000, 10));
    tr.push(power(0, 10));
    tr.push(power(0, 30));
    expect(tr.sampleCount).toBe(3);
    // 10 W over [-1 s, 0]: 10 J; the zero-length step adds nothing
    expect(tr.energyJ(-1000, 0, { kind: 'edge' })).toBe(10);
    expect(() => tr.push(power(-1, 10))).toThrow(EnergyInputError);
    expect(() => tr.push(power(-1, 10))).toThrow(
      'timestamps out of order for device cpu0 (cpu): tMs=-1 after 0; samples of one device must arrive in time order',
    );
    const c = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    c.push(counter(-500, 100));
    c.push(counter(-500, 100));
    c.push(counter(500, 110));
    // 10 J over [-0.5 s, 0.5 s]
    expect(c.energyJ(-500, 500, { kind: 'edge' })).toBe(10);
  });
});

describe('a counter beside power readings (mutation tests)', () => {
  it('a moving counter is believed over power readings that disagree: 20 J/s counted, not the 10 W read', () => {
    const tr = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    for (let k = 0; k <= 10; k++) {
      tr.push(power(100 * k, 10));
      tr.push(counter(100 * k, 2 * k)); // +2 J per 100 ms
    }
    expect(tr.energyJ(0, 1000, { kind: 'edge' })).toBeCloseTo(20, 12);
    expect(tr.method).toBe('counter');
  });

  it('a still counter with no power readings yet is not judged frozen by power readings that arrive later', () => {
    const tr = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    tr.push(counter(0, 100));
    tr.push(counter(1000, 100)); // idle: 0 J, no power reading to compare with
    tr.push(power(0, 10));
    tr.push(power(1000, 10));
    expect(tr.energyJ(0, 1000, { kind: 'edge' })).toBe(0);
    expect(tr.anomalies).toEqual([]);
  });

  it("a single counter reading beside power readings is no span of its own: the power's tail is held", () => {
    const tr = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 5000);
    tr.push(power(0, 10));
    tr.push(power(1000, 10));
    tr.push(counter(1000, 7));
    // 10 W over [0, 1 s] and the last power held over [1 s, 2 s]: 20 J
    expect(tr.energyJ(0, 2000, { kind: 'edge' })).toBeCloseTo(20, 12);
  });
});

describe('which readings cover which part of the timeline, and the method they give (mutation tests)', () => {
  /** Power at 10 W every 100 ms over [0, 3 s]; a counter at 20 W (2 J per 100 ms) over [1 s, 2 s]. */
  function mixed(): DeviceTrack {
    const tr = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    for (let t = 0; t <= 3000; t += 100) tr.push(power(t, 10));
    for (let t = 1000; t <= 2000; t += 100) tr.push(counter(t, (t - 1000) / 50));
    return tr;
  }

  it('power before the counter, the counter over its span, power after it: 10 J + 20 J + 10 J', () => {
    const tr = mixed();
    const e = tr.energy(0, 3000, { kind: 'edge' }, false);
    expect(e.energyJ).toBeCloseTo(40, 12);
    expect(e.gaps).toEqual([]);
    expect(e.method).toBe('counter');
    expect(tr.energyJ(0, 3000, { kind: 'edge' })).toBeCloseTo(40, 12);
    // covered up to the latest reading of either kind
    expect(tr.coveredUntilMs()).toBe(3000);
  });

  it("the head is held at the earliest piece's rate, the tail at the latest one's (the counter's, ending with power)", () => {
    const tr = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 1000);
    for (let t = 100; t <= 2000; t += 100) tr.push(power(t, 10));
    for (let t = 1000; t <= 2000; t += 100) tr.push(counter(t, (t - 1000) / 50));
    // head [0, 0.1 s] at 10 W: 1 J; power [0.1, 1 s]: 9 J; counter [1, 2 s]: 20 J; tail [2, 2.5 s] at 20 W: 10 J
    const e = tr.energy(0, 2500, { kind: 'edge' }, false);
    expect(e.energyJ).toBeCloseTo(40, 12);
    expect(e.gaps).toEqual([]);
  });

  it('a window of power readings only is "power" although the device has a counter; one of the counter only is "counter"', () => {
    const tr = mixed();
    expect(tr.energy(2500, 3000, { kind: 'edge' }, false)).toMatchObject({ method: 'power', energyJ: 5 });
    expect(tr.energy(0, 500, { kind: 'edge' }, false)).toMatchObject({ method: 'power', energyJ: 5 });
    const inside = tr.energy(1200, 1800, { kind: 'edge' }, false);
    expect(inside.method).toBe('counter');
    expect(inside.energyJ).toBeCloseTo(12, 12);
  });

  it('a window outside every reading: "counter" for a device with a counter, "power" without, "estimate" when estimated', () => {
    const c = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    c.push(counter(1000, 0));
    c.push(counter(2000, 10));
    expect(c.energy(3000, 4000, { kind: 'edge' }, false).method).toBe('counter');
    const p = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    p.push(power(1000, 10));
    p.push(power(2000, 10));
    expect(p.energy(3000, 4000, { kind: 'edge' }, false).method).toBe('power');
    p.push({ ...power(2100, 10), estimated: true });
    expect(p.energy(3000, 4000, { kind: 'edge' }, false).method).toBe('estimate');
  });

  it('a counter dropped at 1 s: the reason only in windows ending after it; before it the counter still counts', () => {
    const tr = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    for (let t = 0; t <= 2000; t += 100) tr.push(power(t, 10));
    for (let t = 0; t <= 1000; t += 100) tr.push(counter(t, t / 100)); // 10 W
    tr.push(counter(1100, 5)); // goes down, no range: dropped from its previous reading (1 s) on
    const before = tr.energy(0, 1000, { kind: 'edge' }, false);
    expect(before).toMatchObject({ method: 'counter', energyJ: 10 });
    expect(before).not.toHaveProperty('reason');
    const after = tr.energy(0, 2000, { kind: 'edge' }, false);
    expect(after.method).toBe('power');
    expect(after.energyJ).toBeCloseTo(20, 12);
    expect(after.reason).toMatch(
      /^energy counter went down from 10 J to 5 J .*; power readings integrated since /,
    );
  });
});

describe('edges of a device timeline (mutation tests)', () => {
  it('first and last reading of a device with one kind of reading only, at positive and negative times', () => {
    const c = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    c.push(counter(500, 0));
    c.push(counter(1500, 10));
    expect([c.firstMs, c.lastMs]).toEqual([500, 1500]);
    const p = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 0);
    p.push(power(-1500, 10));
    p.push(power(-500, 10));
    expect([p.firstMs, p.lastMs]).toEqual([-1500, -500]);
  });

  it('includeStart counts a reading at exactly the start, and none before it', () => {
    const m = createEnergyMeter();
    for (let t = 0; t <= 1000; t += 100) m.push({ ...power(t, 10), deviceId: 'gpu0', component: 'gpu' });
    const withStart = m.energyBetween(500, 1000, { includeStart: true });
    expect([withStart.devices[0]?.sampleCount, withStart.paperSumW]).toEqual([6, 60]);
    const without = m.energyBetween(500, 1000);
    expect([without.devices[0]?.sampleCount, without.paperSumW]).toEqual([5, 50]);
  });

  it("a dropped counter's last span is not held past its end: the rest is a gap", () => {
    const tr = new DeviceTrack('cpu0', 'cpu', 'rapl', 5000, 1000);
    for (let t = 0; t <= 1000; t += 100) tr.push(power(t, 10));
    for (let t = 0; t <= 1900; t += 100) tr.push(counter(t, t / 100)); // 10 W
    tr.push(counter(2000, 5)); // down without a range: dropped from 1.9 s on
    const e = tr.energy(0, 2500, { kind: 'edge' }, false);
    expect(e.energyJ).toBeCloseTo(19, 12);
    expect(e.gaps).toEqual([{ deviceId: 'cpu0', startMs: 1900, endMs: 2500, durationMs: 600 }]);
  });
});
