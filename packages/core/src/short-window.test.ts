// markShortWindow: which probe reports are marked, and the exact note.
import { describe, expect, it } from 'vitest';
import type { ProbeReport } from './schema.js';
import { hasNoSampleInside, markShortWindow } from './short-window.js';

function report(name: string, sampleCount: number, energyJ: number, intervalMs?: number): ProbeReport {
  return {
    name,
    components: ['cpu'],
    devices: ['cpu'],
    sampleCount,
    energyJ: { total: energyJ, cpu: energyJ },
    gaps: [],
    errors: [],
    notes: [],
    estimated: false,
    degraded: false,
    deviceReports: [
      { deviceId: 'cpu', status: 'measured', energyJ, sampleCount, uncoveredMs: 0, method: 'power' },
    ],
    ...(intervalMs !== undefined ? { intervalMs } : {}),
  } as ProbeReport;
}

const window = { ms: 42.4, intervalMs: 100, what: 'the command', advice: 'lower --interval' };

describe('markShortWindow', () => {
  it('marks only probes with energy and no sample inside, with the probe’s own interval in the note', () => {
    const empty = report('rapl', 0, 3.5, 250);
    const sampled = report('nvml', 1, 2);
    const silent = report('ipmi', 0, 0);
    const probes = [empty, sampled, silent];
    expect(markShortWindow(probes, window)).toBe(true);
    expect(empty.degraded).toBe(true);
    expect(empty.notes).toEqual([
      'no rapl sample fell inside the command (42 ms long, sampled every 250 ms): its energy is extrapolated from the readings around it; lower --interval',
    ]);
    // A probe with a sample inside is measured; a probe with no energy at all is not extrapolated (nothing to mark).
    expect(sampled.degraded).toBe(false);
    expect(sampled.notes).toEqual([]);
    expect(silent.degraded).toBe(false);
    expect(silent.notes).toEqual([]);
  });

  it('uses the window’s interval when the probe reports none, and returns false when nothing is marked', () => {
    const empty = report('estimate', 0, 1);
    expect(markShortWindow([empty], window)).toBe(true);
    expect(empty.notes[0]).toContain('(42 ms long, sampled every 100 ms)');
    expect(markShortWindow([report('nvml', 3, 2)], window)).toBe(false);
    expect(markShortWindow([], window)).toBe(false);
  });

  it('hasNoSampleInside: energy without a sample', () => {
    expect(hasNoSampleInside(report('a', 0, 0.001))).toBe(true);
    expect(hasNoSampleInside(report('a', 1, 0.001))).toBe(false);
    expect(hasNoSampleInside(report('a', 0, 0))).toBe(false);
    // One device with joules is enough (another may have read nothing).
    const two = report('a', 0, 2);
    two.deviceReports.push({
      ...(two.deviceReports[0] as (typeof two.deviceReports)[number]),
      deviceId: 'b',
      energyJ: 0,
    });
    expect(hasNoSampleInside(two)).toBe(true);
  });
});
