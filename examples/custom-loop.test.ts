// Runs examples/custom-loop.ts on a small MNIST subset with a tiny energy budget: it stops inside the first epoch.
import { RunRecordSchema } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { customLoop } from './custom-loop.js';

describe('examples/custom-loop', () => {
  it('a per-batch energy budget stops the hand-written loop within the first epoch', async () => {
    const lines: string[] = [];
    const r = await customLoop({
      trainSize: 2000,
      testSize: 200,
      maxEpochs: 3,
      batchSize: 32,
      budgetJ: 2,
      intervalMs: 100,
      log: (l) => lines.push(l),
    });
    expect(RunRecordSchema.safeParse(r).success).toBe(true);
    expect(r.final.stoppedBy.criterion).toBe('energyBudget');
    expect(r.final.stoppedBy.epoch).toBe(1);
    // 1600 training images in batches of 32: 50 batches per epoch; the budget is reached well before the end.
    expect(r.final.stoppedBy.batch).toBeGreaterThanOrEqual(1);
    expect(r.final.stoppedBy.batch).toBeLessThan(50);
    expect(r.epochs).toHaveLength(1);
    expect(r.final.energyJ.total).toBeGreaterThan(2 * 0.9);
    expect(lines[0]).toMatch(/^stopped inside epoch 1: cumulative energy .* ≥ budget 2 J/);
  }, 300_000);
});
