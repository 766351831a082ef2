// Regenerates docs/img/report-at-a-glance.png: the report of the small fixture with three replicates, one run at
// chance level and an estimate with recorded assumptions, rendered by headless Chromium.
// Usage (from the repository root): npx tsx --tsconfig packages/cli/test/tsconfig.sources.json \
//   packages/cli/test/report-screenshot.ts [out.png]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateReport } from '../src/report/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, '../../../docs/img/report-at-a-glance.png'));
// biome-ignore lint/suspicious/noExplicitAny: fixture lines are edited as plain JSON
type Json = any;
const runs: Json[] = readFileSync(join(here, 'fixtures/report/small/results.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));

// Three replicates of every completed run; the energy varies by replicate as repeated measurements do.
const energyFactor = [
  [0.94, 1, 1.07],
  [0.8, 1, 1.3],
];
const lines: Json[] = runs.flatMap((r) =>
  r.status !== 'completed'
    ? [r]
    : [0, 1, 2].map((i) => {
        const x = structuredClone(r);
        const f = (energyFactor[r.config.architecture === 'lenet' ? 0 : 1] as number[])[i] as number;
        x.runId = `${r.runId}-rep${i}`;
        x.config.replicate = i;
        x.config.seed = 1 + i;
        x.final.energyJ = { cpu: r.final.energyJ.total * f, total: r.final.energyJ.total * f };
        x.final.efficiency = x.final.accuracy / x.final.energyJ.total;
        for (const p of x.probes)
          if (p.estimated) p.estimate = { tdpW: 35, ramWPerGB: 0.375, loadScope: 'machine' };
        return x;
      }),
);
// A run that learned nothing and stopped early: 0.1 accuracy for 40 J would be 2.5 acc/kJ, 100× its peers.
const chance = structuredClone(runs.find((r) => r.config.model === 'BCNN-2' && r.status === 'completed'));
chance.runId = 'chance-level';
chance.config.replicate = 3;
chance.config.seed = 4;
chance.final.accuracy = 0.1;
chance.final.energyJ = { cpu: 40, total: 40 };
chance.final.efficiency = 0.1 / 40;
lines.push(chance);

const dir = mkdtempSync(join(tmpdir(), 'eff-report-shot-'));
writeFileSync(join(dir, 'results.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
const result = await generateReport(dir, { png: false });
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!chromium) throw new Error('no chromium binary: apt-get install -y --no-install-recommends chromium');
const profile = mkdtempSync(join(tmpdir(), 'eff-chromium-'));
execFileSync(
  chromium,
  [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
    `--screenshot=${out}`,
    '--window-size=1280,2600',
    `file://${result.indexHtml}`,
  ],
  { stdio: 'ignore', timeout: 60_000 },
);
console.log(`${out} from ${result.indexHtml}`);
