// @ts-nocheck
// Tests the labelled load × TDP / GB × W-per-GB estimate on this machine.
import { totalmem } from 'node:os';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { childrenOf } from '../test/processes.js';
import { busyFraction, estimatedPowerW, estimateProbe } from './estimate.js';
import type { PowerReading } from './sample.js';

describe('estimateProbe', () => {
  it('emits estimated cpu and ram power within the model bounds', async () => {
    const probe = estimateProbe({ intervalMs: 50 });
    expect(probe.estimated).toBe(true);
    expect(await probe.check()).toEqual({ available: true, devices: ['cpu', 'ram'] });
    const samples = (await firstValueFrom(probe.samples().pipe(take(4), toArray()))) as PowerReading[];
    expect(samples.map((s) => s.component)).toEqual(['cpu', 'ram', 'cpu', 'ram']);
    for (const s of samples) {
      expect(s.kind).toBe('power');
      expect(s.estimated).toBe(true);
      expect(s.source).toBe('estimate');
    }
    for (const s of samples.filter((x) => x.component === 'cpu')) {
      expect(s.powerW).toBeGreaterThanOrEqual(8.5);
      expect(s.powerW).toBeLessThanOrEqual(85);
    }
    const ramGB = totalmem() / 1024 ** 3;
    for (const s of samples.filter((x) => x.component === 'ram'))
      expect(s.powerW).toBeCloseTo(ramGB * 0.375, 6);
  });

  it('spawns nothing that outlives an unsubscribe in the middle of a read', async () => {
    const sub = estimateProbe({ intervalMs: 50 }).samples().subscribe();
    await new Promise((r) => setTimeout(r, 120));
    sub.unsubscribe();
    const until = Date.now() + 1000;
    while (childrenOf(process.pid).length > 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    expect(childrenOf(process.pid)).toEqual([]);
  });

  it('passes its tdpW and ramWPerGB options to the model', async () => {
    const probe = estimateProbe({ intervalMs: 20, tdpW: 200, ramWPerGB: 1 });
    const samples = (await firstValueFrom(probe.samples().pipe(take(2), toArray()))) as PowerReading[];
    const [cpu, ram] = samples;
    expect(ram?.powerW).toBeCloseTo(totalmem() / 1024 ** 3, 9);
    expect(cpu?.powerW).toBeGreaterThanOrEqual(20);
    expect(cpu?.powerW).toBeLessThanOrEqual(200);
  });

  it('describes itself as an estimate of cpu and ram, with its name on every sample', async () => {
    const probe = estimateProbe();
    expect(probe.name).toBe('estimate');
    expect(probe.components).toEqual(['cpu', 'ram']);
    const [cpu, ram] = (await firstValueFrom(
      probe.samples({ intervalMs: 20 }).pipe(take(2), toArray()),
    )) as PowerReading[];
    expect(cpu).toMatchObject({ deviceId: 'cpu', component: 'cpu', kind: 'power', source: 'estimate' });
    expect(ram).toMatchObject({ deviceId: 'ram', component: 'ram', kind: 'power', source: 'estimate' });
    expect(cpu?.tMs).toBe(ram?.tMs);
    expect(Number.isFinite(cpu?.tMs)).toBe(true);
  });

  it('reads at the interval asked for (sampleOptions over the option, the option over 1 s)', async () => {
    const t0 = Date.now();
    await firstValueFrom(estimateProbe({ intervalMs: 30 }).samples().pipe(take(6), toArray()));
    // three readings (two samples each): two intervals of 30 ms, far below the 1 s default
    expect(Date.now() - t0).toBeLessThan(900);
    const t1 = Date.now();
    await firstValueFrom(estimateProbe().samples({ intervalMs: 30 }).pipe(take(6), toArray()));
    expect(Date.now() - t1).toBeLessThan(900);
  });

  it('accepts ramWPerGB 0, rejects a negative one, naming the value and the code', () => {
    expect(() => estimateProbe({ ramWPerGB: 0 })).not.toThrow();
    expect(() => estimateProbe({ ramWPerGB: -0.5 })).toThrow('estimate: ramWPerGB must be >= 0, got -0.5');
    expect(() => estimateProbe({ tdpW: -1 })).toThrow(expect.objectContaining({ code: 'E_PROBE_CONFIG' }));
    expect(() => estimateProbe({ tdpW: Number.NaN })).toThrow(/tdpW must be > 0, got NaN/);
  });

  it('rejects a non-positive TDP naming the value', () => {
    expect(() => estimateProbe({ tdpW: 0 })).toThrow(/tdpW must be > 0, got 0/);
  });
});

// Oracle: the model's watts for given inputs, worked out by hand (TDP × (0.1 + 0.9 × load); GiB × W/GiB).
describe('estimatedPowerW (the load → watts model)', () => {
  const GiB = 1024 ** 3;
  it.each([
    // load, tdpW, memory, W/GiB -> cpu W, ram W
    { load: 0, tdpW: 85, memBytes: 16 * GiB, perGB: 0.375, cpuW: 8.5, ramW: 6 },
    { load: 1, tdpW: 85, memBytes: 16 * GiB, perGB: 0.375, cpuW: 85, ramW: 6 },
    { load: 0.5, tdpW: 100, memBytes: 8 * GiB, perGB: 0.375, cpuW: 55, ramW: 3 },
    { load: 0.25, tdpW: 200, memBytes: 0.5 * GiB, perGB: 1, cpuW: 65, ramW: 0.5 },
    { load: 0.75, tdpW: 40, memBytes: 64 * GiB, perGB: 0, cpuW: 31, ramW: 0 },
  ])('load $load, TDP $tdpW W, $memBytes B at $perGB W/GiB -> cpu $cpuW W, ram $ramW W', (row) => {
    const w = estimatedPowerW({
      loadFraction: row.load,
      tdpW: row.tdpW,
      memTotalBytes: row.memBytes,
      ramWPerGB: row.perGB,
    });
    expect(w.cpuW).toBeCloseTo(row.cpuW, 12);
    expect(w.ramW).toBeCloseTo(row.ramW, 12);
  });

  it('more load never means fewer watts', () => {
    const at = (loadFraction: number) =>
      estimatedPowerW({ loadFraction, tdpW: 85, memTotalBytes: GiB, ramWPerGB: 0.375 }).cpuW;
    for (let l = 0; l < 1; l += 0.125) expect(at(l + 0.125)).toBeGreaterThan(at(l));
  });
});

describe('busyFraction (os.cpus() totals -> load)', () => {
  it.each([
    // previous, now -> load: busy = 1 − Δidle / Δtotal
    { prev: { totalMs: 0, idleMs: 0 }, now: { totalMs: 1000, idleMs: 250 }, load: 0.75 },
    { prev: { totalMs: 500, idleMs: 400 }, now: { totalMs: 1500, idleMs: 1300 }, load: 0.1 },
    { prev: { totalMs: 0, idleMs: 0 }, now: { totalMs: 2000, idleMs: 2000 }, load: 0 },
    { prev: { totalMs: 0, idleMs: 0 }, now: { totalMs: 2000, idleMs: 0 }, load: 1 },
    // a counter glitch (idle ran ahead of total, or went back) is clamped into [0, 1]
    { prev: { totalMs: 0, idleMs: 0 }, now: { totalMs: 100, idleMs: 150 }, load: 0 },
    { prev: { totalMs: 0, idleMs: 50 }, now: { totalMs: 100, idleMs: 0 }, load: 1 },
  ])('$prev -> $now is load $load', ({ prev, now, load }) => {
    expect(busyFraction(prev, now, 0.5)).toBeCloseTo(load, 12);
  });

  it('repeats the last load when no tick elapsed (or the total went back)', () => {
    expect(busyFraction({ totalMs: 100, idleMs: 50 }, { totalMs: 100, idleMs: 50 }, 0.375)).toBe(0.375);
    expect(busyFraction({ totalMs: 100, idleMs: 50 }, { totalMs: 90, idleMs: 50 }, 0.625)).toBe(0.625);
  });
});
