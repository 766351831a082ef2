// Test set for Stryker (`pnpm mutation`): the tests of @eff/core and of the probes whose parsers are mutated.
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// EFF_MUTATION_TESTS (comma-separated globs) narrows the test list to the tests of the file being mutated
// (stryker.file.config.mjs): the dry run then runs those alone instead of every test of the mutation set.
const only = process.env.EFF_MUTATION_TESTS?.split(',').filter((g) => g.length > 0);
const names = process.env.EFF_MUTATION_TEST_NAMES;

export default defineConfig({
  ...base,
  resolve: {
    ...base.resolve,
    // Properties capped at EFF_MUTATION_MAX_RUNS cases (vitest.mutation.fast-check.mjs says why).
    alias: [
      ...Object.entries(base.resolve?.alias ?? {}).map(([find, replacement]) => ({ find, replacement })),
      {
        find: /^fast-check$/,
        replacement: fileURLToPath(new URL('./vitest.mutation.fast-check.mjs', import.meta.url)),
      },
    ],
  },
  test: {
    ...base.test,
    // Replaces the workspace's list (mergeConfig would append to it): the models' training tests take minutes.
    include: only ?? [
      'packages/core/src/**/*.test.ts',
      'packages/probes/src/nvidia-smi.test.ts',
      'packages/probes/src/rocm-smi.test.ts',
      'packages/probes/src/powerstat.test.ts',
      'packages/probes/src/powertop.test.ts',
      'packages/probes/src/device-state.test.ts',
      'packages/probes/src/tolerance*.test.ts',
      'packages/probes/src/estimate*.test.ts',
      'packages/probes/src/*.mutation.test.ts',
    ],
    // measure/meter tests train and sample in real time (100 ms runs, per-batch budgets): under Stryker's
    // instrumentation on 2 loaded cores they fail in the dry run, so they are not part of the mutation set.
    exclude: [
      ...configDefaults.exclude,
      'packages/core/src/measure.test.ts',
      'packages/core/src/meter.test.ts',
    ],
    // Left out: tests against the installed tools check for stray processes machine-wide (pgrep), which other work
    // on this machine trips; they exercise no parser.
    // EFF_MUTATION_TEST_NAMES (a regular expression) keeps only the tests whose full name (describe > it) matches
    // it, e.g. a probe file's parser describes without its spawn tests.
    testNamePattern: new RegExp(
      `^(?!.*\\bthe real (rocm-smi|powerstat|powertop|nvidia-smi)\\b)${names ? `(?=.*(?:${names}))` : ''}`,
    ),
  },
});
