// Mutation testing of @eff/core and the probes' parsers (`pnpm mutation`; slow on 2 cores, not part of CI).
// docs/testing.md has the commands for running it in chunks, the scores and every surviving mutant.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // pnpm keeps plugins out of core's own node_modules, where Stryker's discovery looks.
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts' },
  // Each mutant runs only the tests that covered it in the dry run.
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants) would need the whole test set per mutant; they are few and listed.
  ignoreStatic: true,
  mutate: [
    'packages/core/src/**/*.ts',
    '!packages/core/src/**/*.test.ts',
    '!packages/core/src/index.ts',
    // Declarations only (a module declaration for @tgwf/co2, which ships none).
    '!packages/core/src/**/*.d.ts',
    // measure.ts, meter.ts and default-probes.ts are reached only by tests that train, sample or spawn probes in
    // real time (100 ms runs, per-batch budgets, 10 s spawns): under Stryker's instrumentation on 2 loaded cores
    // they fail the dry run or take minutes per mutant; see docs/testing.md.
    '!packages/core/src/measure.ts',
    '!packages/core/src/meter.ts',
    '!packages/core/src/default-probes.ts',
    // The parsers of @eff/probes (tool output and sysfs text -> numbers and device states); the rest of each probe
    // file spawns tools and is covered by the fault-injection tests. Update the ranges when a parser moves.
    'packages/probes/src/nvidia-smi.ts:75-165', // wattsOf … parseNvidiaSmiMigList
    'packages/probes/src/nvidia-smi.ts:241-358', // isNvidiaSmiListLine, nvidiaSmiEvents, findGpu, gpuLabel
    'packages/probes/src/rocm-smi.ts:93-176', // numberField … parseRocmSmiJson
    'packages/probes/src/powerstat.ts:47-122', // powerstatComponent, PowerstatParser
    'packages/probes/src/powertop.ts:64-94', // parsePowertopCsv
    'packages/probes/src/rapl.ts:131-173', // readRaplMicrojoules
    'packages/probes/src/device-state.ts', // DeviceTracker: readings -> device states
    'packages/probes/src/tolerance.ts',
    'packages/probes/src/ipmi.ts:77-96', // parseIpmiDcmiPowerReading
    'packages/probes/src/hwmon.ts:130-154', // readHwmonInteger (a sysfs integer, or the reason it is not one)
    'packages/probes/src/amd-smi.ts:68-178', // measuredValue, readGpu, parseAmdSmiMetricJson
    'packages/probes/src/powermetrics.ts:81-123', // PowermetricsParser
    // The load -> watts model of the labelled estimate (every joule on a machine without a meter).
    'packages/probes/src/estimate.ts',
  ],

  // The machine has 2 cores shared with other work.
  concurrency: 1,
  // Only mutants whose code or tests changed since the last run are tested again.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  timeoutMS: 30_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  // A second run in parallel (another chunk) keeps its sandbox here; not part of this run's copy.
  ignorePatterns: ['/.stryker-tmp-*'],
  cleanTempDir: 'always',
};
