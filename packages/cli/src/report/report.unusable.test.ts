// The report uses core's equations and rules: runs no mean can use (0 J, diverged, failed), chance level, rule text, one-value CIs.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeOvertrainingRule } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { generateReport } from './index.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/report/small');
// biome-ignore lint/suspicious/noExplicitAny: fixture lines are edited as plain JSON
type Json = any;
const fixtureRuns = (): Json[] =>
  readFileSync(join(FIXTURE, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const find = (runs: Json[], model: string, label: string): Json => {
  const r = runs.find(
    (x) => x.config.model === model && x.config.criterion.label === label && x.status === 'completed',
  );
  if (!r) throw new Error(`no ${model} ${label} in the fixture`);
  return structuredClone(r);
};
const csv = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
const row = (rows: string[][], first: string) => rows.find((x) => x[0] === first) ?? [];

async function report(runs: Json[], options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'eff-report-unusable-'));
  writeFileSync(join(dir, 'results.jsonl'), `${runs.map((r) => JSON.stringify(r)).join('\n')}\n`);
  await generateReport(dir, { png: false, ...options });
  return {
    dir,
    md: (id: string) => readFileSync(join(dir, `report/tables/${id}.md`), 'utf8'),
    csv: (id: string) => csv(join(dir, `report/tables/${id}.csv`)),
  };
}

describe('runs no mean can use', () => {
  it('a completed run with 0 J is left out of Eq. 3 (not averaged in as 0), counted and labelled', async () => {
    const runs = fixtureRuns();
    const zero = find(runs, 'LeNet-1', '50 epochs');
    zero.runId = 'zero-energy';
    zero.config.seed = 2;
    zero.final.energyJ = { cpu: 0, total: 0 };
    zero.final.efficiency = 0;
    const r = await report([...runs, zero]);
    // Eq. 3 for LeNet, 50 epochs stays (2e-5 + 1e-5) / 2; averaging the 0 in would give 1e-5.
    expect(Number(row(r.csv('table11-mnist'), '50 epochs')[3])).toBeCloseTo(1.5e-5, 12);
    expect(r.md('models-1')).toMatch(/\| LeNet-1 \| 1 \(\+1 with 0 J\) \|/);
    expect(r.md('table11-mnist')).toContain(
      'Runs in no mean per architecture on mnist: bcnn 0 failed, 0 diverged, 0 with 0 J, 0 at chance level; ' +
        'lenet 1 failed, 0 diverged, 1 with 0 J, 0 at chance level.',
    );
    expect(r.md('table12')).toContain('0 J measured (no efficiency exists)');
    expect(readFileSync(join(r.dir, 'report/tables/runs.csv'), 'utf8')).toContain('completed');
    expect(r.md('runs')).toContain('| completed, 0 J measured (in no mean) |');
  });

  it('a diverged run is left out of every mean, counted per architecture and listed with its error', async () => {
    const runs = fixtureRuns();
    const diverged = find(runs, 'BCNN-1', 'early stopping');
    diverged.runId = 'diverged';
    diverged.status = 'diverged';
    diverged.error = 'loss became Infinity after epoch 2';
    diverged.final.accuracy = 0.5;
    diverged.final.efficiency = 0.5 / diverged.final.energyJ.total;
    const r = await report([...runs, diverged]);
    expect(Number(row(r.csv('table11-mnist'), 'early stopping')[1])).toBeCloseTo(6.5e-6, 12);
    expect(Number(row(r.csv('table12'), 'bcnn')[1])).toBeCloseTo(5e-6, 12);
    expect(r.md('table12')).toContain('bcnn 0 failed, 1 diverged, 0 with 0 J');
    expect(r.md('runs')).toContain('| diverged: loss became Infinity after epoch 2 |');
    const html = readFileSync(join(r.dir, 'report/index.html'), 'utf8');
    expect(html).toContain(
      '2 failed, diverged, with 0 J or at chance level: excluded from every mean and ratio',
    );
  });

  it('a chance-level run is flagged, counted and left out of every mean and ratio', async () => {
    const runs = fixtureRuns();
    // A run stopped early at chance accuracy: 0.1 / 10 J = 1e-2 acc/J, 500× LeNet-2's 2e-5 at 50 epochs, so it
    // would dominate Eq. 3 and the LeNet/BCNN ratio if it were averaged in.
    const chance = find(runs, 'LeNet-2', '50 epochs');
    chance.runId = 'chance';
    chance.config.seed = 2;
    chance.final.accuracy = 0.1;
    chance.final.energyJ = { cpu: 10, total: 10 };
    chance.final.efficiency = 0.1 / 10;
    const warnings: string[] = [];
    const r = await report([...runs, chance], { onWarning: (m: string) => warnings.push(m) });
    // Eq. 3 for LeNet at 50 epochs stays (2e-5 + 1e-5) / 2 = 1.5e-5 acc/J; Table 12's ratio stays 9
    expect(Number(row(r.csv('table11-mnist'), '50 epochs')[3])).toBeCloseTo(1.5e-5, 12);
    expect(Number(row(r.csv('table12'), 'lenet/bcnn')[1])).toBeCloseTo(9, 9);
    expect(r.md('models-1')).toMatch(/\| LeNet-2 \| 1 \(\+1 at chance level\) \|/);
    expect(r.md('table12')).toContain('lenet 1 failed, 0 diverged, 0 with 0 J, 1 at chance level');
    expect(r.md('table12')).toContain(
      'runs at chance level (accuracy ≤ 1/classes + 0.05, i.e. ≤ 0.15 on MNIST',
    );
    expect(r.md('runs')).toContain('| completed, at chance level (in no mean) |');
    expect(warnings).toContain(
      '1 run(s) ended at chance level (accuracy ≤ 1/classes + 0.05) and are left out of every mean, ratio and curve; they are listed in the runs table.',
    );
    const html = readFileSync(join(r.dir, 'report/index.html'), 'utf8');
    expect(html).toMatch(/<div class="warn">[\s\S]*1 run\(s\) ended at chance level/);
    // Its epochs are in no curve: LeNet-2's 50-epoch curve is the fixture's run alone
    const spec = JSON.parse(
      readFileSync(join(r.dir, 'report/figures/fig-efficiency-vs-epoch.vl.json'), 'utf8'),
    );
    expect(
      spec.data.values
        .filter((v: Json) => v.model === 'LeNet-2' && v.criterion === '50 epochs')
        .map((v: Json) => v.runs),
    ).not.toContain(2);
  });
});

describe('Table 13 states the rule the code applies', () => {
  it('the default note is core’s describeOvertrainingRule(), B ≥ 0.3·A', async () => {
    const r = await report(fixtureRuns());
    expect(r.md('table13')).toContain(describeOvertrainingRule());
    expect(r.md('table13')).toContain('B ≥ 0.3·A');
    expect(r.md('table13')).not.toContain('0.25');
  });

  it('a changed rule changes both the verdicts and the note', async () => {
    // BCNN-1: A = 0.03, B = 0.01: overtrained under 0.3·A = 0.009, not under 0.5·A = 0.015.
    const r = await report(fixtureRuns(), { overtrainingRule: { comparableRatio: 0.5 } });
    const t13 = r.csv('table13');
    expect(t13.find((x) => x[1] === 'BCNN-1')?.[10]).toBe('false');
    expect(r.md('table13')).toContain('B ≥ 0.5·A');
  });
});

describe('an interval over one value is "n/a (one value)" everywhere', () => {
  it('Tables 11, 12 and 14 with one model size per architecture', async () => {
    const r = await report(fixtureRuns().filter((x) => x.config.size === 1));
    const t11 = r.md('table11-mnist');
    expect(t11).toContain('| 50 epochs | 0.00500 | n/a (one value) | 0.0200 | n/a (one value) |');
    // Table 12 averages two criteria with one size each: n = 2 values, still no interval
    expect(r.md('table12')).toMatch(/\| lenet \| 0\.0600 \(estimated\) \| n\/a \(one value\) \|/);
    expect(row(r.csv('table12'), 'lenet')[2]).toBe('');
    expect(r.md('table14')).toMatch(/\| lenet \| 0\.0100 \| n\/a \(one value\) \|/);
  });
});
