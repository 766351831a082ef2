// What an accuracy costs (issue 14): energy/time-to-accuracy, curve area, the accuracy–energy Pareto front and carbon, as tables and a figure; every number is @eff/core's.
import {
  type AccuracyCost,
  architectureEfficiencyBound,
  type Carbon,
  carbonOf,
  dominantInterval,
  type EfficiencyInterval,
  type GridIntensity,
  overallEfficiencyBound,
  paretoFront,
  type RunRecord,
  ratioBound,
  runExclusion,
} from '@eff/core';
import type * as vl from 'vega-lite';
import { type Analysis, criterionLabel, type Interval, key, reportCriterion } from './analysis.js';
import { type Figure, NO_USABLE_RUN, textFigure } from './figures.js';
import { type LoadedRun, modelName } from './load.js';
import { effUnit, formatEff, formatEnergy, type Table } from './tables.js';

/** What the report keeps of a run's epochs for these tables (computed by core while the epochs stream by). */
export interface RunInsight {
  /** Energy/time-to-accuracy per threshold (core's accuracyCosts). */
  costs: AccuracyCost[];
  /** Normalised area under accuracy against cumulative energy (core's efficiencyCurveArea); null: no curve. */
  curveArea: number | null;
}

/** Report options for these tables: thresholds and, for runs that recorded no carbon, an intensity to apply. */
export interface InsightOptions {
  /** Accuracy thresholds for energy/time-to-accuracy; default core's DEFAULT_ACCURACY_THRESHOLDS. */
  thresholds?: readonly number[];
  /** Intensity for runs without final.carbon (from --carbon-intensity or --carbon-country). */
  carbonIntensity?: GridIntensity;
  /** PUE with carbonIntensity; default 1. */
  pue?: number;
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const usable = (loaded: LoadedRun[]): LoadedRun[] => loaded.filter((l) => runExclusion(l.run) === null);
const replicateText = (run: RunRecord): string =>
  [
    run.config.seed === undefined ? '' : `seed ${run.config.seed}`,
    run.config.fold === null ? '' : `fold ${run.config.fold}`,
    run.config.replicate === undefined ? '' : `replicate ${run.config.replicate}`,
  ]
    .filter(Boolean)
    .join(', ') || '—';
const seconds = (ms: number): string => `${(ms / 1000).toPrecision(3)} s`;
const pct = (t: number): string => `${Number((t * 100).toFixed(2))} %`;

/**
 * Energy- and time-to-accuracy per dataset × architecture × size (all usable runs of a model, whatever their
 * criterion): for each threshold, the mean energy and time over the runs that reached it and how many did.
 */
export function accuracyCostTable(loaded: LoadedRun[], thresholds: readonly number[]): Table {
  const groups = new Map<string, LoadedRun[]>();
  for (const l of usable(loaded)) {
    const k = [l.run.config.dataset, l.run.config.architecture, l.run.config.size].join('\u0000');
    groups.set(k, [...(groups.get(k) ?? []), l]);
  }
  const columns = ['Dataset', 'Architecture', 'Size', 'Runs', ...thresholds.map((t) => `To ${pct(t)}`)];
  const rawColumns = [
    'Dataset',
    'Architecture',
    'Size',
    'Runs',
    ...thresholds.flatMap((t) => [`Energy to ${t} (J)`, `Time to ${t} (ms)`, `Reached ${t}`]),
  ];
  const cells: string[][] = [];
  const raw: (string | number | null)[][] = [];
  for (const runs of groups.values()) {
    const first = (runs[0] as LoadedRun).run;
    const per = thresholds.map((_, i) => {
      const hits = runs.flatMap((l) => {
        const c = l.insight?.costs[i];
        return c && c.energyJ !== null && c.elapsedMs !== null ? [c] : [];
      });
      return {
        reached: hits.length,
        energyJ: hits.length ? mean(hits.map((c) => c.energyJ as number)) : null,
        elapsedMs: hits.length ? mean(hits.map((c) => c.elapsedMs as number)) : null,
        upperBound: hits.some((c) => c.upperBound),
      };
    });
    const base = [
      first.config.dataset,
      first.config.architecture,
      String(first.config.size),
      String(runs.length),
    ];
    cells.push([
      ...base,
      ...per.map((p) =>
        p.energyJ === null || p.elapsedMs === null
          ? 'not reached'
          : `${p.upperBound ? '≤ ' : ''}${formatEnergy(p.energyJ)}, ${seconds(p.elapsedMs)}${p.reached < runs.length ? ` (${p.reached}/${runs.length} runs)` : ''}`,
      ),
    ]);
    raw.push([
      first.config.dataset,
      first.config.architecture,
      first.config.size,
      runs.length,
      ...per.flatMap((p) => [p.energyJ, p.elapsedMs, p.reached]),
    ]);
  }
  return {
    id: 'cost-to-accuracy',
    title: 'Energy and time to accuracy per architecture × size',
    columns,
    rawColumns,
    cells,
    raw,
    notes: [
      'Energy (total, J) and time since the run started at which a run first reached each accuracy (the accuracy its efficiency uses), interpolated linearly between the epochs before and after the crossing; means over the runs that reached it, "(k/n runs)" when not all did. "not reached": no run did.',
      'Nothing is measured before the first epoch, so a threshold already met after epoch 1 gets epoch 1’s energy and time, marked "≤" (an upper bound). Runs in no mean are left out.',
    ],
  };
}

/** Mean normalised curve area per dataset × criterion × architecture, and per run in a second table. */
export function curveAreaTables(loaded: LoadedRun[]): Table[] {
  const runs = usable(loaded).filter((l) => l.insight?.curveArea != null);
  const groups = new Map<
    string,
    { dataset: string; criterion: string; architecture: string; areas: number[] }
  >();
  for (const l of runs) {
    const criterion = criterionLabel(l.run);
    const k = [l.run.config.dataset, criterion, l.run.config.architecture].join('\u0000');
    const g = groups.get(k) ?? {
      dataset: l.run.config.dataset,
      criterion,
      architecture: l.run.config.architecture,
      areas: [],
    };
    g.areas.push(l.insight?.curveArea ?? 0);
    groups.set(k, g);
  }
  const note =
    'Curve area = area under accuracy against cumulative energy (trapezoids, from 0 J at accuracy 0) divided by the run’s energy: the mean accuracy over the energy the run spent (dimensionless, 0–1). Higher means accuracy came early in the run’s joules; unlike Eq. 1 it rewards the whole curve, not only its end.';
  const perArch: Table = {
    id: 'cost-curve-area',
    title: 'Efficiency curve area per architecture',
    columns: ['Dataset', 'Criterion', 'Architecture', 'Runs', 'Mean curve area'],
    cells: [...groups.values()].map((g) => [
      g.dataset,
      g.criterion,
      g.architecture,
      String(g.areas.length),
      mean(g.areas).toFixed(4),
    ]),
    raw: [...groups.values()].map((g) => [
      g.dataset,
      g.criterion,
      g.architecture,
      g.areas.length,
      mean(g.areas),
    ]),
    notes: [note],
  };
  const perRun: Table = {
    id: 'cost-curve-area-runs',
    title: 'Efficiency curve area per run',
    columns: ['Dataset', 'Criterion', 'Model', 'Replicate', 'Accuracy', 'Energy', 'Curve area'],
    rawColumns: ['Dataset', 'Criterion', 'Model', 'Replicate', 'Accuracy', 'Energy (J)', 'Curve area'],
    cells: runs.map(({ run, insight }) => [
      run.config.dataset,
      criterionLabel(run),
      modelName(run),
      replicateText(run),
      run.final.accuracy.toFixed(4),
      formatEnergy(run.final.energyJ.total),
      (insight?.curveArea ?? 0).toFixed(4),
    ]),
    raw: runs.map(({ run, insight }) => [
      run.config.dataset,
      criterionLabel(run),
      modelName(run),
      replicateText(run),
      run.final.accuracy,
      run.final.energyJ.total,
      insight?.curveArea ?? null,
    ]),
    notes: [note],
  };
  return [perArch, perRun];
}

/** Usable runs per dataset with their Pareto membership (core's paretoFront on final energy and accuracy). */
export function paretoRuns(loaded: LoadedRun[]): { loaded: LoadedRun; onFront: boolean }[] {
  const byDataset = new Map<string, LoadedRun[]>();
  for (const l of usable(loaded))
    byDataset.set(l.run.config.dataset, [...(byDataset.get(l.run.config.dataset) ?? []), l]);
  return [...byDataset.values()].flatMap((runs) => {
    const on = paretoFront(
      runs.map((l) => ({ energyJ: l.run.final.energyJ.total, accuracy: l.run.final.accuracy })),
    );
    return runs.map((l, i) => ({ loaded: l, onFront: on[i] === true }));
  });
}

const runLabel = (run: RunRecord): string => `${modelName(run)} · ${criterionLabel(run)}`;

/** The non-dominated runs of each dataset, cheapest first. */
export function paretoTable(loaded: LoadedRun[]): Table {
  const front = paretoRuns(loaded)
    .filter((p) => p.onFront)
    .map((p) => p.loaded.run)
    .sort(
      (a, b) =>
        a.config.dataset.localeCompare(b.config.dataset) || a.final.energyJ.total - b.final.energyJ.total,
    );
  return {
    id: 'cost-pareto',
    title: 'Accuracy–energy Pareto front (non-dominated runs)',
    columns: ['Dataset', 'Model', 'Criterion', 'Replicate', 'Epochs', 'Accuracy', 'Energy'],
    rawColumns: ['Dataset', 'Model', 'Criterion', 'Replicate', 'Epochs', 'Accuracy', 'Energy (J)'],
    cells: front.map((r) => [
      r.config.dataset,
      modelName(r),
      criterionLabel(r),
      replicateText(r),
      String(r.final.epochs),
      r.final.accuracy.toFixed(4),
      formatEnergy(r.final.energyJ.total),
    ]),
    raw: front.map((r) => [
      r.config.dataset,
      modelName(r),
      criterionLabel(r),
      replicateText(r),
      r.final.epochs,
      r.final.accuracy,
      r.final.energyJ.total,
    ]),
    notes: [
      'A run is on the front when no other run of the same dataset reached at least its accuracy with at most its energy (one of the two strictly better). Identical runs dominate neither each other and are all listed. Runs in no mean are left out.',
    ],
  };
}

/** Final accuracy against energy (log), every usable run a point, the non-dominated ones highlighted, joined and labelled. */
export function paretoFigure(loaded: LoadedRun[]): Figure {
  const values = paretoRuns(loaded).map(({ loaded: { run }, onFront }) => ({
    dataset: run.config.dataset,
    label: runLabel(run),
    energyJ: run.final.energyJ.total,
    accuracy: run.final.accuracy,
    front: onFront ? 'on the front' : 'dominated',
  }));
  // Every run left out (e.g. a first tiny grid, all at chance level): say so in words, as the other figures do.
  if (values.length === 0)
    return textFigure(
      'fig-pareto',
      'Accuracy–energy Pareto front',
      NO_USABLE_RUN,
      'no usable run in these results',
    );
  const x = {
    field: 'energyJ',
    type: 'quantitative',
    title: 'energy, J (log)',
    scale: { type: 'log' },
  } as const;
  const y = {
    field: 'accuracy',
    type: 'quantitative',
    title: 'final accuracy',
    scale: { zero: false },
  } as const;
  const onFront = { filter: "datum.front === 'on the front'" };
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: {
      font: 'DejaVu Sans',
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 11 },
    },
    data: { values },
    facet: { column: { field: 'dataset', type: 'nominal', title: null } },
    spec: {
      width: 480,
      height: 300,
      layer: [
        {
          transform: [onFront],
          mark: { type: 'line', color: '#b00020', strokeDash: [4, 3] },
          encoding: { x, y, order: { field: 'energyJ', type: 'quantitative' } },
        },
        {
          mark: { type: 'point', filled: true, size: 60 },
          encoding: {
            x,
            y,
            color: {
              field: 'front',
              type: 'nominal',
              title: null,
              scale: { domain: ['on the front', 'dominated'], range: ['#b00020', '#9aa5b1'] },
            },
            tooltip: [
              { field: 'label', type: 'nominal' },
              { field: 'accuracy', type: 'quantitative', format: '.4f' },
              { field: 'energyJ', type: 'quantitative', format: '.4~s' },
            ],
          },
        },
        {
          transform: [onFront],
          mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 10 },
          encoding: { x, y, text: { field: 'label', type: 'nominal' } },
        },
      ],
    },
  };
  return {
    id: 'fig-pareto',
    title: 'Accuracy–energy Pareto front',
    caption:
      'Each point is a run (final accuracy against its total energy, log scale); red, joined and labelled: the non-dominated runs (no other run of the dataset is at least as accurate for at most its energy). See the Pareto table.',
    spec,
  };
}

/** The carbon of a run: its recorded final.carbon, else `options.carbonIntensity` applied to its energy; null: none. */
export function runCarbon(run: RunRecord, options: InsightOptions): Carbon | null {
  if (run.final.carbon) return run.final.carbon;
  if (!options.carbonIntensity) return null;
  return carbonOf(run.final.energyJ.total, options.carbonIntensity, options.pue ?? 1);
}

/**
 * Grams CO2e per dataset × criterion × model (sum over its runs, every run counted: failed runs drew power too), with
 * the intensity and its source; null when no run has carbon and no intensity was given.
 */
export function carbonTable(loaded: LoadedRun[], options: InsightOptions): Table | null {
  const rows = new Map<string, { run: RunRecord; runs: number; grams: number; carbon: Carbon[] }>();
  for (const { run } of loaded) {
    const c = runCarbon(run, options);
    if (c === null) continue;
    const k = [run.config.dataset, criterionLabel(run), modelName(run)].join('\u0000');
    const row = rows.get(k) ?? { run, runs: 0, grams: 0, carbon: [] };
    row.runs++;
    row.grams += c.gramsCO2e;
    row.carbon.push(c);
    rows.set(k, row);
  }
  if (rows.size === 0) return null;
  const sources = new Set([...rows.values()].flatMap((r) => r.carbon.map((c) => c.sourceLabel)));
  const intensities = (cs: Carbon[]) =>
    [
      ...new Set(cs.map((c) => `${c.intensityGPerKWh} g/kWh × PUE ${c.pue}${c.year ? ` (${c.year})` : ''}`)),
    ].join('; ');
  const total = [...rows.values()].reduce((s, r) => s + r.grams, 0);
  return {
    id: 'cost-carbon',
    title: 'Carbon (grams CO2e)',
    columns: ['Dataset', 'Criterion', 'Model', 'Runs', 'CO2e', 'Intensity'],
    rawColumns: ['Dataset', 'Criterion', 'Model', 'Runs', 'CO2e (g)', 'Intensity'],
    cells: [...rows.values()].map((r) => [
      r.run.config.dataset,
      criterionLabel(r.run),
      modelName(r.run),
      String(r.runs),
      `${r.grams.toPrecision(3)} g`,
      intensities(r.carbon),
    ]),
    raw: [...rows.values()].map((r) => [
      r.run.config.dataset,
      criterionLabel(r.run),
      modelName(r.run),
      r.runs,
      r.grams,
      intensities(r.carbon),
    ]),
    notes: [
      `CO2e = energy (kWh) × grid intensity (g CO2e/kWh) × PUE, summed over the runs (failed ones included: they drew power). All runs: ${total.toPrecision(3)} g.`,
      `Intensity source: ${[...sources].join('; ')}.`,
    ],
  };
}

/** What the "Dominates" column says: which interval is wider, and what would narrow the result. */
function dominatesText(which: 'sensors' | 'bootstrap', oneValue: boolean): string {
  if (which === 'sensors')
    return oneValue
      ? 'sensors (the bootstrap has one value, no spread): a better meter would narrow it'
      : 'sensors: more runs will not help; a better meter would';
  return 'run-to-run (bootstrap): more runs would narrow it';
}

const intervalText = (i: { low: number; high: number }): string =>
  `[${formatEff(i.low)}, ${Number.isFinite(i.high) ? formatEff(i.high) : '∞'}]`;

/** One row of the sensor-bound table: an Eq. 3 or Eq. 4 value, its bootstrap CI and its sensor interval. */
interface SensorRow {
  eq: 'Eq. 3' | 'Eq. 4';
  dataset: string;
  criterion: string;
  architecture: string;
  ci: Interval;
  sensor: EfficiencyInterval;
  dominant: 'sensors' | 'bootstrap';
}

/**
 * The sensor intervals of Eq. 3 per dataset × criterion × architecture (core's architectureEfficiencyBound over the
 * runs of each key the analysis has) and of Eq. 4 per dataset × architecture (core's overallEfficiencyBound over the
 * criteria Eq. 4 averages), keyed like analysis.eq3 / analysis.eq4.
 */
export function sensorIntervals(
  loaded: LoadedRun[],
  analysis: Analysis,
): { eq3: Map<string, EfficiencyInterval>; eq4: Map<string, EfficiencyInterval> } {
  const mixed = analysis.accuracyOn === 'mixed';
  const runsByKey = new Map<string, RunRecord[]>();
  const eq4Parts = new Map<string, Map<string, RunRecord[]>>();
  for (const { run } of usable(loaded)) {
    const criterion = reportCriterion(criterionLabel(run), run.final.accuracyOn, mixed);
    const k = key(run.config.dataset, criterion, run.config.architecture);
    runsByKey.set(k, [...(runsByKey.get(k) ?? []), run]);
    if (!analysis.eq4Criteria.includes(criterion)) continue;
    const k4 = key(run.config.dataset, run.config.architecture);
    const byCriterion = eq4Parts.get(k4) ?? new Map<string, RunRecord[]>();
    byCriterion.set(k, [...(byCriterion.get(k) ?? []), run]);
    eq4Parts.set(k4, byCriterion);
  }
  const eq3 = new Map<string, EfficiencyInterval>();
  for (const k of analysis.eq3.keys()) {
    const runs = runsByKey.get(k);
    if (runs) eq3.set(k, architectureEfficiencyBound(runs));
  }
  const eq4 = new Map<string, EfficiencyInterval>();
  for (const k of analysis.eq4.keys()) {
    const parts = eq4Parts.get(k);
    if (parts && parts.size > 0)
      eq4.set(
        k,
        overallEfficiencyBound([...parts.values()].map((runs) => architectureEfficiencyBound(runs))),
      );
  }
  return { eq3, eq4 };
}

/**
 * Eq. 3 per dataset × criterion × architecture, then Eq. 4 per dataset × architecture, each with two intervals side by
 * side: the bootstrap CI (run-to-run and size-to-size spread, from the analysis) and the interval the sensors allow
 * (core's propagation of each run's energy bound, see sensorIntervals), and which of the two is wider — when it is
 * the sensors, more runs will not narrow the result; a better meter would.
 */
export function sensorBoundTable(loaded: LoadedRun[], analysis: Analysis): Table {
  const sensor = sensorIntervals(loaded, analysis);
  const row = (eq: SensorRow['eq'], k: string, ci: Interval, s: EfficiencyInterval): SensorRow => {
    const parts = k.split('\u0000');
    const [dataset = '', criterion, architecture = ''] =
      eq === 'Eq. 3' ? parts : [parts[0], `mean over ${analysis.eq4Criteria.length} criteria`, parts[1]];
    return {
      eq,
      dataset,
      criterion: criterion ?? '',
      architecture,
      ci,
      sensor: s,
      dominant: dominantInterval(s, ci.oneValue ? null : ci),
    };
  };
  const rows: SensorRow[] = [
    ...[...analysis.eq3.entries()].flatMap(([k, ci]) => {
      const s = sensor.eq3.get(k);
      return s ? [row('Eq. 3', k, ci, s)] : [];
    }),
    ...[...analysis.eq4.entries()].flatMap(([k, ci]) => {
      const s = sensor.eq4.get(k);
      return s ? [row('Eq. 4', k, ci, s)] : [];
    }),
  ];
  const unit = effUnit(analysis.accuracyOn);
  const wider = (eq: SensorRow['eq']) => {
    const of = rows.filter((r) => r.eq === eq);
    const n = of.filter((r) => r.dominant === 'sensors').length;
    return of.length === 0
      ? ''
      : `${eq}: the sensors' interval is the wider in ${n} of ${of.length} row${of.length === 1 ? '' : 's'}.`;
  };
  return {
    id: 'cost-sensor-bounds',
    title: `Eq. 3 and Eq. 4 with their bootstrap CI and the interval the sensors allow (${unit})`,
    columns: [
      'Eq.',
      'Dataset',
      'Criterion',
      'Architecture',
      'Value',
      'Bootstrap 95 % CI',
      'Sensor interval',
      'Dominates',
    ],
    rawColumns: [
      'Eq.',
      'Dataset',
      'Criterion',
      'Architecture',
      'Value (acc/J)',
      'CI low',
      'CI high',
      'Sensor low',
      'Sensor high',
      'Dominates',
    ],
    cells: rows.map((r) => [
      r.eq,
      r.dataset,
      r.criterion,
      r.architecture,
      formatEff(r.ci.mean),
      r.ci.oneValue ? 'n/a (one value)' : intervalText(r.ci),
      intervalText(r.sensor),
      dominatesText(r.dominant, r.ci.oneValue),
    ]),
    raw: rows.map((r) => [
      r.eq,
      r.dataset,
      r.criterion,
      r.architecture,
      r.ci.mean,
      r.ci.oneValue ? null : r.ci.low,
      r.ci.oneValue ? null : r.ci.high,
      r.sensor.low,
      Number.isFinite(r.sensor.high) ? r.sensor.high : null,
      r.dominant,
    ]),
    notes: [
      'Sensor interval: each run’s Eq. 1 = accuracy / energy over its energy bound (final.energyBoundJ: NVIDIA board power ±5 W per reading as nvidia-smi documents, other power readings ±5 % (assumed), the trapezoid rule’s sampling error Σ |ΔP|·Δt/2 from the readings themselves, RAPL ±1 ms update and ±15.3 µJ per end, the estimate ±50 %, uncovered time at mean power above; see methodology §5 (docs/methodology.md)), averaged like Eq. 3 (over a model’s runs, then over sizes) and, for Eq. 4, over criteria — the worst case, computed by @eff/core. Runs recorded before the bound existed get it from their probe reports.',
      '"Dominates" names the wider of the two: when it is the sensors, more replicates will not narrow the result; better meters will. When it is the bootstrap, more runs (seeds, sizes) will.',
      ...(analysis.eq4.size > 0 ? [`Eq. 4 averages: ${analysis.eq4Criteria.join('; ')}.`] : []),
      ...[wider('Eq. 3'), wider('Eq. 4')].filter(Boolean),
    ],
  };
}

/**
 * Table 12's ratios with the interval the sensors allow: for each architecture, Eq. 4 on one dataset over Eq. 4 on
 * another, and for each dataset, one architecture's Eq. 4 over another's (the more efficient one the numerator, as
 * in Table 12), each with core's ratioBound of the two Eq. 4 sensor intervals. Null when no pair exists.
 */
export function sensorRatioTable(loaded: LoadedRun[], analysis: Analysis): Table | null {
  const { eq4 } = sensorIntervals(loaded, analysis);
  const value = (d: string, a: string) => analysis.eq4.get(key(d, a))?.mean;
  const rows: {
    kind: string;
    of: string;
    numerator: string;
    denominator: string;
    ratio: number;
    sensor: EfficiencyInterval;
  }[] = [];
  const add = (kind: string, of: string, kn: string, kd: string, n: string, d: string) => {
    const [vn, vd, sn, sd] = [
      analysis.eq4.get(kn)?.mean,
      analysis.eq4.get(kd)?.mean,
      eq4.get(kn),
      eq4.get(kd),
    ];
    if (vn === undefined || vd === undefined || !sn || !sd || !(vn > 0) || !(vd > 0)) return;
    const [num, den, vNum, vDen, sNum, sDen] = vn >= vd ? [n, d, vn, vd, sn, sd] : [d, n, vd, vn, sd, sn];
    rows.push({
      kind,
      of,
      numerator: num,
      denominator: den,
      ratio: vNum / vDen,
      sensor: ratioBound(sNum, sDen),
    });
  };
  for (const a of analysis.architectures)
    for (let i = 0; i < analysis.datasets.length; i++)
      for (let j = i + 1; j < analysis.datasets.length; j++) {
        const [n, d] = [analysis.datasets[i] as string, analysis.datasets[j] as string];
        if (value(n, a) !== undefined && value(d, a) !== undefined)
          add('datasets', a, key(n, a), key(d, a), n, d);
      }
  for (const ds of analysis.datasets)
    for (let i = 0; i < analysis.architectures.length; i++)
      for (let j = i + 1; j < analysis.architectures.length; j++) {
        const [n, d] = [analysis.architectures[i] as string, analysis.architectures[j] as string];
        add('architectures', ds, key(ds, n), key(ds, d), n, d);
      }
  if (rows.length === 0) return null;
  return {
    id: 'cost-sensor-bounds-ratios',
    title: 'Table 12’s ratios (Eq. 4 over Eq. 4) with the interval the sensors allow',
    columns: ['Ratio of', 'Within', 'Ratio', 'Value', 'Sensor interval'],
    rawColumns: ['Ratio of', 'Within', 'Ratio', 'Value', 'Sensor low', 'Sensor high'],
    cells: rows.map((r) => [
      r.kind,
      r.of,
      `${r.numerator} / ${r.denominator}`,
      r.ratio.toPrecision(3),
      `[${r.sensor.low.toPrecision(3)}, ${Number.isFinite(r.sensor.high) ? r.sensor.high.toPrecision(3) : '∞'}]`,
    ]),
    raw: rows.map((r) => [
      r.kind,
      r.of,
      `${r.numerator} / ${r.denominator}`,
      r.ratio,
      r.sensor.low,
      Number.isFinite(r.sensor.high) ? r.sensor.high : null,
    ]),
    notes: [
      'Sensor interval of a ratio n / d of two Eq. 4 values with sensor intervals [n_low, n_high] and [d_low, d_high]: [n_low / d_high, n_high / d_low] (@eff/core ratioBound; the worst case). An interval that includes 1 means the sensors cannot tell which is the more efficient. It assumes nothing about how the two sides’ errors relate: one meter’s error shared by both (the estimate on one machine) largely cancels in a ratio, so for such runs it is pessimistic.',
    ],
  };
}
