// The human summary of `eff measure`: components, average power, per-probe samples and gaps, flags.
import { describe, expect, it } from 'vitest';
import { averagePower, formatMeasureResult, type MeasureResult } from './report.js';

const base: MeasureResult = {
  version: 1,
  command: ['python', 'train.py'],
  exitCode: 0,
  signal: null,
  startedAt: '2026-11-25T04:00:00.000Z',
  endedAt: '2026-11-25T04:00:10.000Z',
  durationMs: 10_000,
  intervalMs: 100,
  energyJ: { cpu: 300, ram: 50, total: 350 },
  averagePowerW: averagePower({ cpu: 300, ram: 50, total: 350 }, 10_000),
  estimated: false,
  degraded: true,
  probes: [
    {
      name: 'rapl',
      components: ['cpu', 'ram'],
      estimated: false,
      sampleCount: 97,
      devices: ['intel-rapl:0'],
      gaps: [{ startMs: 1, endMs: 1501, durationMs: 1500 }],
      errors: [],
      degraded: true,
      energyJ: { cpu: 300, ram: 50, total: 350 },
    },
  ],
};

describe('eff measure summary', () => {
  it('average power is energy over duration', () => {
    expect(base.averagePowerW).toEqual({ cpu: 30, ram: 5, total: 35 });
    expect(averagePower({ total: 10 }, 0)).toEqual({});
  });
  it('lists components, probes with samples and gaps, and flags a lower bound', () => {
    const text = formatMeasureResult(base);
    expect(text).toContain('eff measure: python train.py  (exit code 0, 10s, 10.00 s)');
    expect(text).toMatch(/cpu\s+300\.0 J\s+30\.0 W/);
    expect(text).toMatch(/total\s+350\.0 J\s+35\.0 W/);
    expect(text).not.toMatch(/\n\s+gpu/);
    expect(text).toMatch(/rapl\s+cpu\+ram\s+97\s+1 \(2s\)\s+measured, DEGRADED/);
    expect(text).toContain('LOWER BOUND');
    expect(text).not.toContain('ESTIMATED');
  });
  it('says when the command was ended by a signal', () => {
    expect(formatMeasureResult({ ...base, signal: 'SIGTERM', exitCode: 143 })).toContain(
      '(ended by SIGTERM,',
    );
  });
});
