// Runs examples/compare-architectures.ts on a tiny MNIST subset and checks Eq. 3/4 and the ratio against the records.
import { describe, expect, it } from 'vitest';
import { compareArchitectures } from './compare-architectures.js';

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('examples/compare-architectures', () => {
  it('compares LeNet and BCNN by Eq. 3, Eq. 4 and their ratio', { timeout: 180_000 }, async () => {
    const lines: string[] = [];
    const { records, perCriterion, overall, ratios } = await compareArchitectures({
      sizes: [1, 2],
      trainSize: 600,
      testSize: 200,
      maxEpochs: 2,
      // Far below one epoch's energy: the per-batch check must stop every run inside epoch 1.
      budgetJ: 1,
      batchSize: 60,
      intervalMs: 100,
      log: (l) => lines.push(l),
    });
    expect(records).toHaveLength(8);
    expect(records.every((r) => r.status === 'completed')).toBe(true);
    const budgetRuns = records.filter((r) => r.config.criterion.name === 'energyBudget');
    expect(budgetRuns).toHaveLength(4);
    for (const r of budgetRuns) {
      expect(r.final.stoppedBy.criterion).toBe('energyBudget');
      expect(r.final.stoppedBy.batch).toBeDefined();
      expect(r.final.epochs).toBe(1);
    }
    for (const r of records.filter((x) => x.config.criterion.name === 'fixedEpochs')) {
      expect(r.final.epochs).toBe(2);
    }
    // Eq. 3: mean over sizes of accuracy / energy, per architecture and criterion.
    expect(perCriterion).toHaveLength(4);
    for (const row of perCriterion) {
      const runs = records.filter(
        (r) => r.config.architecture === row.architecture && r.config.criterion.label === row.criterion,
      );
      expect(runs).toHaveLength(2);
      expect(row.efficiency).toBeCloseTo(mean(runs.map((r) => r.final.accuracy / r.final.energyJ.total)), 12);
    }
    // Eq. 4: mean over the two criteria; the ratio is LeNet's over BCNN's.
    const eq4 = (a: string) => overall.find((o) => o.architecture === a)!.efficiency;
    for (const a of ['lenet', 'bcnn']) {
      expect(eq4(a)).toBeCloseTo(
        mean(perCriterion.filter((r) => r.architecture === a).map((r) => r.efficiency)),
        12,
      );
    }
    expect(ratios.architectures).toEqual([
      { dataset: 'mnist', numerator: 'lenet', denominator: 'bcnn', ratio: eq4('lenet') / eq4('bcnn') },
    ]);
    expect(lines.at(-1)).toMatch(/^lenet\/bcnn on mnist: \d+\.\d\d× as efficient$/);
  });
});
