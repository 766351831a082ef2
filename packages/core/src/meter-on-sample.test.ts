// MeterOptions.onSample: live views get exactly the samples the meter integrated, and a failing listener costs none.
import type { PowerSample } from '@eff/probes';
import { describe, expect, it } from 'vitest';
import { sleep, userProbe } from '../test/user-probes.js';
import { startMeter } from './meter.js';

describe('startMeter onSample', () => {
  it('passes every accepted sample, in order, and none claimed by a second probe of the same device', async () => {
    const seen: PowerSample[] = [];
    const m = startMeter(
      [
        userProbe({ name: 'wall', powerW: 42, deviceId: 'plug0' }),
        // Same source, component and device as the first: the meter ignores its samples, so must the listener.
        { ...userProbe({ name: 'wall', powerW: 99, deviceId: 'plug0' }), name: 'wall-copy' },
      ],
      { intervalMs: 20, onSample: (s) => seen.push(s) },
    );
    // Not waitFirstSamples: the copy never gets a device of its own, so it would wait for its timeout.
    await sleep(200);
    const reports = await m.stop();
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.every((s) => s.kind === 'power' && s.powerW === 42 && s.deviceId === 'plug0')).toBe(true);
    const times = seen.map((s) => s.tMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // The listener saw what the meter counted: the first probe's samples, all of them.
    const wall = reports.find((r) => r.name === 'wall');
    expect(wall?.sampleCount).toBe(seen.length);
  });

  it('records a throwing listener as a probe error and keeps integrating', async () => {
    let calls = 0;
    const m = startMeter([userProbe({ name: 'wall', powerW: 10 })], {
      intervalMs: 20,
      onSample: () => {
        calls++;
        throw new Error('dashboard down');
      },
    });
    const t0 = (await m.waitFirstSamples()) as number;
    await sleep(120);
    const t1 = t0 + 100;
    expect(await m.waitCovered(t1)).toBe(true);
    const r = m.energyBetween(t0, t1);
    await m.stop();
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(r.energyJ.cpu).toBeCloseTo(10 * 0.1, 6);
    expect(r.probes[0]?.errors[0]).toMatch(/onSample listener failed: dashboard down/);
  });
});
