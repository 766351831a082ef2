// @ts-nocheck
// Runs examples/wrap-model-fit.ts on a small MNIST subset: the callback records every epoch and stops fit at the cap.
import { RunRecordSchema } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { wrapModelFit } from './wrap-model-fit.js';

describe('examples/wrap-model-fit', () => {
  it('trains LeNet-1 under measureEfficiency and returns a valid record', async () => {
    const lines: string[] = [];
    const r = await wrapModelFit({
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
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^stopped by maxEpochs/);
  });
});
