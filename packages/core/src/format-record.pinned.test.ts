// format-record.ts's units, thresholds, labels and table pinned exactly (written against Stryker's survivors): every
// unit switch at its boundary, the optional parts of the summary line present and absent, the demo table's layout.
import { describe, expect, it } from 'vitest';
import { record } from '../test/format-record-fixture.js';
import {
  deviceShortfalls,
  formatDuration,
  formatEfficiencyPerKJ,
  formatEnergy,
  formatRecord,
  formatRunSummary,
  formatSensorBound,
  formatSummaryTable,
  recordLabel,
  runSummaryLine,
  sharedNodeText,
  summaryRows,
} from './format-record.js';
import type { ProbeReport } from './schema.js';

describe('formatEnergy', () => {
  it('switches unit at exactly 1 kJ and 1 MJ', () => {
    // 1e6 J = 1.00 MJ; 999 999 J = 999.999 kJ → "1000.00 kJ" (still kJ below 1e6); 1000 J = 1.00 kJ;
    // 999.94 J → one decimal "999.9 J"; 2.5e6 J = 2.50 MJ; 3200 J = 3.20 kJ; 0 J = "0.0 J".
    expect(formatEnergy(1e6)).toBe('1.00 MJ');
    expect(formatEnergy(999_999)).toBe('1000.00 kJ');
    expect(formatEnergy(1000)).toBe('1.00 kJ');
    expect(formatEnergy(999.94)).toBe('999.9 J');
    expect(formatEnergy(2.5e6)).toBe('2.50 MJ');
    expect(formatEnergy(3200)).toBe('3.20 kJ');
    expect(formatEnergy(0)).toBe('0.0 J');
  });
});

describe('formatSensorBound', () => {
  it('uses ± when both sides print alike, −below/+above otherwise', () => {
    expect(formatSensorBound(60, 60)).toBe('± 60.0 J (sensor)');
    expect(formatSensorBound(55, 155)).toBe('−55.0 J/+155.0 J (sensor)');
    // 1000 J and 1000.004 J both print "1.00 kJ": alike as the user reads them.
    expect(formatSensorBound(1000, 1000.004)).toBe('± 1.00 kJ (sensor)');
  });
});

describe('formatDuration', () => {
  it('switches to minutes at 60 s and to hours at 60 min (after rounding to the second)', () => {
    // 59 499 ms → 59 s; 59 500 ms → round(59.5) = 60 s = 1m00s; 187 000 ms = 3 min 7 s;
    // 3 599 000 ms = 3599 s = 59 min 59 s; 3 600 000 ms = 60 min = 1h00m; 7 500 000 ms = 7500 s = 125 min = 2h05m.
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_499)).toBe('59s');
    expect(formatDuration(59_500)).toBe('1m00s');
    expect(formatDuration(187_000)).toBe('3m07s');
    expect(formatDuration(3_599_000)).toBe('59m59s');
    expect(formatDuration(3_600_000)).toBe('1h00m');
    expect(formatDuration(7_500_000)).toBe('2h05m');
  });
});

describe('formatEfficiencyPerKJ', () => {
  it('switches to two decimals at exactly 10 per kJ', () => {
    // 0.01 /J × 1000 = 10 per kJ → "10.00"; 0.00999 /J = 9.99 per kJ → three significant digits "9.99".
    expect(formatEfficiencyPerKJ(0.01)).toBe('10.00');
    expect(formatEfficiencyPerKJ(0.00999)).toBe('9.99');
  });
});

describe('sharedNodeText', () => {
  it('upper-cases and joins the components with /', () => {
    expect(sharedNodeText(['cpu', 'ram'])).toBe("shared node: CPU/RAM energy is the node's, not this run's");
  });
});

const report = (status: string, uncoveredMs: number, deviceId: string) => ({
  deviceId,
  component: 'gpu' as const,
  status: status as 'measured',
  energyJ: 1,
  sampleCount: 1,
  uncoveredMs,
});

describe('deviceShortfalls', () => {
  it('lists devices not measured or with uncovered time, and only those', () => {
    const probe = {
      name: 'nvidia-smi',
      deviceReports: [
        report('measured', 0, 'gpu0'),
        report('measured', 500, 'gpu1'),
        report('lost', 0, 'gpu2'),
        report('unsupported', 2100, 'gpu3'),
      ],
    } as unknown as ProbeReport;
    // gpu0: measured, 0 ms uncovered → left out; gpu1: 500 ms = 0.50 s; gpu2 lost with nothing uncovered: no
    // "uncovered" part; gpu3: 2100 ms = 2.10 s.
    expect(deviceShortfalls([probe])).toEqual([
      'nvidia-smi gpu1 measured, 0.50 s uncovered',
      'nvidia-smi gpu2 lost',
      'nvidia-smi gpu3 unsupported, 2.10 s uncovered',
    ]);
  });

  it('takes a probe report without deviceReports (built by hand, not parsed) as having none', () => {
    expect(deviceShortfalls([{ name: 'rapl' } as unknown as ProbeReport])).toEqual([]);
  });
});

describe('runSummaryLine', () => {
  it('holds only what the record has: no bound, carbon, divergence or shared node on a plain run', () => {
    expect(runSummaryLine(record({ final: { sharedComponents: [] } }))).toStrictEqual({
      epochs: 3,
      accuracy: 0.9712,
      accuracyOn: 'test',
      energyJ: 250,
      efficiency: 0.9712 / 250,
      stoppedBy: 'fixedEpochs',
      durationMs: 61_000,
      estimated: true,
      degraded: false,
      devices: [],
    });
  });

  it('carries the bound, the carbon, why it diverged and the shared components when recorded', () => {
    const carbon = {
      gramsCO2e: 0.5,
      intensityGPerKWh: 400,
      pue: 1,
      source: 'cli' as const,
      sourceLabel: 'given with --carbon-intensity',
    };
    const s = runSummaryLine(
      record({
        status: 'diverged',
        final: {
          energyBoundJ: { lowJ: 200, highJ: 300 },
          carbon,
          sharedComponents: ['cpu'],
          stoppedBy: { criterion: 'diverged', reason: 'loss is NaN', epoch: 2 },
        },
      }),
    );
    expect(s.energyBoundJ).toStrictEqual({ lowJ: 200, highJ: 300 });
    expect(s.gramsCO2e).toBe(0.5);
    expect(s.diverged).toBe('loss is NaN');
    expect(s.shared).toEqual(['cpu']);
  });

  it('a completed run has no `diverged`, even with a stop reason', () => {
    expect(runSummaryLine(record({})).diverged).toBeUndefined();
  });
});

describe('formatRunSummary', () => {
  const base = {
    epochs: 2,
    accuracy: 0.5,
    energyJ: 100,
    efficiency: 0.005,
    stoppedBy: 'fixedEpochs',
    durationMs: 5000,
    estimated: false,
    degraded: false,
  };

  it('has no accuracy name, no flags and no brackets when none apply', () => {
    // 0.005 /J = 5.00 per kJ (three significant digits).
    expect(formatRunSummary(base)).toBe(
      '2 epochs, acc 50.0%, 100.0 J, eff 5.00 acc/kJ, stopped by fixedEpochs, 5s',
    );
  });

  it('adds the shared-node warning only for a non-empty list', () => {
    expect(formatRunSummary({ ...base, shared: [] })).not.toContain('[');
    expect(formatRunSummary({ ...base, shared: ['cpu'] })).toBe(
      "2 epochs, acc 50.0%, 100.0 J, eff 5.00 acc/kJ, stopped by fixedEpochs, 5s [shared node: CPU energy is the node's, not this run's]",
    );
  });

  it('joins several flags with commas in a fixed order', () => {
    expect(
      formatRunSummary({
        ...base,
        estimated: true,
        degraded: true,
        devices: ['rapl package-0 lost'],
        shared: ['ram'],
      }),
    ).toBe(
      "2 epochs, acc 50.0%, 100.0 J, eff 5.00 acc/kJ, stopped by fixedEpochs, 5s [estimated, DEGRADED (energy is a lower bound), rapl package-0 lost, shared node: RAM energy is the node's, not this run's]",
    );
  });
});

describe('recordLabel and formatRecord', () => {
  it('names the fold, and falls back to architecture-size and the criterion name', () => {
    const r = record({ config: { model: undefined, fold: 2, criterion: { name: 'plateau' } } });
    expect(recordLabel(r)).toBe('mnist fold 2 lenet-1 plateau');
    const r2 = record({ config: { model: undefined, architecture: 'mlp', size: 4 } });
    expect(recordLabel(r2)).toBe('mnist mlp-4 fixed 3 epochs');
  });

  it('a failed run without an error text says so', () => {
    expect(formatRecord(record({ status: 'failed' }))).toBe(
      'FAILED mnist lenet-1 fixed 3 epochs: unknown error',
    );
  });
});

describe('summaryRows and formatSummaryTable', () => {
  const runs = [
    record({}),
    record({ status: 'failed', error: 'boom' }),
    record({
      status: 'diverged',
      config: { model: undefined, architecture: 'mlp', size: 12, criterion: { name: 'plateau' } },
      final: {
        epochs: 10,
        accuracy: 0.1,
        energyJ: { cpu: 12_500, total: 12_500 },
        efficiency: 0.1 / 12_500,
        stoppedBy: { criterion: 'diverged', reason: 'NaN', epoch: 10 },
      },
    }),
  ];

  it('keeps completed and diverged runs, in order, with the fallbacks for model and criterion', () => {
    expect(summaryRows(runs)).toEqual([
      {
        model: 'lenet-1',
        criterion: 'fixed 3 epochs',
        epochs: 3,
        accuracy: 0.9712,
        energyJ: 250,
        efficiency: 0.9712 / 250,
        stoppedBy: 'fixedEpochs',
      },
      {
        model: 'mlp-12',
        criterion: 'plateau',
        epochs: 10,
        accuracy: 0.1,
        energyJ: 12_500,
        efficiency: 0.1 / 12_500,
        stoppedBy: 'diverged',
      },
    ]);
  });

  it('lays out a fixed-width table: text columns left, numbers right, efficiency per kJ', () => {
    // acc/kJ: 0.9712/250 × 1000 = 3.8848 → "3.885"; 0.1/12 500 × 1000 = 0.008 → "0.008".
    // energy: "250.0 J"; 12 500 J = 12.5 kJ → "12.50 kJ".
    // Widths: model max("model" 5, "lenet-1" 7, "mlp-12" 6) = 7; criterion max(9, 14, 7) = 14; epochs 6; accuracy 8;
    // energy max(6, 7, 8) = 8; acc/kJ 6; stopped by max(10, 11, 8) = 11. Columns 2–5 right-aligned, two spaces apart.
    const table = formatSummaryTable(summaryRows(runs));
    expect(table).toBe(
      [
        'model    criterion       epochs  accuracy    energy  acc/kJ  stopped by',
        '-------  --------------  ------  --------  --------  ------  -----------',
        'lenet-1  fixed 3 epochs       3    0.9712   250.0 J   3.885  fixedEpochs',
        'mlp-12   plateau             10    0.1000  12.50 kJ   0.008  diverged',
        '',
      ].join('\n'),
    );
  });

  it('is a header and a rule for no rows', () => {
    expect(formatSummaryTable([])).toBe(
      'model  criterion  epochs  accuracy  energy  acc/kJ  stopped by\n-----  ---------  ------  --------  ------  ------  ----------\n',
    );
  });
});
