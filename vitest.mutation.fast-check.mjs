// fast-check for the mutation runs only (vitest.mutation.config.ts aliases `fast-check` here): each property runs
// at most EFF_MUTATION_MAX_RUNS cases (default 200). Stryker re-runs every covering test of a surviving mutant, and
// the probes' 5,000–10,000-case fuzz properties made each survivor cost a minute on the shared cores. A mutant that
// only case 201 or later would expose counts as survived: the scores are lower bounds.
// A file path, so the alias (the bare name `fast-check` only) does not apply to this import.
import * as real from './node_modules/fast-check/lib/fast-check.js';

export * from './node_modules/fast-check/lib/fast-check.js';

const cap = Number(process.env.EFF_MUTATION_MAX_RUNS ?? 200);

/** fc.assert with numRuns capped at `cap`; the other parameters as given. */
export function assert(property, params) {
  return real.assert(property, { ...params, numRuns: Math.min(params?.numRuns ?? 100, cap) });
}

export default { ...real.default, assert };
