// Figures at scale: specs hold per-model means (not every epoch of every run), no empty facets, full labels.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type SyntheticGrid, writeGridResults } from '../../test/grid-results.js';
import { wrapLabel } from './figures.js';
import { generateReport } from './index.js';

/** Rows of every inline dataset of a Vega-Lite spec. */
function dataRows(spec: { data?: { values?: unknown[] } }): number {
  return spec.data?.values?.length ?? 0;
}

async function report(grid: SyntheticGrid) {
  const dir = mkdtempSync(join(tmpdir(), 'eff-figures-'));
  await writeGridResults(dir, grid);
  const result = await generateReport(dir, { png: false, bootstrapResamples: 50 });
  const spec = (id: string) => JSON.parse(readFileSync(join(dir, `report/figures/${id}.vl.json`), 'utf8'));
  const svg = (id: string) => readFileSync(join(dir, `report/figures/${id}.svg`), 'utf8');
  return { dir, result, spec, svg };
}

const LONG_LABEL = 'validation accuracy ≥ 0.95 (validation), else 40 epochs';

describe('figures at scale', () => {
  it('the curve spec holds one row per model and epoch, however many repeats ran', {
    timeout: 60_000,
  }, async () => {
    const base: SyntheticGrid = {
      datasets: ['mnist'],
      architectures: ['lenet', 'bcnn'],
      sizes: [1, 2],
      criteria: [{ label: '20 epochs' }],
      folds: 1,
      epochs: 20,
    };
    const one = await report(base);
    const five = await report({ ...base, folds: 5, files: 3 });
    expect(five.result.runs).toBe(20);
    // 4 models × 20 epochs, in both: five repeats add to a mean, not to the rows.
    expect(dataRows(one.spec('fig-efficiency-vs-epoch'))).toBe(80);
    expect(dataRows(five.spec('fig-efficiency-vs-epoch'))).toBe(80);
    expect(
      readFileSync(join(five.dir, 'report/figures/fig-efficiency-vs-epoch.vl.json')).length,
    ).toBeLessThan(40_000);
  });

  it('two datasets with different criteria get no empty panel, and labels are whole', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eff-facets-'));
    const common = { architectures: ['lenet', 'bcnn'], sizes: [1, 2], folds: 1, epochs: 3 };
    await writeGridResults(join(dir, 'a'), {
      ...common,
      datasets: ['mnist'],
      criteria: [{ label: LONG_LABEL, name: 'accuracyTarget', params: { target: 0.95 } }],
    });
    await writeGridResults(join(dir, 'b'), {
      ...common,
      datasets: ['cifar10'],
      criteria: [{ label: 'energy budget 12000 J', name: 'energyBudget', params: { budgetJ: 12000 } }],
    });
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, 'a/results.jsonl'), join(dir, 'results.jsonl'));
    renameSync(join(dir, 'b/results.jsonl'), join(dir, 'results-shard-2-of-2.jsonl'));
    await generateReport(dir, { png: false, bootstrapResamples: 50 });
    const read = (id: string, ext: string) => readFileSync(join(dir, `report/figures/${id}.${ext}`), 'utf8');
    // No fixed-epoch criterion: one curve panel per dataset × criterion that has runs (2), not 2 × 2.
    const curve = JSON.parse(read('fig-efficiency-vs-epoch', 'vl.json'));
    const panels = new Set(curve.data.values.map((v: { panel: string }) => v.panel));
    expect([...panels].sort()).toEqual([
      `cifar10 · energy budget 12000 J`,
      wrapLabel(`mnist · ${LONG_LABEL}`, 48),
    ]);
    const size = JSON.parse(read('fig-size-comparison', 'vl.json'));
    expect(new Set(size.data.values.map((v: { panel: string }) => v.panel)).size).toBe(4);
    // Long labels wrap onto lines, every word kept: the wrapped lines joined by spaces give the label back.
    const lines = wrapLabel(LONG_LABEL).split('\n');
    expect(lines).toEqual(['validation accuracy ≥', '0.95 (validation),', 'else 40 epochs']);
    expect(lines.join(' ')).toBe(LONG_LABEL);
    // Criterion axes are per dataset: the SVG of each dataset's panel lists its own criterion only.
    const box = read('fig-boxplot-criterion', 'svg');
    for (const line of lines) expect(box.split(`>${line}<`).length - 1, line).toBe(1);
    expect(box.split('>energy budget 12000 J<').length - 1).toBe(1);
    for (const id of ['fig-boxplot-criterion', 'fig-architectures-by-criterion', 'fig-size-comparison'])
      for (const line of lines) expect(read(id, 'svg'), `${id}: ${line}`).toContain(`>${line}<`);
    for (const id of ['fig-efficiency-vs-epoch', 'fig-boxplot-criterion', 'fig-size-comparison'])
      expect(read(id, 'svg'), id).not.toContain('…');
  });

  it('100 models per dataset: size-coloured panels per architecture and a heatmap naming every model', {
    timeout: 120_000,
  }, async () => {
    const sizes = Array.from({ length: 25 }, (_, i) => i + 1);
    const { spec, svg } = await report({
      datasets: ['mnist', 'cifar10'],
      architectures: ['lenet', 'bcnn', 'resnet', 'vgg'],
      sizes,
      criteria: [
        { label: '50 epochs', params: { epochs: 10 } },
        { label: '100 epochs', params: { epochs: 12 } },
      ],
      folds: 1,
      epochs: 12,
    });
    const curve = spec('fig-efficiency-vs-epoch');
    expect(curve.spec.layer[0].encoding.color).toMatchObject({ field: 'size', type: 'ordinal' });
    expect(new Set(curve.data.values.map((v: { panel: string }) => v.panel)).size).toBe(8);
    const labelled = curve.data.values
      .filter((v: { label?: string }) => v.label)
      .map((v: { label: string }) => v.label);
    expect(new Set(labelled).size).toBe(8); // smallest and largest of each architecture, once per dataset
    const heat = svg('fig-efficiency-heatmap');
    for (const a of ['lenet', 'bcnn', 'resnet', 'vgg'])
      for (const s of sizes) expect(heat, `${a}-${s}`).toContain(`>${a}-${s}<`);
    expect(dataRows(spec('fig-efficiency-heatmap'))).toBe(2 * 100 * 12);
  });
});
