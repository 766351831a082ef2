// `generateReport`: streams a results directory's JSONL files and writes tables, figures and index.html into `<dir>/report/`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CHANCE_LEVEL_MARGIN, DEFAULT_ACCURACY_THRESHOLDS, runExclusion } from '@eff/core';
import { type Analysis, type AnalysisOptions, analyze } from './analysis.js';
import { buildFigures, renderSvg, svgToPng } from './figures.js';
import { renderHtml } from './html.js';
import {
  accuracyCostTable,
  carbonTable,
  curveAreaTables,
  type InsightOptions,
  paretoFigure,
  paretoTable,
  sensorBoundTable,
  sensorRatioTable,
} from './insight.js';
import { loadRuns, resolveResultsDir } from './load.js';
import { hardwareWarning, sharedNodeNote } from './placement.js';
import { accuracyNote, buildTables, estimateFootnote, toCsv, toMarkdown } from './tables.js';

export { ReportInputError } from './load.js';

export interface ReportOptions extends AnalysisOptions, InsightOptions {
  /** Output directory; default `<resultsDir>/report`. */
  outDir?: string;
  /** Skip PNG rasterising (SVG and specs are still written). */
  png?: boolean;
  /** Told about input that was read with a caveat (a results file whose last line a crash cut). */
  onWarning?: (message: string) => void;
}

export interface ReportResult {
  outDir: string;
  indexHtml: string;
  tables: string[];
  figures: string[];
  runs: number;
  /** Runs in no mean: failed, diverged, 0 J measured, or at chance level. */
  failedRuns: number;
  /** What the page's "Read with care" box says (also passed to onWarning). */
  warnings: string[];
}

/**
 * Reads every `*.jsonl` in `resultsPath` (a results directory, or a results file standing for its directory) and
 * writes tables, figures and index.html into `outDir` (default `<results dir>/report`). `onWarning` hears about
 * input read with a caveat, a file given for its directory, and differences smaller than the replicates' spread.
 * Throws ReportInputError (E_REPORT_INPUT) when there is nothing usable to read.
 */
export async function generateReport(
  resultsPath: string,
  options: ReportOptions = {},
): Promise<ReportResult> {
  const { dir: resultsDir, note } = resolveResultsDir(resultsPath);
  if (note) options.onWarning?.(note);
  const thresholds = options.thresholds ?? DEFAULT_ACCURACY_THRESHOLDS;
  const { runs, files, curves } = await loadRuns(resultsDir, options.onWarning, thresholds);
  // Said on the terminal too, not only in the placement table's notes.
  for (const warning of [hardwareWarning(runs), sharedNodeNote(runs)])
    if (warning) options.onWarning?.(warning);
  const analysis = analyze(runs, options);
  const outDir = options.outDir ?? join(resultsDir, 'report');
  const tablesDir = join(outDir, 'tables');
  const figuresDir = join(outDir, 'figures');
  mkdirSync(tablesDir, { recursive: true });
  mkdirSync(figuresDir, { recursive: true });

  const carbon = carbonTable(runs, options);
  const tables = [
    ...buildTables(analysis, runs),
    accuracyCostTable(runs, thresholds),
    ...curveAreaTables(runs),
    paretoTable(runs),
    sensorBoundTable(runs, analysis),
    ...[sensorRatioTable(runs, analysis)].filter((t) => t !== null),
    ...(carbon ? [carbon] : []),
  ];
  for (const t of tables) {
    writeFileSync(join(tablesDir, `${t.id}.md`), toMarkdown(t));
    writeFileSync(join(tablesDir, `${t.id}.csv`), toCsv(t));
  }
  writeFileSync(join(outDir, 'tables.md'), `# Tables\n\n${tables.map(toMarkdown).join('\n')}`);

  const rendered = [];
  for (const figure of [...buildFigures(analysis, curves), paretoFigure(runs)]) {
    const svg = await renderSvg(figure.spec, figure.id);
    writeFileSync(join(figuresDir, `${figure.id}.vl.json`), `${JSON.stringify(figure.spec, null, 2)}\n`);
    writeFileSync(join(figuresDir, `${figure.id}.svg`), svg);
    if (options.png !== false) writeFileSync(join(figuresDir, `${figure.id}.png`), svgToPng(svg));
    rendered.push({ figure, svg });
  }
  // Every run no mean uses (failed, diverged, 0 J, chance level), by core's rule.
  const failedRuns = runs.filter((r) => runExclusion(r.run) !== null).length;
  const warnings = readingWarnings(analysis);
  for (const w of warnings) options.onWarning?.(w);
  // Said on the page only: without replicates no spread is known (not a problem with the input).
  const pageWarnings =
    analysis.maxReplicates === 1 && analysis.cells.length > 1
      ? [
          ...warnings,
          'Every model ran once (n = 1): run-to-run spread is unknown, so small differences may be noise. Add seeds: [1, 2, 3] (or repeats: 3) to the grid config.',
        ]
      : warnings;
  const indexHtml = join(outDir, 'index.html');
  writeFileSync(
    indexHtml,
    renderHtml({
      tables,
      figures: rendered,
      sources: files.map((f) => basename(f)),
      runCount: runs.length,
      failedCount: failedRuns,
      generatedAt: new Date().toISOString(),
      accuracy: accuracyNote(analysis),
      warnings: pageWarnings,
      estimateFootnote: estimateFootnote(analysis),
    }),
  );
  return {
    outDir,
    indexHtml,
    tables: tables.map((t) => t.id),
    figures: rendered.map((r) => r.figure.id),
    runs: runs.length,
    failedRuns,
    warnings,
  };
}

/**
 * What a reader must know before comparing numbers: differences smaller than the replicates' spread, runs at chance
 * level left out, mixed accuracies.
 */
function readingWarnings(analysis: Analysis): string[] {
  const out: string[] = [...analysis.replicateWarnings];
  const chance = analysis.totalCounts.chanceLevel;
  if (chance > 0)
    out.push(
      `${chance} run(s) ended at chance level (accuracy ≤ 1/classes + ${CHANCE_LEVEL_MARGIN}) and are left out of every mean, ratio and curve; they are listed in the runs table.`,
    );
  if (analysis.accuracyOn === 'mixed')
    out.push(
      'The runs use different accuracies (test, validation, train): criteria are split by accuracy and never averaged across; Eq. 4 values that mix them are marked "mixed accuracy".',
    );
  return out;
}
