// @ts-nocheck
// Sampling overhead benchmark: CPU time (ours + the tools' children) per second of sampling, for each probe.
// Run: cd packages/probes && npx tsx bench/overhead.ts [seconds-per-probe=5]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Probe } from '../src/index.js';
import {
  estimateProbe,
  nvidiaSmiProbe,
  nvmlProbe,
  powerstatProbe,
  powertopProbe,
  raplProbe,
  rocmSmiProbe,
} from '../src/index.js';

const seconds = Number(process.argv[2] ?? '5');
const here = import.meta.dirname;
const bin = join(here, '..', 'test', 'fixtures', 'bin');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || '100');

/** CPU (user + system, ms) of this process's children that have exited and been reaped: cutime + cstime. */
function reapedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) / CLK_TCK) * 1000;
}

async function measure(label: string, probe: Probe, intervalMs: number): Promise<string> {
  let samples = 0;
  const childBefore = reapedChildrenCpuMs();
  const before = process.cpuUsage();
  const t0 = performance.now();
  const sub = probe.samples({ intervalMs }).subscribe({
    next: () => {
      samples++;
    },
    error: (err: Error) => console.error(`${label}: ${err.message}`),
  });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  sub.unsubscribe();
  const wallS = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(before);
  const ownMs = (own.user + own.system) / 1000;
  // the killed tool is reaped within the SIGTERM grace time; polled tools were reaped after each poll
  await new Promise((r) => setTimeout(r, 800));
  const childMs = reapedChildrenCpuMs() - childBefore;
  const row = `| ${label} | ${intervalMs} | ${samples} | ${(ownMs / wallS).toFixed(1)} | ${(childMs / wallS).toFixed(1)} | ${((ownMs + childMs) / wallS / 10).toFixed(2)} |`;
  console.log(row);
  return row;
}

function fakeRaplRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'eff-rapl-bench-'));
  for (const [zone, name] of [
    ['intel-rapl:0', 'package-0'],
    ['intel-rapl:0:1', 'dram'],
  ] as const) {
    mkdirSync(join(root, zone));
    writeFileSync(join(root, zone, 'name'), `${name}\n`);
    writeFileSync(join(root, zone, 'energy_uj'), '123456789\n');
    writeFileSync(join(root, zone, 'max_energy_range_uj'), '262143328850\n');
  }
  return root;
}

console.log(`| probe | interval ms | samples | own CPU ms/s | child CPU ms/s | total CPU % of one core |`);
console.log('|---|---|---|---|---|---|');
await measure('nvidia-smi (fake, node script)', nvidiaSmiProbe({ binary: join(bin, 'nvidia-smi') }), 100);
await measure('powerstat (fake, node script)', powerstatProbe({ binary: join(bin, 'powerstat') }), 1000);
await measure('rocm-smi (fake, node script per poll)', rocmSmiProbe({ binary: join(bin, 'rocm-smi') }), 1000);
await measure(
  'powertop (fake, node script per window)',
  powertopProbe({ binary: join(bin, 'powertop') }),
  1000,
);
await measure('rapl (fake sysfs tree)', raplProbe({ root: fakeRaplRoot() }), 100);
await measure('estimate (systeminformation)', estimateProbe(), 1000);
const so = join(mkdtempSync(join(tmpdir(), 'eff-nvml-bench-')), 'libnvidia-ml.so.1');
if (
  spawnSync('gcc', ['-shared', '-fPIC', '-o', so, join(here, '..', 'test', 'fake-nvml', 'fake-nvml.c')])
    .status === 0
) {
  await measure('nvml (fake .so, koffi)', nvmlProbe({ libraryPath: so }), 100);
}
process.exit(0);
