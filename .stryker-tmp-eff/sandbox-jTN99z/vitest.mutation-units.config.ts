// @ts-nocheck
// Test set for `stryker run stryker.units.config.mjs`: only the unit tests of the estimate and the tolerance operator.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // The probes' spawn tests also cover tolerance.ts, but run in real time: on 2 loaded cores Stryker's
    // instrumented dry run of them exceeded its 5-minute limit.
    include: ['packages/probes/src/estimate.test.ts', 'packages/probes/src/tolerance.test.ts'],
  },
});
