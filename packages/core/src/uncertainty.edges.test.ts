// uncertainty.ts at its edges, with hand-computed intervals (written against Stryker's survivors of the `insightnew`
// run): which probe names get NVIDIA's ±5 W and RAPL's units, a device with no covered time, zero-energy devices,
// zero and infinite ends in Eq. 1 and the ratios, and the errors' texts.
import { describe, expect, it } from 'vitest';
import {
  architectureEfficiencyBound,
  deviceEnergyBound,
  efficiencyBound,
  energyBoundOf,
  overallEfficiencyBound,
  ratioBound,
  SENSOR_ACCURACY,
} from './uncertainty.js';

const powerDevice = {
  deviceId: 'gpu0',
  method: 'power' as const,
  energyJ: 200,
  sampleCount: 11,
  uncoveredMs: 0,
};

describe('deviceEnergyBound: which sources get which accuracy', () => {
  it('nvidia-smi and nvml both read the board sensor: ±5 W × covered time (10 s → 50 J), plus sampling', () => {
    for (const probe of ['nvidia-smi', 'nvml']) {
      const b = deviceEnergyBound(probe, { ...powerDevice, samplingBoundJ: 3 }, 10, 1);
      // 5 W × 10 s + 3 J sampling = 53 J
      expect(b.aboveJ, probe).toBe(53);
      expect(b.belowJ, probe).toBe(53);
    }
  });

  it('any other power source: ±5 % of E (200 J → 10 J), plus sampling', () => {
    for (const probe of ['amd-smi', 'powerstat', 'nvidia', '']) {
      const b = deviceEnergyBound(probe, { ...powerDevice, samplingBoundJ: 3 }, 10, 1);
      expect(b.aboveJ, probe).toBe(13);
    }
  });

  it('a counter that is not RAPL: NVML’s 100 ms update and 1 mJ unit, not RAPL’s 1 ms and 15.3 µJ', () => {
    const device = {
      deviceId: 'gpu0',
      method: 'counter' as const,
      energyJ: 500,
      sampleCount: 5,
      uncoveredMs: 0,
    };
    // mean power 500 J / 10 s = 50 W; 2 × 0.1 s × 50 W + 2 × 0.001 J = 10.002 J
    expect(deviceEnergyBound('nvml', device, 10, 1).aboveJ).toBeCloseTo(10.002, 12);
    // RAPL: 2 × 0.001 s × 50 W + 2 × 2⁻¹⁶ J = 0.1 + 0.000030517578125 J
    expect(deviceEnergyBound('rapl', device, 10, 1).aboveJ).toBeCloseTo(0.1 + 2 * 2 ** -16, 12);
    expect(SENSOR_ACCURACY.raplUpdateS).toBe(1e-3);
  });

  it('a device whose whole window is uncovered has no mean power: 0 W, not Infinity or NaN', () => {
    const b = deviceEnergyBound(
      'powerstat',
      { deviceId: 'cpu', method: 'power', energyJ: 0, sampleCount: 0, uncoveredMs: 10_000 },
      10,
      1,
    );
    expect(b).toEqual({
      probe: 'powerstat',
      deviceId: 'cpu',
      method: 'power',
      energyJ: 0,
      belowJ: 0,
      aboveJ: 0,
    });
  });
});

describe('energyBoundOf: totals', () => {
  it('with no usable device, the fallback interval has no device parts', () => {
    const b = energyBoundOf([], 1000, { energyJ: 100, estimated: false });
    expect(b).toEqual({ lowJ: 95, highJ: 105, devices: [] });
  });

  it('devices with 0 J keep their own half-widths (no scaling by 0 / 0)', () => {
    const probe = {
      name: 'nvidia-smi',
      components: ['gpu' as const],
      estimated: false,
      sampleCount: 3,
      devices: [],
      gaps: [],
      errors: [],
      degraded: false,
      notes: [],
      intervalMs: 1000,
      deviceReports: [
        {
          deviceId: 'gpu0',
          component: 'gpu' as const,
          status: 'measured' as const,
          method: 'power' as const,
          energyJ: 0,
          sampleCount: 3,
          uncoveredMs: 0,
          samplingBoundJ: 0,
        },
      ],
    };
    // 5 W × 2 s = 10 J above; below is capped at the energy, 0 J.
    const b = energyBoundOf([probe], 2000, { energyJ: 0, estimated: false });
    expect(b.lowJ).toBe(0);
    expect(b.highJ).toBe(10);
    expect(b.devices).toEqual([
      { probe: 'nvidia-smi', deviceId: 'gpu0', method: 'power', belowJ: 0, aboveJ: 10 },
    ]);
  });
});

describe('Eq. 1 and the ratios at 0 and Infinity', () => {
  it('efficiencyBound: a 0 J upper end gives 0, a 0 J lower end gives Infinity', () => {
    expect(efficiencyBound(0.9, { lowJ: 0, highJ: 0 })).toEqual({ low: 0, high: Number.POSITIVE_INFINITY });
    expect(efficiencyBound(0.9, { lowJ: 0.5, highJ: 2 })).toEqual({ low: 0.45, high: 1.8 });
    // 0 accuracy over an interval reaching 0 J: 0 / 0 is no number; the upper end stays the open Infinity.
    expect(efficiencyBound(0, { lowJ: 0, highJ: 2 })).toEqual({ low: 0, high: Number.POSITIVE_INFINITY });
  });

  it('ratioBound: a 0 or infinite denominator end gives 0 / Infinity, never NaN', () => {
    expect(ratioBound({ low: 1, high: 2 }, { low: 0, high: 0 })).toEqual({
      low: 0,
      high: Number.POSITIVE_INFINITY,
    });
    expect(ratioBound({ low: 1, high: 2 }, { low: 0.5, high: Number.POSITIVE_INFINITY })).toEqual({
      low: 0,
      high: 4,
    });
    expect(ratioBound({ low: 1, high: 2 }, { low: 0.5, high: 4 })).toEqual({ low: 0.25, high: 4 });
    // A numerator of exactly 0 over a denominator reaching 0: Infinity at the top, not 0 / 0.
    expect(ratioBound({ low: 0, high: 0 }, { low: 0, high: 1 })).toEqual({
      low: 0,
      high: Number.POSITIVE_INFINITY,
    });
  });

  it('Eq. 3 and Eq. 4 without input throw a RangeError saying what is missing', () => {
    expect(() => architectureEfficiencyBound([])).toThrow(
      new RangeError("Eq. 3's sensor interval needs at least one run, found none"),
    );
    expect(() => overallEfficiencyBound([])).toThrow(
      new RangeError("Eq. 4's sensor interval needs at least one criterion's Eq. 3 interval, found none"),
    );
  });
});
