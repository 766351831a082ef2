// @ts-nocheck
// Mutation testing of the estimate's model and the tolerance operator against their unit tests only (fast).
import base from './stryker.config.mjs';

export default {
  ...base,
  vitest: { configFile: 'vitest.mutation-units.config.ts' },
  mutate: ['packages/probes/src/tolerance.ts', 'packages/probes/src/estimate.ts'],
  concurrency: 1,
  tempDirName: '.stryker-tmp-c',
  incrementalFile: 'reports/stryker-incremental-C.json',
  jsonReporter: { fileName: 'reports/mutation/units.json' },
  htmlReporter: { fileName: 'reports/mutation/units.html' },
  timeoutMS: 10_000,
};
