// Sensor bounds on energy and their propagation into Eq. 1, against values computed by hand.
import { describe, expect, it } from 'vitest';
import type { ProbeReport, RunRecord } from './schema.js';
import {
  architectureEfficiencyBound,
  deviceEnergyBound,
  dominantInterval,
  efficiencyBound,
  energyBoundOf,
  overallEfficiencyBound,
  ratioBound,
  runEnergyBound,
} from './uncertainty.js';

const device = (
  deviceId: string,
  method: 'counter' | 'power' | 'estimate',
  energyJ: number,
  uncoveredMs = 0,
) => ({
  deviceId,
  component: 'gpu' as const,
  status: 'measured' as const,
  method,
  energyJ,
  sampleCount: 101,
  uncoveredMs,
});
const probe = (
  name: string,
  intervalMs: number,
  deviceReports: ReturnType<typeof device>[],
): ProbeReport => ({
  name,
  components: ['gpu'],
  estimated: false,
  sampleCount: 101,
  devices: deviceReports.map((d) => d.deviceId),
  gaps: [],
  errors: [],
  degraded: false,
  intervalMs,
  deviceReports,
  notes: [],
});

describe('deviceEnergyBound', () => {
  it('NVIDIA power readings: ±5 W over the window plus one interval of mean power', () => {
    // 10 s at 100 W = 1000 J, Δt 0.1 s: 5 W × 10 s + 100 W × 0.1 s = 60 J.
    const b = deviceEnergyBound('nvidia-smi', device('0', 'power', 1000), 10, 0.1);
    expect(b.belowJ).toBeCloseTo(60, 9);
    expect(b.aboveJ).toBeCloseTo(60, 9);
  });

  it('uses the sampling bound the meter computed from the readings, when the report has one', () => {
    // 10 s at 100 W = 1000 J; readings bound the trapezoids to 12.5 J: 5 W × 10 s + 12.5 J = 62.5 J (not 60 J).
    const b = deviceEnergyBound(
      'nvidia-smi',
      { ...device('0', 'power', 1000), samplingBoundJ: 12.5 },
      10,
      0.1,
    );
    expect([b.belowJ, b.aboveJ]).toEqual([62.5, 62.5]);
    // A counter adds the sampling bound of power readings that covered part of its window: 0.1 J + 2 units + 3 J.
    const r = deviceEnergyBound('rapl', { ...device('pkg', 'counter', 500), samplingBoundJ: 3 }, 10, 0.1);
    expect(r.aboveJ).toBeCloseTo(0.1 + 2 / 65536 + 3, 12);
  });

  it('other power readings: ±5 % plus sampling; uncovered time adds mean power × gap above only', () => {
    // 900 J over 9 s covered of 10 (1 s uncovered): P = 100 W; 45 J + 100 × 0.1 = 55 J; above + 100 W × 1 s = 155 J.
    const b = deviceEnergyBound('rocm-smi', device('card0', 'power', 900, 1000), 10, 0.1);
    expect(b.belowJ).toBeCloseTo(55, 9);
    expect(b.aboveJ).toBeCloseTo(155, 9);
  });

  it('RAPL counter: two updates of 1 ms at mean power and two energy units', () => {
    // 500 J over 10 s = 50 W: 2 × 1e-3 × 50 + 2 × 2^-16 = 0.1 + 0.0000305 J.
    expect(deviceEnergyBound('rapl', device('package-0', 'counter', 500), 10, 0.1).aboveJ).toBeCloseTo(
      0.1 + 2 / 65536,
      12,
    );
  });

  it('the estimate: ±50 %, never below 0 J', () => {
    const b = deviceEnergyBound('estimate', device('cpu', 'estimate', 200), 10, 0.1);
    expect([b.belowJ, b.aboveJ]).toEqual([100, 100]);
  });
});

describe('energyBoundOf and efficiencyBound', () => {
  it('adds the devices’ bounds and carries them into Eq. 1', () => {
    // nvidia 1000 J ± 60 J and the estimate's 200 J ± 100 J → [1040, 1360] J.
    const bound = energyBoundOf(
      [
        probe('nvidia-smi', 100, [device('0', 'power', 1000)]),
        probe('estimate', 100, [device('cpu', 'estimate', 200)]),
      ],
      10_000,
      { energyJ: 1200, estimated: true },
    );
    expect(bound.lowJ).toBeCloseTo(1040, 9);
    expect(bound.highJ).toBeCloseTo(1360, 9);
    // Eq. 1 with accuracy 0.9: [0.9/1360, 0.9/1040].
    const eff = efficiencyBound(0.9, bound);
    expect(eff.low).toBeCloseTo(0.9 / 1360, 15);
    expect(eff.high).toBeCloseTo(0.9 / 1040, 15);
  });

  it('a record without device reports falls back on its total: ±50 % estimated, else ±5 %', () => {
    expect(energyBoundOf([], 10_000, { energyJ: 1000, estimated: true })).toMatchObject({
      lowJ: 500,
      highJ: 1500,
    });
    expect(energyBoundOf([], 10_000, { energyJ: 1000, estimated: false })).toMatchObject({
      lowJ: 950,
      highJ: 1050,
    });
  });
});

describe('energyBoundOf over a window longer than the energy bounded', () => {
  it('scales the half-widths by the bounded share (an idle baseline in the reports)', () => {
    // Device 1000 J ± 60 J (as above); the run's own energy is 500 J → ± 30 J.
    const bound = energyBoundOf([probe('nvidia-smi', 100, [device('0', 'power', 1000)])], 10_000, {
      energyJ: 500,
      estimated: false,
    });
    expect(bound.lowJ).toBeCloseTo(470, 9);
    expect(bound.highJ).toBeCloseTo(530, 9);
    // Each device's part is scaled alike, so the parts add up to the interval.
    expect(bound.devices).toEqual([
      { probe: 'nvidia-smi', deviceId: '0', method: 'power', belowJ: 30, aboveJ: 30 },
    ]);
  });
});

describe('each device’s part of the interval', () => {
  it('keeps probe, device, method and both half-widths, summing to the total', () => {
    const bound = energyBoundOf(
      [
        probe('nvidia-smi', 100, [device('0', 'power', 1000)]),
        probe('rocm-smi', 100, [device('card0', 'power', 900, 1000)]),
      ],
      10_000,
      { energyJ: 1900, estimated: false },
    );
    // 60 J / 60 J and 55 J / 155 J (the cases above): [1900 − 115, 1900 + 215].
    expect(bound.devices.map((d) => [d.probe, d.deviceId, d.method, d.belowJ, d.aboveJ])).toEqual([
      ['nvidia-smi', '0', 'power', 60, 60],
      ['rocm-smi', 'card0', 'power', expect.closeTo(55, 9), expect.closeTo(155, 9)],
    ]);
    expect(bound.lowJ).toBeCloseTo(1785, 9);
    expect(bound.highJ).toBeCloseTo(2115, 9);
  });
});

/** A usable run of `size` with accuracy `accuracy` and the recorded interval [lowJ, highJ] on `energyJ`. */
const run = (size: number, accuracy: number, energyJ: number, lowJ: number, highJ: number): RunRecord =>
  ({
    config: { size },
    probes: [],
    final: {
      accuracy,
      energyJ: { total: energyJ },
      durationMs: 1000,
      estimated: false,
      energyBoundJ: { lowJ, highJ },
    },
  }) as unknown as RunRecord;

describe('propagation into Eq. 3, Eq. 4 and the ratios', () => {
  it('runEnergyBound: the recorded interval, else the probe reports’ (old records)', () => {
    expect(runEnergyBound(run(1, 0.9, 100, 90, 120))).toEqual({ lowJ: 90, highJ: 120 });
    const old = { ...run(1, 0.9, 1000, 0, 0), final: { ...run(1, 0.9, 1000, 0, 0).final } };
    delete (old.final as { energyBoundJ?: unknown }).energyBoundJ;
    expect(runEnergyBound(old)).toMatchObject({ lowJ: 950, highJ: 1050 });
  });

  it('Eq. 3: Eq. 1 intervals averaged over a size’s repeats, then over sizes', () => {
    // size 1: 0.8/[80, 100] J → [0.008, 0.01] and 0.6/[50, 60] J → [0.01, 0.012]; mean [0.009, 0.011].
    // size 2: 0.9/[300, 450] J → [0.002, 0.003]. Eq. 3: [(0.009 + 0.002)/2, (0.011 + 0.003)/2] = [0.0055, 0.007].
    const b = architectureEfficiencyBound([
      run(1, 0.8, 90, 80, 100),
      run(1, 0.6, 55, 50, 60),
      run(2, 0.9, 400, 300, 450),
    ]);
    expect(b.low).toBeCloseTo(0.0055, 15);
    expect(b.high).toBeCloseTo(0.007, 15);
    expect(() => architectureEfficiencyBound([])).toThrow(RangeError);
  });

  it('Eq. 4: the mean of the criteria’s Eq. 3 intervals', () => {
    const b = overallEfficiencyBound([
      { low: 0.0055, high: 0.007 },
      { low: 0.0025, high: 0.005 },
    ]);
    expect(b.low).toBeCloseTo(0.004, 15);
    expect(b.high).toBeCloseTo(0.006, 15);
    expect(() => overallEfficiencyBound([])).toThrow(RangeError);
  });

  it('a ratio: numerator’s low over denominator’s high … numerator’s high over denominator’s low', () => {
    // [0.004, 0.006] / [0.002, 0.003]: [0.004/0.003, 0.006/0.002] = [1.333…, 3].
    const r = ratioBound({ low: 0.004, high: 0.006 }, { low: 0.002, high: 0.003 });
    expect(r.low).toBeCloseTo(4 / 3, 12);
    expect(r.high).toBeCloseTo(3, 12);
    expect(ratioBound({ low: 1, high: 2 }, { low: 0, high: 1 }).high).toBe(Number.POSITIVE_INFINITY);
  });

  it('names the wider interval; a one-value bootstrap leaves the sensors', () => {
    expect(dominantInterval({ low: 1, high: 3 }, { low: 1.5, high: 2 })).toBe('sensors');
    expect(dominantInterval({ low: 1, high: 1.2 }, { low: 0.5, high: 2 })).toBe('bootstrap');
    expect(dominantInterval({ low: 1, high: 2 }, { low: 0, high: 1 })).toBe('bootstrap');
    expect(dominantInterval({ low: 1, high: 1.01 }, null)).toBe('sensors');
  });
});
