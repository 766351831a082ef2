// The paper's figures as Vega-Lite specs, rendered headless (vega View → SVG, resvg → PNG) with no browser or canvas.
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { type Analysis, reportCriterion } from './analysis.js';
import type { CurvePoint, EpochCurves } from './load.js';
import { effUnit } from './tables.js';

export interface Figure {
  id: string;
  title: string;
  caption: string;
  spec: vl.TopLevelSpec;
}

const FONT = 'DejaVu Sans';
const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
].filter((f) => existsSync(f));

/**
 * Labels are shown whole, never cut (labelLimit 0), and long ones wrap: wrapLabel puts a newline between lines and
 * every label is drawn through `split(…, '\n')`, which Vega renders as one text line per element.
 */
const LINES = "split(datum.label, '\\n')";
const config = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0 },
  // (a legend's labelExpr only works per legend, not here: criterion legends set it themselves)
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0 },
  header: { labelFontSize: 12, titleFontSize: 12, labelLimit: 0, labelExpr: LINES },
  title: { fontSize: 14 },
};
/** Efficiencies are plotted in accuracy per kJ: 3 significant digits, trailing zeros dropped (0.864, 12.3). */
const effFormat = '.3~g';
/** The figures' efficiency field: accuracy per kJ (the spec keeps `efficiency` in accuracy per J beside it). */
const PER_KJ = 'efficiencyPerKJ';

/** Characters per line of a wrapped label. */
export const LABEL_LINE_CHARS = 22;

/**
 * A label broken into lines of at most LABEL_LINE_CHARS characters at spaces (a longer word keeps its own line),
 * joined by '\n'; nothing is dropped: removing the newlines' line breaks gives the label back.
 */
export function wrapLabel(label: string, width = LABEL_LINE_CHARS): string {
  const lines: string[] = [];
  let line = '';
  for (const word of label.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join('\n');
}
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Up to this many models in one panel, each gets its own colour; above it, colour is the ordered model size. */
export const MAX_NOMINAL_MODELS = 10;

/** Panel name of a facet that only exists where there is data (no dataset gets another dataset's criteria). */
const panelOf = (...parts: string[]): string => parts.join(' · ');

export function buildFigures(analysis: Analysis, curves: EpochCurves): Figure[] {
  // Fig. 5/6 use the longest fixed-epoch runs when present (the curves are longest there); otherwise every run.
  const curveCriterion = analysis.extensionCriterion ?? analysis.shortFixedCriterion;
  const mixed = analysis.accuracyOn === 'mixed';
  const unit = effUnit(analysis.accuracyOn);
  const points = curves
    .points()
    .map((p) => ({ ...p, criterion: reportCriterion(p.criterion, p.accuracyOn, mixed) }))
    .filter((p) => !curveCriterion || p.criterion === curveCriterion)
    .map((p) => ({ ...p, [PER_KJ]: p.efficiency * 1000 }));
  if (points.length === 0) {
    // Runs without epoch records (e.g. stopped inside the first epoch) leave nothing to draw: say so in the figure.
    return [
      analysis.cells.length === 0
        ? textFigure(
            'fig-efficiency-vs-epoch',
            'Efficiency vs epoch per model (Fig. 5/6, Eq. 2)',
            NO_USABLE_RUN,
            'no usable run in these results',
          )
        : textFigure(
            'fig-efficiency-vs-epoch',
            'Efficiency vs epoch per model (Fig. 5/6, Eq. 2)',
            'No completed run has per-epoch records, so there is no curve to draw.',
            'no per-epoch records in these results',
          ),
      ...buildSummaryFigures(analysis),
    ];
  }
  const basePanel = (p: CurvePoint) =>
    wrapLabel(curveCriterion ? p.dataset : panelOf(p.dataset, p.criterion), 48);
  const modelsPerPanel = new Map<string, Set<string>>();
  for (const p of points) {
    const ms = modelsPerPanel.get(basePanel(p)) ?? new Set();
    ms.add(p.model);
    modelsPerPanel.set(basePanel(p), ms);
  }
  const many = Math.max(...[...modelsPerPanel.values()].map((m) => m.size)) > MAX_NOMINAL_MODELS;
  const of = curveCriterion ? ` (runs of "${curveCriterion}")` : ' (all runs)';
  return [
    many ? manyModelCurves(points, basePanel, of, unit) : fewModelCurves(points, basePanel, of, unit),
    ...(many ? [efficiencyHeatmap(points, basePanel, of, unit)] : []),
    ...buildSummaryFigures(analysis),
  ];
}

const curveY = (unit: string) =>
  ({
    field: PER_KJ,
    type: 'quantitative',
    title: `efficiency, ${unit} (log)`,
    // log scale because the curves fall roughly as 1/epoch
    scale: { type: 'log' },
    axis: { format: effFormat },
  }) as const;
const CURVE_X = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } } as const;

/** A few models per panel: one coloured line each, named in the legend. */
function fewModelCurves(
  points: CurvePoint[],
  panel: (p: CurvePoint) => string,
  of: string,
  unit: string,
): Figure {
  return {
    id: 'fig-efficiency-vs-epoch',
    title: 'Efficiency vs epoch per model (Fig. 5/6, Eq. 2)',
    caption: `Accuracy after each epoch divided by cumulative energy${of}; folds/seeds averaged (the spec holds these means, one row per model and epoch), log scale; one line per model, one panel per dataset${of === ' (all runs)' ? ' and criterion' : ''}.`,
    spec: {
      $schema: SCHEMA,
      config,
      data: { values: points.map((p) => ({ ...p, panel: panel(p) })) },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: 2,
      spec: {
        width: 380,
        height: 220,
        mark: { type: 'line', point: true },
        encoding: {
          x: CURVE_X,
          y: curveY(unit),
          color: { field: 'model', type: 'nominal', title: 'model' },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

/**
 * Many models: one panel per dataset and architecture, colour the model size on an ordered scale (small → large
 * reads as light → dark), and the smallest and largest model of each panel named at their line ends.
 */
function manyModelCurves(
  points: CurvePoint[],
  panel: (p: CurvePoint) => string,
  of: string,
  unit: string,
): Figure {
  const keyOf = (p: CurvePoint) => panelOf(panel(p), p.architecture);
  const extremes = new Map<string, { min: number; max: number; lastEpoch: Map<number, number> }>();
  for (const p of points) {
    const e = extremes.get(keyOf(p)) ?? { min: p.size, max: p.size, lastEpoch: new Map() };
    e.min = Math.min(e.min, p.size);
    e.max = Math.max(e.max, p.size);
    e.lastEpoch.set(p.size, Math.max(e.lastEpoch.get(p.size) ?? 0, p.epoch));
    extremes.set(keyOf(p), e);
  }
  const values = points.map((p) => {
    const e = extremes.get(keyOf(p))!;
    const labelled = (p.size === e.min || p.size === e.max) && e.lastEpoch.get(p.size) === p.epoch;
    return { ...p, panel: keyOf(p), ...(labelled ? { label: p.model } : {}) };
  });
  const panels = new Set(values.map((v) => v.panel)).size;
  return {
    id: 'fig-efficiency-vs-epoch',
    title: 'Efficiency vs epoch per model (Fig. 5/6, Eq. 2)',
    caption: `Accuracy after each epoch divided by cumulative energy${of}; folds/seeds averaged (the spec holds these means, one row per model and epoch), log scale. One panel per dataset and architecture; colour is the model size (light = small, dark = large), the smallest and largest model are named at their line ends; the heatmap below names every model.`,
    spec: {
      $schema: SCHEMA,
      config,
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: Math.min(panels, 2),
      spec: {
        width: 380,
        height: 220,
        layer: [
          {
            mark: { type: 'line', strokeWidth: 1.2 },
            encoding: {
              x: CURVE_X,
              y: curveY(unit),
              detail: { field: 'model', type: 'nominal' },
              color: {
                field: 'size',
                type: 'ordinal',
                title: 'model size k',
                scale: { scheme: 'viridis', reverse: true },
                legend: { columns: 2, symbolLimit: 0 },
              },
            },
          },
          {
            transform: [{ filter: 'isValid(datum.label)' }],
            mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 },
            encoding: { x: CURVE_X, y: curveY(unit), text: { field: 'label' } },
          },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

/** Every model as one labelled row, epochs across, efficiency as colour: legible at any number of models. */
function efficiencyHeatmap(
  points: CurvePoint[],
  panel: (p: CurvePoint) => string,
  of: string,
  unit: string,
): Figure {
  const models = [...new Map(points.map((p) => [p.model, p])).values()]
    .sort((a, b) => a.architecture.localeCompare(b.architecture) || a.size - b.size)
    .map((p) => p.model);
  const maxEpoch = Math.max(...points.map((p) => p.epoch));
  const perPanel = new Map<string, Set<string>>();
  for (const p of points) perPanel.set(panel(p), (perPanel.get(panel(p)) ?? new Set()).add(p.model));
  const maxModels = Math.max(...[...perPanel.values()].map((m) => m.size));
  const step = maxEpoch > 60 ? 10 : maxEpoch > 20 ? 5 : 1;
  return {
    id: 'fig-efficiency-heatmap',
    title: 'Efficiency vs epoch, every model (Fig. 5/6 as a heatmap, Eq. 2)',
    caption: `One row per model (by architecture, then size), one column per epoch; colour is the mean efficiency${of}, log scale (dark = low, bright = high). Blank cells: the model's runs had stopped.`,
    spec: {
      $schema: SCHEMA,
      config,
      data: {
        values: points.map((p) => ({
          panel: panel(p),
          model: p.model,
          epoch: p.epoch,
          [PER_KJ]: p.efficiency * 1000,
        })),
      },
      facet: { field: 'panel', type: 'nominal', title: null },
      spec: {
        // Fixed sizes: vega-lite's { step } sizes inside a facet fail to render ("datum is not defined").
        width: maxEpoch * Math.max(3, Math.min(12, Math.floor(400 / maxEpoch))),
        height: 11 * maxModels,
        mark: 'rect',
        encoding: {
          x: {
            field: 'epoch',
            type: 'ordinal',
            title: 'epoch',
            axis: {
              values: Array.from({ length: maxEpoch }, (_, i) => i + 1).filter(
                (e) => e === 1 || e % step === 0,
              ),
              labelAngle: 0,
            },
          },
          y: { field: 'model', type: 'ordinal', sort: models, title: null, axis: { labelFontSize: 9 } },
          color: {
            field: PER_KJ,
            type: 'quantitative',
            title: `${unit} (log)`,
            scale: { type: 'log', scheme: 'viridis' },
            legend: { format: effFormat },
          },
        },
      },
      resolve: { scale: { y: 'independent', x: 'independent', xOffset: 'independent' } },
    },
  };
}

/** A figure that says in words why it has nothing to draw (Vega cannot draw a figure without data or marks). */
export function textFigure(id: string, title: string, caption: string, text: string): Figure {
  return {
    id,
    title,
    caption,
    spec: {
      $schema: SCHEMA,
      config,
      width: 380,
      height: 60,
      data: { values: [{ text }] },
      mark: { type: 'text', fontSize: 14 },
      encoding: { text: { field: 'text', type: 'nominal' } },
    },
  };
}

export const NO_USABLE_RUN =
  'Every run was left out (failed, diverged, 0 J or at chance level; see the runs table), so there is no efficiency to draw.';

/** Figures drawn from the per-model cells and Eq. 3 (Figs. 7–11); efficiencies in accuracy per kJ. */
function buildSummaryFigures(analysis: Analysis): Figure[] {
  if (analysis.cells.length === 0)
    return [
      ['fig-boxplot-criterion', 'Efficiency per criterion per architecture (Fig. 8/9)'],
      ['fig-architectures-by-criterion', 'Architectures compared by criterion (Fig. 7, Table 11)'],
      ['fig-size-comparison', 'Efficiency by model size (Fig. 10/11)'],
    ].map(([id, title]) =>
      textFigure(id as string, title as string, NO_USABLE_RUN, 'no usable run in these results'),
    );
  const figs: Figure[] = [];
  const unit = effUnit(analysis.accuracyOn);
  const criteriaOrder = analysis.criteria.map((c) => wrapLabel(c));
  const criterionAxis = {
    field: 'criterion',
    sort: criteriaOrder,
    type: 'nominal',
    title: 'stopping criterion',
    axis: { labelAngle: 0, labelExpr: LINES },
  } as const;
  // Values per box (one architecture's sizes under one criterion): a box needs two; one value is drawn as a point.
  const perBox = new Map<string, number>();
  for (const c of analysis.cells) {
    const k = [c.dataset, c.criterion, c.architecture].join('\u0000');
    perBox.set(k, (perBox.get(k) ?? 0) + 1);
  }
  const cellData = analysis.cells.map((c) => ({
    dataset: c.dataset,
    criterion: wrapLabel(c.criterion),
    architecture: c.architecture,
    model: c.model,
    size: c.size,
    efficiency: c.efficiency,
    [PER_KJ]: c.efficiency * 1000,
    n: perBox.get([c.dataset, c.criterion, c.architecture].join('\u0000')) ?? 1,
  }));
  const yEff = (title: string) =>
    ({ field: PER_KJ, type: 'quantitative', title, axis: { format: effFormat } }) as const;
  figs.push({
    id: 'fig-boxplot-criterion',
    title: 'Efficiency per criterion per architecture (Fig. 8/9)',
    caption: `Each box holds the efficiencies (${unit}) of one architecture’s model sizes under one criterion (the values Eq. 3 averages); where there is one size, its value is a single point, not a box.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config,
      data: { values: cellData },
      facet: { column: { field: 'dataset', type: 'nominal', title: null } },
      spec: {
        width: 380,
        height: 240,
        encoding: {
          x: criterionAxis,
          xOffset: { field: 'architecture', type: 'nominal' },
          y: yEff(`efficiency, ${unit}`),
          color: { field: 'architecture', type: 'nominal', title: 'architecture' },
        },
        // A layer only when it has data: an empty layer makes Vega warn about an infinite extent.
        layer: [
          ...(cellData.some((c) => c.n >= 2)
            ? [
                {
                  transform: [{ filter: 'datum.n >= 2' }],
                  mark: { type: 'boxplot' as const, extent: 'min-max' as const, size: 18 },
                },
              ]
            : []),
          ...(cellData.some((c) => c.n < 2)
            ? [
                {
                  transform: [{ filter: 'datum.n < 2' }],
                  mark: { type: 'point' as const, filled: true, size: 70 },
                },
              ]
            : []),
        ],
      },
      resolve: { scale: { y: 'independent', x: 'independent', xOffset: 'independent' } },
    },
  });

  const eq3Data = [...analysis.eq3.entries()].map(([k, ci]) => {
    const [dataset, criterion = '', architecture] = k.split('\u0000');
    return {
      dataset,
      criterion: wrapLabel(criterion),
      architecture,
      efficiency: ci.mean,
      [PER_KJ]: ci.mean * 1000,
      lowPerKJ: ci.low * 1000,
      highPerKJ: ci.high * 1000,
      oneValue: ci.oneValue,
    };
  });
  figs.push({
    id: 'fig-architectures-by-criterion',
    title: 'Architectures compared by criterion (Fig. 7, Table 11)',
    caption: `Eq. 3 efficiency (${unit}) of each architecture under each criterion, with its 95% bootstrap interval over model sizes as a black rule (none where one size gives no interval).`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config,
      data: { values: eq3Data },
      facet: { column: { field: 'dataset', type: 'nominal', title: null } },
      spec: {
        width: 380,
        height: 240,
        encoding: {
          x: criterionAxis,
          xOffset: { field: 'architecture', type: 'nominal' },
          color: { field: 'architecture', type: 'nominal', title: 'architecture' },
        },
        layer: [
          { mark: 'bar', encoding: { y: yEff(`Eq. 3, ${unit}`) } },
          ...(eq3Data.some((d) => !d.oneValue)
            ? [
                {
                  transform: [{ filter: '!datum.oneValue' }],
                  mark: { type: 'rule' as const, color: 'black' },
                  encoding: {
                    y: { field: 'lowPerKJ', type: 'quantitative' as const },
                    y2: { field: 'highPerKJ' },
                    color: { value: 'black' },
                  },
                },
              ]
            : []),
        ],
      },
      resolve: { scale: { y: 'independent', x: 'independent', xOffset: 'independent' } },
    },
  });

  // A line needs two sizes: a criterion with one size in a panel is a point, not a line to nowhere.
  const sizesPerSeries = new Map<string, number>();
  for (const c of analysis.cells) {
    const k = [c.dataset, c.architecture, c.criterion].join('\u0000');
    sizesPerSeries.set(k, (sizesPerSeries.get(k) ?? 0) + 1);
  }
  figs.push({
    id: 'fig-size-comparison',
    title: 'Efficiency by model size (Fig. 10/11)',
    caption: `Efficiency (${unit}) of each model size under each criterion; one panel per dataset and architecture that has runs; points joined by a line only where a criterion has two or more sizes.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config,
      // One panel per dataset and architecture that has cells (no empty panel for an architecture a dataset lacks).
      data: {
        values: analysis.cells.map((c) => ({
          panel: panelOf(c.dataset, c.architecture),
          criterion: wrapLabel(c.criterion),
          model: c.model,
          size: String(c.size),
          efficiency: c.efficiency,
          [PER_KJ]: c.efficiency * 1000,
          sizes: sizesPerSeries.get([c.dataset, c.architecture, c.criterion].join('\u0000')) ?? 1,
        })),
      },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: Math.max(1, Math.min(analysis.architectures.length, 3)),
      spec: {
        width: { step: 14 },
        height: 200,
        encoding: {
          x: {
            field: 'size',
            type: 'ordinal',
            title: 'model size k',
            axis: { labelAngle: -90, labelOverlap: true },
          },
          y: yEff(`efficiency, ${unit}`),
          color: {
            field: 'criterion',
            type: 'nominal',
            sort: criteriaOrder,
            title: 'criterion',
            legend: { labelExpr: LINES },
          },
        },
        layer: [
          ...([...sizesPerSeries.values()].some((n) => n >= 2)
            ? [{ transform: [{ filter: 'datum.sizes >= 2' }], mark: { type: 'line' as const } }]
            : []),
          { mark: { type: 'point' as const, filled: true, size: 40 } },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    },
  });
  return figs;
}

/** Vega-Lite → Vega → SVG string (renderer 'none': no canvas, text widths are estimated). */
export async function renderSvg(spec: vl.TopLevelSpec, id = 'figure'): Promise<string> {
  const vgSpec = vl.compile(spec).spec;
  // Vega logs dataflow errors instead of throwing; collect them so a broken figure fails the report loudly.
  const errors: string[] = [];
  const logger = vega.logger(vega.Warn);
  logger.error = (...args: readonly unknown[]) => {
    errors.push(args.map(String).join(' '));
    return logger;
  };
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    if (errors.length > 0) throw new Error(`rendering figure ${id} failed: ${errors.join('; ')}`);
    return svg;
  } finally {
    view.finalize();
  }
}

/** SVG → PNG at 2× scale, with DejaVu fonts (Debian fonts-dejavu-core) or system fonts. */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: FONT_FILES.length === 0, fontFiles: FONT_FILES, defaultFontFamily: FONT },
  });
  return resvg.render().asPng();
}
