// Builds the paper's tables (3–14, replicates, runs, an appendix) from an Analysis, rendered as Markdown and CSV.
import {
  CHANCE_LEVEL_MARGIN,
  chanceLevelAccuracy,
  describeOvertrainingRule,
  efficiencyRatios,
  runExclusion,
} from '@eff/core';
import type { Analysis, Interval, RunCounts } from './analysis.js';
import { criterionLabel, key } from './analysis.js';
import type { LoadedRun } from './load.js';
import { buildPlacementTable } from './placement.js';

/**
 * One table: `cells` are display strings under `columns` (efficiency in accuracy per kJ); `raw` the machine values
 * for CSV under `rawColumns` (numbers unformatted: energy in J, efficiency in accuracy per J), default `columns`.
 */
export interface Table {
  id: string;
  title: string;
  columns: string[];
  rawColumns?: string[];
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

/**
 * An efficiency given in accuracy per joule, shown in accuracy per kJ (× 1000) with 3 significant digits and no
 * e-notation: 8.637e-4 acc/J → `0.864`, 1.5e-5 → `0.0150`, 0.0123 → `12.3`. Below 1e-4 acc/kJ (never seen in
 * practice: 10 MJ for an accuracy of 1) e-notation is kept, so no value reads as 0.
 */
export function formatEff(accuracyPerJ: number): string {
  const perKJ = accuracyPerJ * 1000;
  if (perKJ === 0) return '0';
  if (Math.abs(perKJ) < 1e-4) return perKJ.toExponential(2);
  if (Math.abs(perKJ) >= 1000) return perKJ.toFixed(0);
  return perKJ.toPrecision(3);
}
/** The unit of every displayed efficiency, with the accuracy it uses: `test acc/kJ`. */
export const effUnit = (accuracyOn: string): string =>
  accuracyOn === 'mixed' ? 'acc/kJ' : `${accuracyOn} acc/kJ`;
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
    c.chanceLevel ? `+${c.chanceLevel} at chance level` : '',
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The rule for runs no mean uses, stated once; core's runExclusion applies it. */
const EXCLUSION_RULE =
  'Runs in no mean, ratio or curve: failed runs (an error), diverged runs (a loss or accuracy became non-finite), ' +
  'runs with 0 J measured (no efficiency exists) and runs at chance level (accuracy ≤ 1/classes + ' +
  `${CHANCE_LEVEL_MARGIN}, i.e. ≤ ${Number(chanceLevelAccuracy(10).toFixed(4))} on MNIST and CIFAR-10: they learned ` +
  'nothing, and a short run at chance level has an accuracy/energy that would dominate any mean or ratio).';

/** `Runs in no mean per architecture: lenet 1 failed, 0 diverged, 0 with 0 J, 1 at chance level; …`. */
function countsLine(analysis: Analysis, dataset?: string): string {
  const per = analysis.architectures.map((a) => {
    const c = analysis.counts.get(dataset === undefined ? key(a) : key(dataset, a));
    const n = c ?? { failed: 0, diverged: 0, zeroEnergy: 0, chanceLevel: 0 };
    return `${a} ${n.failed} failed, ${n.diverged} diverged, ${n.zeroEnergy} with 0 J, ${n.chanceLevel} at chance level`;
  });
  return `Runs in no mean per architecture${dataset === undefined ? '' : ` on ${dataset}`}: ${per.join('; ')}.`;
}

function marks(estimated: boolean, degraded: boolean): string {
  return [estimated ? 'estimated' : '', degraded ? 'degraded' : ''].filter(Boolean).join(', ');
}

/** The accuracy statement every efficiency table carries: which accuracy, and that mixed ones are never averaged. */
export function accuracyNote(analysis: Analysis): string {
  if (analysis.accuracyOn === 'mixed')
    return (
      'These results mix efficiencies computed from different accuracies (final.accuracyOn): each criterion is ' +
      'split by it ("· test accuracy", "· validation accuracy") and never averaged across; Eq. 4 averages over ' +
      'criteria and so does mix them (such values are marked "mixed accuracy").'
    );
  return `Efficiency = ${analysis.accuracyOn} accuracy / energy (Eq. 1), shown in ${analysis.accuracyOn} accuracy per kJ (1 acc/kJ = 0.001 acc/J); the CSV keeps accuracy per J.`;
}

/** The estimate's assumptions, as one footnote; null when no energy was estimated. */
export function estimateFootnote(analysis: Analysis): string | null {
  const parts = analysis.estimateAssumptions.map(
    (a) =>
      `${a.probe}: CPU TDP ${a.tdpW} W × ${a.loadScope === 'machine' ? 'the whole machine’s CPU load (every process)' : 'this process’s CPU load'}, RAM ${a.ramWPerGB} W per GB (${a.runs} run${a.runs === 1 ? '' : 's'})`,
  );
  if (analysis.estimatedWithoutAssumptions > 0)
    parts.push(
      `${analysis.estimatedWithoutAssumptions} estimated run(s) recorded no assumptions (written before records kept them)`,
    );
  return parts.length === 0
    ? null
    : `* Estimated energy (utilisation × TDP, not a meter) assumes: ${parts.join('; ')}. Change them with --tdp or the estimate probe's options.`;
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
    const kinds = new Set(cs.map((c) => c.accuracyOn));
    const all = [m, kinds.size > 1 ? 'mixed accuracy' : ''].filter(Boolean).join(', ');
    return all ? ` (${all})` : '';
  };
  const footnote = estimateFootnote(analysis);
  const withFootnote = (notes: string[], estimated: boolean) =>
    estimated && footnote ? [...notes, footnote] : notes;
  const unit = effUnit(analysis.accuracyOn);
  const replicated = analysis.maxReplicates > 1;
  let n = 0;
  for (const d of analysis.datasets)
    for (const c of analysis.criteria) {
      const rows = analysis.cells.filter((x) => x.dataset === d && x.criterion === c);
      if (rows.length === 0) continue;
      n += 1;
      // One accuracy per table: the criterion label splits mixed results (reportCriterion).
      const on = rows[0]?.accuracyOn ?? 'test';
      const columns = ['Model', 'Runs', 'Epochs', `Accuracy (${on})`, 'Energy', `Efficiency (${on} acc/kJ)`];
      const rawColumns = [
        'Model',
        'Runs',
        'Epochs',
        `Accuracy (${on})`,
        'Energy (J)',
        `Efficiency (${on} acc/J)`,
      ];
      if (replicated) {
        columns.push('± SD between replicates (acc/kJ)', 'Replicates');
        rawColumns.push('SD between replicates (acc/J)', 'Replicates');
      }
      columns.push('Energy source');
      rawColumns.push('Energy source');
      const estimated = rows.some((r) => r.estimated);
      tables.push({
        id: `models-${n}`,
        title: `Per model: ${c} on ${d} (as Tables 3–10)`,
        columns,
        rawColumns,
        cells: rows.map((r) => [
          r.model,
          String(r.runs) + excludedText(r.counts),
          Number.isInteger(r.epochs) ? String(r.epochs) : r.epochs.toFixed(1),
          r.accuracy.toFixed(4),
          formatEnergy(r.energyJ),
          formatEff(r.efficiency),
          ...(replicated
            ? [r.spread ? `± ${formatEff(r.spread.sd)}` : '—', String(r.replicateEfficiencies.length)]
            : []),
          (marks(r.estimated, r.degraded) || 'measured') + (r.estimated && footnote ? ' *' : ''),
        ]),
        raw: rows.map((r) => [
          r.model,
          r.runs,
          r.epochs,
          r.accuracy,
          r.energyJ,
          r.efficiency,
          ...(replicated ? [r.spread?.sd ?? null, r.replicateEfficiencies.length] : []),
          marks(r.estimated, r.degraded) || 'measured',
        ]),
        notes: withFootnote(
          [
            'Means over the usable runs of each model (folds/seeds); the runs column counts those left out.',
            accuracyNote(analysis),
            EXCLUSION_RULE,
            'Energy source "estimated": some energy came from the labelled estimate, not a meter; "degraded": a probe failed or had gaps, so energy is a lower bound.',
          ],
          estimated,
        ),
      });
    }

  for (const d of analysis.datasets) {
    const archs = analysis.architectures;
    const rows = analysis.criteria.filter((c) => archs.some((a) => analysis.eq3.has(key(d, c, a))));
    const sdText = (k: string) => {
      const sp = analysis.eq3Spread.get(k);
      return sp ? ` ± ${formatEff(sp.sd)}` : '';
    };
    const estimated = analysis.cells.some((x) => x.dataset === d && x.estimated);
    tables.push({
      id: `table11-${d}`,
      title: `Table 11: architecture × criterion efficiency on ${d} (Eq. 3, mean over model sizes, ${unit})`,
      columns: ['Criterion', ...archs.flatMap((a) => [`${a} (${unit})`, `${a} 95% CI (${unit})`])],
      rawColumns: [
        'Criterion',
        ...archs.flatMap((a) => [
          `${a} (acc/J)`,
          `${a} 95% CI (acc/J)`,
          ...(replicated ? [`${a} SD between replicates (acc/J)`] : []),
        ]),
      ],
      cells: rows.map((c) => [
        c,
        ...archs.flatMap((a) => {
          const ci = analysis.eq3.get(key(d, c, a));
          const f = flag((x) => x.dataset === d && x.criterion === c && x.architecture === a);
          return ci ? [formatEff(ci.mean) + sdText(key(d, c, a)) + f, formatCi(ci)] : ['—', '—'];
        }),
      ]),
      raw: rows.map((c) => [
        c,
        ...archs.flatMap((a) => {
          const ci = analysis.eq3.get(key(d, c, a));
          const sd = replicated ? [analysis.eq3Spread.get(key(d, c, a))?.sd ?? null] : [];
          return ci ? [ci.mean, rawCi(ci), ...sd] : [null, null, ...sd];
        }),
      ]),
      notes: withFootnote(
        [
          accuracyNote(analysis),
          `CI: 95% percentile bootstrap of the mean over model sizes (${analysis.bootstrapResamples} resamples, fixed seed); "${ONE_VALUE}" with one model size.`,
          ...(replicated
            ? [
                '± : standard deviation of one replicate’s Eq. 3 between replicates (from the sizes’ spreads: √(Σ SD²) / sizes).',
              ]
            : []),
          EXCLUSION_RULE,
          countsLine(analysis, d),
        ],
        estimated,
      ),
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
    const columns = [
      'Architecture',
      ...ds.flatMap((d) => [`${d} (${unit})`, `${d} 95% CI (${unit})`]),
      ...pairCols.map((p) => `${p} (ratio)`),
    ];
    const rawColumns = [
      'Architecture',
      ...ds.flatMap((d) => [`${d} (acc/J)`, `${d} 95% CI (acc/J)`]),
      ...pairCols.map((p) => `${p} (ratio)`),
    ];
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
    const estimated = analysis.cells.some((x) => criteria.includes(x.criterion) && x.estimated);
    return {
      id,
      title,
      columns,
      rawColumns,
      cells,
      raw,
      notes: withFootnote([accuracyNote(analysis), ...notes], estimated),
    };
  };
  tables.push(
    buildOverall(
      'table12',
      `Table 12: overall efficiency per architecture and dataset (Eq. 4: mean of Eq. 3 over criteria, ${unit}) and ratios`,
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
        `Table 14: efficiency from the ${analysis.extensionCriterion} runs alone (Eq. 3, ${unit}) and ratios`,
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

  if (replicated) tables.push(buildReplicates(analysis));
  tables.push(buildEnvironments(loaded));
  const placement = buildPlacementTable(loaded);
  if (placement) tables.push(placement);
  const runColumns = [
    'Dataset',
    'Criterion',
    'Model',
    'Fold',
    'Seed',
    'Status',
    'Epochs',
    'Accuracy',
    'Accuracy on',
    'Energy',
    'Stopped by',
    'Source',
  ];
  tables.push({
    id: 'runs',
    title:
      'All runs (failed and diverged runs, runs with 0 J and runs at chance level are listed here and excluded from every mean)',
    columns: runColumns,
    rawColumns: runColumns.map((c) => (c === 'Energy' ? 'Energy (J)' : c)),
    cells: loaded.map(({ run, file, line }) => [
      run.config.dataset,
      criterionLabel(run),
      run.config.model ?? `${run.config.architecture}-${run.config.size}`,
      run.config.fold === null ? '—' : String(run.config.fold),
      run.config.seed === undefined ? '—' : String(run.config.seed),
      statusText(run),
      String(run.final.epochs),
      run.final.accuracy.toFixed(4),
      run.final.accuracyOn,
      formatEnergy(run.final.energyJ.total) +
        (marks(run.final.estimated, run.final.degraded)
          ? ` (${marks(run.final.estimated, run.final.degraded)})`
          : ''),
      run.final.stoppedBy.criterion,
      `${file.split('/').at(-1)}:${line}`,
    ]),
    raw: loaded.map(({ run, file, line }) => [
      run.config.dataset,
      criterionLabel(run),
      run.config.model ?? `${run.config.architecture}-${run.config.size}`,
      run.config.fold,
      run.config.seed ?? null,
      run.status,
      run.final.epochs,
      run.final.accuracy,
      run.final.accuracyOn,
      run.final.energyJ.total,
      run.final.stoppedBy.criterion,
      `${file.split('/').at(-1)}:${line}`,
    ]),
    notes: [],
  });
  if (analysis.paperSums.length > 0) tables.push(buildPaperSums(analysis));
  return tables;
}

/** Each model's spread between replicates, and the differences the replicates cannot resolve. */
function buildReplicates(analysis: Analysis): Table {
  const rows = analysis.cells;
  const unit = effUnit(analysis.accuracyOn);
  const stat = (xs: number[], f: (...v: number[]) => number) => (xs.length ? f(...xs) : Number.NaN);
  return {
    id: 'replicates',
    title: `Replicates: each model's efficiency per replicate (seeds), mean, spread and n (${unit})`,
    columns: [
      'Dataset',
      'Criterion',
      'Model',
      'n',
      `Mean (${unit})`,
      `SD (${unit})`,
      `Min (${unit})`,
      `Max (${unit})`,
    ],
    rawColumns: [
      'Dataset',
      'Criterion',
      'Model',
      'n',
      'Mean (acc/J)',
      'SD (acc/J)',
      'Min (acc/J)',
      'Max (acc/J)',
    ],
    cells: rows.map((r) => [
      r.dataset,
      r.criterion,
      r.model,
      String(r.replicateEfficiencies.length),
      formatEff(r.efficiency),
      r.spread ? formatEff(r.spread.sd) : '—',
      formatEff(stat(r.replicateEfficiencies, Math.min)),
      formatEff(stat(r.replicateEfficiencies, Math.max)),
    ]),
    raw: rows.map((r) => [
      r.dataset,
      r.criterion,
      r.model,
      r.replicateEfficiencies.length,
      r.efficiency,
      r.spread?.sd ?? null,
      stat(r.replicateEfficiencies, Math.min),
      stat(r.replicateEfficiencies, Math.max),
    ]),
    notes: [
      'A replicate is one seed of a grid with seeds: [...] or repeats: N (its CIFAR-10 folds averaged); SD is the sample standard deviation between replicates (n − 1). The run order interleaves and rotates criteria, so no criterion is always measured first.',
      ...(analysis.replicateWarnings.length
        ? analysis.replicateWarnings.map((w) => `Warning: ${w}`)
        : [
            'Every difference between neighbouring sizes, criteria and architectures is larger than the spread between replicates.',
          ]),
    ],
  };
}

/** The paper's energy figure (a plain sum of watt readings), kept apart from the joules: it grows with the sampling rate. */
function buildPaperSums(analysis: Analysis): Table {
  const rows = analysis.paperSums;
  return {
    id: 'appendix-paper-sum',
    title: 'Appendix: the paper’s energy figure (sum of watt readings, not energy), per model',
    columns: [
      'Dataset',
      'Criterion',
      'Model',
      'Runs',
      'Paper-sum (sum of W readings)',
      'Sampling interval (ms)',
      'Energy',
    ],
    rawColumns: [
      'Dataset',
      'Criterion',
      'Model',
      'Runs',
      'Paper-sum (W readings summed)',
      'Sampling interval (ms)',
      'Energy (J)',
    ],
    cells: rows.map((r) => [
      r.dataset,
      r.criterion,
      r.model,
      String(r.runs),
      r.paperSumW.toFixed(0),
      r.intervalsMs.length ? r.intervalsMs.join(', ') : 'not recorded',
      formatEnergy(r.energyJ),
    ]),
    raw: rows.map((r) => [
      r.dataset,
      r.criterion,
      r.model,
      r.runs,
      r.paperSumW,
      r.intervalsMs.length ? r.intervalsMs.join(';') : null,
      r.energyJ,
    ]),
    notes: [
      'The authors summed the watt readings of their sampling loops, with no time step: the sum is energy × samples per second, so it means nothing without the sampling interval. It is here only to compare with the paper’s "kW" figures; every other table uses integrated energy in joules.',
    ],
  };
}

/**
 * Where the runs were measured: one row per machine, backend, training threads and probes, with the runs each
 * holds. Energy is only comparable within a row (threads and probes change the joules, not just the time).
 */
function statusText(run: LoadedRun['run']): string {
  if (run.status !== 'completed') return `${run.status}: ${run.error ?? 'no message'}`;
  const why = runExclusion(run);
  if (why === 'zero-energy') return 'completed, 0 J measured (in no mean)';
  if (why === 'chance-level') return 'completed, at chance level (in no mean)';
  return 'completed';
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
  return `${[t.rawColumns ?? t.columns, ...t.raw].map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}
