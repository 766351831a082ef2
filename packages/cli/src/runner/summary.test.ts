// The demo's summary table and the non-TTY progress log, from schema-valid run records.
import {
  carbonOf,
  formatSummaryTable,
  givenIntensity,
  type RunRecord,
  RunRecordSchema,
  summaryRows,
} from '@eff/core';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { demoCarbonText } from './demo.js';
import { lineProgress } from './progress.js';
import { deviceShortfalls } from './run-grid.js';

function record(
  model: string,
  criterion: string,
  epochs: number,
  accuracy: number,
  energyJ: number,
): RunRecord {
  const energy = { cpu: energyJ, total: energyJ };
  return RunRecordSchema.parse({
    schemaVersion: 1,
    runId: `${model}-${criterion}`,
    status: 'completed',
    startedAt: '2026-11-25T04:00:00.000Z',
    endedAt: '2026-11-25T04:01:00.000Z',
    config: {
      architecture: model.startsWith('LeNet') ? 'lenet' : 'bcnn',
      size: 1,
      model,
      dataset: 'mnist',
      criterion: { name: criterion, label: criterion },
      maxEpochs: 6,
    },
    environment: {},
    probes: [],
    epochs: [],
    final: {
      epochs,
      accuracy,
      accuracyOn: 'test',
      trainAccuracy: null,
      energyJ: energy,
      efficiency: accuracy / energyJ,
      durationMs: 60_000,
      stoppedBy: { criterion, reason: 'test', epoch: epochs },
      degraded: false,
      estimated: true,
    },
  });
}

describe('summary table', () => {
  it('one row per completed run, efficiency in accuracy per kJ', () => {
    const rows = summaryRows([
      record('LeNet-1', 'fixedEpochs', 3, 0.9712, 250),
      record('BCNN-1', 'earlyStopping', 4, 0.9, 1500),
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ model: 'LeNet-1', epochs: 3, accuracy: 0.9712, energyJ: 250 });
    const table = formatSummaryTable(rows).split('\n');
    expect(table[0]).toMatch(/^model\s+criterion\s+epochs\s+accuracy\s+energy\s+acc\/kJ\s+stopped by$/);
    // 0.9712 / 250 J = 3.8848e-3 /J = 3.885 per kJ
    expect(table[2]).toMatch(/^LeNet-1\s+fixedEpochs\s+3\s+0\.9712\s+250\.0 J\s+3\.885\s+fixedEpochs$/);
    // 0.9 / 1500 J = 0.6 per kJ, energy shown in kJ
    expect(table[3]).toMatch(/BCNN-1\s+earlyStopping\s+4\s+0\.9000\s+1\.50 kJ\s+0\.600\s+earlyStopping/);
  });
});

describe('line progress (non-TTY)', () => {
  it('writes one timestamped, control-character-free line per event', () => {
    let err = '';
    const io: CliIo = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (err += s), isTTY: false },
      env: {},
      cwd: '/',
    };
    const p = lineProgress(io);
    p.gridStart({ total: 8, alreadyDone: 2, resultsFile: '/r/results.jsonl', gridName: 'demo' });
    p.runStart({ index: 3, total: 8, label: 'mnist LeNet-1 3 epochs', maxEpochs: 6 });
    p.epoch({ epoch: 1, maxEpochs: 6, accuracy: 0.8123, cumulativeEnergyJ: 92.44, elapsedMs: 7_400 });
    const lines = err.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] /);
    expect(lines[0]).toContain('grid demo: 8 runs, 2 already in /r/results.jsonl, 6 to go');
    expect(lines[1]).toContain('run 3/8 start: mnist LeNet-1 3 epochs (max 6 epochs)');
    expect(lines[2]).toContain('mnist LeNet-1 3 epochs epoch 1/6: acc 81.2%, energy 92.4 J, 7s');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting there are none
    expect(err).not.toMatch(/[\u001b\r]/);
  });
});

describe('devices not fully measured, in the run line', () => {
  it('names unsupported and lost devices and the time each leaves uncovered; healthy devices are not listed', () => {
    const device = (deviceId: string, status: 'measured' | 'unsupported' | 'lost', uncoveredMs: number) => ({
      deviceId,
      component: 'gpu' as const,
      status,
      energyJ: 0,
      sampleCount: 0,
      uncoveredMs,
    });
    const probe = {
      name: 'nvidia-smi',
      components: ['gpu' as const],
      estimated: false,
      sampleCount: 10,
      devices: [],
      gaps: [],
      errors: [],
      degraded: true,
      notes: [],
      deviceReports: [
        device('gpu0', 'unsupported', 0),
        device('gpu1', 'measured', 0),
        device('gpu2', 'lost', 2100),
      ],
    };
    const found = deviceShortfalls([probe]);
    expect(found).toEqual(['nvidia-smi gpu0 unsupported', 'nvidia-smi gpu2 lost, 2.10 s uncovered']);
    let err = '';
    const io: CliIo = {
      stdout: { write: () => true },
      stderr: { write: (t: string) => (err += t), isTTY: false },
      env: {},
      cwd: '/',
    };
    lineProgress(io).runEnd({
      label: 'mnist LeNet-1',
      summary: {
        epochs: 2,
        accuracy: 0.5,
        energyJ: 10,
        efficiency: 0.05,
        stoppedBy: 'fixedEpochs',
        durationMs: 2000,
        estimated: false,
        degraded: true,
        devices: found,
      },
    });
    expect(err).toMatch(
      /run done: mnist LeNet-1: .* \[DEGRADED \(energy is a lower bound\), nvidia-smi gpu0 unsupported, nvidia-smi gpu2 lost, 2\.10 s uncovered\]$/m,
    );
  });

  it("a run on a shared node says its CPU/RAM energy is the node's, not the run's", () => {
    let err = '';
    const io: CliIo = {
      stdout: { write: () => true },
      stderr: { write: (t: string) => (err += t), isTTY: false },
      env: {},
      cwd: '/',
    };
    const summary = {
      epochs: 1,
      accuracy: 0.9,
      energyJ: 100,
      efficiency: 0.009,
      stoppedBy: 'fixedEpochs',
      durationMs: 1000,
      estimated: true,
      degraded: false,
    };
    lineProgress(io).runEnd({ label: 'mnist BCNN-2', summary: { ...summary, shared: ['cpu', 'ram'] } });
    lineProgress(io).runEnd({ label: 'mnist BCNN-3', summary });
    const [shared, alone] = err.trim().split('\n');
    expect(shared).toMatch(
      /mnist BCNN-2: .* \[estimated, shared node: CPU\/RAM energy is the node's, not this run's\]$/,
    );
    expect(alone).toMatch(/mnist BCNN-3: .* \[estimated\]$/);
  });
});

describe('the demo’s closing word on carbon', () => {
  it('without an intensity: none computed, and how to get one', () => {
    const text = demoCarbonText([], null, 'eff-demo');
    expect(text).toMatch(/^Carbon: not computed\. The demo assumes no grid intensity/);
    expect(text).toContain('eff report eff-demo --carbon-country DEU');
  });

  it('with one: the runs’ grams summed, with the intensity and its source', () => {
    // 3.6 MJ = 1 kWh: 1 kWh × 400 g/kWh × 1.5 = 600 g; 0.9 MJ → 150 g; 750 g in all.
    const intensity = givenIntensity(400, 'cli');
    const withCarbon = (j: number) =>
      ({ final: { carbon: carbonOf(j, intensity, 1.5) } }) as unknown as RunRecord;
    expect(demoCarbonText([withCarbon(3.6e6), withCarbon(0.9e6)], { intensity, pue: 1.5 }, 'x')).toBe(
      'Carbon: 750 g CO2e over 2 runs (400 g/kWh × PUE 1.5; given with --carbon-intensity).\n',
    );
  });
});
