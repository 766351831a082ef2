// @ts-nocheck
// The paper's figures as Vega-Lite specs, rendered headless (vega View → SVG, resvg → PNG) with no browser or canvas.
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Analysis } from './analysis.js';
import { criterionLabel } from './analysis.js';
import type { LoadedRun } from './load.js';

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

const config = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14 },
};
const effFormat = '.1e';

export function buildFigures(analysis: Analysis, loaded: LoadedRun[]): Figure[] {
  const figs: Figure[] = [];
  const curve = loaded
    .filter(({ run }) => run.status === 'completed')
    .flatMap(({ run }) =>
      run.epochs
        .filter((e) => e.efficiency > 0)
        .map((e) => ({
          dataset: run.config.dataset,
          criterion: criterionLabel(run),
          model: run.config.model ?? `${run.config.architecture}-${run.config.size}`,
          epoch: e.epoch,
          efficiency: e.efficiency,
        })),
    );
  // Fig. 5/6 use the longest fixed-epoch runs when present (the curves are longest there); otherwise every run.
  const curveCriterion = analysis.extensionCriterion ?? analysis.shortFixedCriterion;
  const curveData = curveCriterion ? curve.filter((p) => p.criterion === curveCriterion) : curve;
  if (curveData.length === 0) {
    // Runs without epoch records (e.g. stopped inside the first epoch) leave nothing to draw: say so in the figure.
    figs.push({
      id: 'fig-efficiency-vs-epoch',
      title: 'Efficiency vs epoch per model (Fig. 5/6, Eq. 2)',
      caption: 'No completed run has per-epoch records, so there is no curve to draw.',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        config,
        width: 380,
        height: 60,
        data: { values: [{ text: 'no per-epoch records in these results' }] },
        mark: { type: 'text', fontSize: 14 },
        encoding: { text: { field: 'text', type: 'nominal' } },
      },
    });
    return [...figs, ...buildSummaryFigures(analysis)];
  }
  figs.push({
    id: 'fig-efficiency-vs-epoch',
    title: 'Efficiency vs epoch per model (Fig. 5/6, Eq. 2)',
    caption: `Accuracy after each epoch divided by cumulative energy${curveCriterion ? ` (runs of "${curveCriterion}")` : ' (all runs)'}; folds/seeds averaged, log scale; one line per model, one panel per dataset${curveCriterion ? '' : ' and criterion'}.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config,
      data: { values: curveData },
      facet: curveCriterion
        ? { column: { field: 'dataset', type: 'nominal', title: null } }
        : {
            column: { field: 'dataset', type: 'nominal', title: null },
            row: { field: 'criterion', type: 'nominal', sort: analysis.criteria, title: null },
          },
      spec: {
        width: 380,
        height: 220,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
          // Folds/seeds of one model are averaged per epoch; log scale because the curves fall roughly as 1/epoch.
          y: {
            field: 'efficiency',
            aggregate: 'mean',
            type: 'quantitative',
            title: 'efficiency, acc/J (log)',
            scale: { type: 'log' },
            axis: { format: effFormat },
          },
          color: { field: 'model', type: 'nominal', title: 'model' },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  });

  return [...figs, ...buildSummaryFigures(analysis)];
}

/** Figures drawn from the per-model cells and Eq. 3 (Figs. 7–11). */
function buildSummaryFigures(analysis: Analysis): Figure[] {
  const figs: Figure[] = [];
  const cellData = analysis.cells.map((c) => ({ ...c, size: String(c.size) }));
  figs.push({
    id: 'fig-boxplot-criterion',
    title: 'Efficiency per criterion per architecture (Fig. 8/9)',
    caption:
      'Each box holds the efficiencies of one architecture’s model sizes under one criterion (the values Eq. 3 averages).',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config,
      data: { values: cellData },
      facet: { column: { field: 'dataset', type: 'nominal', title: null } },
      spec: {
        width: 380,
        height: 240,
        mark: { type: 'boxplot', extent: 'min-max', size: 18 },
        encoding: {
          x: {
            field: 'criterion',
            sort: analysis.criteria,
            type: 'nominal',
            title: 'stopping criterion',
            axis: { labelAngle: -20, labelLimit: 160 },
          },
          xOffset: { field: 'architecture', type: 'nominal' },
          y: {
            field: 'efficiency',
            type: 'quantitative',
            title: 'efficiency, acc/J',
            axis: { format: effFormat },
          },
          color: { field: 'architecture', type: 'nominal', title: 'architecture' },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  });

  const eq3Data = [...analysis.eq3.entries()].map(([k, ci]) => {
    const [dataset, criterion, architecture] = k.split('\u0000');
    return { dataset, criterion, architecture, efficiency: ci.mean, low: ci.low, high: ci.high };
  });
  figs.push({
    id: 'fig-architectures-by-criterion',
    title: 'Architectures compared by criterion (Fig. 7, Table 11)',
    caption:
      'Eq. 3 efficiency of each architecture under each criterion, with its 95% bootstrap interval over model sizes.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config,
      data: { values: eq3Data },
      facet: { column: { field: 'dataset', type: 'nominal', title: null } },
      spec: {
        width: 380,
        height: 240,
        encoding: {
          x: {
            field: 'criterion',
            sort: analysis.criteria,
            type: 'nominal',
            title: 'stopping criterion',
            axis: { labelAngle: -20, labelLimit: 160 },
          },
          xOffset: { field: 'architecture', type: 'nominal' },
          color: { field: 'architecture', type: 'nominal', title: 'architecture' },
        },
        layer: [
          {
            mark: 'bar',
            encoding: {
              y: {
                field: 'efficiency',
                type: 'quantitative',
                title: 'Eq. 3, acc/J',
                axis: { format: effFormat },
              },
            },
          },
          {
            mark: { type: 'rule', color: 'black' },
            encoding: {
              y: { field: 'low', type: 'quantitative' },
              y2: { field: 'high' },
              color: { value: 'black' },
            },
          },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    },
  });

  figs.push({
    id: 'fig-size-comparison',
    title: 'Efficiency by model size (Fig. 10/11)',
    caption: 'Efficiency of each model size under each criterion; one panel per architecture and dataset.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config,
      data: { values: analysis.cells },
      facet: {
        column: { field: 'architecture', type: 'nominal', title: null },
        row: { field: 'dataset', type: 'nominal', title: null },
      },
      spec: {
        width: 300,
        height: 200,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'size', type: 'ordinal', title: 'model size k', axis: { labelAngle: 0 } },
          y: {
            field: 'efficiency',
            type: 'quantitative',
            title: 'efficiency, acc/J',
            axis: { format: effFormat },
          },
          color: { field: 'criterion', type: 'nominal', sort: analysis.criteria, title: 'criterion' },
        },
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
