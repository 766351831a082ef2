// Where this process runs: its shard of the grid (--shard or the SLURM array variables) and its SLURM job/allocation.
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { type Placement, slurmJobOf } from '@eff/core';
import { EffCliError } from '../errors.js';

/** One shard of a grid: `index` is 0-based, `count` ≥ 1, `index < count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** A --shard value or a SLURM array that cannot name a shard of the grid. Exit code 2; nothing has run. */
export class ShardError extends EffCliError {
  constructor(message: string) {
    super('E_SHARD', message, 2);
  }
}

/**
 * Parses `I/N` (0-based shard I of N, e.g. `0/4` … `3/4`). Throws ShardError saying what was expected and what was
 * found for anything else (`4/4`, `1/0`, `-1/3`, `a/b`, `2`).
 */
export function parseShardSpec(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) {
    throw new ShardError(
      `--shard expects I/N, shard I (0-based) of N shards, e.g. --shard 0/4 … --shard 3/4; got '${text}'.`,
    );
  }
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new ShardError(`--shard ${text}: N must be at least 1 (N is the number of shards).`);
  if (index >= count) {
    throw new ShardError(
      `--shard ${text}: I is 0-based and must be below N (shards of ${count} are 0/${count} … ${count - 1}/${count}).`,
    );
  }
  return { index, count };
}

function intVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\d+$/.test(raw.trim())) {
    throw new ShardError(
      `${name}=${raw} is not a whole number; is this a SLURM array task? Pass --shard I/N.`,
    );
  }
  return Number(raw.trim());
}

/**
 * The shard a SLURM array task runs when `--shard` is not given: I = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN,
 * N = SLURM_ARRAY_TASK_COUNT (or MAX − MIN + 1 where COUNT is not set). undefined outside an array task. Only an
 * array of consecutive task ids maps onto shards: a step (`--array=0-9:2`) or a list (`--array=1,3,7`) throws
 * ShardError (pass `--shard I/N` computed in the batch script instead). Variables: sbatch(1), "OUTPUT ENVIRONMENT
 * VARIABLES".
 */
export function shardFromSlurmEnv(env: NodeJS.ProcessEnv): ShardSpec | undefined {
  const id = intVar(env, 'SLURM_ARRAY_TASK_ID');
  if (id === undefined) return undefined;
  const min = intVar(env, 'SLURM_ARRAY_TASK_MIN');
  const max = intVar(env, 'SLURM_ARRAY_TASK_MAX');
  const count = intVar(env, 'SLURM_ARRAY_TASK_COUNT');
  const step = intVar(env, 'SLURM_ARRAY_TASK_STEP');
  if (min === undefined || max === undefined) {
    throw new ShardError(
      `SLURM_ARRAY_TASK_ID=${id} is set but SLURM_ARRAY_TASK_MIN/MAX are not, so the number of shards is unknown; pass --shard I/N.`,
    );
  }
  if (step !== undefined && step !== 1) {
    throw new ShardError(
      `this SLURM array has a step of ${step} (--array=${min}-${max}:${step}): its task ids are not consecutive, so they do not map onto shards 0…N-1. Submit --array=0-${Math.floor((max - min) / step)} instead, or pass --shard I/N.`,
    );
  }
  const span = max - min + 1;
  if (count !== undefined && count !== span) {
    throw new ShardError(
      `this SLURM array has ${count} tasks with ids ${min}…${max} (a list such as --array=1,3,7?): its task ids are not consecutive, so they do not map onto shards 0…N-1. Submit --array=0-${count - 1} instead, or pass --shard I/N.`,
    );
  }
  if (id < min || id > max) {
    throw new ShardError(`SLURM_ARRAY_TASK_ID=${id} lies outside SLURM_ARRAY_TASK_MIN/MAX ${min}…${max}.`);
  }
  return { index: id - min, count: span };
}

/**
 * The shard this `eff run` runs: `--shard` when given (it wins over the array variables), else the SLURM array
 * task's (see `shardFromSlurmEnv`), else undefined (the whole grid).
 */
export function resolveShard(option: string | undefined, env: NodeJS.ProcessEnv): ShardSpec | undefined {
  if (option !== undefined) return parseShardSpec(option);
  return shardFromSlurmEnv(env);
}

function listVar(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * What `scontrol show job ID` says about sharing the node: true for `OverSubscribe=NO` (the job was submitted with
 * `--exclusive`), false for `OK`, `YES`, `FORCE`, `USER` (other jobs, if only the same user's, may run beside it) and
 * `MCS`; older slurm prints `Shared=0` (exclusive) / `Shared=1|OK|…`. undefined when neither field is in `text`.
 * Format: scontrol(1), `show job`, one `Key=Value` pair per token.
 */
export function exclusiveFromScontrol(text: string): boolean | undefined {
  const over = /(?:^|\s)OverSubscribe=(\S+)/.exec(text)?.[1];
  if (over !== undefined) return over.toUpperCase() === 'NO';
  const shared = /(?:^|\s)Shared=(\S+)/.exec(text)?.[1];
  if (shared !== undefined) return shared === '0' || shared.toUpperCase() === 'NO';
  return undefined;
}

/** `scontrol show job ID`'s output, or undefined when scontrol is missing, fails or takes more than 10 s. */
function scontrolShowJob(jobId: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'scontrol',
      ['show', 'job', jobId],
      { env, timeout: 10_000, maxBuffer: 1 << 20 },
      (err, stdout) => resolve(err ? undefined : stdout),
    );
  });
}

/** What `placementFromEnv` learnt and how: a note when its sources disagreed or when exclusivity is a guess. */
export interface PlacementResult {
  placement: Placement | undefined;
  notes: string[];
}

/**
 * Where this process runs, for every record it writes (`environment.placement`): under SLURM (`SLURM_JOB_ID` set)
 * its job and array task ids, the GPUs allocated (`SLURM_STEP_GPUS`, else `SLURM_JOB_GPUS`, else the
 * `CUDA_VISIBLE_DEVICES` slurm sets), the CPUs (`SLURM_CPUS_ON_NODE`) and whether the node is the job's alone.
 * Exclusive, in order of trust: `scontrol show job` (`OverSubscribe=NO`); else `EFF_NODE_EXCLUSIVE=1|0`, set by the
 * batch script `eff slurm submit` writes from the `--exclusive` it asked for; else all of the node's CPUs allocated
 * to the job (no other job can start on it); else false — an unproven claim would charge other jobs' CPU/RAM energy
 * to this run. With `shard` and no scheduler, only the shard. undefined with neither.
 */
export async function placementFromEnv(
  env: NodeJS.ProcessEnv,
  shard: ShardSpec | undefined,
  nodeCpus: number = cpus().length,
): Promise<PlacementResult> {
  const notes: string[] = [];
  const job = slurmJobOf(env);
  if (!job) return { placement: shard ? { shard } : undefined, notes };
  const { jobId } = job;
  const placement: Placement = { ...job };
  if (shard) placement.shard = shard;
  const gpus =
    listVar(env, 'SLURM_STEP_GPUS') ?? listVar(env, 'SLURM_JOB_GPUS') ?? listVar(env, 'CUDA_VISIBLE_DEVICES');
  if (gpus) placement.allocatedGpus = gpus;
  const cpus = env.SLURM_CPUS_ON_NODE?.trim();
  if (cpus && /^\d+$/.test(cpus) && Number(cpus) > 0) placement.allocatedCpus = Number(cpus);

  const flag = env.EFF_NODE_EXCLUSIVE?.trim();
  const fromFlag = flag === '1' ? true : flag === '0' ? false : undefined;
  const text = await scontrolShowJob(jobId, env);
  const fromScontrol = text === undefined ? undefined : exclusiveFromScontrol(text);
  if (fromScontrol !== undefined) {
    placement.exclusive = fromScontrol;
    if (fromFlag !== undefined && fromFlag !== fromScontrol) {
      notes.push(
        `EFF_NODE_EXCLUSIVE=${flag} but scontrol show job ${jobId} says the node is ${fromScontrol ? '' : 'not '}exclusive; going by scontrol.`,
      );
    }
  } else if (fromFlag !== undefined) {
    placement.exclusive = fromFlag;
  } else if (placement.allocatedCpus !== undefined && placement.allocatedCpus >= nodeCpus) {
    placement.exclusive = true;
  } else {
    placement.exclusive = false;
    notes.push(
      `cannot tell whether job ${jobId} has the node to itself (no scontrol answer, no EFF_NODE_EXCLUSIVE, ${placement.allocatedCpus ?? '?'} of ${nodeCpus} CPUs); CPU/RAM energy is marked as shared.`,
    );
  }
  return { placement, notes };
}
