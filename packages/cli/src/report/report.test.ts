// Report generation on the hand-written fixture: hand-computed Tables 11–14, files, marks, errors, Chromium render.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateReport, ReportInputError, type ReportResult } from './index.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/report/small');

/** CSV rows as arrays of strings (the fixture's CSVs have no quoted commas in the numeric tables). */
function csv(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
}
const row = (rows: string[][], first: string): string[] => {
  const r = rows.find((x) => x[0] === first);
  if (!r) throw new Error(`no row ${first} in ${JSON.stringify(rows)}`);
  return r;
};
const num = (s: string | undefined) => Number(s);

describe('generateReport on the small fixture (hand computation in test/fixtures/report/README.md)', () => {
  let dir: string;
  let result: ReportResult;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eff-report-'));
    cpSync(FIXTURE, dir, { recursive: true });
    result = await generateReport(dir);
  }, 30_000);

  it('Table 11 = Eq. 3, the mean over model sizes per criterion', () => {
    const t = csv(join(dir, 'report/tables/table11-mnist.csv'));
    // CSV keeps accuracy per J, with the unit in each column name
    expect(t[0]).toEqual([
      'Criterion',
      'bcnn (acc/J)',
      'bcnn 95% CI (acc/J)',
      'lenet (acc/J)',
      'lenet 95% CI (acc/J)',
    ]);
    // 50 epochs: LeNet (2e-5 + 1e-5)/2, BCNN (5e-6 + 2e-6)/2
    expect(num(row(t, '50 epochs')[3])).toBeCloseTo(1.5e-5, 12);
    expect(num(row(t, '50 epochs')[1])).toBeCloseTo(3.5e-6, 12);
    // early stopping: LeNet (1e-4 + 5e-5)/2, BCNN (1e-5 + 3e-6)/2; the failed LeNet-2 run (eff 0.5) is excluded
    expect(num(row(t, 'early stopping')[3])).toBeCloseTo(7.5e-5, 12);
    expect(num(row(t, 'early stopping')[1])).toBeCloseTo(6.5e-6, 12);
    expect(num(row(t, '100 epochs')[3])).toBeCloseTo(7.5e-6, 12);
    expect(num(row(t, '100 epochs')[1])).toBeCloseTo(1.75e-6, 12);
    // bootstrap of two values: 95% interval is [min, max]
    const [lo, hi] = (row(t, '50 epochs')[4] ?? '').split(';').map(Number);
    expect(lo).toBeCloseTo(1e-5, 12);
    expect(hi).toBeCloseTo(2e-5, 12);
  });

  it('says where the runs were measured: machine, backend, training threads and probes, with run counts', () => {
    const t = csv(join(dir, 'report/tables/environments.csv'));
    expect(t[0]).toEqual(['Machine', 'Backend', 'Training threads', 'Probes', 'Runs']);
    // The fixture names no machine or threads; 11 runs used rapl, LeNet-1's early-stopping run the estimate, and
    // the failed run recorded no backend or probe.
    expect(t.slice(1)).toEqual([
      ['—', 'wasm', '—', 'rapl', '11'],
      ['—', 'wasm', '—', 'estimate (estimate)', '1'],
      ['—', '—', '—', '—', '1'],
    ]);
    const md = readFileSync(join(dir, 'report/tables/environments.md'), 'utf8');
    expect(md).toContain('compare energies only within one row');
    expect(readFileSync(join(dir, 'report/index.html'), 'utf8')).toContain('Where the runs were measured');
  });

  it('Table 12 = Eq. 4 over 50 epochs and early stopping, with the LeNet/BCNN ratio', () => {
    const t = csv(join(dir, 'report/tables/table12.csv'));
    expect(num(row(t, 'lenet')[1])).toBeCloseTo(4.5e-5, 12); // (1.5e-5 + 7.5e-5) / 2
    expect(num(row(t, 'bcnn')[1])).toBeCloseTo(5e-6, 12); // (3.5e-6 + 6.5e-6) / 2
    expect(num(row(t, 'lenet/bcnn')[1])).toBeCloseTo(9, 9);
    const md = readFileSync(join(dir, 'report/tables/table12.md'), 'utf8');
    expect(md).toContain('"100 epochs" is the overtraining extension');
    // displayed in test accuracy per kJ (4.5e-5 acc/J = 0.0450 acc/kJ); marks follow the numbers they affect:
    // LeNet-1 early stopping is estimated, BCNN-2 early stopping degraded
    expect(md).toContain('| Architecture | mnist (test acc/kJ) | mnist 95% CI (test acc/kJ) |');
    expect(md).toContain('| lenet | 0.0450 (estimated) |');
    expect(md).toContain('| bcnn | 0.00500 (degraded) |');
    expect(md).not.toMatch(/\de-\d/); // no e-notation anywhere in the displayed table
    const t11 = readFileSync(join(dir, 'report/tables/table11-mnist.md'), 'utf8');
    expect(t11).toContain('| 50 epochs | 0.00350 | [0.00200, 0.00500] | 0.0150 | [0.0100, 0.0200] |');
    expect(t11).toContain('| early stopping | 0.00650 (degraded) |');
    expect(t11).toContain('Efficiency = test accuracy / energy (Eq. 1), shown in test accuracy per kJ');
  });

  it('Tables 13/14: overtraining check and efficiency of the 100-epoch runs', () => {
    const t13 = csv(join(dir, 'report/tables/table13.csv'));
    const over = Object.fromEntries(t13.slice(1).map((r) => [r[1], [num(r[8]), num(r[9]), r[10]]]));
    expect(over).toEqual({
      'LeNet-1': [0, 0.01, 'true'],
      'LeNet-2': [0, 0, 'true'],
      'BCNN-1': [0.03, 0.01, 'true'],
      'BCNN-2': [0.09, 0.01, 'false'],
    });
    const t14 = csv(join(dir, 'report/tables/table14.csv'));
    expect(num(row(t14, 'lenet')[1])).toBeCloseTo(7.5e-6, 12);
    expect(num(row(t14, 'bcnn')[1])).toBeCloseTo(1.75e-6, 12);
    expect(num(row(t14, 'lenet/bcnn')[1])).toBeCloseTo(7.5e-6 / 1.75e-6, 9);
  });

  it('per-model tables mark estimated and degraded energy; the paper-sum is in an appendix table', () => {
    const id = result.tables.find((t) =>
      readFileSync(join(dir, `report/tables/${t}.md`), 'utf8').includes('early stopping on mnist'),
    );
    expect(id).toBeDefined();
    const md = readFileSync(join(dir, `report/tables/${id}.md`), 'utf8');
    // 0.97 / 9.7 kJ = 1e-4 acc/J = 0.100 test acc/kJ
    expect(md).toContain(
      '| Model | Runs | Epochs | Accuracy (test) | Energy | Efficiency (test acc/kJ) | Energy source |',
    );
    expect(md).toMatch(/\| LeNet-1 \| 1 \| 12 \| 0\.9700 \| 9\.70 kJ \| 0\.100 \| estimated \* \|/);
    expect(md).toMatch(/\| LeNet-2 \| 1 \(\+1 failed\) \|/);
    expect(md).toMatch(/\| BCNN-2 \| .* \| 320 kJ \| .* \| degraded \|/);
    expect(md).not.toContain('Paper-sum');
    // the fixture's estimate run predates ProbeReport.estimate: the footnote says its assumptions are unknown
    expect(md).toContain(
      '* Estimated energy (utilisation × TDP, not a meter) assumes: 1 estimated run(s) recorded no assumptions',
    );
    const csvText = readFileSync(join(dir, `report/tables/${id}.csv`), 'utf8');
    expect(csvText.split('\n')[0]).toBe(
      'Model,Runs,Epochs,Accuracy (test),Energy (J),Efficiency (test acc/J),Energy source',
    );
    expect(csvText).toMatch(/\nLeNet-1,1,12,0.97,9700,(0.0001|0.0000999999+),estimated\n/); // raw acc/J, unrounded
    const appendix = csv(join(dir, 'report/tables/appendix-paper-sum.csv'));
    expect(appendix[0]).toEqual([
      'Dataset',
      'Criterion',
      'Model',
      'Runs',
      'Paper-sum (W readings summed)',
      'Sampling interval (ms)',
      'Energy (J)',
    ]);
    expect(appendix.find((r) => r[1] === 'early stopping' && r[2] === 'LeNet-1')?.[4]).toBe('19400');
    expect(readFileSync(result.indexHtml, 'utf8')).toMatch(/<h2>Appendix<\/h2>[\s\S]*sum of watt readings/);
    const runs = readFileSync(join(dir, 'report/tables/runs.csv'), 'utf8');
    expect(runs).toContain('failed');
    expect(runs.trim().split('\n')).toHaveLength(14); // header + 13 runs: the failed one is listed
    expect(runs.split('\n')[0]).toContain('Accuracy on');
  });

  it('writes every figure as Vega-Lite spec, SVG and PNG, and an index.html with all of it', () => {
    expect(result.figures).toHaveLength(5); // the paper's four and the Pareto front
    for (const f of result.figures) {
      const spec = JSON.parse(readFileSync(join(dir, `report/figures/${f}.vl.json`), 'utf8'));
      expect(spec.$schema).toContain('vega-lite');
      expect(readFileSync(join(dir, `report/figures/${f}.svg`), 'utf8')).toMatch(/<svg[\s\S]*<text/);
      const png = readFileSync(join(dir, `report/figures/${f}.png`));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.length).toBeGreaterThan(10_000);
    }
    const html = readFileSync(result.indexHtml, 'utf8');
    expect(html).toContain('Table 11');
    expect(html).toContain('Table 13');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing fetched from the network
  });

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  it.skipIf(!chromium)(
    'index.html renders in headless Chromium (skipped only when no chromium binary is installed)',
    () => {
      const profile = mkdtempSync(join(tmpdir(), 'eff-chromium-'));
      const shot = join(profile, 'shot.png');
      execFileSync(
        chromium as string,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${profile}`,
          `--screenshot=${shot}`,
          '--window-size=1280,2000',
          `file://${result.indexHtml}`,
        ],
        // generous: on a loaded machine Chromium's start alone has taken more than 30 s
        { stdio: 'ignore', timeout: 150_000 },
      );
      expect(statSync(shot).size).toBeGreaterThan(30_000);
      expect(distinctBytes(readFileSync(shot))).toBeGreaterThan(64);
      // what the screenshot shows: efficiencies in test accuracy per kJ, no e-notation in Table 11
      const html = readFileSync(result.indexHtml, 'utf8');
      expect(html).toContain('<th>lenet (test acc/kJ)</th>');
      expect(html).toContain('<td>0.0150</td>');
    },
    180_000,
  );
});

/** Distinct byte values in a PNG's inflated image data: a single-colour page gives only a handful. */
function distinctBytes(png: Buffer): number {
  const chunks: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    if (png.subarray(at + 4, at + 8).toString() === 'IDAT') chunks.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  return new Set(inflateSync(Buffer.concat(chunks))).size;
}

describe('two datasets, folds averaged, dataset ratio', () => {
  it('CIFAR copies of the fixture at 0.6× accuracy in 2 folds give MNIST/CIFAR = 1/0.6 and runs = 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eff-report-2ds-'));
    const lines = readFileSync(join(FIXTURE, 'results.jsonl'), 'utf8').trim().split('\n');
    const cifar = [0, 1].flatMap((fold) =>
      lines.map((l) => {
        const r = JSON.parse(l);
        r.config.dataset = 'cifar10';
        r.config.fold = fold;
        r.runId = `${r.runId}-fold${fold}`;
        // fold 0 at 0.5×, fold 1 at 0.7×: the fold mean is 0.6× the MNIST accuracy at the same energy
        r.final.accuracy *= fold === 0 ? 0.5 : 0.7;
        r.final.efficiency = r.final.accuracy / r.final.energyJ.total;
        return JSON.stringify(r);
      }),
    );
    writeFileSync(join(dir, 'results.jsonl'), `${[...lines, ...cifar].join('\n')}\n`);
    await generateReport(dir, { png: false });
    const t = csv(join(dir, 'report/tables/table12.csv'));
    expect(t[0]).toEqual([
      'Architecture',
      'mnist (acc/J)',
      'mnist 95% CI (acc/J)',
      'cifar10 (acc/J)',
      'cifar10 95% CI (acc/J)',
      'mnist/cifar10 (ratio)',
    ]);
    expect(num(row(t, 'lenet')[3])).toBeCloseTo(0.6 * 4.5e-5, 12);
    expect(num(row(t, 'lenet')[5])).toBeCloseTo(1 / 0.6, 9);
    expect(num(row(t, 'bcnn')[5])).toBeCloseTo(1 / 0.6, 9);
    expect(num(row(t, 'lenet/bcnn')[3])).toBeCloseTo(9, 9);
    const md = readFileSync(join(dir, 'report/tables.md'), 'utf8');
    expect(md).toMatch(/\| BCNN-1 \| 2 \| 50 \| 0\.5760 \|/); // 0.96 × 0.6, mean of the two folds
  });
});

describe('runs without epoch records', () => {
  it('still writes all four figures; the curve figure says there is nothing to draw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eff-report-noepochs-'));
    const run = JSON.parse(readFileSync(join(FIXTURE, 'results.jsonl'), 'utf8').split('\n')[0] as string);
    run.epochs = [];
    writeFileSync(join(dir, 'results.jsonl'), `${JSON.stringify(run)}\n`);
    const result = await generateReport(dir, { png: false });
    expect(result.figures).toHaveLength(5); // the paper's four and the Pareto front
    const svg = readFileSync(join(dir, 'report/figures/fig-efficiency-vs-epoch.svg'), 'utf8');
    expect(svg).toContain('no per-epoch records in these results');
    const t11 = csv(join(dir, 'report/tables/table11-mnist.csv'));
    expect(t11[0]).toEqual(['Criterion', 'lenet (acc/J)', 'lenet 95% CI (acc/J)']);
    expect(num(row(t11, '50 epochs')[1])).toBeCloseTo(2e-5, 12); // one size: Eq. 3 is LeNet-1's 0.98 / 49 kJ
    expect(row(t11, '50 epochs')[2]).toBe(''); // no interval from one value
  });
});

describe('generateReport errors name the file and line', () => {
  const fresh = () => mkdtempSync(join(tmpdir(), 'eff-report-err-'));

  it('missing directory', async () => {
    const dir = join(fresh(), 'nope');
    await expect(generateReport(dir)).rejects.toThrow(ReportInputError);
    await expect(generateReport(dir)).rejects.toThrow(/nope does not exist/);
  });

  it('directory without results.jsonl', async () => {
    const dir = fresh();
    await expect(generateReport(dir)).rejects.toMatchObject({
      code: 'E_REPORT_INPUT',
      file: join(dir, 'results.jsonl'),
    });
  });

  it('a line that is not JSON, and a line that is not a RunRecord', async () => {
    const dir = fresh();
    const good = readFileSync(join(FIXTURE, 'results.jsonl'), 'utf8').split('\n')[0];
    const file = join(dir, 'results.jsonl');
    writeFileSync(file, `${good}\n\n{"schemaVersion":1,\n`);
    await expect(generateReport(dir)).rejects.toMatchObject({ code: 'E_REPORT_INPUT', file, line: 3 });
    await expect(generateReport(dir)).rejects.toThrow(`${file}:3: not valid JSON`);
    const bad = JSON.parse(good as string);
    bad.final.accuracy = 1.5;
    writeFileSync(file, `${good}\n${JSON.stringify(bad)}\n`);
    await expect(generateReport(dir)).rejects.toThrow(
      new RegExp(`${file}:2: not a RunRecord .*final\\.accuracy: .*fix that field or remove the line`),
    );
  });
});
