// Prints the score and every surviving / uncovered mutant, from Stryker JSON reports or event-recorder folders.
// Usage: node test/mutation-survivors.mjs [--markdown] reports/mutation/units.json reports/mutation/criteria-events …
// A folder (eventReporter.baseDir) gives the mutants tested so far, so an interrupted run still reports.
// When a file appears in several reports, the LAST one given wins (list older runs first, re-runs after them).
// --markdown: one table row per file (tested, killed, timed out, survived, no coverage, score, report) and a total,
// as docs/testing.md shows them, instead of the survivor list.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

const detected = new Set(['Killed', 'Timeout']);
const undetected = new Set(['Survived', 'NoCoverage']);

/** [file, mutants, source lines] per file, from a report or from the onMutantTested events of a folder. */
function load(path) {
  if (statSync(path).isDirectory()) {
    const byFile = new Map();
    for (const name of readdirSync(path).filter((n) => n.endsWith('-onMutantTested.json'))) {
      const m = JSON.parse(readFileSync(join(path, name), 'utf8'));
      const file = relative(process.cwd(), m.fileName);
      byFile.set(file, [...(byFile.get(file) ?? []), m]);
    }
    return [...byFile].map(([file, mutants]) => [file, mutants, readFileSync(file, 'utf8').split('\n')]);
  }
  const report = JSON.parse(readFileSync(path, 'utf8'));
  return Object.entries(report.files).map(([file, f]) => [file, f.mutants, f.source.split('\n')]);
}

const args = process.argv.slice(2);
const markdown = args.includes('--markdown');
const byFile = new Map();
for (const path of args.filter((a) => a !== '--markdown')) {
  for (const [file, mutants, src] of load(path)) byFile.set(file, { mutants, src, from: basename(path) });
}

const pct = (k, t) => (t > 0 ? `${((100 * k) / t).toFixed(1)} %` : '–');
const sum = { tested: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
const lines = [];
const rows = [];
for (const [file, { mutants, src, from }] of byFile) {
  const n = { tested: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
  for (const m of mutants) {
    if (!detected.has(m.status) && !undetected.has(m.status)) continue; // ignored (static), compile errors
    n.tested++;
    if (m.status === 'Killed') n.killed++;
    else if (m.status === 'Timeout') n.timeout++;
    else {
      if (m.status === 'Survived') n.survived++;
      else n.noCoverage++;
      const line = m.location.start.line;
      const code = (src[line - 1] ?? '').trim().slice(0, 90);
      const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 60);
      lines.push(`${file}:${line} ${m.status} ${m.mutatorName} -> ${replacement}  | ${code}`);
    }
  }
  for (const k of Object.keys(sum)) sum[k] += n[k];
  const detectedCount = n.killed + n.timeout;
  rows.push(
    `| \`${file.replace(/^packages\//, '')}\` | ${n.tested} | ${n.killed} | ${n.timeout} | ${n.survived} | ${n.noCoverage} | ${pct(detectedCount, n.tested)} | ${from} |`,
  );
  if (!markdown)
    console.log(`${file}: ${detectedCount}/${n.tested} killed (${pct(detectedCount, n.tested)})`);
}
if (markdown) {
  console.log('| file | mutants tested | killed | timed out | survived | no coverage | score | report |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(rows.join('\n'));
  console.log(
    `| **all of the above** | ${sum.tested} | ${sum.killed} | ${sum.timeout} | ${sum.survived} | ${sum.noCoverage} | **${pct(sum.killed + sum.timeout, sum.tested)}** | |`,
  );
} else {
  console.log(
    `all: ${sum.killed + sum.timeout}/${sum.tested} killed (${pct(sum.killed + sum.timeout, sum.tested)})`,
  );
  console.log(lines.join('\n'));
}
