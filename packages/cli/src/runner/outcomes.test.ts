// Diverged runs in `eff run`: recorded as results, counted apart from completed and failed runs, never retried on resume.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunRecord, RunRecordSchema, summaryRows } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import { expandGrid } from '../grid/expand.js';
import { validateGridConfig } from '../grid/load.js';
import type { CliIo } from '../io.js';
import { lineProgress } from './progress.js';
import { planGrid } from './run-grid.js';

function recordFor(runId: string, status: RunRecord['status']): RunRecord {
  const stoppedBy =
    status === 'diverged'
      ? { criterion: 'diverged', reason: 'training loss is NaN after epoch 1', epoch: 1 }
      : status === 'failed'
        ? { criterion: 'error', reason: 'out of memory', epoch: 0 }
        : { criterion: 'fixedEpochs', reason: 'reached 1 epochs', epoch: 1 };
  return RunRecordSchema.parse({
    schemaVersion: 1,
    runId,
    status,
    ...(status === 'failed' ? { error: 'out of memory' } : {}),
    startedAt: '2026-11-30T08:00:00.000Z',
    endedAt: '2026-11-30T08:01:00.000Z',
    config: {
      architecture: 'lenet',
      size: 1,
      dataset: 'mnist',
      criterion: { name: 'fixedEpochs', params: { epochs: 1 } },
      maxEpochs: 1,
    },
    environment: {},
    probes: [],
    epochs: [],
    final: {
      epochs: status === 'failed' ? 0 : 1,
      accuracy: 0.1,
      accuracyOn: 'validation',
      trainAccuracy: null,
      energyJ: { cpu: 40, total: 40 },
      efficiency: 0.1 / 40,
      durationMs: 1000,
      stoppedBy,
      degraded: false,
      estimated: true,
    },
  });
}

describe('resume: which runs are done', () => {
  it('completed and diverged runs are done; a failed run is retried', async () => {
    const grid = validateGridConfig(
      {
        datasets: ['mnist'],
        architectures: ['lenet'],
        sizes: [1, 2, 3, 4],
        criteria: [{ name: 'fixedEpochs', params: { epochs: 1 } }],
        maxEpochs: 1,
      },
      'test grid',
    );
    const ids = expandGrid(grid).map((r) => r.runId);
    expect(ids).toHaveLength(4);
    const dir = await mkdtemp(join(tmpdir(), 'eff-outcomes-'));
    const file = join(dir, 'results.jsonl');
    const lines = [
      recordFor(ids[0]!, 'completed'),
      recordFor(ids[1]!, 'diverged'),
      recordFor(ids[2]!, 'failed'),
    ];
    await writeFile(file, lines.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const { done } = await planGrid(grid, file);
    expect([...done].sort()).toEqual([ids[0], ids[1]].sort());
  });
});

describe('progress and summary of a diverged run', () => {
  it('the run line says DIVERGED and why; the grid line counts diverged runs apart', () => {
    let err = '';
    const io: CliIo = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (err += s), isTTY: false },
      env: {},
      cwd: '/',
    };
    const p = lineProgress(io);
    p.runEnd({
      label: 'mnist BCNN-1 3 epochs',
      summary: {
        epochs: 1,
        accuracy: 0.1,
        energyJ: 44,
        efficiency: 0.1 / 44,
        stoppedBy: 'diverged',
        durationMs: 5000,
        estimated: false,
        degraded: false,
        diverged: 'training loss is NaN after epoch 1',
      },
    });
    p.gridEnd({ completed: 2, diverged: 1, failed: 1, skipped: 3, interrupted: false });
    const [run, grid] = err.trimEnd().split('\n');
    expect(run).toMatch(
      /\] run DIVERGED \(training loss is NaN after epoch 1\): mnist BCNN-1 3 epochs: 1 epochs, acc 10\.0%, 44\.0 J, .*stopped by diverged/,
    );
    expect(grid).toMatch(/\] grid finished: 2 completed, 1 diverged, 1 failed, 3 skipped \(already done\)$/);
  });

  it("the demo's summary table keeps diverged runs (stopped by diverged), not failed ones", () => {
    const rows = summaryRows([
      recordFor('a', 'completed'),
      recordFor('b', 'diverged'),
      recordFor('c', 'failed'),
    ]);
    expect(rows.map((r) => r.stoppedBy)).toEqual(['fixedEpochs', 'diverged']);
  });
});

// Bayes-by-Backprop BCNN at a learning rate of 1e38: its KL term overflows in the first epoch, so tfjs logs a NaN
// (or infinite) loss. The classification loss alone cannot do that (tfjs clips the probabilities).
const DIVERGING_GRID = `
name: diverging
datasets: [mnist]
architectures: [bcnn]
bcnnKind: bayes-by-backprop
sizes: [1]
criteria:
  - { name: fixedEpochs, params: { epochs: 2 } }
maxEpochs: 2
batchSize: 50
learningRate: 1.0e+38
mnist: { trainSize: 300, testSize: 100 }
intervalMs: 50
probes: [estimate]
`;

describe('eff run with a run that diverges', () => {
  it('records it as diverged with its epochs, exits 0, and a rerun does not train it again', {
    timeout: 400_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-diverge-'));
    const config = join(dir, 'diverging.yaml');
    await writeFile(config, DIVERGING_GRID);
    const out = join(dir, 'results');
    const args = ['run', '--config', config, '--out', out];

    const first = await runEff(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(
      /run DIVERGED \(training loss is (NaN|Infinity)\b[^)]* after epoch \d\): mnist BCNN-1/,
    );
    expect(first.stderr).toMatch(/grid finished: 0 completed, 1 diverged, 0 failed, 0 skipped/);
    const text = await readFile(join(out, 'results.jsonl'), 'utf8');
    const records = text
      .trimEnd()
      .split('\n')
      .map((l) => RunRecordSchema.parse(JSON.parse(l)));
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r.status).toBe('diverged');
    expect(r.final.stoppedBy.criterion).toBe('diverged');
    expect(r.epochs.length).toBeGreaterThanOrEqual(1);
    const last = r.epochs[r.epochs.length - 1]!;
    expect(last.trainLoss).toBeNull();
    expect(last.nonFinite?.trainLoss).toMatch(/^(NaN|-?Infinity)$/);
    expect(last.energyJ.total).toBeGreaterThan(0);
    expect(last.trainAccuracy).not.toBeNull();

    const second = await runEff(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/1 runs, 1 already in/);
    expect(second.stderr).toMatch(/0 completed, 0 diverged, 0 failed, 1 skipped/);
    expect(await readFile(join(out, 'results.jsonl'), 'utf8')).toBe(text);
  });
});
