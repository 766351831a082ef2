// Runs the mutation set of stryker.config.mjs in chunks, each file against only the tests that reach it (as the scores
// in docs/testing.md were measured), then prints the score per file and every survivor.
// Usage: node stryker.chunks.mjs [tag …]   (no tag: every chunk, one after the other; hours on 2 shared cores)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import base from './stryker.config.mjs';

/**
 * One Stryker run: `mutate` (files or file:line ranges), `tests` (vitest globs) and optionally `names` (a regular
 * expression on "describe > test" names, to keep a probe's parser tests without its spawn tests).
 */
const CHUNKS = [
  {
    tag: 'energy',
    mutate: ['packages/core/src/energy.ts'],
    // energy-fold.test.ts's two 120 s scenarios take 11 s per run; reading-series.mutation.test.ts is a 12 s cut
    tests: ['packages/core/src/energy.test.ts', 'packages/core/src/*.mutation.test.ts'],
  },
  {
    tag: 'metersmall',
    mutate: [
      'packages/core/src/counter-check.ts',
      'packages/core/src/gap-ledger.ts',
      'packages/core/src/metered-device.ts',
      'packages/core/src/probe-session.ts',
    ],
    tests: [
      'packages/core/src/*.mutation.test.ts',
      'packages/core/src/energy.test.ts',
      'packages/core/src/meter-devices.test.ts',
    ],
  },
  {
    tag: 'meterbig',
    mutate: ['packages/core/src/device-track.ts', 'packages/core/src/reading-series.ts'],
    tests: [
      'packages/core/src/*.mutation.test.ts',
      'packages/core/src/energy.test.ts',
      'packages/core/src/meter-devices.test.ts',
      // PowerSeries.samplingBoundJ's hand-computed cases
      'packages/core/src/sampling-bound.test.ts',
    ],
  },
  {
    tag: 'corerest',
    mutate: [
      'packages/core/src/results.ts',
      'packages/core/src/results-reader.ts',
      'packages/core/src/epoch-metrics.ts',
      'packages/core/src/schema.ts',
      // interfaces only: no mutant, listed so the coverage check below knows it is not forgotten
      'packages/core/src/record-types.ts',
    ],
    tests: [
      'packages/core/src/results*.test.ts',
      'packages/core/src/epoch-metrics*.test.ts',
      'packages/core/src/schema.test.ts',
      'packages/core/src/efficiency.errors.test.ts',
      'packages/core/src/efficiency.exclusion.test.ts',
    ],
  },
  {
    tag: 'errors',
    mutate: ['packages/core/src/energy-input-error.ts', 'packages/core/src/measure-error.ts'],
    tests: ['packages/core/src/*.mutation.test.ts'],
  },
  {
    tag: 'criteria',
    mutate: ['packages/core/src/criteria.ts'],
    tests: ['packages/core/src/criteria*.test.ts'],
  },
  {
    tag: 'efficiency',
    mutate: ['packages/core/src/efficiency.ts'],
    tests: ['packages/core/src/efficiency*.test.ts'],
  },
  {
    tag: 'parsers',
    mutate: [
      'packages/probes/src/nvidia-smi.ts:75-165',
      'packages/probes/src/nvidia-smi.ts:241-358',
      'packages/probes/src/rocm-smi.ts:93-176',
      'packages/probes/src/powerstat.ts:47-122',
      'packages/probes/src/powertop.ts:64-94',
      'packages/probes/src/device-state.ts',
    ],
    tests: [
      'packages/probes/src/nvidia-smi.test.ts',
      'packages/probes/src/rocm-smi.test.ts',
      'packages/probes/src/powerstat.test.ts',
      'packages/probes/src/powertop.test.ts',
      'packages/probes/src/device-state.test.ts',
      'packages/probes/src/*.mutation.test.ts',
    ],
    names:
      '^(parseNvidiaSmi|nvidiaSmiEvents|parseRocmSmiJson|PowerstatParser|parsePowertopCsv|DeviceTracker|NoMeasurableDeviceError|attachNotes)',
  },
  {
    tag: 'meters',
    mutate: [
      'packages/probes/src/ipmi.ts:77-96',
      'packages/probes/src/hwmon.ts:130-154',
      'packages/probes/src/amd-smi.ts:68-178',
      'packages/probes/src/powermetrics.ts:81-123',
    ],
    tests: [
      'packages/probes/src/ipmi.test.ts',
      'packages/probes/src/hwmon.test.ts',
      'packages/probes/src/amd-smi.test.ts',
      'packages/probes/src/powermetrics.test.ts',
      'packages/probes/src/*.mutation.test.ts',
    ],
    // hwmonProbe's tests read a fake sysfs tree in-process (no tool is spawned).
    names:
      '^(parseIpmiDcmiPowerReading|parseAmdSmiMetricJson|PowermetricsParser|hwmonProbe|readHwmonInteger)',
  },
  {
    tag: 'insight',
    mutate: [
      'packages/core/src/predict.ts',
      'packages/core/src/accuracy-cost.ts',
      'packages/core/src/uncertainty.ts',
      'packages/core/src/carbon.ts',
      'packages/core/src/format-record.ts',
      'packages/core/src/run-environment.ts',
      'packages/core/src/short-window.ts',
    ],
    tests: [
      'packages/core/src/predict*.test.ts',
      'packages/core/src/accuracy-cost*.test.ts',
      'packages/core/src/uncertainty*.test.ts',
      'packages/core/src/carbon*.test.ts',
      'packages/core/src/format-record*.test.ts',
      'packages/core/src/run-environment*.test.ts',
      'packages/core/src/short-window*.test.ts',
    ],
  },
  {
    tag: 'probeunits',
    mutate: [
      'packages/probes/src/rapl.ts:131-173',
      'packages/probes/src/tolerance.ts',
      'packages/probes/src/estimate.ts',
    ],
    tests: [
      'packages/probes/src/rapl.mutation.test.ts',
      'packages/probes/src/tolerance*.test.ts',
      'packages/probes/src/estimate*.test.ts',
    ],
  },
];

// The chunks must cover exactly what stryker.config.mjs says is mutated (docs/testing.md reports both).
const chunked = new Set(CHUNKS.flatMap((c) => c.mutate));
const excluded = new Set(base.mutate.filter((m) => m.startsWith('!')).map((m) => m.slice(1)));
const coreFiles = readdirSync('packages/core/src')
  .filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts') && !n.endsWith('.d.ts'))
  .map((n) => `packages/core/src/${n}`)
  .filter((f) => !excluded.has(f));
const listed = [...base.mutate.filter((m) => m.startsWith('packages/probes/')), ...coreFiles];
for (const m of listed) {
  if (!chunked.has(m))
    throw new Error(`stryker.chunks.mjs: ${m} is in stryker.config.mjs's mutate set but in no chunk`);
}

const wanted = process.argv.slice(2);
for (const tag of wanted) {
  if (!CHUNKS.some((c) => c.tag === tag)) {
    throw new Error(`stryker.chunks.mjs: no chunk ${tag}; chunks: ${CHUNKS.map((c) => c.tag).join(' ')}`);
  }
}
const chunks = wanted.length > 0 ? CHUNKS.filter((c) => wanted.includes(c.tag)) : CHUNKS;
for (const c of chunks) {
  console.log(`\n== ${c.tag}: ${c.mutate.join(', ')}`);
  const run = spawnSync(
    'npx',
    ['stryker', 'run', 'stryker.file.config.mjs', '--mutate', c.mutate.join(',')],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        EFF_MUTATE_TAG: c.tag,
        EFF_MUTATION_TESTS: c.tests.join(','),
        ...(c.names ? { EFF_MUTATION_TEST_NAMES: c.names } : {}),
      },
    },
  );
  if (run.status !== 0) process.exitCode = 1;
}
const reports = chunks.map((c) => `reports/mutation/${c.tag}.json`).filter((f) => existsSync(f));
if (reports.length > 0) spawnSync('node', ['test/mutation-survivors.mjs', ...reports], { stdio: 'inherit' });
