// formatRecord: the line `eff run` prints for a run, from its record alone (values, units and labels).
import { describe, expect, it } from 'vitest';
import { record } from '../test/format-record-fixture.js';
import { formatEfficiencyPerKJ, formatRecord } from './format-record.js';

describe('formatRecord', () => {
  it('prints the outcome with units, the accuracy used, efficiency per kJ and the estimated label', () => {
    // 0.9712 / 250 J = 3.8848e-3 /J = 3.88 accuracy per kJ.
    expect(formatRecord(record({}))).toBe(
      'done mnist lenet-1 fixed 3 epochs: 3 epochs, test acc 97.1%, 250.0 J, eff 3.88 acc/kJ, stopped by fixedEpochs, 1m01s [estimated]',
    );
  });

  it('prints the sensors’ interval on the energy after it: ± when both sides print alike, else −below/+above', () => {
    // The estimate's ±50 % of 250 J: 125 J each side.
    expect(formatRecord(record({ final: { energyBoundJ: { lowJ: 125, highJ: 375 } } }))).toContain(
      ', 250.0 J ± 125.0 J (sensor), eff 3.88 acc/kJ,',
    );
    // Uncovered time widens only the upper side: 250 − 240 = 10 J below, 290 − 250 = 40 J above.
    expect(formatRecord(record({ final: { energyBoundJ: { lowJ: 240, highJ: 290 } } }))).toContain(
      ', 250.0 J −10.0 J/+40.0 J (sensor), eff',
    );
  });

  it('prints the carbon when the record has it', () => {
    // 250 J = 250 / 3.6e6 kWh × 400 g/kWh × PUE 1 = 0.02777… g.
    const carbon = {
      gramsCO2e: (250 / 3.6e6) * 400,
      intensityGPerKWh: 400,
      pue: 1,
      source: 'cli' as const,
      sourceLabel: 'given with --carbon-intensity',
    };
    expect(formatRecord(record({ final: { carbon } }))).toContain(
      ', eff 3.88 acc/kJ, 0.0278 g CO2e, stopped by',
    );
  });

  it('says DEGRADED and names devices not fully measured; diverged and failed runs say so first', () => {
    const probes = [
      {
        name: 'nvidia-smi',
        components: ['gpu'],
        estimated: false,
        sampleCount: 3,
        degraded: true,
        deviceReports: [
          {
            deviceId: 'gpu1',
            component: 'gpu',
            status: 'lost',
            energyJ: 1,
            sampleCount: 3,
            uncoveredMs: 2100,
          },
        ],
      },
    ];
    expect(formatRecord(record({ probes, final: { degraded: true, estimated: false } }))).toMatch(
      / \[DEGRADED \(energy is a lower bound\), nvidia-smi gpu1 lost, 2\.10 s uncovered\]$/,
    );
    expect(
      formatRecord(
        record({
          status: 'diverged',
          final: {
            stoppedBy: { criterion: 'diverged', reason: 'training loss is NaN after epoch 2', epoch: 2 },
          },
        }),
      ),
    ).toMatch(/^DIVERGED \(training loss is NaN after epoch 2\) mnist lenet-1 fixed 3 epochs: 3 epochs/);
    expect(formatRecord(record({ status: 'failed', error: 'E_MEASURE_PROBE_UNAVAILABLE: rapl' }))).toBe(
      'FAILED mnist lenet-1 fixed 3 epochs: E_MEASURE_PROBE_UNAVAILABLE: rapl',
    );
  });

  it('efficiency per kJ: three significant digits below 10, two decimals above', () => {
    expect(formatEfficiencyPerKJ(8.637e-4)).toBe('0.864');
    expect(formatEfficiencyPerKJ(0.0123)).toBe('12.30');
    expect(formatEfficiencyPerKJ(0)).toBe('0.00');
  });
});
