// Runs examples/wrap-model-fit.ts on a small MNIST subset: the callback records every epoch and stops fit at the cap.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatEfficiencyPerKJ, RunRecordSchema, readRunRecords } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { wrapModelFit } from './wrap-model-fit.js';

describe('examples/wrap-model-fit', () => {
  it('trains LeNet-1 under measureEfficiency and returns a valid record', async () => {
    const lines: string[] = [];
    const resultsDir = join(mkdtempSync(join(tmpdir(), 'eff-example-')), 'results');
    const r = await wrapModelFit({
      resultsDir,
      trainSize: 1500,
      testSize: 500,
      maxEpochs: 2,
      batchSize: 32,
      intervalMs: 200,
      log: (l) => lines.push(l),
    });
    expect(RunRecordSchema.safeParse(r).success).toBe(true);
    expect(r.status).toBe('completed');
    // Early stopping (patience 3) cannot fire within 2 epochs: the cap stops fit.
    expect(r.final.stoppedBy).toMatchObject({ criterion: 'maxEpochs', epoch: 2 });
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(r.final.accuracyOn).toBe('test');
    for (const e of r.epochs) {
      expect(e.testAccuracy).not.toBeNull();
      expect(e.validationAccuracy).not.toBeNull();
      expect(e.energyJ.total).toBeGreaterThan(0);
    }
    expect(r.epochs[1]!.cumulativeEnergyJ.total).toBeGreaterThan(r.epochs[0]!.cumulativeEnergyJ.total);
    // The final numbers are the last epoch's test accuracy over the run's energy (Eq. 1).
    expect(r.final.accuracy).toBe(r.epochs[1]!.testAccuracy);
    expect(r.final.efficiency).toBeCloseTo(r.final.accuracy / r.final.energyJ.total, 12);
    expect(r.environment.backend).toBeDefined();
    expect(r.environment.versions['@tensorflow/tfjs']).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.environment.cpu?.cores).toBeGreaterThan(0);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^stopped by maxEpochs/);
    // formatRecord's line: the same numbers as the record, efficiency per kJ.
    expect(lines[3]).toContain(`2 epochs, test acc ${(r.final.accuracy * 100).toFixed(1)}%`);
    expect(lines[3]).toContain(`eff ${formatEfficiencyPerKJ(r.final.efficiency)} acc/kJ`);
    const saved = [];
    for await (const at of readRunRecords(resultsDir)) saved.push(at.record.runId);
    expect(saved).toEqual([r.runId]);
  }, 300_000);
});
