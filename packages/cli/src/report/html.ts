// One self-contained index.html: inline CSS, inline SVG figures (PNG/spec linked relatively), every table.
import type { Figure } from './figures.js';
import type { Table } from './tables.js';

const esc = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

const CSS = `
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222;line-height:1.4}
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:32px}
h3{font-size:15px;margin:20px 0 6px}table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f0f3f7}td:first-child,th:first-child{text-align:left}
tr:nth-child(even) td{background:#fafafa}.note{font-size:12px;color:#555;margin:2px 0}
.mark-est{color:#a15c00;font-weight:bold}.mark-deg{color:#b00020;font-weight:bold}
figure{margin:12px 0 28px}figcaption{font-size:13px;color:#444}.links{font-size:12px}
.fig svg{max-width:100%;height:auto}.meta{font-size:13px;color:#555}
.warn{border-left:4px solid #b00020;background:#fff4f4;padding:6px 10px;margin:10px 0;font-size:13px}
.warn li{margin:2px 0}.foot{font-size:12px;color:#a15c00}`;

function cell(s: string): string {
  let h = esc(s);
  h = h.replace(/\bestimated\b/g, '<span class="mark-est">estimated</span>');
  h = h.replace(/\bdegraded\b/g, '<span class="mark-deg">degraded</span>');
  h = h.replace(/^failed/, '<span class="mark-deg">failed</span>');
  h = h.replace(/\bmixed accuracy\b/g, '<span class="mark-deg">mixed accuracy</span>');
  return h;
}

function tableHtml(t: Table): string {
  const head = `<tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = t.cells.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('\n');
  const notes = t.notes
    .map((n) => `<p class="${n.startsWith('* ') ? 'note foot' : 'note'}">${esc(n)}</p>`)
    .join('');
  return `<section id="${esc(t.id)}"><h3>${esc(t.title)}</h3><table>${head}\n${body}</table>${notes}
<p class="links"><a href="tables/${esc(t.id)}.csv">CSV</a> · <a href="tables/${esc(t.id)}.md">Markdown</a></p></section>`;
}

export function renderHtml(input: {
  tables: Table[];
  figures: { figure: Figure; svg: string }[];
  sources: string[];
  runCount: number;
  failedCount: number;
  generatedAt: string;
  /** One sentence on which accuracy the efficiencies use (accuracyNote). */
  accuracy: string;
  /** Shown in a box at the top: replicate spreads that exceed reported differences, mixed accuracies, n = 1. */
  warnings: string[];
  /** The estimate's assumptions (estimateFootnote), when any energy is estimated. */
  estimateFootnote: string | null;
}): string {
  const { tables, figures } = input;
  const group = (pred: (t: Table) => boolean) => tables.filter(pred).map(tableHtml).join('\n');
  const figs = figures
    .map(
      ({ figure, svg }) => `<figure id="${esc(figure.id)}"><h3>${esc(figure.title)}</h3>
<div class="fig">${svg.replace(/^<\?xml[^>]*>/, '')}</div>
<figcaption>${esc(figure.caption)}</figcaption>
<p class="links"><a href="figures/${esc(figure.id)}.png">PNG</a> · <a href="figures/${esc(figure.id)}.svg">SVG</a> · <a href="figures/${esc(figure.id)}.vl.json">Vega-Lite spec</a></p></figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eff report: training efficiency</title>
<style>${CSS}</style></head><body>
<h1>Training efficiency report</h1>
<p class="meta">${input.runCount} runs (${input.failedCount} failed, diverged, with 0 J or at chance level: excluded from every mean and ratio) from ${input.sources.map(esc).join(', ')}. Generated ${esc(input.generatedAt)}.
${esc(input.accuracy)} Energy is integrated power, not the paper's sum of watt readings (that is in the appendix).
<span class="mark-est">estimated</span>: energy partly from the labelled estimate; <span class="mark-deg">degraded</span>: a probe failed or had gaps (energy is a lower bound).</p>
${input.estimateFootnote ? `<p class="note foot">${esc(input.estimateFootnote)}</p>` : ''}
${input.warnings.length ? `<div class="warn"><strong>Read with care</strong><ul>${input.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>` : ''}
<h2>Architecture efficiency</h2>
${group((t) => t.id.startsWith('table1'))}
<h2>Figures</h2>
${figs}
<h2>What an accuracy costs</h2>
${group((t) => t.id.startsWith('cost-'))}
<h2>Per model (Tables 3–10)</h2>
${group((t) => t.id.startsWith('models-'))}
${tables.some((t) => t.id === 'replicates') ? `<h2>Replicates</h2>\n${group((t) => t.id === 'replicates')}` : ''}
<h2>Runs</h2>
${group((t) => t.id === 'environments' || t.id === 'placement')}
${group((t) => t.id === 'runs')}
${tables.some((t) => t.id.startsWith('appendix-')) ? `<h2>Appendix</h2>\n${group((t) => t.id.startsWith('appendix-'))}` : ''}
</body></html>
`;
}
