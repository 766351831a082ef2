// Tests the labelled load × TDP / GB × W-per-GB estimate on this machine.
import { totalmem } from 'node:os';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { childrenOf } from '../test/processes.js';
import { estimateProbe } from './estimate.js';
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

  it('rejects a non-positive TDP naming the value', () => {
    expect(() => estimateProbe({ tdpW: 0 })).toThrow(/tdpW must be > 0, got 0/);
  });
});
