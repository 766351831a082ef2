// The human summary of `eff measure`: components, average power, per-probe samples and gaps, flags.
import { carbonOf, type DeviceReport, givenIntensity } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { averagePower, formatMeasureResult, type MeasureResult, measuredDuration } from './report.js';

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
      deviceReports: [],
      notes: [],
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
    // the duration once, not as `10s, 10.00 s`
    expect(text).toContain('eff measure: python train.py  (exit code 0, 10.00 s)\n');
    expect(measuredDuration(134_200)).toBe('2m14s');
    expect(measuredDuration(59_994)).toBe('59.99 s');
    expect(text).toMatch(/cpu\s+300\.0 J\s+30\.0 W/);
    expect(text).toMatch(/total\s+350\.0 J\s+35\.0 W/);
    expect(text).not.toMatch(/\n\s+gpu/);
    expect(text).toMatch(/rapl\s+cpu\+ram\s+97\s+1 \(2s\)\s+measured, DEGRADED/);
    expect(text).toContain('LOWER BOUND');
    expect(text).not.toContain('ESTIMATED');
  });
  it('lists each device with its status, method, energy and uncovered time, and the probe notes', () => {
    const startMs = Date.parse(base.startedAt);
    const gpu = (id: string, extra: Partial<DeviceReport>): DeviceReport => ({
      deviceId: id,
      component: 'gpu',
      status: 'measured',
      method: 'power',
      energyJ: 0,
      sampleCount: 0,
      uncoveredMs: 0,
      selectedBy: 'CUDA_VISIBLE_DEVICES',
      ...extra,
    });
    const probe = {
      name: 'nvidia-smi',
      components: ['gpu' as const],
      estimated: false,
      sampleCount: 180,
      devices: ['gpu0', 'gpu1', 'gpu2'],
      gaps: [{ startMs: startMs + 6000, endMs: startMs + 10_000, durationMs: 4000, deviceId: 'gpu2' }],
      errors: [],
      degraded: true,
      intervalMs: 500,
      deviceReports: [
        gpu('gpu0', {
          status: 'unsupported',
          method: undefined,
          reason: 'nvidia-smi reports power as [N/A]: this board has no power sensor',
        }),
        gpu('gpu1', { energyJ: 955, sampleCount: 100, method: 'counter' }),
        gpu('gpu2', {
          status: 'lost',
          energyJ: 420,
          sampleCount: 80,
          uncoveredMs: 4000,
          lostAtMs: startMs + 6000,
          reason: 'GPU is lost',
        }),
      ],
      notes: ['interval raised from 100 ms to 500 ms (the shortest nvidia-smi delivers here)'],
      energyJ: { gpu: 1375, total: 1375 },
    };
    const text = formatMeasureResult({ ...base, probes: [probe] });
    const lines = text.split('\n');
    const at = lines.findIndex((l) => /^ {2}nvidia-smi\s+gpu\s+180\s+1 \(4s\)\s+measured, DEGRADED$/.test(l));
    expect(at, text).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(
      /^ {4}device\s+status\s+method\s+energy\s+\(devices selected by CUDA_VISIBLE_DEVICES\)$/,
    );
    expect(lines[at + 2]).toMatch(
      /^ {4}gpu0\s+unsupported\s+-\s+-\s+0 samples: nvidia-smi reports power as \[N\/A\]/,
    );
    expect(lines[at + 3]).toMatch(/^ {4}gpu1\s+measured\s+counter\s+955\.0 J\s+100 samples$/);
    expect(lines[at + 4]).toMatch(
      /^ {4}gpu2\s+lost\s+power\s+420\.0 J\s+80 samples, 4\.00 s uncovered, lost at 6\.00 s: GPU is lost$/,
    );
    expect(lines[at + 5]).toBe(
      '    note: interval raised from 100 ms to 500 ms (the shortest nvidia-smi delivers here)',
    );

    // With each device's part of the interval recorded, every measured device's line carries its own.
    const devices = [
      { probe: 'nvidia-smi', deviceId: 'gpu1', method: 'counter' as const, belowJ: 0.2, aboveJ: 0.2 },
      { probe: 'nvidia-smi', deviceId: 'gpu2', method: 'power' as const, belowJ: 32, aboveJ: 95 },
      { probe: 'rapl', deviceId: 'gpu2', method: 'counter' as const, belowJ: 7, aboveJ: 7 },
    ];
    const bounded = formatMeasureResult({
      ...base,
      probes: [probe],
      energyBoundJ: { lowJ: 1342.8, highJ: 1470.2, devices },
    }).split('\n');
    expect(bounded[at + 3]).toMatch(
      /^ {4}gpu1\s+measured\s+counter\s+955\.0 J ± 0\.2 J \(sensor\)\s+100 samples$/,
    );
    // The rapl device of the same id is another probe's: not mixed in.
    expect(bounded[at + 4]).toMatch(
      /^ {4}gpu2\s+lost\s+power\s+420\.0 J −32\.0 J\/\+95\.0 J \(sensor\)\s+80 samples/,
    );
    expect(bounded[at + 2]).not.toContain('(sensor)');
  });
  it('prints the carbon line when an intensity was given, naming its source', () => {
    // 350 J = 350 / 3.6e6 kWh × 720 g/kWh × PUE 1 = 0.07 g.
    const carbon = carbonOf(base.energyJ.total, givenIntensity(720, 'cli'));
    const text = formatMeasureResult({ ...base, carbon });
    expect(text).toContain('  carbon: 0.0700 g CO2e (720 g/kWh × PUE 1; given with --carbon-intensity)\n');
    expect(formatMeasureResult(base)).not.toContain('carbon');
  });
  it('prints the interval the sensors allow', () => {
    // 350 J ± 5 %: 332.5 J to 367.5 J, 17.5 J either side.
    const text = formatMeasureResult({ ...base, energyBoundJ: { lowJ: 332.5, highJ: 367.5 } });
    expect(text).toContain('  energy: 350.0 J ± 17.5 J (sensor): sensors allow 332.5 J to 367.5 J (');
  });
  it('without per-device reports the probe table is as before', () => {
    const text = formatMeasureResult(base);
    expect(text).not.toMatch(/device\s+status/);
    expect(text).not.toContain('note: interval');
  });
  it('says when the command was ended by a signal', () => {
    expect(formatMeasureResult({ ...base, signal: 'SIGTERM', exitCode: 143 })).toContain(
      '(ended by SIGTERM,',
    );
  });
});
