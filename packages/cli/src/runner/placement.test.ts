// --shard parsing, the SLURM array defaults, and placement from SLURM variables with a fake scontrol first on PATH.
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  exclusiveFromScontrol,
  parseShardSpec,
  placementFromEnv,
  resolveShard,
  ShardError,
  shardFromSlurmEnv,
} from './placement.js';

const SLURM_BIN = fileURLToPath(new URL('../../test/fixtures/slurm-bin', import.meta.url));
const SHARED_JOB = fileURLToPath(
  new URL('../../test/fixtures/slurm/scontrol-show-job-shared.txt', import.meta.url),
);
const EXCLUSIVE_JOB = fileURLToPath(
  new URL('../../test/fixtures/slurm/scontrol-show-job-exclusive.txt', import.meta.url),
);

/** An array task's variables as sbatch sets them for `--array=min-max` (task `id`). */
function arrayTask(id: number, min: number, max: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    SLURM_JOB_ID: String(1000 + id),
    SLURM_ARRAY_JOB_ID: '1000',
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: String(min),
    SLURM_ARRAY_TASK_MAX: String(max),
    SLURM_ARRAY_TASK_COUNT: String(max - min + 1),
    SLURM_ARRAY_TASK_STEP: '1',
    ...extra,
  };
}

describe('--shard I/N', () => {
  it('parses 0-based I of N', () => {
    expect(parseShardSpec('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShardSpec('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseShardSpec(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
  });

  it('refuses I ≥ N, N = 0, negatives and other shapes, saying what it expects', () => {
    expect(() => parseShardSpec('4/4')).toThrow(
      /0-based and must be below N \(shards of 4 are 0\/4 … 3\/4\)/,
    );
    expect(() => parseShardSpec('0/0')).toThrow(/N must be at least 1/);
    expect(() => parseShardSpec('-1/3')).toThrow(/expects I\/N.*got '-1\/3'/);
    expect(() => parseShardSpec('2')).toThrow(ShardError);
    try {
      parseShardSpec('a/b');
    } catch (err) {
      expect((err as ShardError).code).toBe('E_SHARD');
      expect((err as ShardError).exitCode).toBe(2);
    }
  });
});

describe('shard from the SLURM array variables', () => {
  it('is undefined outside an array task', () => {
    expect(shardFromSlurmEnv({})).toBeUndefined();
    expect(shardFromSlurmEnv({ SLURM_JOB_ID: '55' })).toBeUndefined();
  });

  it('I = TASK_ID − MIN, N = COUNT', () => {
    expect(shardFromSlurmEnv(arrayTask(0, 0, 3))).toEqual({ index: 0, count: 4 });
    expect(shardFromSlurmEnv(arrayTask(3, 0, 3))).toEqual({ index: 3, count: 4 });
    // --array=5-7: tasks 5, 6, 7 are shards 0, 1, 2 of 3.
    expect(shardFromSlurmEnv(arrayTask(6, 5, 7))).toEqual({ index: 1, count: 3 });
  });

  it('N = MAX − MIN + 1 where COUNT is not set', () => {
    const env = arrayTask(2, 1, 4);
    delete env.SLURM_ARRAY_TASK_COUNT;
    delete env.SLURM_ARRAY_TASK_STEP;
    expect(shardFromSlurmEnv(env)).toEqual({ index: 1, count: 4 });
  });

  it('refuses an array with a step (0-9:2) and one with a list of ids (1,3,7)', () => {
    const stepped = arrayTask(4, 0, 8, { SLURM_ARRAY_TASK_COUNT: '5', SLURM_ARRAY_TASK_STEP: '2' });
    expect(() => shardFromSlurmEnv(stepped)).toThrow(/step of 2 .*--array=0-8:2.*Submit --array=0-4 instead/);
    const listed = arrayTask(3, 1, 7, { SLURM_ARRAY_TASK_COUNT: '3' });
    expect(() => shardFromSlurmEnv(listed)).toThrow(/3 tasks with ids 1…7.*Submit --array=0-2 instead/);
  });

  it('refuses a task id without MIN/MAX, and a task id that is not a number', () => {
    expect(() => shardFromSlurmEnv({ SLURM_ARRAY_TASK_ID: '2' })).toThrow(/MIN\/MAX are not.*--shard I\/N/);
    expect(() => shardFromSlurmEnv(arrayTask(0, 0, 1, { SLURM_ARRAY_TASK_ID: 'x' }))).toThrow(
      /SLURM_ARRAY_TASK_ID=x is not a whole number/,
    );
  });

  it('--shard wins over the array variables', () => {
    expect(resolveShard('1/2', arrayTask(3, 0, 3))).toEqual({ index: 1, count: 2 });
    expect(resolveShard(undefined, arrayTask(3, 0, 3))).toEqual({ index: 3, count: 4 });
    expect(resolveShard(undefined, {})).toBeUndefined();
  });
});

describe('exclusive from scontrol show job', () => {
  it('OverSubscribe=NO is exclusive; OK, USER and YES are not; the old Shared=0 is', () => {
    expect(exclusiveFromScontrol('   OverSubscribe=NO Contiguous=0')).toBe(true);
    expect(exclusiveFromScontrol('   OverSubscribe=OK Contiguous=0')).toBe(false);
    expect(exclusiveFromScontrol('   OverSubscribe=USER Contiguous=0')).toBe(false);
    expect(exclusiveFromScontrol('   OverSubscribe=YES Contiguous=0')).toBe(false);
    expect(exclusiveFromScontrol('   Shared=0 Contiguous=0')).toBe(true);
    expect(exclusiveFromScontrol('   Shared=OK Contiguous=0')).toBe(false);
    expect(exclusiveFromScontrol('JobId=1 Name=x')).toBeUndefined();
  });
});

describe('placement from the environment', () => {
  const onPath = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    ...env,
    PATH: `${SLURM_BIN}${delimiter}${process.env.PATH ?? ''}`,
  });

  it('outside a scheduler: only the shard, or nothing', async () => {
    expect((await placementFromEnv({}, undefined)).placement).toBeUndefined();
    expect((await placementFromEnv({}, { index: 1, count: 3 })).placement).toEqual({
      shard: { index: 1, count: 3 },
    });
  });

  it('an array task: job and task ids, allocated GPUs and CPUs, exclusive from scontrol', async () => {
    const env = onPath(
      arrayTask(1, 0, 1, {
        SLURM_JOB_GPUS: '1',
        CUDA_VISIBLE_DEVICES: '0',
        SLURM_CPUS_ON_NODE: '2',
        FAKE_SCONTROL_JOB: EXCLUSIVE_JOB,
      }),
    );
    const { placement, notes } = await placementFromEnv(env, { index: 1, count: 2 }, 8);
    expect(placement).toEqual({
      scheduler: 'slurm',
      jobId: '1001',
      arrayJobId: '1000',
      arrayTaskId: 1,
      shard: { index: 1, count: 2 },
      // SLURM_JOB_GPUS names the node's device; CUDA_VISIBLE_DEVICES is its renumbering inside the job.
      allocatedGpus: ['1'],
      allocatedCpus: 2,
      exclusive: true,
    });
    expect(notes).toEqual([]);
  });

  it('SLURM_STEP_GPUS wins over SLURM_JOB_GPUS; CUDA_VISIBLE_DEVICES is the last resort', async () => {
    const base = onPath({ SLURM_JOB_ID: '9', FAKE_SCONTROL_JOB: SHARED_JOB });
    const step = await placementFromEnv(
      { ...base, SLURM_STEP_GPUS: '2,3', SLURM_JOB_GPUS: '0,1,2,3' },
      undefined,
    );
    expect(step.placement?.allocatedGpus).toEqual(['2', '3']);
    const cuda = await placementFromEnv({ ...base, CUDA_VISIBLE_DEVICES: '0,1' }, undefined);
    expect(cuda.placement?.allocatedGpus).toEqual(['0', '1']);
    const none = await placementFromEnv(base, undefined);
    expect(none.placement?.allocatedGpus).toBeUndefined();
  });

  it('scontrol is trusted over EFF_NODE_EXCLUSIVE, and a disagreement is noted', async () => {
    const env = onPath({ SLURM_JOB_ID: '71701', EFF_NODE_EXCLUSIVE: '1', FAKE_SCONTROL_JOB: SHARED_JOB });
    const { placement, notes } = await placementFromEnv(env, undefined);
    expect(placement?.exclusive).toBe(false);
    expect(notes.join('\n')).toMatch(
      /EFF_NODE_EXCLUSIVE=1 but scontrol show job 71701 says the node is not exclusive/,
    );
  });

  it('without an answer from scontrol: EFF_NODE_EXCLUSIVE, else all CPUs allocated, else not exclusive', async () => {
    // The fake scontrol fails (no FAKE_SCONTROL_JOB), as the real one does without a controller.
    const env = onPath({ SLURM_JOB_ID: '5', SLURM_CPUS_ON_NODE: '2' });
    expect(
      (await placementFromEnv({ ...env, EFF_NODE_EXCLUSIVE: '1' }, undefined, 8)).placement?.exclusive,
    ).toBe(true);
    expect(
      (await placementFromEnv({ ...env, EFF_NODE_EXCLUSIVE: '0' }, undefined, 2)).placement?.exclusive,
    ).toBe(false);
    expect((await placementFromEnv(env, undefined, 2)).placement?.exclusive).toBe(true);
    const guess = await placementFromEnv(env, undefined, 8);
    expect(guess.placement?.exclusive).toBe(false);
    expect(guess.notes.join('\n')).toMatch(/cannot tell whether job 5 has the node to itself.*2 of 8 CPUs/);
  });
});
