// eff status: done / diverged / failed / not started per shard from every results file, with a fake squeue on PATH.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Placement, type RunRecord, RunRecordSchema, resultsFileName } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../../test/grid-results.js';
import { GridConfigSchema } from '../grid/config.js';
import { expandGrid, type PlannedRun } from '../grid/expand.js';
import type { CliIo } from '../io.js';
import { runCli } from '../program.js';
import { writeGridFile } from './run-grid.js';
import { selectShard } from './shard.js';
import { parseSqueue, parseTaskIndices } from './squeue.js';
import { appendSubmission } from './submissions.js';

const SLURM_BIN = fileURLToPath(new URL('../../test/fixtures/slurm-bin', import.meta.url));

const grid = GridConfigSchema.parse({
  name: 'st',
  datasets: ['mnist'],
  architectures: ['lenet', 'bcnn'],
  sizes: [1, 2, 3],
  criteria: [{ name: 'fixedEpochs', params: { epochs: 1 } }],
  maxEpochs: 1,
});

/** A schema-valid record of a planned run, as the array task `placement` would have written it. */
function recordOf(run: PlannedRun, status: RunRecord['status'], placement: Placement): RunRecord {
  const base = syntheticRecord(
    {
      datasets: ['mnist'],
      architectures: ['lenet'],
      sizes: [1],
      criteria: [{ label: 'f' }],
      folds: 1,
      epochs: 1,
    },
    { dataset: 'mnist', architecture: 'lenet', size: 1, criterion: 0, fold: 0 },
  );
  return RunRecordSchema.parse({
    ...base,
    runId: run.runId,
    status,
    config: run.config,
    environment: { ...base.environment, placement },
    ...(status === 'failed' ? { error: 'out of memory' } : {}),
  });
}

async function write(dir: string, placement: Placement, records: RunRecord[]): Promise<void> {
  const file = join(dir, resultsFileName(placement));
  const old = await readFile(file, 'utf8').catch(() => '');
  await writeFile(file, old + records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

function captureIo(env: NodeJS.ProcessEnv): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      env,
      cwd: process.cwd(),
    },
    out: () => out,
    err: () => err,
  };
}

/** The data rows of the status table, by shard name: [runs, done, diverged, failed, not started, slurm…]. */
function rows(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const cells = line.trim().split(/\s+/);
    if (/^(\d+\/\d+|all)$/.test(cells[0] ?? '')) map.set(cells[0]!, cells.slice(1));
  }
  return map;
}

describe('parsing squeue', () => {
  it('reads %F|%K|%T|%r lines, one task per line with --array, folded ranges without', () => {
    const tasks = parseSqueue(
      '812|2|PENDING|JobArrayTaskLimit\n812|0|RUNNING|None\n90|N/A|RUNNING|None\nnoise\n',
    );
    expect(tasks).toEqual([
      { arrayJobId: '812', taskId: 2, state: 'PENDING', reason: 'JobArrayTaskLimit' },
      { arrayJobId: '812', taskId: 0, state: 'RUNNING', reason: 'None' },
      { arrayJobId: '90', taskId: undefined, state: 'RUNNING', reason: 'None' },
    ]);
    expect(parseTaskIndices('[2-5%1]')).toEqual([2, 3, 4, 5]);
    expect(parseTaskIndices('1,3,6-7')).toEqual([1, 3, 6, 7]);
    expect(parseTaskIndices('0-6:3')).toEqual([0, 3, 6]);
    expect(parseTaskIndices('N/A')).toEqual([]);
  });
});

describe('eff status', () => {
  async function twoShardDir(): Promise<{ dir: string; shards: PlannedRun[][] }> {
    const dir = await mkdtemp(join(tmpdir(), 'eff-status-'));
    await writeGridFile(dir, grid);
    const plan = expandGrid(grid);
    const shards = [0, 1].map((index) => selectShard(plan, { index, count: 2 }));
    return { dir, shards };
  }
  const task = (index: number, arrayJobId = '812'): Placement => ({
    scheduler: 'slurm',
    jobId: `${Number(arrayJobId) + 1 + index}`,
    arrayJobId,
    arrayTaskId: index,
    shard: { index, count: 2 },
    exclusive: true,
  });

  it('counts each shard from every results file; a run found twice counts once and is reported', async () => {
    const { dir, shards } = await twoShardDir();
    const [s0, s1] = shards as [PlannedRun[], PlannedRun[]];
    expect(s0.length).toBe(3);
    expect(s1.length).toBe(3);
    // Shard 0: one done, one diverged, one failed. Shard 1: one done, two not started.
    await write(dir, task(0), [
      recordOf(s0[0]!, 'completed', task(0)),
      recordOf(s0[1]!, 'diverged', task(0)),
      recordOf(s0[2]!, 'failed', task(0)),
    ]);
    await write(dir, task(1), [recordOf(s1[0]!, 'completed', task(1))]);
    // A resubmitted shard 0 wrote its done run again into its own file.
    await write(dir, task(0, '900'), [recordOf(s0[0]!, 'completed', task(0, '900'))]);

    const { io, out } = captureIo({ PATH: '/nonexistent' });
    const code = await runCli(['status', dir], io);
    const text = out();
    expect(code).toBe(3);
    expect(text).toMatch(/grid st: 6 runs in 2 shards \(the latest run\); 3 results files/);
    const table = rows(text);
    expect(table.get('0/2')).toEqual(['3', '1', '1', '1', '0']);
    expect(table.get('1/2')).toEqual(['3', '1', '0', '0', '2']);
    expect(table.get('all')).toEqual(['6', '2', '1', '1', '2']);
    expect(text).toContain(`run ${s0[0]!.runId} found twice: counted once`);
    // squeue is not on this PATH: the queue is said to be unknown, not empty.
    expect(text).toMatch(
      /squeue is not on PATH: queued and running array tasks of job (812|900), (812|900) not shown/,
    );
  });

  it('shows which array tasks squeue has pending or running, per shard', async () => {
    const { dir, shards } = await twoShardDir();
    await appendSubmission(dir, { arrayJobId: '812', shardCount: 2 });
    await write(dir, task(0), [recordOf(shards[0]![0]!, 'completed', task(0))]);
    const squeueOut = join(dir, 'squeue.out');
    const squeueArgs = join(dir, 'squeue.args');
    await writeFile(squeueOut, '812|0|RUNNING|None\n812|1|PENDING|JobArrayTaskLimit\n');
    const env = {
      PATH: `${SLURM_BIN}${delimiter}${process.env.PATH ?? ''}`,
      FAKE_SQUEUE_OUT: squeueOut,
      FAKE_SQUEUE_ARGS: squeueArgs,
    };
    const { io, out } = captureIo(env);
    expect(await runCli(['status', dir], io)).toBe(3);
    const text = out();
    expect(text).toMatch(/in 2 shards \(last eff slurm submit\)/);
    const table = rows(text);
    expect(table.get('0/2')).toEqual(['3', '1', '0', '0', '2', '812_0', 'RUNNING']);
    expect(table.get('1/2')).toEqual(['3', '0', '0', '0', '3', '812_1', 'PENDING']);
    expect(text).toMatch(/slurm job 812: 1 task running, 1 pending/);
    expect((await readFile(squeueArgs, 'utf8')).split('\n')).toEqual([
      '--noheader',
      '--array',
      '--jobs=812',
      '--format=%F|%K|%T|%r',
      '',
    ]);

    // Every task has left the queue: squeue refuses the id, which is an empty queue, not an error.
    const gone = captureIo({ ...env, FAKE_SQUEUE_GONE: '1' });
    await runCli(['status', dir], gone.io);
    expect(gone.out()).toMatch(/slurm job 812: 0 tasks running, 0 pending \(none left in the queue\)/);
  });

  it('exits 0 when every run is done or diverged; --shards and --config override what is stored', async () => {
    const { dir } = await twoShardDir();
    const plan = expandGrid(grid);
    await write(
      dir,
      { shard: { index: 0, count: 1 } },
      plan.map((r, i) => recordOf(r, i === 0 ? 'diverged' : 'completed', { shard: { index: 0, count: 1 } })),
    );
    const { io, out } = captureIo({ PATH: '/nonexistent' });
    expect(await runCli(['status', dir, '--shards', '3'], io)).toBe(0);
    const table = rows(out());
    expect([...table.keys()]).toEqual(['0/3', '1/3', '2/3', 'all']);
    expect(table.get('all')).toEqual(['6', '5', '1', '0', '0']);

    const bigger = join(dir, 'bigger.json');
    await writeFile(bigger, JSON.stringify({ ...grid, sizes: [1, 2, 3, 4] }));
    const more = captureIo({ PATH: '/nonexistent' });
    expect(await runCli(['status', dir, '--config', bigger], more.io)).toBe(3);
    expect(rows(more.out()).get('all')).toEqual(['8', '5', '1', '0', '2']);
  });

  it('without a stored grid or with a bad --shards: exit 2 and what to give', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-status-empty-'));
    const { io, err } = captureIo({ PATH: '/nonexistent' });
    expect(await runCli(['status', dir], io)).toBe(2);
    expect(err()).toMatch(/holds no grid-<name>\.json .*--config FILE or --preset NAME/);
    const bad = captureIo({ PATH: '/nonexistent' });
    expect(await runCli(['status', dir, '--preset', 'quick', '--shards', '0'], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/--shards expects the number of shards N/);
  });

  it('a file instead of the directory: a results file counts its directory, another file says what to give', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-status-file-'));
    await writeGridFile(dir, grid);
    const [first] = expandGrid(grid);
    const placement = task(0);
    await write(dir, placement, [recordOf(first!, 'completed', placement)]);
    const viaFile = captureIo({ PATH: '/nonexistent' });
    expect(await runCli(['status', join(dir, resultsFileName(placement))], viaFile.io)).toBe(3);
    expect(rows(viaFile.out()).get('all')?.slice(0, 2)).toEqual(['6', '1']);
    expect(viaFile.err()).toContain(`is a results file; counting its directory ${dir}`);
    await writeFile(join(dir, 'grid.yaml'), 'datasets: [mnist]\n');
    const other = captureIo({ PATH: '/nonexistent' });
    expect(await runCli(['status', join(dir, 'grid.yaml')], other.io)).toBe(1);
    expect(other.err()).toBe(
      `eff: ${join(dir, 'grid.yaml')} is a file, not a results directory; give the --out directory of eff run, e.g. eff status ${dir}.\n`,
    );
  });
});
