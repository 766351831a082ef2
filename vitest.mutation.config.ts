// Test set for Stryker (`pnpm mutation`): the tests of @eff/core and of the probes whose parsers are mutated.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // Replaces the workspace's list (mergeConfig would append to it): the models' training tests take minutes.
    include: [
      'packages/core/src/**/*.test.ts',
      'packages/probes/src/nvidia-smi.test.ts',
      'packages/probes/src/rocm-smi.test.ts',
      'packages/probes/src/powerstat.test.ts',
      'packages/probes/src/powertop.test.ts',
      'packages/probes/src/tolerance.test.ts',
      'packages/probes/src/estimate.test.ts',
    ],
    // Tests against the installed tools check for stray processes machine-wide (pgrep), which other work on this
    // machine can trip; they exercise no parser, so mutants gain nothing from them.
    testNamePattern: /^(?!.*\bthe real (rocm-smi|powerstat|powertop|nvidia-smi)\b)/,
  },
});
