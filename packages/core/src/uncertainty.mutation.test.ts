// energyBoundOf's per-device path pinned with hand-computed intervals (written against Stryker's survivors): the
// sampling interval inferred from the sample count, unsupported devices left out, probes without device reports.
import { describe, expect, it } from 'vitest';
import type { ProbeReport } from './schema.js';
import { energyBoundOf } from './uncertainty.js';

/** A powerstat-like probe (no datasheet accuracy: ±5 % of E) with one device and no samplingBoundJ. */
function probe(
  name: string,
  device: { status: string; energyJ: number; sampleCount: number },
  intervalMs?: number,
): ProbeReport {
  return {
    name,
    components: ['cpu'],
    estimated: false,
    sampleCount: device.sampleCount,
    devices: [],
    gaps: [],
    errors: [],
    degraded: false,
    notes: [],
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    deviceReports: [
      {
        deviceId: 'd0',
        component: 'cpu',
        status: device.status as 'measured',
        method: 'power',
        energyJ: device.energyJ,
        sampleCount: device.sampleCount,
        uncoveredMs: 0,
      },
    ],
  };
}

describe('energyBoundOf: the sampling interval when the probe recorded none', () => {
  it('is window / (samples − 1)', () => {
    // 10 s window, 100 J, 5 samples → Δt = 10 / 4 = 2.5 s; mean power 100 J / 10 s = 10 W.
    // half = 5 % × 100 J + 10 W × 2.5 s = 5 + 25 = 30 J → [70, 130].
    const b = energyBoundOf(
      [probe('powerstat', { status: 'measured', energyJ: 100, sampleCount: 5 })],
      10_000,
      {
        energyJ: 100,
        estimated: false,
      },
    );
    expect(b.lowJ).toBeCloseTo(70, 9);
    expect(b.highJ).toBeCloseTo(130, 9);
  });

  it('is the whole window with a single sample (no division by zero)', () => {
    // 1 sample → Δt = 10 s; half = 5 + 10 W × 10 s = 105 J; below capped at E = 100 → [0, 205].
    const b = energyBoundOf(
      [probe('powerstat', { status: 'measured', energyJ: 100, sampleCount: 1 })],
      10_000,
      {
        energyJ: 100,
        estimated: false,
      },
    );
    expect(b.lowJ).toBe(0);
    expect(b.highJ).toBeCloseTo(205, 9);
  });

  it('is the probe’s own interval when recorded', () => {
    // intervalMs 1000 → Δt = 1 s; half = 5 + 10 W × 1 s = 15 J → [85, 115].
    const b = energyBoundOf(
      [probe('powerstat', { status: 'measured', energyJ: 100, sampleCount: 5 }, 1000)],
      10_000,
      {
        energyJ: 100,
        estimated: false,
      },
    );
    expect(b.lowJ).toBeCloseTo(85, 9);
    expect(b.highJ).toBeCloseTo(115, 9);
  });
});

describe('energyBoundOf: what counts as a device', () => {
  it('leaves unsupported devices out: with only those, the record-wide fallback applies', () => {
    // The unsupported nvidia-smi GPU would add ± 5 W × 10 s = 50 J above if counted. Left out → no devices →
    // ±5 % of 100 J = [95, 105].
    const b = energyBoundOf(
      [probe('nvidia-smi', { status: 'unsupported', energyJ: 0, sampleCount: 0 })],
      10_000,
      {
        energyJ: 100,
        estimated: false,
      },
    );
    expect(b).toEqual({ lowJ: 95, highJ: 105, devices: [] });
  });

  it('takes a probe report without deviceReports (built by hand, not parsed) as having none', () => {
    // ±5 % of 200 J = [190, 210].
    const b = energyBoundOf([{ name: 'rapl' } as unknown as ProbeReport], 10_000, {
      energyJ: 200,
      estimated: false,
    });
    expect(b).toEqual({ lowJ: 190, highJ: 210, devices: [] });
  });
});

describe('energyBoundOf: a device report without a method', () => {
  it('is taken as power readings, and says so in its part', () => {
    const p = probe('powerstat', { status: 'measured', energyJ: 100, sampleCount: 5 }, 1000);
    const [d] = p.deviceReports;
    if (d !== undefined) delete d.method;
    // Same as a power device: half = 5 % × 100 + 10 W × 1 s = 15 J → [85, 115], method `power`.
    const b = energyBoundOf([p], 10_000, { energyJ: 100, estimated: false });
    expect(b.devices.map((x) => x.method)).toEqual(['power']);
    expect(b.lowJ).toBeCloseTo(85, 9);
  });
});
