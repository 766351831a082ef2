// format-record.ts's units, thresholds and table layout, each against a hand-computed string (written before this
// file's first Stryker run, for what format-record.test.ts leaves open).
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import {
  deviceShortfalls,
  formatDuration,
  formatEfficiencyPerKJ,
  formatEnergy,
  formatRecord,
  formatRunSummary,
  formatSummaryTable,
  recordLabel,
  runSummaryLine,
  sharedNodeText,
  summaryRows,
} from './format-record.js';
import type { ProbeReport } from './schema.js';

describe('units and thresholds (mutation tests)', () => {
  it('formatEnergy: J below 1 kJ, kJ from exactly 1000 J, MJ from exactly 1e6 J', () => {
    expect(formatEnergy(0)).toBe('0.0 J');
    expect(formatEnergy(999.94)).toBe('999.9 J');
    expect(formatEnergy(1000)).toBe('1.00 kJ');
    expect(formatEnergy(999_999)).toBe('1000.00 kJ');
    expect(formatEnergy(1e6)).toBe('1.00 MJ');
    expect(formatEnergy(2_345_678)).toBe('2.35 MJ');
  });

  it('formatDuration: seconds below a minute (rounded), then m+ss, then h+mm', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_499)).toBe('59s');
    expect(formatDuration(59_500)).toBe('1m00s');
    expect(formatDuration(61_000)).toBe('1m01s');
    expect(formatDuration(3_599_000)).toBe('59m59s');
    expect(formatDuration(3_600_000)).toBe('1h00m');
    expect(formatDuration(7_530_000)).toBe('2h05m'); // 125 min
  });

  it('formatEfficiencyPerKJ: two decimals from exactly 10 per kJ', () => {
    expect(formatEfficiencyPerKJ(0.01)).toBe('10.00');
    expect(formatEfficiencyPerKJ(0.00999)).toBe('9.99');
  });
});

describe('summary pieces (mutation tests)', () => {
  it('sharedNodeText upper-cases and joins the components', () => {
    expect(sharedNodeText(['cpu', 'ram'])).toBe("shared node: CPU/RAM energy is the node's, not this run's");
  });

  it('deviceShortfalls: every device not measured, and measured ones with uncovered time; probes without reports add none', () => {
    const probes = [
      {
        name: 'rapl',
        deviceReports: [
          { deviceId: 'package-0', status: 'measured', uncoveredMs: 0 },
          { deviceId: 'dram', status: 'measured', uncoveredMs: 1500 },
          { deviceId: 'psys', status: 'unsupported', uncoveredMs: 0 },
        ],
      },
      { name: 'estimate' },
    ] as unknown as ProbeReport[];
    expect(deviceShortfalls(probes)).toEqual([
      'rapl dram measured, 1.50 s uncovered',
      'rapl psys unsupported',
    ]);
  });

  it('formatRunSummary without accuracyOn, flags or shared components; then with a shared node only', () => {
    // 0.5 / 1500 J = 3.333e-4 /J = 0.333 per kJ
    const s = {
      epochs: 2,
      accuracy: 0.5,
      energyJ: 1500,
      efficiency: 0.5 / 1500,
      stoppedBy: 'targetAccuracy',
      durationMs: 0,
      estimated: false,
      degraded: false,
    };
    expect(formatRunSummary(s)).toBe(
      '2 epochs, acc 50.0%, 1.50 kJ, eff 0.333 acc/kJ, stopped by targetAccuracy, 0s',
    );
    expect(formatRunSummary({ ...s, shared: [] })).toBe(formatRunSummary(s));
    expect(formatRunSummary({ ...s, devices: [], shared: ['cpu'] })).toBe(
      "2 epochs, acc 50.0%, 1.50 kJ, eff 0.333 acc/kJ, stopped by targetAccuracy, 0s [shared node: CPU energy is the node's, not this run's]",
    );
  });

  it('runSummaryLine: no diverged or shared key for a completed run on its own node; shared components when there are', () => {
    const r = makeRecord({ accuracy: 0.5, energyJ: 64 });
    expect(runSummaryLine(r)).toStrictEqual({
      epochs: 1,
      accuracy: 0.5,
      accuracyOn: 'test',
      energyJ: 64,
      efficiency: 0.0078125,
      stoppedBy: 'fixedEpochs',
      durationMs: 1000,
      estimated: false,
      degraded: false,
      devices: [],
    });
    expect(runSummaryLine({ ...r, final: { ...r.final, sharedComponents: [] } })).not.toHaveProperty(
      'shared',
    );
    expect(runSummaryLine({ ...r, final: { ...r.final, sharedComponents: ['ram'] } }).shared).toEqual([
      'ram',
    ]);
  });

  it('recordLabel: a fold (0 included) is named, a missing model is architecture-size', () => {
    expect(recordLabel(makeRecord({ fold: 0 }))).toBe('mnist fold 0 lenet-1 fixedEpochs');
    expect(recordLabel(makeRecord({ fold: 3, criterionLabel: 'fixed 3' }))).toBe(
      'mnist fold 3 lenet-1 fixed 3',
    );
    expect(recordLabel(makeRecord({ size: 2 }))).toBe('mnist lenet-2 fixedEpochs');
  });

  it('a failed run without an error text says "unknown error"', () => {
    expect(formatRecord(makeRecord({ status: 'failed' }))).toBe(
      'FAILED mnist lenet-1 fixedEpochs: unknown error',
    );
  });
});

describe("the demo's table (mutation tests)", () => {
  it('summaryRows keeps completed and diverged runs, in order; failed runs are left out', () => {
    const done = makeRecord({ accuracy: 0.5, energyJ: 64, criterionLabel: 'fixed 1' });
    const failed = makeRecord({ status: 'failed', size: 2 });
    const base = makeRecord({ size: 3, accuracy: 0.25, energyJ: 32 });
    const diverged = { ...base, status: 'diverged' as const };
    expect(summaryRows([done, failed, diverged])).toEqual([
      {
        model: 'lenet-1',
        criterion: 'fixed 1',
        epochs: 1,
        accuracy: 0.5,
        energyJ: 64,
        efficiency: 0.0078125,
        stoppedBy: 'fixedEpochs',
      },
      {
        model: 'lenet-3',
        criterion: 'fixedEpochs',
        epochs: 1,
        accuracy: 0.25,
        energyJ: 32,
        efficiency: 0.0078125,
        stoppedBy: 'fixedEpochs',
      },
    ]);
  });

  it('formatSummaryTable: text columns left-aligned, numbers right-aligned, two spaces apart, no trailing blanks', () => {
    const table = formatSummaryTable([
      {
        model: 'lenet-1',
        criterion: 'fixedEpochs',
        epochs: 3,
        accuracy: 0.5,
        energyJ: 1500,
        efficiency: 0.5 / 1500,
        stoppedBy: 'fixedEpochs',
      },
      { model: 'm', criterion: 'c', epochs: 12, accuracy: 1, energyJ: 5, efficiency: 0.2, stoppedBy: 's' },
    ]);
    // widths: model 7, criterion 11, epochs 6, accuracy 8, energy 7 (1.50 kJ), acc/kJ 7 (200.000), stopped by 11
    expect(table.split('\n')).toEqual([
      'model    criterion    epochs  accuracy   energy   acc/kJ  stopped by',
      '-------  -----------  ------  --------  -------  -------  -----------',
      'lenet-1  fixedEpochs       3    0.5000  1.50 kJ    0.333  fixedEpochs',
      'm        c                12    1.0000    5.0 J  200.000  s',
      '',
    ]);
  });
});
