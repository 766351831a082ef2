// Runs examples/compare-architectures.ts on a tiny MNIST subset and checks Eq. 3/4 and the ratio against the records.
import { runExclusion } from '@eff/core';
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
    // Eq. 3: mean over sizes of accuracy / energy, per architecture and criterion, over the runs core's rule keeps
    // (a run stopped by a 1 J budget after a batch may have ended at chance level: it is left out and counted).
    const usable = records.filter((r) => runExclusion(r) === null);
    const groups = new Set(usable.map((r) => `${r.config.architecture} ${r.config.criterion.label}`));
    expect(perCriterion).toHaveLength(groups.size);
    expect(groups.size).toBeGreaterThanOrEqual(2); // the fixed-epoch runs learn something
    for (const row of perCriterion) {
      const runs = usable.filter(
        (r) => r.config.architecture === row.architecture && r.config.criterion.label === row.criterion,
      );
      const bySize = [...new Set(runs.map((r) => r.config.size))].map((size) =>
        mean(runs.filter((r) => r.config.size === size).map((r) => r.final.accuracy / r.final.energyJ.total)),
      );
      expect(row.efficiency).toBeCloseTo(mean(bySize), 12);
      expect(row.chanceLevelRuns).toBe(
        records.filter(
          (r) =>
            r.config.architecture === row.architecture &&
            r.config.criterion.label === row.criterion &&
            runExclusion(r) === 'chance-level',
        ).length,
      );
    }
    // Eq. 4: mean over the criteria each architecture has; the ratio is LeNet's over BCNN's when both have one.
    const eq4 = (a: string) => overall.find((o) => o.architecture === a)?.efficiency;
    for (const o of overall) {
      expect(o.efficiency).toBeCloseTo(
        mean(perCriterion.filter((r) => r.architecture === o.architecture).map((r) => r.efficiency)),
        12,
      );
    }
    const lenet = eq4('lenet');
    const bcnn = eq4('bcnn');
    if (lenet !== undefined && bcnn !== undefined) {
      expect(ratios.architectures).toEqual([
        { dataset: 'mnist', numerator: 'lenet', denominator: 'bcnn', ratio: lenet / bcnn },
      ]);
      expect(lines.at(-1)).toMatch(/^lenet\/bcnn on mnist: \d+\.\d\d× as efficient$/);
    } else expect(ratios.architectures).toEqual([]);
  });
});
