// `pnpm bench:scale`: time and peak RSS of `eff report` and `eff run --dry-run` on synthetic results of 40 to 10,000
// runs × 100 epochs, in one results.jsonl and split over shards; writes bench/results/scale-<date>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCount, type SyntheticGrid, writeGridResults } from '../packages/cli/test/grid-results.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const EPOCHS = 100;

// Two fixed-epoch criteria (the report's curve and overtraining tables use them) and three others, as the presets.
const CRITERIA: SyntheticGrid['criteria'] = [
  { label: '50 epochs', params: { epochs: 50 } },
  { label: '100 epochs', params: { epochs: 100 } },
  { label: 'validation accuracy ≥ 0.95', name: 'accuracyTarget', params: { target: 0.95 } },
  { label: 'early stopping (patience 3)', name: 'earlyStopping', params: { patience: 3 } },
  { label: 'energy budget 30000 J', name: 'energyBudget', params: { budgetJ: 30000 } },
];
const sizes = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
/** Grids of each size: datasets × architectures × sizes × 5 criteria × folds. 10,000 has 100 models per dataset. */
const GRIDS: Record<number, Omit<SyntheticGrid, 'files'>> = {
  40: {
    datasets: ['mnist'],
    architectures: ['lenet', 'bcnn'],
    sizes: sizes(4),
    criteria: CRITERIA,
    folds: 1,
    epochs: EPOCHS,
  },
  280: {
    datasets: ['mnist', 'cifar10'],
    architectures: ['lenet', 'bcnn'],
    sizes: sizes(7),
    criteria: CRITERIA,
    folds: 2,
    epochs: EPOCHS,
  },
  2800: {
    datasets: ['mnist', 'cifar10'],
    architectures: ['lenet', 'bcnn'],
    sizes: sizes(14),
    criteria: CRITERIA,
    folds: 10,
    epochs: EPOCHS,
  },
  10000: {
    datasets: ['mnist', 'cifar10'],
    architectures: ['lenet', 'bcnn', 'resnet', 'vgg'],
    sizes: sizes(25),
    criteria: CRITERIA,
    folds: 10,
    epochs: EPOCHS,
  },
};

// A one-run grid for --dry-run: its plan is tiny, so the time is the run index read over every results file.
const DRY_GRID = {
  name: 'scale-dry',
  datasets: ['mnist'],
  architectures: ['lenet'],
  sizes: [1],
  criteria: [{ name: 'fixedEpochs', params: { epochs: 1 } }],
  maxEpochs: 1,
};

interface Measurement {
  command: string;
  exitCode: number | null;
  seconds: number;
  peakRssMB: number;
  stderrTail: string;
}

/** Runs `node <args>` under /usr/bin/time: wall seconds and peak RSS of that process (GNU time's %M, KiB). */
function measure(args: string[]): Measurement {
  const r = spawnSync('/usr/bin/time', ['-f', 'EFF_TIME %e %M', process.execPath, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const m = /EFF_TIME ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  if (!m) throw new Error(`no /usr/bin/time output for ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
  return {
    command: args.slice(1).join(' '),
    exitCode: r.status,
    seconds: Number(m[1]),
    peakRssMB: Number(m[2]) / 1024,
    stderrTail: (r.stderr ?? '').replace(/EFF_TIME.*\n?/, '').slice(-400),
  };
}

function dirBytes(files: string[]): number {
  return files.reduce((s, f) => s + statSync(f).size, 0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '40,280,2800,10000' },
      shards: { type: 'string', default: '8' },
      /** Which layouts: `one` (results.jsonl), `shards`, or both. */
      layouts: { type: 'string', default: 'one,shards' },
      keep: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const runSizes = values.sizes.split(',').map(Number);
  const shards = Number(values.shards);
  const work = mkdtempSync(join(tmpdir(), 'eff-scale-'));
  const dryConfig = join(work, 'dry.json');
  writeFileSync(dryConfig, JSON.stringify(DRY_GRID));
  const rows = [];
  // Start-up alone (an empty results directory): what every command pays before reading a line.
  const empty = join(work, 'empty');
  mkdirSync(empty);
  const startup = measure([BIN, 'run', '--config', dryConfig, '--out', empty, '--dry-run']);
  console.log(
    `eff scale benchmark: ${runSizes.join(', ')} runs × ${EPOCHS} epochs; 1 file and ${shards} shards; load ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(
    `start-up (dry-run, no results): ${startup.seconds.toFixed(1)} s, ${startup.peakRssMB.toFixed(0)} MB RSS`,
  );
  console.log('runs  files  MB on disk  report s  report MB RSS  dry-run s  dry-run MB RSS');
  for (const n of runSizes) {
    const grid = GRIDS[n];
    if (!grid || runCount(grid) !== n)
      throw new Error(`no grid of ${n} runs (have ${Object.keys(GRIDS).join(', ')})`);
    const layouts = values.layouts.split(',');
    for (const files of [
      ...(layouts.includes('one') ? [1] : []),
      ...(layouts.includes('shards') ? [shards] : []),
    ]) {
      const dir = join(work, `${n}-${files}`);
      const written = await writeGridResults(dir, { ...grid, files });
      const report = measure([BIN, 'report', dir]);
      const dry = measure([BIN, 'run', '--config', dryConfig, '--out', dir, '--dry-run']);
      const row = {
        runs: written.runs,
        files,
        bytes: dirBytes(written.files),
        report,
        dryRun: dry,
        loadAvg1m: loadavg()[0],
      };
      rows.push(row);
      console.log(
        [
          String(n).padStart(5),
          String(files).padStart(5),
          (row.bytes / 1e6).toFixed(0).padStart(11),
          report.seconds.toFixed(1).padStart(9),
          report.peakRssMB.toFixed(0).padStart(14),
          dry.seconds.toFixed(1).padStart(10),
          dry.peakRssMB.toFixed(0).padStart(15),
          report.exitCode === 0 && dry.exitCode === 0
            ? ''
            : `  FAILED: ${report.stderrTail} ${dry.stderrTail}`,
        ].join(''),
      );
      if (!values.keep) rmSync(dir, { recursive: true, force: true });
    }
  }
  const out = join(
    HERE,
    'results',
    `scale-${new Date().toISOString().replaceAll(':', '-').slice(0, 19)}.json`,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ node: process.version, epochs: EPOCHS, startup, rows }, null, 2)}\n`,
  );
  console.log(`Wrote ${out}${values.keep ? `; results kept in ${work}` : ''}`);
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  if (rows.some((r) => r.report.exitCode !== 0 || r.dryRun.exitCode !== 0)) process.exitCode = 1;
}

await main();
