// The shard partition: every run in exactly one shard, balanced, independent of listing order; a grown grid redoes nothing.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GridConfig, GridConfigSchema } from '../grid/config.js';
import { expandGrid } from '../grid/expand.js';
import { presetConfig } from '../grid/load.js';
import { planGrid } from './run-grid.js';
import { selectShard, shardAssignment } from './shard.js';

const paperMnist = presetConfig('paper-mnist');

describe('shardAssignment', () => {
  it('puts every run of the paper MNIST grid in exactly one shard, shards differing by at most one run', () => {
    const plan = expandGrid(paperMnist);
    expect(plan.length).toBe(40);
    for (const count of [1, 2, 3, 7, 40, 41]) {
      const shards = Array.from({ length: count }, (_, index) => selectShard(plan, { index, count }));
      const ids = shards.flatMap((s) => s.map((r) => r.runId));
      expect(ids.length).toBe(plan.length);
      expect(new Set(ids)).toEqual(new Set(plan.map((r) => r.runId)));
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    // One array task per run: each task gets exactly one run.
    const perRun = Array.from({ length: 40 }, (_, index) => selectShard(plan, { index, count: 40 }).length);
    expect(perRun.every((n) => n === 1)).toBe(true);
  });

  it('is the same for the same grid, whatever order its config lists values in', () => {
    const reordered: GridConfig = {
      ...paperMnist,
      architectures: [...paperMnist.architectures].reverse(),
      sizes: [...paperMnist.sizes].reverse(),
      criteria: [...paperMnist.criteria].reverse(),
    };
    const a = shardAssignment(expandGrid(paperMnist), 7);
    const b = shardAssignment(expandGrid(reordered), 7);
    expect(expandGrid(reordered).map((r) => r.runId)).not.toEqual(expandGrid(paperMnist).map((r) => r.runId));
    expect([...b].sort()).toEqual([...a].sort());
  });

  it('keeps the plan order inside a shard', () => {
    const plan = expandGrid(paperMnist);
    const shard = selectShard(plan, { index: 2, count: 3 });
    const positions = shard.map((r) => plan.indexOf(r));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
  });
});

describe('a grid that grows', () => {
  it('redoes no finished run: across the new shards, exactly the new runs are left to do', async () => {
    const small = GridConfigSchema.parse({
      name: 'grow',
      datasets: ['mnist'],
      architectures: ['lenet', 'bcnn'],
      sizes: [1, 2],
      criteria: [{ name: 'fixedEpochs', params: { epochs: 1 } }],
      maxEpochs: 1,
    });
    const grown = GridConfigSchema.parse({ ...small, sizes: [1, 2, 3, 4] });
    const dir = await mkdtemp(join(tmpdir(), 'eff-grow-'));
    const out = join(dir, 'out');
    await mkdir(out);
    // The small grid finished as 2 shards, each in its own file (only runId and status matter to resume).
    for (let index = 0; index < 2; index++) {
      const lines = selectShard(expandGrid(small), { index, count: 2 })
        .map((r) => `${JSON.stringify({ runId: r.runId, status: 'completed' })}\n`)
        .join('');
      await writeFile(join(out, `results-shard-${index}-of-2.jsonl`), lines);
    }
    const oldIds = new Set(expandGrid(small).map((r) => r.runId));
    const newIds = expandGrid(grown)
      .map((r) => r.runId)
      .filter((id) => !oldIds.has(id));
    expect(newIds.length).toBe(4);
    for (const count of [2, 3, 8]) {
      const todo: string[] = [];
      for (let index = 0; index < count; index++) {
        const { plan, done } = await planGrid(grown, join(out, 'x.jsonl'), { index, count });
        todo.push(...plan.filter((r) => !done.has(r.runId)).map((r) => r.runId));
      }
      expect(todo.sort()).toEqual([...newIds].sort());
    }
  });
});
