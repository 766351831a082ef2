// One results file per process (resultsFileName), and CPU/RAM energy marked as shared on a node shared with other jobs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import { appendJsonl, resultsFileName, runsToCsv, sharedComponentsOf, withPlacement } from './results.js';
import { readRunIndex, readRunRecords } from './results-reader.js';
import { RunRecordSchema } from './schema.js';

describe('resultsFileName', () => {
  it('is results.jsonl without shard or scheduler', () => {
    expect(resultsFileName()).toBe('results.jsonl');
    expect(resultsFileName({})).toBe('results.jsonl');
  });

  it('names the shard, and the SLURM array job and task (%A_%a) or the plain job', () => {
    expect(resultsFileName({ shard: { index: 2, count: 8 } })).toBe('results-shard-2-of-8.jsonl');
    expect(
      resultsFileName({
        scheduler: 'slurm',
        jobId: '4312',
        arrayJobId: '4310',
        arrayTaskId: 2,
        shard: { index: 2, count: 4 },
      }),
    ).toBe('results-shard-2-of-4-slurm-4310_2.jsonl');
    expect(resultsFileName({ scheduler: 'slurm', jobId: '77' })).toBe('results-slurm-77.jsonl');
    expect(resultsFileName({ scheduler: 'slurm', jobId: '77+1' })).toBe('results-slurm-77-1.jsonl');
  });

  it('gives every array task its own file, and a resubmission new ones', () => {
    const names = new Set<string>();
    for (const arrayJobId of ['100', '200']) {
      for (let task = 0; task < 4; task++) {
        names.add(
          resultsFileName({
            jobId: `${arrayJobId}${task}`,
            arrayJobId,
            arrayTaskId: task,
            shard: { index: task, count: 4 },
          }),
        );
      }
    }
    expect(names.size).toBe(8);
  });
});

describe('shared node', () => {
  const base = makeRecord();
  // Measured by a GPU meter and RAPL (CPU package and DRAM).
  const record = { ...base, final: { ...base.final, energyJ: { gpu: 60, cpu: 30, ram: 10, total: 100 } } };
  const energy = { gpu: 10, cpu: 20, ram: 3, total: 33 };

  it('lists the measured CPU, RAM and system energy when the node is not exclusive', () => {
    expect(sharedComponentsOf(energy, { scheduler: 'slurm', exclusive: false })).toEqual(['cpu', 'ram']);
    expect(sharedComponentsOf({ cpu: 1, system: 2, total: 3 }, { exclusive: false })).toEqual([
      'cpu',
      'system',
    ]);
    expect(sharedComponentsOf({ gpu: 5, total: 5 }, { exclusive: false })).toEqual([]);
  });

  it('lists nothing on an exclusive node, outside a scheduler, or when unknown', () => {
    expect(sharedComponentsOf(energy, { scheduler: 'slurm', exclusive: true })).toEqual([]);
    expect(sharedComponentsOf(energy, { shard: { index: 0, count: 2 } })).toEqual([]);
    expect(sharedComponentsOf(energy, undefined)).toEqual([]);
  });

  it('withPlacement records where the run ran and marks shared components, keeping the joules', () => {
    const shared = withPlacement(record, {
      scheduler: 'slurm',
      jobId: '9',
      allocatedCpus: 1,
      exclusive: false,
    });
    expect(shared.environment.placement).toEqual({
      scheduler: 'slurm',
      jobId: '9',
      allocatedCpus: 1,
      exclusive: false,
    });
    expect(shared.final.sharedComponents).toEqual(['cpu', 'ram']);
    expect(shared.final.energyJ).toEqual(record.final.energyJ);
    expect(RunRecordSchema.parse(shared)).toEqual(shared);
    const exclusive = withPlacement(record, { scheduler: 'slurm', jobId: '9', exclusive: true });
    expect(exclusive.final.sharedComponents).toBeUndefined();
    expect(exclusive.environment.placement?.exclusive).toBe(true);
    expect(withPlacement(record, undefined)).toBe(record);
  });

  it('the runs CSV says which components are shared and where the run ran', () => {
    const shared = withPlacement(
      { ...record, environment: { ...record.environment, hostname: 'node08' } },
      { scheduler: 'slurm', jobId: '502', arrayJobId: '500', arrayTaskId: 1, exclusive: false },
    );
    const [header, row] = runsToCsv([shared]).trim().split('\n') as [string, string];
    const cells = Object.fromEntries(header.split(',').map((h, i) => [h, row.split(',')[i]]));
    expect(cells).toMatchObject({
      sharedComponents: 'cpu;ram',
      hostname: 'node08',
      jobId: '502',
      arrayJobId: '500',
      arrayTaskId: '1',
      exclusive: 'false',
    });
  });
});

describe('a directory of per-process files read as one grid', () => {
  it('counts a run found in two files once and reports the second', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eff-shards-'));
    const a = { ...makeRecord({ size: 1 }), runId: 'run-a' };
    const b = { ...makeRecord({ size: 2 }), runId: 'run-b' };
    await appendJsonl(join(dir, resultsFileName({ shard: { index: 0, count: 2 } })), a);
    await appendJsonl(join(dir, resultsFileName({ shard: { index: 1, count: 2 } })), b);
    // The same run again, written by a resubmitted task.
    const again = resultsFileName({
      jobId: '8',
      arrayJobId: '7',
      arrayTaskId: 0,
      shard: { index: 0, count: 2 },
    });
    await appendJsonl(join(dir, again), a);
    const duplicates: string[] = [];
    const ids: string[] = [];
    for await (const { record } of readRunRecords(dir, {
      onDuplicate: (d) => duplicates.push(`${d.runId} ${d.again.file}`),
    })) {
      ids.push(record.runId);
    }
    expect(ids.sort()).toEqual(['run-a', 'run-b']);
    // Which of the two files is read first is the directory order; either way the run counts once, and once reported.
    expect(duplicates).toHaveLength(1);
    expect([`run-a ${join(dir, again)}`, `run-a ${join(dir, 'results-shard-0-of-2.jsonl')}`]).toContain(
      duplicates[0],
    );
    const index = await readRunIndex(dir);
    expect(index.runs.size).toBe(2);
    expect(index.duplicates.map((d) => d.runId)).toEqual(['run-a']);
  });
});
