// Resume and --dry-run read only the run index of a results directory (runId, status), over every *.jsonl shard.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import { expandGrid } from '../grid/expand.js';
import { validateGridConfig } from '../grid/load.js';
import { completedRunIds } from './store.js';

const grid = validateGridConfig(
  {
    name: 'idx',
    datasets: ['mnist'],
    architectures: ['lenet'],
    sizes: [1, 2, 3, 4],
    criteria: [{ name: 'fixedEpochs', params: { epochs: 1 } }],
    maxEpochs: 1,
  },
  'test grid',
);

/**
 * A line with a valid runId and status but a body no full read accepts (epochs and config are not RunRecords): if
 * resume validated whole records, it would throw on it.
 */
const identityOnly = (runId: string, status: string) =>
  `${JSON.stringify({ runId, status, config: 'not checked', epochs: [{ epoch: 'not checked' }] })}\n`;

describe('resume reads only the run index', () => {
  it('finds finished runs in results.jsonl and in shards, from runId and status alone', async () => {
    const ids = expandGrid(grid).map((r) => r.runId);
    const dir = await mkdtemp(join(tmpdir(), 'eff-index-'));
    await writeFile(
      join(dir, 'results.jsonl'),
      identityOnly(ids[0]!, 'completed') + identityOnly(ids[1]!, 'failed'),
    );
    await writeFile(
      join(dir, 'results-shard-2-of-2.jsonl'),
      identityOnly(ids[2]!, 'diverged') + identityOnly(ids[1]!, 'completed'),
    );
    expect([...(await completedRunIds(dir))].sort()).toEqual([ids[0], ids[1], ids[2]].sort());
  });

  it('eff run --dry-run lists done and todo runs from the index and names a bad line with its fix', async () => {
    const ids = expandGrid(grid).map((r) => r.runId);
    const dir = await mkdtemp(join(tmpdir(), 'eff-dry-'));
    const config = join(dir, 'grid.json');
    await writeFile(config, JSON.stringify(grid));
    const out = join(dir, 'out');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out);
    await writeFile(join(out, 'results.jsonl'), identityOnly(ids[0]!, 'completed'));
    await writeFile(join(out, 'results-shard-1-of-2.jsonl'), identityOnly(ids[3]!, 'completed'));
    const dry = await runEff(['run', '--config', config, '--out', out, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`done  ${ids[0]}`);
    expect(dry.stdout).toContain(`done  ${ids[3]}`);
    expect(dry.stdout).toContain(`todo  ${ids[1]}`);
    expect(dry.stdout).toMatch(/4 runs in grid idx: 2 done, 2 to run/);

    await writeFile(
      join(out, 'results-shard-1-of-2.jsonl'),
      `${identityOnly(ids[3]!, 'completed')}{"runId":\n\n`,
    );
    const bad = await runEff(['run', '--config', config, '--out', out, '--dry-run']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /results-shard-1-of-2\.jsonl:2: not valid JSON .*move that line out of the file/,
    );
    expect(bad.stderr).not.toMatch(/unexpected error/);
  });
});
