// The report read at a glance: acc/kJ, replicates (mean, SD, n, warnings), n = 1 as points, mixed accuracies,
// the estimate's footnote, and a results file given instead of its directory.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { runCli } from '../program.js';
import { generateReport, ReportInputError } from './index.js';
import { formatEff } from './tables.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/report/small');
// biome-ignore lint/suspicious/noExplicitAny: fixture lines are edited as plain JSON
type Json = any;
const fixtureRuns = (): Json[] =>
  readFileSync(join(FIXTURE, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const csv = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));

async function report(runs: Json[], options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'eff-report-reading-'));
  writeFileSync(join(dir, 'results.jsonl'), `${runs.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const warnings: string[] = [];
  const result = await generateReport(dir, {
    png: false,
    bootstrapResamples: 200,
    onWarning: (m) => warnings.push(m),
    ...options,
  });
  return {
    dir,
    result,
    warnings,
    md: (id: string) => readFileSync(join(dir, `report/tables/${id}.md`), 'utf8'),
    csv: (id: string) => csv(join(dir, `report/tables/${id}.csv`)),
    html: () => readFileSync(join(dir, 'report/index.html'), 'utf8'),
    spec: (id: string) => JSON.parse(readFileSync(join(dir, `report/figures/${id}.vl.json`), 'utf8')),
    svg: (id: string) => readFileSync(join(dir, `report/figures/${id}.svg`), 'utf8'),
  };
}

/** Sample standard deviation, written out here so the test does not reuse the code under test. */
const sd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

describe('efficiency in accuracy per kJ', () => {
  it('formatEff shows accuracy/J as accuracy/kJ with 3 significant digits and no e-notation', () => {
    expect(formatEff(8.637e-4)).toBe('0.864'); // the issue's `8.637e-4` acc/J
    expect(formatEff(1.5e-5)).toBe('0.0150');
    expect(formatEff(0.0123)).toBe('12.3');
    expect(formatEff(2)).toBe('2000');
    expect(formatEff(0)).toBe('0');
    expect(formatEff(1e-9)).toBe('1.00e-6'); // a value that would round to 0 keeps its digits
  });
});

describe('replicates', () => {
  // The fixture's 50-epoch runs, three replicates each: energy × 0.5, 1, 3 for LeNet (a wide spread), × 0.99, 1,
  // 1.01 for BCNN (a narrow one).
  const factors: Record<string, number[]> = { lenet: [0.5, 1, 3], bcnn: [0.99, 1, 1.01] };
  const replicated = (): Json[] =>
    fixtureRuns()
      .filter((r) => r.config.criterion.label === '50 epochs' && r.status === 'completed')
      .flatMap((r) =>
        (factors[r.config.architecture] as number[]).map((f, i) => {
          const x = structuredClone(r);
          x.runId = `${r.runId}-rep${i}`;
          x.config.replicate = i;
          x.config.seed = 10 + i;
          x.final.energyJ = { cpu: r.final.energyJ.total * f, total: r.final.energyJ.total * f };
          x.final.efficiency = x.final.accuracy / x.final.energyJ.total;
          return x;
        }),
      );
  // Per replicate: LeNet-1 0.98 / (49 kJ × f) = 2e-5 / f, LeNet-2 1e-5 / f, BCNN-1 5e-6 / f, BCNN-2 2e-6 / f.
  const lenet1 = [2e-5 / 0.5, 2e-5, 2e-5 / 3];
  const lenet2 = [1e-5 / 0.5, 1e-5, 1e-5 / 3];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  it('each model gets mean, SD and n over its replicates; Eq. 3 gets its replicate SD', async () => {
    const r = await report(replicated());
    const rows = r.csv('replicates');
    expect(rows[0]).toEqual([
      'Dataset',
      'Criterion',
      'Model',
      'n',
      'Mean (acc/J)',
      'SD (acc/J)',
      'Min (acc/J)',
      'Max (acc/J)',
    ]);
    const l1 = rows.find((x) => x[2] === 'LeNet-1') as string[];
    expect(l1[3]).toBe('3');
    expect(Number(l1[4])).toBeCloseTo(mean(lenet1), 15);
    expect(Number(l1[5])).toBeCloseTo(sd(lenet1), 15);
    expect(Number(l1[6])).toBeCloseTo(2e-5 / 3, 15);
    expect(Number(l1[7])).toBeCloseTo(4e-5, 15);
    // the per-model table shows the same in acc/kJ: 2.22e-5 acc/J → 0.0222, SD 1.67e-5 → ± 0.0167
    expect(r.md('models-1')).toContain(
      '| Model | Runs | Epochs | Accuracy (test) | Energy | Efficiency (test acc/kJ) | ± SD between replicates (acc/kJ) | Replicates | Energy source |',
    );
    expect(r.md('models-1')).toMatch(
      new RegExp(
        `\\| LeNet-1 \\| 3 \\| 50 \\| 0\\.9800 \\| .* \\| ${formatEff(mean(lenet1))} \\| ± ${formatEff(sd(lenet1))} \\| 3 \\|`,
      ),
    );
    expect(formatEff(mean(lenet1))).toBe('0.0222');
    // Eq. 3 over the two sizes: the mean, and one replicate's SD √(sd1² + sd2²) / 2
    const t11 = r.csv('table11-mnist');
    expect(t11[0]).toContain('lenet SD between replicates (acc/J)');
    const lenetRow = t11.find((x) => x[0] === '50 epochs') as string[];
    const col = t11[0]?.indexOf('lenet (acc/J)') as number;
    expect(Number(lenetRow[col])).toBeCloseTo((mean(lenet1) + mean(lenet2)) / 2, 15);
    expect(Number(lenetRow[col + 2])).toBeCloseTo(Math.sqrt(sd(lenet1) ** 2 + sd(lenet2) ** 2) / 2, 15);
  });

  it('warns when the spread between replicates exceeds a difference the report shows, and only then', async () => {
    const r = await report(replicated());
    // LeNet-1 vs LeNet-2 differ by 1.11e-5 acc/J, less than LeNet-1's SD 1.68e-5: unresolved. BCNN-1 vs BCNN-2
    // (3e-6 apart, SD ~3e-8) and LeNet vs BCNN (Eq. 3 1.3e-5 apart, SD 9.4e-6) are resolved: no warning.
    const diff = formatEff(mean(lenet1) - mean(lenet2));
    const expected =
      `mnist, 50 epochs, sizes: LeNet-1 and LeNet-2 differ by ${diff} acc/kJ, less than the spread between ` +
      `replicates (SD ${formatEff(sd(lenet1))} acc/kJ); the report cannot tell them apart.`;
    expect(r.warnings).toEqual([expected]);
    expect(r.result.warnings).toEqual([expected]);
    expect(r.md('replicates')).toContain(`Warning: ${expected}`);
    expect(r.html()).toMatch(
      /<div class="warn"><strong>Read with care<\/strong><ul><li>mnist, 50 epochs, sizes: LeNet-1 and LeNet-2/,
    );
    // the same grid with a narrow LeNet spread: nothing to warn about
    factors.lenet = [0.99, 1, 1.01];
    try {
      const calm = await report(replicated());
      expect(calm.warnings).toEqual([]);
      expect(calm.md('replicates')).toContain(
        'Every difference between neighbouring sizes, criteria and architectures is larger',
      );
    } finally {
      factors.lenet = [0.5, 1, 3];
    }
  });
});

describe('n = 1 groups are points, not boxes or lines', () => {
  it('one size per architecture: the box plot draws points, the size figure no line; two sizes: boxes and lines', async () => {
    const one = await report(fixtureRuns().filter((x) => x.config.size === 1));
    const box = one.spec('fig-boxplot-criterion');
    expect(box.data.values.every((v: Json) => v.n === 1)).toBe(true);
    const lenet50 = box.data.values.find((v: Json) => v.model === 'LeNet-1' && v.criterion === '50 epochs');
    expect(lenet50.efficiencyPerKJ).toBeCloseTo(0.02, 12); // 0.98 / 49 kJ, in acc/kJ
    const oneBoxSvg = one.svg('fig-boxplot-criterion');
    expect(oneBoxSvg).not.toContain('aria-roledescription="box"');
    expect(oneBoxSvg).toContain('aria-roledescription="point"');
    expect(one.svg('fig-size-comparison')).not.toContain('aria-roledescription="line mark"');
    expect(one.svg('fig-size-comparison')).toContain('aria-roledescription="point"');
    // Without replicates the page says the spread is unknown
    expect(one.html()).toContain('Every model ran once (n = 1)');

    const two = await report(fixtureRuns());
    expect(two.svg('fig-boxplot-criterion')).toContain('aria-roledescription="box"');
    expect(two.svg('fig-size-comparison')).toContain('aria-roledescription="line mark"');
    // axes are in accuracy per kJ
    expect(two.svg('fig-boxplot-criterion')).toContain('efficiency, test acc/kJ');
    expect(two.svg('fig-efficiency-vs-epoch')).toContain('efficiency, test acc/kJ (log)');
  });
});

describe('every run at chance level (a first tiny grid)', () => {
  it('the report still builds: figures say why they are empty, the warning counts the runs', async () => {
    const runs = fixtureRuns()
      .filter((r) => r.status === 'completed')
      .map((r) => ({ ...r, final: { ...r.final, accuracy: 0.1, efficiency: 0.1 / r.final.energyJ.total } }));
    const r = await report(runs);
    expect(r.result.figures).toHaveLength(5);
    expect(r.svg('fig-boxplot-criterion')).toContain('no usable run in these results');
    expect(r.svg('fig-pareto')).toContain('no usable run in these results');
    expect(r.svg('fig-efficiency-vs-epoch')).toContain('no usable run in these results');
    expect(r.warnings).toEqual([
      '12 run(s) ended at chance level (accuracy ≤ 1/classes + 0.05) and are left out of every mean, ratio and curve; they are listed in the runs table.',
    ]);
    expect(r.md('runs').match(/completed, at chance level \(in no mean\)/g)).toHaveLength(12);
  });
});

describe('which accuracy', () => {
  it('runs on validation and on test accuracy are split, never averaged together, and the mixing is flagged', async () => {
    const runs = fixtureRuns();
    const validation = runs
      .filter((r) => r.config.criterion.label === '50 epochs' && r.status === 'completed')
      .map((r) => {
        const x = structuredClone(r);
        x.runId = `${r.runId}-val`;
        x.final.accuracyOn = 'validation';
        x.final.accuracy = 0.5;
        x.final.efficiency = 0.5 / x.final.energyJ.total;
        return x;
      });
    const r = await report([...runs, ...validation]);
    const t11 = r.csv('table11-mnist');
    const col = t11[0]?.indexOf('lenet (acc/J)') as number;
    const get = (label: string) => Number(t11.find((x) => x[0] === label)?.[col]);
    expect(get('50 epochs · test accuracy')).toBeCloseTo(1.5e-5, 12); // the fixture alone, as before
    expect(get('50 epochs · validation accuracy')).toBeCloseTo((0.5 / 49_000 + 0.5 / 99_000) / 2, 12);
    expect(r.md('table11-mnist')).toContain('mix efficiencies computed from different accuracies');
    expect(r.md('table12')).toContain('mixed accuracy');
    expect(r.warnings.some((w) => w.startsWith('The runs use different accuracies'))).toBe(true);
    const models = r.result.tables.map((id) => r.md(id)).join('\n');
    expect(models).toContain('Per model: 50 epochs · validation accuracy on mnist');
    expect(models).toContain(
      '| Model | Runs | Epochs | Accuracy (validation) | Energy | Efficiency (validation acc/kJ) |',
    );
  });
});

describe('the estimate’s assumptions', () => {
  it('are a footnote wherever estimated energy is shown', async () => {
    const runs = fixtureRuns();
    const est = runs.find((r) => r.final.estimated) as Json;
    est.probes[0].estimate = { tdpW: 35, ramWPerGB: 0.375, loadScope: 'machine' };
    const r = await report(runs);
    const note =
      '* Estimated energy (utilisation × TDP, not a meter) assumes: estimate: CPU TDP 35 W × the whole machine’s CPU ' +
      'load (every process), RAM 0.375 W per GB (1 run).';
    expect(r.md('table12')).toContain(note);
    expect(r.html()).toContain('CPU TDP 35 W × the whole machine’s CPU load');
    // a table with no estimated energy has no footnote
    const measuredOnly = r.result.tables.find(
      (id) => id.startsWith('models-') && !r.md(id).includes('estimated *'),
    );
    expect(measuredOnly).toBeDefined();
    expect(r.md(measuredOnly as string)).not.toContain('CPU TDP');
  });
});

describe('a results file instead of its directory', () => {
  it('generateReport reports the file’s directory and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eff-report-file-'));
    writeFileSync(join(dir, 'results.jsonl'), readFileSync(join(FIXTURE, 'results.jsonl')));
    const warnings: string[] = [];
    const result = await generateReport(join(dir, 'results.jsonl'), {
      png: false,
      bootstrapResamples: 50,
      onWarning: (m) => warnings.push(m),
    });
    expect(result.outDir).toBe(join(dir, 'report'));
    expect(result.runs).toBe(13);
    expect(warnings[0]).toBe(
      `results.jsonl is a results file; reporting its directory ${dir} (every *.jsonl there, into ${join(dir, 'report')}).`,
    );
  });

  it('eff report FILE works from the command line; a file that is not results says what to pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eff-report-file-cli-'));
    writeFileSync(join(dir, 'results.jsonl'), readFileSync(join(FIXTURE, 'results.jsonl')));
    let out = '';
    let err = '';
    const io: CliIo = {
      stdout: { write: (s: string) => (out += s), isTTY: false },
      stderr: { write: (s: string) => (err += s), isTTY: false },
      env: {},
      cwd: dir,
    };
    expect(await runCli(['report', 'results.jsonl'], io)).toBe(0);
    expect(out).toBe(`Report: ${join(dir, 'report', 'index.html')}\n`);
    expect(err).toContain(`eff report: results.jsonl is a results file; reporting its directory ${dir}`);
    writeFileSync(join(dir, 'grid.yaml'), 'datasets: [mnist]\n');
    err = '';
    expect(await runCli(['report', 'grid.yaml'], io)).toBe(1);
    expect(err).toBe(
      `eff: ${join(dir, 'grid.yaml')} is a file, not a results directory; give the directory eff run wrote (the one holding results.jsonl), e.g. eff report ${dir}.\n`,
    );
    await expect(generateReport(join(dir, 'grid.yaml'))).rejects.toBeInstanceOf(ReportInputError);
  }, 60_000);
});
