// startMeter with user-written probes and a fake nvidia-smi first on PATH: energy, coverage, crashes, gaps, teardown.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nowMs, nvidiaSmiProbe } from '@eff/probes';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, userProbe } from '../test/user-probes.js';
import { MeterError, startMeter } from './meter.js';

const FAKE_BIN = fileURLToPath(new URL('../test/fixtures/bin', import.meta.url));
process.env.PATH = `${FAKE_BIN}:${process.env.PATH}`;

/** Pids of live fake nvidia-smi processes, from the process list. */
export function fakeNvidiaSmiPids(): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(`${FAKE_BIN}/nvidia-smi`) && !/^\s*\d+\s+Z/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

async function noFakeLeft(): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (fakeNvidiaSmiPids().length === 0) return true;
    await sleep(20);
  }
  return false;
}

afterEach(() => {
  delete process.env.FAKE_NVSMI_EXIT_AFTER_MS;
  delete process.env.FAKE_NVSMI_POWER_W;
});

describe('startMeter', () => {
  it('rejects an empty probe list and a bad interval, naming the value', () => {
    expect(() => startMeter([], { intervalMs: 100 })).toThrow(MeterError);
    expect(() => startMeter([userProbe({ powerW: 1 })], { intervalMs: 0 })).toThrow(/intervalMs.*found 0/);
  });

  it('rejects an interval above one hour: 5 × it overflows Node timers (> 2^31 − 1 ms), which then fire after 1 ms', async () => {
    expect(() => startMeter([userProbe({ powerW: 1 })], { intervalMs: 1e9 })).toThrow(
      /intervalMs must be a number > 0 and ≤ 3600000 \(one hour\), found 1000000000/,
    );
    const meter = startMeter([userProbe({ powerW: 1 })], { intervalMs: 3_600_000 });
    expect(meter.intervalMs).toBe(3_600_000);
    await meter.stop();
  });

  it('integrates every probe per component once the interval end is covered', async () => {
    const m = startMeter(
      [
        userProbe({ name: 'cpu-meter', powerW: 40 }),
        userProbe({ name: 'ram-meter', component: 'ram', powerW: 5 }),
      ],
      { intervalMs: 20 },
    );
    const t0 = await m.waitFirstSamples();
    expect(t0).not.toBeNull();
    await sleep(300);
    const t1 = nowMs();
    expect(await m.waitCovered(t1)).toBe(true);
    const r = m.energyBetween(t0 as number, t1);
    const s = (t1 - (t0 as number)) / 1000;
    expect(r.energyJ.cpu).toBeCloseTo(40 * s, 6);
    expect(r.energyJ.ram).toBeCloseTo(5 * s, 6);
    expect(r.energyJ.total).toBeCloseTo(45 * s, 6);
    expect(r.degraded).toBe(false);
    expect(r.gaps).toEqual([]);
    const cpu = r.probes.find((p) => p.name === 'cpu-meter');
    expect(cpu?.energyJ.cpu).toBeCloseTo(40 * s, 6);
    // ~15 samples at 20 ms in 300 ms; timers on a busy 2-core CI machine are late, never early.
    expect(cpu?.sampleCount).toBeGreaterThanOrEqual(5);
    expect(cpu?.sampleCount).toBeLessThanOrEqual(17);
    const reports = await m.stop();
    expect(reports.map((p) => [p.name, p.degraded, p.errors])).toEqual([
      ['cpu-meter', false, []],
      ['ram-meter', false, []],
    ]);
  });

  it('estimateEnergyUntil holds the last power up to now where energyBetween reports the tail as missing', async () => {
    // Stalls after its first readings: a tail longer than one interval is a gap for records, held for decisions.
    const m = startMeter([userProbe({ powerW: 30, stallAfterMs: 60 })], { intervalMs: 50 });
    const t0 = (await m.waitFirstSamples()) as number;
    await sleep(300);
    const t = nowMs();
    const reading = m.energyBetween(t0, t);
    expect(reading.energyJ.total).toBeLessThan(30 * ((t - t0) / 1000) * 0.5);
    expect(reading.degraded).toBe(true);
    expect(m.estimateEnergyUntil(t0, t).total).toBeCloseTo(30 * ((t - t0) / 1000), 6);
    await m.stop();
  });

  it('a probe that crashes mid-run is reported with its error and a gap; the others keep going', async () => {
    process.env.FAKE_NVSMI_EXIT_AFTER_MS = '250';
    process.env.FAKE_NVSMI_POWER_W = '120';
    const m = startMeter([nvidiaSmiProbe(), userProbe({ powerW: 20 })], { intervalMs: 30 });
    const t0 = (await m.waitFirstSamples()) as number;
    await sleep(700);
    const t1 = nowMs();
    // The crashed probe is not waited for: coverage follows the live one.
    expect(await m.waitCovered(t1, 1000)).toBe(true);
    const r = m.energyBetween(t0, t1);
    const gpu = r.probes.find((p) => p.name === 'nvidia-smi');
    const cpu = r.probes.find((p) => p.name === 'wattmeter');
    expect(gpu?.degraded).toBe(true);
    expect(gpu?.errors.join('\n')).toMatch(/nvidia-smi exited \(code 3.*GPU is lost/);
    expect(gpu?.gaps).toHaveLength(1);
    const gap = gpu?.gaps[0];
    expect(gap?.deviceId).toBe('gpu0');
    expect(gap?.endMs).toBe(t1);
    // It ran ~250 ms of the ~700 ms: the rest is a gap, not silently missing energy.
    expect(gap?.durationMs).toBeGreaterThan(300);
    // The crashed probe's device is reported lost from the crash on, with the error as its reason.
    expect(gpu?.deviceReports[0]).toMatchObject({ deviceId: 'gpu0', status: 'lost', method: 'power' });
    expect(gpu?.deviceReports[0]?.lostAtMs).toBeGreaterThanOrEqual(gap?.startMs as number);
    expect(gpu?.deviceReports[0]?.reason).toMatch(/GPU is lost/);
    const gpuSeconds = ((gap?.startMs as number) - t0) / 1000;
    expect(r.energyJ.gpu).toBeCloseTo(120 * gpuSeconds, 6);
    expect(cpu?.degraded).toBe(false);
    expect(r.energyJ.cpu).toBeCloseTo(20 * ((t1 - t0) / 1000), 6);
    expect(r.degraded).toBe(true);
    await m.stop();
  });

  it('waitCovered times out on a stalled probe and the missing tail becomes a gap', async () => {
    const m = startMeter([userProbe({ powerW: 10, stallAfterMs: 100 })], { intervalMs: 20 });
    const t0 = (await m.waitFirstSamples()) as number;
    await sleep(250);
    const t1 = nowMs();
    const before = nowMs();
    expect(await m.waitCovered(t1, 150)).toBe(false);
    expect(nowMs() - before).toBeGreaterThanOrEqual(140);
    const r = m.energyBetween(t0, t1);
    expect(r.degraded).toBe(true);
    expect(r.gaps).toHaveLength(1);
    expect(r.gaps[0]?.endMs).toBe(t1);
    expect(r.gaps[0]?.durationMs).toBeGreaterThan(100);
    await m.stop();
  });

  it('stop() unsubscribes every probe and leaves no child process', async () => {
    const m = startMeter([nvidiaSmiProbe()], { intervalMs: 30 });
    expect(await m.waitFirstSamples()).not.toBeNull();
    expect(fakeNvidiaSmiPids().length).toBeGreaterThan(0);
    await sleep(150);
    const reports = await m.stop();
    expect(reports[0]?.sampleCount).toBeGreaterThanOrEqual(3);
    expect(reports[0]?.degraded).toBe(false);
    expect(await noFakeLeft()).toBe(true);
    // Idempotent: a second stop returns the same reports.
    expect(await m.stop()).toEqual(reports);
  });
});
