// The report's cost tables and Pareto figure on three hand-made runs: values computed by hand, rendered in headless Chromium.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { givenIntensity } from '@eff/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateReport, type ReportResult } from './index.js';

const FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../test/fixtures/report/small/results.jsonl',
);

/** A run of the fixture's shape with its own epochs: [accuracy, cumulative J, elapsed ms] per epoch. */
function run(
  id: string,
  model: [string, number, string],
  seed: number,
  epochs: [number, number, number][],
  energyBoundJ?: { lowJ: number; highJ: number },
) {
  const base = JSON.parse(readFileSync(FIXTURE, 'utf8').split('\n')[0] as string);
  const [architecture, size, name] = model;
  const last = epochs.at(-1) as [number, number, number];
  let prevJ = 0;
  return {
    ...base,
    runId: id,
    config: { ...base.config, architecture, size, model: name, seed },
    epochs: epochs.map(([a, j, ms], i) => {
      const e = {
        ...base.epochs[0],
        epoch: i + 1,
        trainAccuracy: a,
        validationAccuracy: a,
        testAccuracy: a,
        durationMs: 1000,
        elapsedMs: ms,
        energyJ: { cpu: j - prevJ, total: j - prevJ },
        cumulativeEnergyJ: { cpu: j, total: j },
        efficiency: a / j,
      };
      prevJ = j;
      return e;
    }),
    final: {
      ...base.final,
      epochs: epochs.length,
      accuracy: last[0],
      trainAccuracy: last[0],
      energyJ: { cpu: last[1], total: last[1] },
      efficiency: last[0] / last[1],
      durationMs: last[2],
      ...(energyBoundJ ? { energyBoundJ } : {}),
    },
  };
}

const csv = (dir: string, id: string): string[][] =>
  readFileSync(join(dir, `report/tables/${id}.csv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

describe('report: what an accuracy costs (hand computation in the comments)', () => {
  let dir: string;
  let result: ReportResult;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eff-insight-'));
    const runs = [
      // A: LeNet-1 seed 1 — 0.8 @ 100 J/1 s, 0.9 @ 200 J/2 s, 0.96 @ 300 J/3 s.
      run(
        'a',
        ['lenet', 1, 'LeNet-1'],
        1,
        [
          [0.8, 100, 1000],
          [0.9, 200, 2000],
          [0.96, 300, 3000],
        ],
        { lowJ: 270, highJ: 330 },
      ),
      // B: LeNet-1 seed 2 — 0.85 @ 100 J/1 s, 0.95 @ 400 J/2 s (dominated by A: less accurate, more energy).
      run(
        'b',
        ['lenet', 1, 'LeNet-1'],
        2,
        [
          [0.85, 100, 1000],
          [0.95, 400, 2000],
        ],
        { lowJ: 360, highJ: 440 },
      ),
      // C: BCNN-1 — 0.9 @ 500 J/1 s, 0.99 @ 1000 J/2 s.
      run(
        'c',
        ['bcnn', 1, 'BCNN-1'],
        1,
        [
          [0.9, 500, 1000],
          [0.99, 1000, 2000],
        ],
        { lowJ: 900, highJ: 1100 },
      ),
    ];
    writeFileSync(join(dir, 'results.jsonl'), `${runs.map((r) => JSON.stringify(r)).join('\n')}\n`);
    result = await generateReport(dir, {
      png: false,
      bootstrapResamples: 50,
      thresholds: [0.9, 0.95],
      carbonIntensity: givenIntensity(400, 'cli'),
      pue: 1.5,
    });
  }, 60_000);

  it('energy/time to accuracy: interpolated per run, averaged per model; a first-epoch hit is an upper bound', () => {
    const rows = csv(dir, 'cost-to-accuracy');
    const lenet = rows.find((r) => r[1] === 'lenet') as string[];
    // To 0.9: A exactly at epoch 2 (200 J, 2000 ms); B halfway 0.85→0.95 (250 J, 1500 ms) → mean 225 J, 1750 ms.
    expect(Number(lenet[4])).toBeCloseTo(225, 6);
    expect(Number(lenet[5])).toBeCloseTo(1750, 6);
    expect(lenet[6]).toBe('2');
    // To 0.95: A at f = 5/6 (283.33 J, 2833.3 ms); B exactly (400 J, 2000 ms) → 341.67 J, 2416.67 ms.
    expect(Number(lenet[7])).toBeCloseTo(341.6667, 3);
    expect(Number(lenet[8])).toBeCloseTo(2416.6667, 3);
    const bcnn = rows.find((r) => r[1] === 'bcnn') as string[];
    // To 0.95: f = 0.05/0.09 → 500 + 500·5/9 = 777.78 J.
    expect(Number(bcnn[7])).toBeCloseTo(777.7778, 3);
    const md = readFileSync(join(dir, 'report/tables/cost-to-accuracy.md'), 'utf8');
    expect(md).toContain('≤ 500 J, 1.00 s'); // C met 0.9 in its first epoch
  });

  it('curve area per run and per architecture', () => {
    const perRun = csv(dir, 'cost-curve-area-runs').map((r) => Number(r.at(-1)));
    // A: (40 + 85 + 93) / 300; B: (42.5 + 270) / 400; C: (225 + 472.5) / 1000.
    expect(perRun[0]).toBeCloseTo(218 / 300, 9);
    expect(perRun[1]).toBeCloseTo(0.78125, 9);
    expect(perRun[2]).toBeCloseTo(0.6975, 9);
    const lenet = csv(dir, 'cost-curve-area').find((r) => r[2] === 'lenet') as string[];
    expect(Number(lenet[4])).toBeCloseTo((218 / 300 + 0.78125) / 2, 9);
  });

  it('the Pareto table lists A and C, not B; carbon is kWh × 400 g/kWh × 1.5', () => {
    const front = csv(dir, 'cost-pareto');
    expect(front.map((r) => [r[1], r[3]])).toEqual([
      ['LeNet-1', 'seed 1'],
      ['BCNN-1', 'seed 1'],
    ]);
    const carbon = csv(dir, 'cost-carbon');
    // LeNet-1: 700 J = 1/5142.86 kWh → 700/3.6e6 × 400 × 1.5 = 0.116667 g; BCNN-1: 1000 J → 0.166667 g.
    expect(Number((carbon.find((r) => r[2] === 'LeNet-1') as string[])[4])).toBeCloseTo(0.1166667, 6);
    expect(Number((carbon.find((r) => r[2] === 'BCNN-1') as string[])[4])).toBeCloseTo(0.1666667, 6);
    expect(readFileSync(join(dir, 'report/tables/cost-carbon.md'), 'utf8')).toContain(
      'Intensity source: given with --carbon-intensity',
    );
    const spec = JSON.parse(readFileSync(join(dir, 'report/figures/fig-pareto.vl.json'), 'utf8'));
    expect(
      spec.data.values.map((v: { label: string; front: string }) => `${v.label}: ${v.front}`).sort(),
    ).toEqual([
      'BCNN-1 · 50 epochs: on the front',
      'LeNet-1 · 50 epochs: dominated',
      'LeNet-1 · 50 epochs: on the front',
    ]);
  });

  // LeNet's sensor interval: one size, Eq. 3 over the model's two runs, each accuracy over its energy bound's ends.
  const lenetLow = (0.96 / 330 + 0.95 / 440) / 2;
  const lenetHigh = (0.96 / 270 + 0.95 / 360) / 2;

  it('the sensor interval of Eq. 3 and Eq. 4 sits beside the bootstrap CI and names the wider', () => {
    const rows = csv(dir, 'cost-sensor-bounds');
    const lenet3 = rows.find((r) => r[0] === 'Eq. 3' && r[3] === 'lenet') as string[];
    expect(Number(lenet3[7])).toBeCloseTo(lenetLow, 12);
    expect(Number(lenet3[8])).toBeCloseTo(lenetHigh, 12);
    // One size: the bootstrap has one value, so the sensors are all the spread there is.
    expect(lenet3[9]).toBe('sensors');
    // Eq. 4 of one criterion is its Eq. 3: the same interval; BCNN-1: 0.99 / [1100, 900] J.
    const lenet4 = rows.find((r) => r[0] === 'Eq. 4' && r[3] === 'lenet') as string[];
    expect([Number(lenet4[7]), Number(lenet4[8])]).toEqual([
      expect.closeTo(lenetLow, 12),
      expect.closeTo(lenetHigh, 12),
    ]);
    const bcnn4 = rows.find((r) => r[0] === 'Eq. 4' && r[3] === 'bcnn') as string[];
    expect(Number(bcnn4[7])).toBeCloseTo(0.99 / 1100, 12);
    expect(Number(bcnn4[8])).toBeCloseTo(0.99 / 900, 12);
    const md = readFileSync(join(dir, 'report/tables/cost-sensor-bounds.md'), 'utf8');
    expect(md).toContain('a better meter would narrow it');
    expect(md).toContain("Eq. 4: the sensors' interval is the wider in 2 of 2 rows.");
  });

  it('Table 12’s ratio carries the sensors’ interval: [n_low / d_high, n_high / d_low]', () => {
    const [ratio] = csv(dir, 'cost-sensor-bounds-ratios');
    // LeNet's Eq. 4 (0.96/300 + 0.95/400)/2 = 0.0027875 over BCNN's 0.99/1000 = 0.00099.
    expect(ratio?.slice(0, 3)).toEqual(['architectures', 'mnist', 'lenet / bcnn']);
    expect(Number(ratio?.[3])).toBeCloseTo(0.0027875 / 0.00099, 12);
    expect(Number(ratio?.[4])).toBeCloseTo(lenetLow / (0.99 / 900), 12);
    expect(Number(ratio?.[5])).toBeCloseTo(lenetHigh / (0.99 / 1100), 12);
  });

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  it.skipIf(!chromium)(
    'index.html, rendered by headless Chromium, shows the cost tables and the Pareto figure (skipped only without chromium)',
    () => {
      const profile = mkdtempSync(join(tmpdir(), 'eff-chromium-'));
      const shot = join(profile, 'shot.png');
      const flags = [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
      ];
      // One start-up for the DOM: what the browser built from the page, not the file's text.
      const dom = execFileSync(chromium as string, [...flags, '--dump-dom', `file://${result.indexHtml}`], {
        encoding: 'utf8',
        timeout: 120_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      for (const id of [
        'cost-to-accuracy',
        'cost-curve-area',
        'cost-curve-area-runs',
        'cost-pareto',
        'cost-sensor-bounds',
        'cost-sensor-bounds-ratios',
        'cost-carbon',
      ])
        expect(dom).toMatch(new RegExp(`<section id="${id}"><h3>[^<]+</h3><table>`));
      const figure = dom.slice(dom.indexOf('<figure id="fig-pareto">'));
      expect(figure).toMatch(
        /^<figure id="fig-pareto">[\s\S]*?<svg[\s\S]*?BCNN-1 · 50 epochs[\s\S]*?<\/figure>/,
      );
      expect(dom).toContain('What an accuracy costs');
      // The sensor table as the browser built it: an Eq. 4 row beside the Eq. 3 rows, and what would narrow it.
      const sensor = dom.slice(dom.indexOf('<section id="cost-sensor-bounds">'));
      expect(sensor.slice(0, sensor.indexOf('</section>'))).toMatch(
        /<td>Eq\. 4<\/td>[\s\S]*?a better meter would narrow it/,
      );
      execFileSync(
        chromium as string,
        [...flags, `--screenshot=${shot}`, '--window-size=1280,4000', `file://${result.indexHtml}`],
        {
          stdio: 'ignore',
          timeout: 120_000,
        },
      );
      expect(statSync(shot).size).toBeGreaterThan(30_000);
    },
    300_000,
  );
});
