// @ts-nocheck
// Prints the score and every surviving / uncovered mutant of Stryker JSON reports, for docs/testing.md.
// Usage: node test/mutation-survivors.mjs reports/mutation/A.json [more.json ...]
import { readFileSync } from 'node:fs';

const detected = new Set(['Killed', 'Timeout']);
const undetected = new Set(['Survived', 'NoCoverage']);
let killed = 0;
let total = 0;
const lines = [];
for (const path of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  for (const [file, { mutants, source }] of Object.entries(report.files)) {
    const src = source.split('\n');
    let fileKilled = 0;
    let fileTotal = 0;
    for (const m of mutants) {
      if (!detected.has(m.status) && !undetected.has(m.status)) continue; // ignored, compile errors
      fileTotal++;
      if (detected.has(m.status)) {
        fileKilled++;
        continue;
      }
      const line = m.location.start.line;
      const code = (src[line - 1] ?? '').trim().slice(0, 90);
      const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 70);
      lines.push(`${file}:${line} ${m.status} ${m.mutatorName}: ${replacement}   | ${code}`);
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
