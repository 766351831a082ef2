// Prints the score and every surviving / uncovered mutant, from Stryker JSON reports or event-recorder folders.
// Usage: node test/mutation-survivors.mjs reports/mutation/units.json reports/mutation/criteria-events …
// A folder (eventReporter.baseDir) gives the mutants tested so far, so an interrupted run still reports.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

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

let killed = 0;
let total = 0;
const lines = [];
for (const path of process.argv.slice(2)) {
  for (const [file, mutants, src] of load(path)) {
    let fileKilled = 0;
    let fileTotal = 0;
    for (const m of mutants) {
      if (!detected.has(m.status) && !undetected.has(m.status)) continue; // ignored (static), compile errors
      fileTotal++;
      if (detected.has(m.status)) {
        fileKilled++;
        continue;
      }
      const line = m.location.start.line;
      const code = (src[line - 1] ?? '').trim().slice(0, 90);
      const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 60);
      lines.push(`${file}:${line} ${m.status} ${m.mutatorName} -> ${replacement}  | ${code}`);
    }
    killed += fileKilled;
    total += fileTotal;
    console.log(
      `${file}: ${fileKilled}/${fileTotal} killed (${((100 * fileKilled) / fileTotal).toFixed(1)} %)`,
    );
  }
}
console.log(`all: ${killed}/${total} killed (${((100 * killed) / total).toFixed(1)} %)`);
console.log(lines.join('\n'));
