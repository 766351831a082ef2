// Splits an expanded grid into N shards: runs sorted by runId, dealt round-robin, so every run is in exactly one.
import type { PlannedRun } from '../grid/expand.js';
import type { ShardSpec } from './placement.js';

/**
 * runId → its 0-based shard of `count`: the distinct runIds of `plan` are sorted (runIds are config hashes, so the
 * order is pseudo-random over models and criteria and does not depend on the order the config lists them in) and
 * dealt round-robin, the k-th to shard k mod count. Every run is in exactly one shard, and shards differ in size
 * by at most one run (one run per array task gives every task one run). The same grid and count always give the
 * same assignment. When the grid grows, runs after a new runId in that order move to the next shard; that redoes
 * nothing, because a run finished in any results file of the directory is done for every shard.
 */
export function shardAssignment(plan: readonly PlannedRun[], count: number): Map<string, number> {
  const ids = [...new Set(plan.map((r) => r.runId))].sort();
  return new Map(ids.map((id, k) => [id, k % count]));
}

/** The runs of `plan` in `shard` (see `shardAssignment`), in the plan's order. */
export function selectShard(plan: readonly PlannedRun[], shard: ShardSpec): PlannedRun[] {
  const assignment = shardAssignment(plan, shard.count);
  return plan.filter((r) => assignment.get(r.runId) === shard.index);
}
