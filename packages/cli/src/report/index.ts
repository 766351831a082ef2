// `generateReport`: streams a results directory's JSONL files and writes tables, figures and index.html into `<dir>/report/`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runExclusion } from '@eff/core';
import { type AnalysisOptions, analyze } from './analysis.js';
import { buildFigures, renderSvg, svgToPng } from './figures.js';
import { renderHtml } from './html.js';
import { loadRuns } from './load.js';
import { hardwareWarning, sharedNodeNote } from './placement.js';
import { buildTables, toCsv, toMarkdown } from './tables.js';

export { ReportInputError } from './load.js';

export interface ReportOptions extends AnalysisOptions {
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
  /** Runs in no mean: failed, diverged, or 0 J measured. */
  failedRuns: number;
}

export async function generateReport(resultsDir: string, options: ReportOptions = {}): Promise<ReportResult> {
  const { runs, files, curves } = await loadRuns(resultsDir, options.onWarning);
  // Said on the terminal too, not only in the placement table's notes.
  for (const warning of [hardwareWarning(runs), sharedNodeNote(runs)])
    if (warning) options.onWarning?.(warning);
  const analysis = analyze(runs, options);
  const outDir = options.outDir ?? join(resultsDir, 'report');
  const tablesDir = join(outDir, 'tables');
  const figuresDir = join(outDir, 'figures');
  mkdirSync(tablesDir, { recursive: true });
  mkdirSync(figuresDir, { recursive: true });

  const tables = buildTables(analysis, runs);
  for (const t of tables) {
    writeFileSync(join(tablesDir, `${t.id}.md`), toMarkdown(t));
    writeFileSync(join(tablesDir, `${t.id}.csv`), toCsv(t));
  }
  writeFileSync(join(outDir, 'tables.md'), `# Tables\n\n${tables.map(toMarkdown).join('\n')}`);

  const rendered = [];
  for (const figure of buildFigures(analysis, curves)) {
    const svg = await renderSvg(figure.spec, figure.id);
    writeFileSync(join(figuresDir, `${figure.id}.vl.json`), `${JSON.stringify(figure.spec, null, 2)}\n`);
    writeFileSync(join(figuresDir, `${figure.id}.svg`), svg);
    if (options.png !== false) writeFileSync(join(figuresDir, `${figure.id}.png`), svgToPng(svg));
    rendered.push({ figure, svg });
  }
  // Every run no mean uses (failed, diverged, 0 J), by core's rule.
  const failedRuns = runs.filter((r) => runExclusion(r.run) !== null).length;
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
    }),
  );
  return {
    outDir,
    indexHtml,
    tables: tables.map((t) => t.id),
    figures: rendered.map((r) => r.figure.id),
    runs: runs.length,
    failedRuns,
  };
}
