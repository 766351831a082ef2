// Builds the paper's tables (3–14 and a runs list) from an Analysis and renders them as Markdown and CSV.
import { CHANCE_LEVEL_FACTOR, describeOvertrainingRule, efficiencyRatios, runExclusion } from '@eff/core';
import type { Analysis, Interval, RunCounts } from './analysis.js';
import { key } from './analysis.js';
import type { LoadedRun } from './load.js';
import { buildPlacementTable } from './placement.js';

/** One table: `cells` are display strings, `raw` the machine values for CSV (numbers unformatted). */
export interface Table {
  id: string;
  title: string;
  columns: string[];
  cells: string[][];
  raw: (string | number | boolean | null)[][];
  notes: string[];
}

/** Joules with a readable prefix: 812 J, 12.3 kJ, 4.56 MJ. */
export function formatEnergy(energyJ: number): string {
  const abs = Math.abs(energyJ);
  if (abs >= 1e6) return `${(energyJ / 1e6).toPrecision(3)} MJ`;
  if (abs >= 1e3) return `${(energyJ / 1e3).toPrecision(3)} kJ`;
  return `${energyJ.toPrecision(3)} J`;
}

/** Efficiency (accuracy per joule) is tiny; scientific notation keeps 3 significant digits readable. */
export const formatEff = (x: number): string => x.toExponential(3);
/** An interval over one value (one model size) is no interval: it prints `n/a (one value)` everywhere. */
const ONE_VALUE = 'n/a (one value)';
const formatCi = (ci: Interval): string =>
  ci.oneValue ? ONE_VALUE : `[${formatEff(ci.low)}, ${formatEff(ci.high)}]`;
const rawCi = (ci: Interval): string | null => (ci.oneValue ? null : `${ci.low};${ci.high}`);

/** ` (+1 failed, +2 diverged)`: the runs of a model that no mean uses, by reason. */
function excludedText(c: RunCounts): string {
  const parts = [
    c.failed ? `+${c.failed} failed` : '',
    c.diverged ? `+${c.diverged} diverged` : '',
    c.zeroEnergy ? `+${c.zeroEnergy} with 0 J` : '',
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The rule for runs no mean uses, stated once; core's runExclusion and isChanceLevel apply it. */
const EXCLUSION_RULE =
  'Runs in no mean: failed runs (an error), diverged runs (a loss or accuracy became non-finite) and runs with ' +
  `0 J measured (no efficiency exists). Runs at chance level (accuracy < ${CHANCE_LEVEL_FACTOR} / classes, ` +
  'MNIST and CIFAR-10) stay in the means: they spent the energy and learned nothing.';

/** `Runs in no mean per architecture: lenet 1 failed, 0 diverged, 0 with 0 J (1 at chance level, kept); …`. */
function countsLine(analysis: Analysis, dataset?: string): string {
  const per = analysis.architectures.map((a) => {
    const c = analysis.counts.get(dataset === undefined ? key(a) : key(dataset, a));
    const n = c ?? { failed: 0, diverged: 0, zeroEnergy: 0, chanceLevel: 0 };
    return `${a} ${n.failed} failed, ${n.diverged} diverged, ${n.zeroEnergy} with 0 J (${n.chanceLevel} at chance level, kept)`;
  });
  return `Runs in no mean per architecture${dataset === undefined ? '' : ` on ${dataset}`}: ${per.join('; ')}.`;
}

function marks(estimated: boolean, degraded: boolean): string {
  return [estimated ? 'estimated' : '', degraded ? 'degraded' : ''].filter(Boolean).join(', ');
}

export function buildTables(analysis: Analysis, loaded: LoadedRun[]): Table[] {
  const tables: Table[] = [];
  /** " (estimated, degraded)" when any model cell behind an aggregate is so marked, so the mark follows the number. */
  const flag = (pred: (c: Analysis['cells'][number]) => boolean): string => {
    const cs = analysis.cells.filter(pred);
    const m = marks(
      cs.some((c) => c.estimated),
      cs.some((c) => c.degraded),
    );
    return m ? ` (${m})` : '';
  };
  const hasPaper = analysis.cells.some((c) => c.paperSumW !== null);
  let n = 0;
  for (const d of analysis.datasets)
    for (const c of analysis.criteria) {
      const rows = analysis.cells.filter((x) => x.dataset === d && x.criterion === c);
      if (rows.length === 0) continue;
      n += 1;
      const columns = ['Model', 'Runs', 'Epochs', 'Accuracy', 'Energy (J)', 'Efficiency (acc/J)'];
      if (hasPaper) columns.push('Paper-sum (sum of W readings, not energy)');
      columns.push('Energy source');
      tables.push({
        id: `models-${n}`,
        title: `Per model: ${c} on ${d} (as Tables 3–10)`,
        columns,
        cells: rows.map((r) => [
          r.model,
          String(r.runs) + excludedText(r.counts),
          Number.isInteger(r.epochs) ? String(r.epochs) : r.epochs.toFixed(1),
          r.accuracy.toFixed(4),
          formatEnergy(r.energyJ),
          formatEff(r.efficiency),
          ...(hasPaper ? [r.paperSumW === null ? '—' : r.paperSumW.toFixed(0)] : []),
          marks(r.estimated, r.degraded) || 'measured',
        ]),
        raw: rows.map((r) => [
          r.model,
          r.runs,
          r.epochs,
          r.accuracy,
          r.energyJ,
          r.efficiency,
          ...(hasPaper ? [r.paperSumW] : []),
          marks(r.estimated, r.degraded) || 'measured',
        ]),
        notes: [
          'Means over the usable runs of each model (folds/seeds); the runs column counts those left out.',
          EXCLUSION_RULE,
          'Energy source "estimated": some energy came from the labelled estimate, not a meter; "degraded": a probe failed or had gaps, so energy is a lower bound.',
        ],
      });
    }

  for (const d of analysis.datasets) {
    const archs = analysis.architectures;
    const rows = analysis.criteria.filter((c) => archs.some((a) => analysis.eq3.has(key(d, c, a))));
    tables.push({
      id: `table11-${d}`,
      title: `Table 11: architecture × criterion efficiency on ${d} (Eq. 3, mean over model sizes)`,
      columns: ['Criterion', ...archs.flatMap((a) => [a, `${a} 95% CI`])],
      cells: rows.map((c) => [
        c,
        ...archs.flatMap((a) => {
          const ci = analysis.eq3.get(key(d, c, a));
          const f = flag((x) => x.dataset === d && x.criterion === c && x.architecture === a);
          return ci ? [formatEff(ci.mean) + f, formatCi(ci)] : ['—', '—'];
        }),
      ]),
      raw: rows.map((c) => [
        c,
        ...archs.flatMap((a) => {
          const ci = analysis.eq3.get(key(d, c, a));
          return ci ? [ci.mean, rawCi(ci)] : [null, null];
        }),
      ]),
      notes: [
        `CI: 95% percentile bootstrap of the mean over model sizes (${analysis.bootstrapResamples} resamples, fixed seed); "${ONE_VALUE}" with one model size.`,
        EXCLUSION_RULE,
        countsLine(analysis, d),
      ],
    });
  }

  const buildOverall = (
    id: string,
    title: string,
    m: Map<string, Interval>,
    notes: string[],
    criteria: string[],
  ): Table => {
    // As in the paper, the more efficient dataset/architecture is the numerator of each ratio.
    const avg = (xs: (Interval | undefined)[]) => {
      const v = xs.filter((x): x is Interval => x !== undefined).map((x) => x.mean);
      return v.length ? v.reduce((s, x) => s + x, 0) / v.length : 0;
    };
    const ds = [...analysis.datasets].sort(
      (x, y) =>
        avg(analysis.architectures.map((a) => m.get(key(y, a)))) -
        avg(analysis.architectures.map((a) => m.get(key(x, a)))),
    );
    const archs = [...analysis.architectures].sort(
      (x, y) => avg(ds.map((d) => m.get(key(d, y)))) - avg(ds.map((d) => m.get(key(d, x)))),
    );
    const pairCols = ds.length >= 2 ? ds.slice(1).map((d) => `${ds[0]}/${d}`) : [];
    // Ratios are core's (Table 12's definition): every ordered pair, of which the table shows first/other.
    const positive = [...m.entries()]
      .filter(([, v]) => v.mean > 0)
      .map(([k, v]) => {
        const [dataset = '', architecture = ''] = k.split('\u0000');
        return { dataset, architecture, efficiency: v.mean };
      });
    const coreRatios = positive.length
      ? efficiencyRatios(positive, { datasets: ds, architectures: archs })
      : { tasks: [], architectures: [] };
    const taskRatio = (a: string, n: string, d: string): number | null =>
      coreRatios.tasks.find((t) => t.architecture === a && t.numerator === n && t.denominator === d)?.ratio ??
      null;
    const archRatio = (d: string, n: string, den: string): number | null =>
      coreRatios.architectures.find((t) => t.dataset === d && t.numerator === n && t.denominator === den)
        ?.ratio ?? null;
    const columns = ['Architecture', ...ds.flatMap((d) => [d, `${d} 95% CI`]), ...pairCols];
    const cells: string[][] = [];
    const raw: (string | number | null)[][] = [];
    for (const a of archs) {
      const vals = ds.map((d) => m.get(key(d, a)));
      const rs = ds.slice(1).map((d) => taskRatio(a, ds[0] as string, d));
      cells.push([
        a,
        ...vals.flatMap((v, i) => {
          const f = flag(
            (x) => x.dataset === ds[i] && x.architecture === a && criteria.includes(x.criterion),
          );
          return v ? [formatEff(v.mean) + f, formatCi(v)] : ['—', '—'];
        }),
        ...rs.map((r) => (r === null ? '—' : r.toFixed(3))),
      ]);
      raw.push([a, ...vals.flatMap((v) => (v ? [v.mean, rawCi(v)] : [null, null])), ...rs]);
    }
    // Relative efficiency of the first architecture against each other one, per dataset.
    for (const b of archs.slice(1)) {
      const a0 = archs[0] as string;
      const rs = ds.map((d) => archRatio(d, a0, b));
      cells.push([
        `${a0}/${b}`,
        ...rs.flatMap((r) => [r === null ? '—' : r.toFixed(3), '']),
        ...pairCols.map(() => ''),
      ]);
      raw.push([`${a0}/${b}`, ...rs.flatMap((r) => [r, null]), ...pairCols.map(() => null)]);
    }
    return { id, title, columns, cells, raw, notes };
  };
  tables.push(
    buildOverall(
      'table12',
      'Table 12: overall efficiency per architecture and dataset (Eq. 4: mean of Eq. 3 over criteria) and ratios',
      analysis.eq4,
      [
        `Criteria averaged: ${analysis.eq4Criteria.join('; ')}.`,
        ...(analysis.extensionCriterion
          ? [`"${analysis.extensionCriterion}" is the overtraining extension and is left out (see Table 14).`]
          : []),
        `CI: 95% percentile bootstrap of Eq. 4: model sizes resampled within each criterion, averaged per criterion, then over criteria (${analysis.bootstrapResamples} resamples, fixed seed); "${ONE_VALUE}" when every criterion has one model size.`,
        EXCLUSION_RULE,
        countsLine(analysis),
      ],
      analysis.eq4Criteria,
    ),
  );

  if (analysis.overtraining.length > 0) {
    const f = (x: number) => x.toFixed(8);
    tables.push({
      id: 'table13',
      title: `Table 13: overtraining check (${analysis.shortFixedCriterion} vs ${analysis.extensionCriterion})`,
      columns: [
        'Dataset',
        'Model',
        'Train (short)',
        'Test (short)',
        'Difference (short)',
        'Train (long)',
        'Test (long)',
        'Difference (long)',
        'A',
        'B',
        'Overtrained',
      ],
      cells: analysis.overtraining.map((r) => [
        r.dataset,
        r.model,
        f(r.train50),
        f(r.test50),
        f(r.diff50),
        f(r.train100),
        f(r.test100),
        f(r.diff100),
        r.a.toFixed(2),
        r.b.toFixed(2),
        r.overtrained ? 'yes' : 'no',
      ]),
      raw: analysis.overtraining.map((r) => [
        r.dataset,
        r.model,
        r.train50,
        r.test50,
        r.diff50,
        r.train100,
        r.test100,
        r.diff100,
        r.a,
        r.b,
        r.overtrained,
      ]),
      notes: [
        'A = test(long) − test(short); B = (train − test)(long) − (train − test)(short).',
        describeOvertrainingRule(analysis.overtrainingRule),
      ],
    });
    tables.push(
      buildOverall(
        'table14',
        `Table 14: efficiency from the ${analysis.extensionCriterion} runs alone (Eq. 3) and ratios`,
        analysis.table14,
        [
          'Compare with Table 12: overtrained models drag efficiency down and can flip the ratios.',
          `CI: as Table 11; "${ONE_VALUE}" with one model size.`,
          EXCLUSION_RULE,
          countsLine(analysis),
        ],
        [analysis.extensionCriterion ?? ''],
      ),
    );
  }

  tables.push(buildEnvironments(loaded));
  const placement = buildPlacementTable(loaded);
  if (placement) tables.push(placement);
  tables.push({
    id: 'runs',
    title:
      'All runs (failed and diverged runs, and runs with 0 J, are listed here and excluded from every mean)',
    columns: [
      'Dataset',
      'Criterion',
      'Model',
      'Fold',
      'Status',
      'Epochs',
      'Accuracy',
      'Energy (J)',
      'Stopped by',
      'Source',
    ],
    cells: loaded.map(({ run, file, line }) => [
      run.config.dataset,
      run.config.criterion.label ?? run.config.criterion.name,
      run.config.model ?? `${run.config.architecture}-${run.config.size}`,
      run.config.fold === null ? '—' : String(run.config.fold),
      statusText(run),
      String(run.final.epochs),
      run.final.accuracy.toFixed(4),
      formatEnergy(run.final.energyJ.total) +
        (marks(run.final.estimated, run.final.degraded)
          ? ` (${marks(run.final.estimated, run.final.degraded)})`
          : ''),
      run.final.stoppedBy.criterion,
      `${file.split('/').at(-1)}:${line}`,
    ]),
    raw: loaded.map(({ run, file, line }) => [
      run.config.dataset,
      run.config.criterion.label ?? run.config.criterion.name,
      run.config.model ?? `${run.config.architecture}-${run.config.size}`,
      run.config.fold,
      run.status,
      run.final.epochs,
      run.final.accuracy,
      run.final.energyJ.total,
      run.final.stoppedBy.criterion,
      `${file.split('/').at(-1)}:${line}`,
    ]),
    notes: [],
  });
  return tables;
}

/**
 * Where the runs were measured: one row per machine, backend, training threads and probes, with the runs each
 * holds. Energy is only comparable within a row (threads and probes change the joules, not just the time).
 */
function statusText(run: LoadedRun['run']): string {
  if (run.status !== 'completed') return `${run.status}: ${run.error ?? 'no message'}`;
  return runExclusion(run) === 'zero-energy' ? 'completed, 0 J measured (in no mean)' : 'completed';
}

function buildEnvironments(loaded: LoadedRun[]): Table {
  const groups = new Map<string, { cells: string[]; runs: number }>();
  for (const { run } of loaded) {
    const env = run.environment;
    const machine = env.cpu?.model ? `${env.cpu.model} × ${env.cpu.cores ?? '?'} cores` : '—';
    const probes = run.probes.map((p) => `${p.name}${p.estimated ? ' (estimate)' : ''}`).join(', ') || '—';
    const cells = [
      machine,
      env.backend ?? '—',
      env.trainingThreads ? String(env.trainingThreads) : '—',
      probes,
    ];
    const key = cells.join('\u0000');
    const group = groups.get(key) ?? { cells, runs: 0 };
    group.runs++;
    groups.set(key, group);
  }
  const rows = [...groups.values()];
  return {
    id: 'environments',
    title: 'Where the runs were measured',
    columns: ['Machine', 'Backend', 'Training threads', 'Probes', 'Runs'],
    cells: rows.map((g) => [...g.cells, String(g.runs)]),
    raw: rows.map((g) => [...g.cells, g.runs]),
    notes:
      rows.length > 1
        ? ['Runs differ in machine, backend, threads or probes: compare energies only within one row.']
        : [],
  };
}

const mdEscape = (s: string) => s.replaceAll('|', '\\|');

export function toMarkdown(t: Table): string {
  const lines = [
    `### ${t.title}`,
    '',
    `| ${t.columns.map(mdEscape).join(' | ')} |`,
    `|${t.columns.map(() => '---').join('|')}|`,
  ];
  for (const row of t.cells) lines.push(`| ${row.map(mdEscape).join(' | ')} |`);
  if (t.notes.length) lines.push('', t.notes.map((n) => `_${n}_`).join('\n\n'));
  return `${lines.join('\n')}\n`;
}

const csvField = (v: string | number | boolean | null): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function toCsv(t: Table): string {
  return `${[t.columns, ...t.raw].map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}
