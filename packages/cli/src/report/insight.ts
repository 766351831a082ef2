// What an accuracy costs (issue 14): energy/time-to-accuracy, curve area, the accuracy–energy Pareto front and carbon, as tables and a figure; every number is @eff/core's.
import {
  type AccuracyCost,
  type Carbon,
  carbonOf,
  type EnergyBound,
  efficiencyBound,
  energyBoundOf,
  type GridIntensity,
  paretoFront,
  type RunRecord,
  runExclusion,
} from '@eff/core';
import type * as vl from 'vega-lite';
import { type Analysis, criterionLabel, key, reportCriterion } from './analysis.js';
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

/** A run's sensor interval on its energy: the recorded final.energyBoundJ, else core's bound from its probe reports. */
function runEnergyBound(run: RunRecord): EnergyBound {
  return (
    run.final.energyBoundJ ??
    energyBoundOf(run.probes, run.final.durationMs, {
      energyJ: run.final.energyJ.total,
      estimated: run.final.estimated,
    })
  );
}

/**
 * Eq. 3 per dataset × criterion × architecture with two intervals side by side: the bootstrap CI over model sizes
 * (run-to-run and size-to-size spread, from the analysis) and the interval the sensors allow (each run's Eq. 1 over
 * its energy bound, averaged like Eq. 3: over a model's runs, then over sizes), and which of the two is wider.
 */
export function sensorBoundTable(loaded: LoadedRun[], analysis: Analysis): Table {
  const mixed = analysis.accuracyOn === 'mixed';
  const groups = new Map<string, Map<number, { low: number[]; high: number[] }>>();
  for (const { run } of usable(loaded)) {
    const criterion = reportCriterion(criterionLabel(run), run.final.accuracyOn, mixed);
    const k = key(run.config.dataset, criterion, run.config.architecture);
    const bySize = groups.get(k) ?? new Map();
    const b = efficiencyBound(run.final.accuracy, runEnergyBound(run));
    const s = bySize.get(run.config.size) ?? { low: [], high: [] };
    s.low.push(b.low);
    s.high.push(b.high);
    bySize.set(run.config.size, s);
    groups.set(k, bySize);
  }
  const rows = [...analysis.eq3.entries()].flatMap(([k, ci]) => {
    const bySize = groups.get(k);
    if (!bySize) return [];
    const sizes = [...bySize.values()];
    const low = mean(sizes.map((s) => mean(s.low)));
    const high = mean(sizes.map((s) => mean(s.high)));
    const [dataset = '', criterion = '', architecture = ''] = k.split('\u0000');
    const sensorWidth = high - low;
    const ciWidth = ci.oneValue ? null : ci.high - ci.low;
    const dominant =
      ciWidth === null
        ? 'sensors (no spread: one value)'
        : sensorWidth > ciWidth
          ? 'sensors'
          : 'run-to-run (bootstrap)';
    return [{ dataset, criterion, architecture, mean: ci.mean, ci, ciWidth, low, high, dominant }];
  });
  const unit = effUnit(analysis.accuracyOn);
  return {
    id: 'cost-sensor-bounds',
    title: `Eq. 3 with its bootstrap CI and the interval the sensors allow (${unit})`,
    columns: [
      'Dataset',
      'Criterion',
      'Architecture',
      'Eq. 3',
      'Bootstrap 95 % CI',
      'Sensor interval',
      'Dominates',
    ],
    rawColumns: [
      'Dataset',
      'Criterion',
      'Architecture',
      'Eq. 3 (acc/J)',
      'CI low',
      'CI high',
      'Sensor low',
      'Sensor high',
      'Dominates',
    ],
    cells: rows.map((r) => [
      r.dataset,
      r.criterion,
      r.architecture,
      formatEff(r.mean),
      r.ci.oneValue ? 'n/a (one value)' : `[${formatEff(r.ci.low)}, ${formatEff(r.ci.high)}]`,
      `[${formatEff(r.low)}, ${Number.isFinite(r.high) ? formatEff(r.high) : '∞'}]`,
      r.dominant,
    ]),
    raw: rows.map((r) => [
      r.dataset,
      r.criterion,
      r.architecture,
      r.mean,
      r.ci.oneValue ? null : r.ci.low,
      r.ci.oneValue ? null : r.ci.high,
      r.low,
      Number.isFinite(r.high) ? r.high : null,
      r.dominant,
    ]),
    notes: [
      'Sensor interval: each run’s Eq. 1 = accuracy / energy over its energy bound (final.energyBoundJ: NVIDIA board power ±5 W per reading as nvidia-smi documents, other power readings ±5 % (assumed), one sampling interval of mean power, RAPL ±1 ms update and ±15.3 µJ per end, the estimate ±50 %, uncovered time at mean power above; see methodology §5 (docs/methodology.md)), averaged like Eq. 3. Runs recorded before the bound existed get it from their probe reports.',
      '"Dominates" names the wider of the two: when it is the sensors, more replicates will not narrow the result; better meters will.',
    ],
  };
}
