// One file (or a few) at a time, against only the tests that exercise it: `EFF_MUTATE_TAG=energy
// EFF_MUTATION_TESTS='packages/core/src/energy*.test.ts' npx stryker run stryker.file.config.mjs --mutate <file>`.
// Each tag keeps its own sandbox, incremental file and reports, so several chunks can run side by side.
import base from './stryker.config.mjs';

const tag = process.env.EFF_MUTATE_TAG;
if (!tag)
  throw new Error('stryker.file.config.mjs: set EFF_MUTATE_TAG (names the sandbox and the report files)');

export default {
  ...base,
  // vitest.mutation.config.ts narrows its test list to EFF_MUTATION_TESTS (inherited by Stryker's workers).
  concurrency: 1,
  // Other chunks write their reports while this one copies the project into its sandbox.
  ignorePatterns: [...base.ignorePatterns, '/reports'],
  tempDirName: `.stryker-tmp-${tag}`,
  incrementalFile: `reports/stryker-incremental-${tag}.json`,
  jsonReporter: { fileName: `reports/mutation/${tag}.json` },
  htmlReporter: { fileName: `reports/mutation/${tag}.html` },
  // event-recorder: each tested mutant is written at once, so an interrupted run still reports
  // (node test/mutation-survivors.mjs reports/mutation/<tag>-events).
  reporters: ['clear-text', 'progress-append-only', 'html', 'json', 'event-recorder'],
  eventReporter: { baseDir: `reports/mutation/${tag}-events` },
  timeoutMS: 10_000,
};
