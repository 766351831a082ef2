// Sensor bounds on energy and their propagation into Eq. 1, against values computed by hand.
import { describe, expect, it } from 'vitest';
import type { ProbeReport } from './schema.js';
import { deviceEnergyBound, efficiencyBound, energyBoundOf } from './uncertainty.js';

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
  });
});
