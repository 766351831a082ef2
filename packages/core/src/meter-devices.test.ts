// startMeter with scripted probes: per-device isolation, silent devices, counter checks, intervals, skew, holds.
import { nowMs, type ProbeOptions } from '@eff/probes';
import { describe, expect, it } from 'vitest';
import { counter, device, every, power, scriptedProbe } from '../test/scripted-probe.js';
import { startMeter } from './meter.js';

// Scripted readings carry hand-picked times: windows are given explicitly, energies are exact (1e-6 J).
const T = 1_000_000;
const J = 6; // toBeCloseTo digits: within 5e-7 J

/** Two GPUs read every 100 ms over [T, T + 10 s]; gpu0 at 100 W, gpu1 as the test says. */
function gpu0(): ReturnType<typeof every> {
  return [device(T, 'gpu0', 'present'), ...every(T, T + 10_000, 100, (t) => power(t, 'gpu0', 100))];
}

async function readWindow(events: Parameters<typeof scriptedProbe>[0], a = T, b = T + 10_000) {
  const m = startMeter([scriptedProbe(events)], { intervalMs: 100 });
  const r = m.energyBetween(a, b);
  await m.stop();
  const probe = r.probes[0];
  if (!probe) throw new Error('no probe report');
  const dev = (id: string) => probe.deviceReports.find((d) => d.deviceId === id);
  return { r, probe, dev };
}

describe('per-device isolation', () => {
  it('an unsupported GPU is named, not counted and not a gap; the healthy GPU keeps its joules', async () => {
    const { r, probe, dev } = await readWindow([
      device(T, 'gpu1', 'unsupported', { reason: 'no power sensor: nvidia-smi prints [N/A]' }),
      ...gpu0(),
    ]);
    expect(r.energyJ.gpu).toBeCloseTo(1000, J);
    expect(r.degraded).toBe(false);
    expect(probe.devices).toEqual(['gpu0']);
    expect(dev('gpu0')).toMatchObject({
      status: 'measured',
      method: 'power',
      sampleCount: 100,
      uncoveredMs: 0,
    });
    expect(dev('gpu0')?.energyJ).toBeCloseTo(1000, J);
    expect(dev('gpu1')).toMatchObject({
      status: 'unsupported',
      energyJ: 0,
      reason: expect.stringContaining('[N/A]'),
    });
    expect(probe.notes.join('\n')).toMatch(/gpu1 not measured: no power sensor/);
  });

  it('a GPU lost mid-run keeps its energy up to its last reading; the rest of the window is its gap', async () => {
    const { r, dev } = await readWindow([
      ...gpu0(),
      ...every(T, T + 4000, 100, (t) => power(t, 'gpu1', 50)),
      device(T + 4030, 'gpu1', 'lost', { reason: 'GPU is lost' }),
    ]);
    expect(r.energyJ.gpu).toBeCloseTo(1000 + 50 * 4, J);
    expect(dev('gpu1')).toMatchObject({ status: 'lost', lostAtMs: T + 4030, uncoveredMs: 6000 });
    expect(dev('gpu1')?.reason).toMatch(/GPU is lost/);
    expect(r.gaps).toEqual([{ startMs: T + 4000, endMs: T + 10_000, durationMs: 6000, deviceId: 'gpu1' }]);
    expect(r.degraded).toBe(true);
    expect(dev('gpu0')).toMatchObject({ status: 'measured', uncoveredMs: 0 });
  });

  it('a lost GPU that comes back: the time in between is a gap even when shorter than the gap threshold', async () => {
    const { r, probe, dev } = await readWindow([
      ...gpu0(),
      ...every(T, T + 4000, 100, (t) => power(t, 'gpu1', 50)),
      device(T + 4050, 'gpu1', 'lost', { reason: 'fell off the bus' }),
      ...every(T + 6000, T + 10_000, 100, (t) => power(t, 'gpu1', 50)),
    ]);
    expect(dev('gpu1')).toMatchObject({ status: 'measured', uncoveredMs: 2000 });
    expect(dev('gpu1')?.energyJ).toBeCloseTo(50 * 8, J);
    expect(r.energyJ.gpu).toBeCloseTo(1000 + 400, J);
    expect(probe.notes.join('\n')).toMatch(/gpu1 lost at .*fell off the bus.*resumed/);
  });

  it('a device that becomes unsupported after delivering is lost from then on (its energy so far kept)', async () => {
    const { r, dev } = await readWindow([
      ...gpu0(),
      ...every(T, T + 2000, 100, (t) => power(t, 'gpu1', 50)),
      device(T + 2000, 'gpu1', 'unsupported', { reason: 'power.draw now [N/A]' }),
    ]);
    expect(dev('gpu1')).toMatchObject({ status: 'lost', lostAtMs: T + 2000, uncoveredMs: 8000 });
    expect(r.energyJ.gpu).toBeCloseTo(1000 + 100, J);
  });

  it('a device read by two probes is counted once; the second probe is told', async () => {
    const first = scriptedProbe(gpu0(), { name: 'first' });
    const second = scriptedProbe(gpu0(), { name: 'second' });
    const m = startMeter([first, second], { intervalMs: 100 });
    const r = m.energyBetween(T, T + 10_000);
    await m.stop();
    expect(r.energyJ.gpu).toBeCloseTo(1000, J);
    expect(r.probes[1]?.errors[0]).toMatch(
      /device gpu0 \(gpu, source scripted\) is already read by probe first/,
    );
  });

  it('bad readings are counted per device; short holes they leave are bridged, not gaps', async () => {
    const { r, dev } = await readWindow([
      ...gpu0(),
      // gpu1 misses three readings (T+1100..T+1300), reported as bad; 400 ms between good ones is under 5 s.
      ...every(T, T + 10_000, 100, (t, i) =>
        i >= 11 && i <= 13
          ? device(t, 'gpu1', 'bad-reading', { reason: "power.draw is 'Unknown Error'" })
          : power(t, 'gpu1', 80),
      ),
    ]);
    expect(dev('gpu1')).toMatchObject({
      status: 'measured',
      badReadingCount: 3,
      sampleCount: 97,
      uncoveredMs: 0,
    });
    expect(dev('gpu1')?.reason).toMatch(/3 unusable readings.*Unknown Error/);
    expect(r.energyJ.gpu).toBeCloseTo(1000 + 800, J);
    expect(r.degraded).toBe(false);
  });

  it("what a probe says on `present` (a MIG instance read through its GPU) reaches the device's reason and the notes", async () => {
    const note =
      'MIG-GPU-aa/1/0 is a MIG instance: measured through its whole GPU gpu0, with every other instance on it';
    const { r, probe, dev } = await readWindow([
      device(T, 'gpu0', 'present', { reason: note, selectedBy: 'CUDA_VISIBLE_DEVICES' }),
      ...every(T, T + 10_000, 100, (t) => power(t, 'gpu0', 100)),
    ]);
    expect(dev('gpu0')).toMatchObject({
      status: 'measured',
      selectedBy: 'CUDA_VISIBLE_DEVICES',
      reason: note,
    });
    expect(probe.notes).toContain(`gpu0: ${note}`);
    expect(r.energyJ.gpu).toBeCloseTo(1000, J);
    expect(r.degraded).toBe(false);
  });

  it('a claimed GPU with zero readings is a whole-window gap (degraded), never "measured 0 J"', async () => {
    const { r, probe, dev } = await readWindow([device(T, 'gpu1', 'present'), ...gpu0()]);
    expect(dev('gpu1')).toMatchObject({
      status: 'no-samples',
      energyJ: 0,
      sampleCount: 0,
      uncoveredMs: 10_000,
    });
    expect(r.energyJ.gpu).toBeCloseTo(1000, J);
    expect(r.degraded).toBe(true);
    expect(probe.gaps).toEqual([{ startMs: T, endMs: T + 10_000, durationMs: 10_000, deviceId: 'gpu1' }]);
    expect(probe.devices).toEqual(['gpu0']);
  });

  it('a probe that delivers nothing at all is degraded with the whole window missing', async () => {
    const { r, probe } = await readWindow([]);
    expect(r.energyJ.total).toBe(0);
    expect(r.degraded).toBe(true);
    expect(probe.gaps).toEqual([{ startMs: T, endMs: T + 10_000, durationMs: 10_000 }]);
    expect(probe.notes.join('\n')).toMatch(/delivered no readings at all/);
  });
});

describe('counters are checked, not trusted', () => {
  /** rocm-smi-like device: a counter and power readings at the same instants, every second over [T, T + 4 s]. */
  const both = (counterAt: (t: number, i: number) => number, powerW = 152, extra: object = {}) => [
    device(T, 'gpu0', 'present', extra),
    ...every(T, T + 4000, 1000, (t, i) => [counter(t, 'gpu0', counterAt(t, i)), power(t, 'gpu0', powerW)]),
  ];

  it('a frozen counter while power reads 152 W: power readings integrated, method power, the reason says so', async () => {
    const { r, dev } = await readWindow(
      both(() => 81.2),
      T,
      T + 4000,
    );
    expect(r.energyJ.gpu).toBeCloseTo(152 * 4, J);
    expect(dev('gpu0')).toMatchObject({ status: 'measured', method: 'power', uncoveredMs: 0 });
    expect(dev('gpu0')?.reason).toMatch(
      /energy counter frozen at 81.2 J while power read 152 W; power readings integrated since/,
    );
    expect(r.degraded).toBe(false);
  });

  it('a counter that freezes then jumps to catch up is not counted twice (latched to power)', async () => {
    // Right for 2 s (152 J/s), still for 1 s, then a stale catch-up to the true total.
    const raw = [0, 152, 304, 304, 608];
    const { r, dev } = await readWindow(
      both((_, i) => raw[i] as number),
      T,
      T + 4000,
    );
    expect(r.energyJ.gpu).toBeCloseTo(152 * 4, J);
    expect(dev('gpu0')?.method).toBe('power');
  });

  it('a healthy counter is used (method counter) and its joules equal the power integral', async () => {
    const { r, dev } = await readWindow(
      both((_, i) => 1000 + 152 * i),
      T,
      T + 4000,
    );
    expect(dev('gpu0')).toMatchObject({ method: 'counter', sampleCount: 8 });
    expect(r.energyJ.gpu).toBeCloseTo(152 * 4, J);
  });

  it('backwards with a known range is a wrap (counter kept); without a range the counter is dropped', async () => {
    const rangeJ = 500;
    const wrap = await readWindow(
      [
        device(T, 'gpu0', 'present'),
        ...every(T, T + 4000, 1000, (t, i) => [
          counter(t, 'gpu0', (400 + 152 * i) % rangeJ, rangeJ),
          power(t, 'gpu0', 152),
        ]),
      ],
      T,
      T + 4000,
    );
    expect(wrap.dev('gpu0')?.method).toBe('counter');
    expect(wrap.r.energyJ.gpu).toBeCloseTo(152 * 4, J);
    const back = await readWindow(
      both((_, i) => (400 + 152 * i) % rangeJ),
      T,
      T + 4000,
    );
    expect(back.dev('gpu0')?.method).toBe('power');
    expect(back.dev('gpu0')?.reason).toMatch(/went down from 400 J to 52 J and its range is unknown/);
    expect(back.r.energyJ.gpu).toBeCloseTo(152 * 4, J);
  });

  it('impossible implied power: above 1.5 × the power limit from `present`, or above 3 kW for a GPU without one', async () => {
    // +1000 J in one second = 1000 W: impossible for a 300 W board, believable without a known limit.
    const raw = [0, 152, 1152, 1304, 1456];
    const limited = await readWindow(
      both((_, i) => raw[i] as number, 152, { powerLimitW: 300 }),
      T,
      T + 4000,
    );
    expect(limited.dev('gpu0')?.method).toBe('power');
    expect(limited.dev('gpu0')?.reason).toMatch(/1000 W\), more than 1.5 × its power limit of 300 W/);
    expect(limited.r.energyJ.gpu).toBeCloseTo(152 * 4, J);
    const unlimited = await readWindow(
      both((_, i) => raw[i] as number),
      T,
      T + 4000,
    );
    expect(unlimited.dev('gpu0')?.method).toBe('counter');
    expect(unlimited.r.energyJ.gpu).toBeCloseTo(1456, J);
    const absurd = [0, 152, 10_152, 10_304, 10_456];
    const none = await readWindow(
      both((_, i) => absurd[i] as number),
      T,
      T + 4000,
    );
    expect(none.dev('gpu0')?.method).toBe('power');
    expect(none.dev('gpu0')?.reason).toMatch(/more than the 3000 W no gpu draws/);
    expect(none.r.energyJ.gpu).toBeCloseTo(152 * 4, J);
  });

  it('a counter-only device (RAPL-like) with a rejected step has no fallback: that step is a gap', async () => {
    const raw = [0, 40, 5000, 5040, 5080]; // +4960 J in 1 s from a CPU package: impossible
    const { r, dev } = await readWindow(
      every(T, T + 4000, 1000, (t, i) => counter(t, 'pkg0', raw[i] as number, undefined, 'cpu')),
      T,
      T + 4000,
    );
    expect(r.energyJ.cpu).toBeCloseTo(120, J);
    expect(dev('pkg0')).toMatchObject({ method: 'counter', uncoveredMs: 1000 });
    expect(r.gaps).toEqual([{ startMs: T + 1000, endMs: T + 2000, durationMs: 1000, deviceId: 'pkg0' }]);
    expect(r.degraded).toBe(true);
  });
});

describe("each probe's own pace", () => {
  it('a requested interval below the probe minimum is raised, recorded and noted', async () => {
    const asked: Array<ProbeOptions | undefined> = [];
    const slow = scriptedProbe([], {
      name: 'slow-tool',
      minIntervalMs: 500,
      onSubscribe: (o) => asked.push(o),
    });
    const fast = scriptedProbe([], { name: 'fast-tool', onSubscribe: (o) => asked.push(o) });
    const m = startMeter([slow, fast], { intervalMs: 100 });
    const reports = await m.stop();
    expect(asked.map((o) => o?.intervalMs)).toEqual([500, 100]);
    expect(reports.map((p) => p.intervalMs)).toEqual([500, 100]);
    expect(reports[0]?.notes).toContain(
      'interval raised from 100 ms to 500 ms: slow-tool cannot deliver readings faster',
    );
    expect(reports[1]?.notes.join('\n')).not.toMatch(/interval raised/);
  });
});

describe('start/end skew between the devices of one probe', () => {
  /** gpu0 read at T + k·100, gpu1 `skewMs` later each time, both at 100 W, over [T, T + 1 s]. */
  const skewed = (startSkewMs: number, endSkewMs: number) => [
    ...every(T, T + 1000, 100, (t) => power(t, 'gpu0', 100)),
    ...every(T + startSkewMs, T + 1000 - endSkewMs, 100, (t) => power(t, 'gpu1', 100)),
  ];

  it('skew below the interval at the start and at the end is held, not a gap', async () => {
    const start = await readWindow(skewed(8, 8), T, T + 1000);
    expect(start.r.degraded).toBe(false);
    expect(start.r.gaps).toEqual([]);
    expect(start.r.energyJ.gpu).toBeCloseTo(200, J);
    expect(start.dev('gpu1')?.uncoveredMs).toBe(0);
  });

  it('an uncovered edge longer than the interval is a gap with its duration', async () => {
    const late = await readWindow(skewed(150, 0), T, T + 1000);
    expect(late.r.degraded).toBe(true);
    expect(late.dev('gpu1')).toMatchObject({ uncoveredMs: 150 });
    expect(late.r.energyJ.gpu).toBeCloseTo(200 - 15, J);
    const early = await readWindow(skewed(0, 150), T, T + 1000);
    // gpu1's readings stop at T + 800 (the grid ends before T + 850): 200 ms uncovered at the end.
    expect(early.dev('gpu1')).toMatchObject({ uncoveredMs: 200 });
    expect(early.r.energyJ.gpu).toBeCloseTo(200 - 20, J);
  });
});

describe('waiting for devices', () => {
  it('waitFirstSamples waits for every claimed device, not one per probe', async () => {
    let gpu1First = 0;
    const probe = scriptedProbe([
      {
        afterMs: 0,
        events: (t) => [device(t, 'gpu0', 'present'), device(t, 'gpu1', 'present'), power(t, 'gpu0', 10)],
      },
      {
        afterMs: 150,
        events: (t) => {
          gpu1First = t;
          return [power(t, 'gpu1', 10), power(t, 'gpu0', 10)];
        },
      },
    ]);
    const m = startMeter([probe], { intervalMs: 50 });
    const first = await m.waitFirstSamples(2000);
    expect(first).toBe(gpu1First);
    expect(gpu1First).toBeGreaterThan(0);
    await m.stop();
  });

  it('waitCovered does not wait for unsupported or lost devices', async () => {
    const probe = scriptedProbe([
      {
        afterMs: 0,
        events: (t) => [
          device(t, 'gpu2', 'unsupported', { reason: 'no sensor' }),
          power(t, 'gpu1', 10),
          device(t, 'gpu1', 'lost', { reason: 'GPU is lost' }),
          power(t, 'gpu0', 10),
        ],
      },
      ...Array.from({ length: 20 }, () => ({ afterMs: 20, events: (t: number) => [power(t, 'gpu0', 10)] })),
    ]);
    const m = startMeter([probe], { intervalMs: 20 });
    await m.waitFirstSamples(2000);
    const t = nowMs();
    const before = nowMs();
    expect(await m.waitCovered(t, 2000)).toBe(true);
    expect(nowMs() - before).toBeLessThan(1000);
    await m.stop();
  });
});

describe('estimateEnergyUntil: the cap on held power when a probe stalls', () => {
  it('holds the last power for at most gapThresholdMs after the last reading', async () => {
    // One reading at T and T + 1 s (50 W); the probe stays open but silent.
    const m = startMeter([scriptedProbe([power(T, 'gpu0', 50), power(T + 1000, 'gpu0', 50)])], {
      intervalMs: 100,
      gapThresholdMs: 5000,
    });
    expect(m.estimateEnergyUntil(T, T + 1000 + 5000).total).toBeCloseTo(50 * 6, J);
    expect(m.estimateEnergyUntil(T, T + 1000 + 4999).total).toBeCloseTo(50 * 5.999, J);
    expect(m.estimateEnergyUntil(T, T + 1000 + 5000.001).total).toBeCloseTo(50 * 6, J);
    expect(m.estimateEnergyUntil(T, T + 60_000).total).toBeCloseTo(50 * 6, J);
    // The record side: the same tail is a gap, not guessed.
    expect(m.energyBetween(T, T + 6000).energyJ.total).toBeCloseTo(50, J);
    expect(m.energyBetween(T, T + 6000).degraded).toBe(true);
    await m.stop();
  });

  it('a lost device is not held', async () => {
    const m = startMeter(
      [scriptedProbe([power(T, 'gpu0', 50), power(T + 1000, 'gpu0', 50), device(T + 1000, 'gpu0', 'lost')])],
      { intervalMs: 100 },
    );
    expect(m.estimateEnergyUntil(T, T + 3000).total).toBeCloseTo(50, J);
    await m.stop();
  });
});

describe('the sampling bound in the device report', () => {
  it('is Σ |ΔP|·Δt/2 over the readings in the window; a counter-only device has 0 J', async () => {
    // gpu0 alternates 100 W and 140 W every 100 ms over 10 s: 100 segments, each 40 W × 0.1 s / 2 = 2 J → 200 J.
    const { dev } = await readWindow([
      device(T, 'gpu0', 'present'),
      ...every(T, T + 10_000, 100, (t) => power(t, 'gpu0', Math.round((t - T) / 100) % 2 === 0 ? 100 : 140)),
      ...every(T, T + 10_000, 100, (t) => counter(t, 'pkg0', ((t - T) / 1000) * 30, undefined, 'cpu')),
    ]);
    expect(dev('gpu0')?.samplingBoundJ).toBeCloseTo(200, J);
    expect(dev('pkg0')).toMatchObject({ method: 'counter', samplingBoundJ: 0 });
  });
});
