// A measured run's `environment`: this machine (describeMachine), the tfjs backend that trained, and the one warning about tfjs's pure-JS backend.
import { readFileSync } from 'node:fs';
import { describeMachine, describeMachineQuickly, type MachineDescription } from '@eff/probes';
import type { Placement } from './schema.js';

/** What @eff/models' useBackend() resolves to (or any object naming the backend): `{ backend, threads? }`. */
export interface BackendInfoLike {
  /** tfjs backend name: `wasm`, `tensorflow`, `cpu`, `webgl`, … */
  backend: string;
  /** Threads the training kernels run on (eff's wasm kernels), when known. */
  threads?: number | undefined;
}

/** The part of tfjs's engine read here (core has no tfjs import: tfjs keeps its engine on `globalThis._tfengine`). */
interface TfjsEngineLike {
  backendName?: string | null;
  registryFactory?: Record<string, unknown>;
}

function tfjsEngine(): TfjsEngineLike | undefined {
  const engine = (globalThis as { _tfengine?: unknown })._tfengine;
  return engine && typeof engine === 'object' ? (engine as TfjsEngineLike) : undefined;
}

/** The backend that trains, as far as this process can tell, and the backends tfjs has registered. */
export interface ActiveBackend {
  backend?: string;
  trainingThreads?: number;
  /** Backends registered with the tfjs engine (a faster one than `cpu` among them is the warning's case). */
  registered: string[];
}

/**
 * The backend from the caller (`given`, e.g. useBackend()'s result) when given, else tfjs's engine in this process
 * (`globalThis._tfengine.backendName`: set once tfjs ran its first operation or setBackend). Empty when neither
 * knows (tfjs not loaded, or loaded as a second copy the engine global does not belong to).
 */
export function activeBackend(given?: string | BackendInfoLike): ActiveBackend {
  const engine = tfjsEngine();
  const registered = Object.keys(engine?.registryFactory ?? {});
  if (typeof given === 'string') return { backend: given, registered };
  if (given && typeof given.backend === 'string') {
    return {
      backend: given.backend,
      ...(given.threads !== undefined && given.threads > 0 ? { trainingThreads: given.threads } : {}),
      registered,
    };
  }
  const name = engine?.backendName;
  return { ...(typeof name === 'string' && name ? { backend: name } : {}), registered };
}

/**
 * The warning for training on tfjs's pure-JS `cpu` backend while a faster one is registered or installed (wasm:
 * ~450× faster on LeNet here, so ~450× fewer joules spent on the same training), else null.
 * `installed`: package versions found (describeMachine's `versions`).
 */
export function cpuBackendWarning(active: ActiveBackend, installed: Record<string, string>): string | null {
  if (active.backend !== 'cpu') return null;
  const faster = ['tensorflow', 'wasm', 'webgl', 'webgpu'].filter((b) => active.registered.includes(b));
  if (faster.length === 0 && installed['@tensorflow/tfjs-backend-wasm']) faster.push('wasm (installed)');
  if (faster.length === 0) return null;
  return `training runs on tfjs's pure-JS 'cpu' backend although ${faster.join(', ')} is available: it is hundreds of times slower and its energy is not what your model costs. Call \`await useBackend('auto')\` from @eff/models (or \`await tf.setBackend('wasm')\`) before building the model.`;
}

const OWN_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * This machine for a run record (hostname, OS, CPU, memory, GPUs, Node and package versions), or what Node alone
 * says (describeMachineQuickly: no GPUs, the kernel instead of the distribution) when describing it fails or takes
 * longer than `timeoutMs`: the record must never wait on a stuck tool.
 */
export async function machineEnvironment(timeoutMs: number): Promise<MachineDescription> {
  const options = { searchFrom: [import.meta.url], versions: { '@eff/core': OWN_VERSION } };
  const fallback = () => describeMachineQuickly(options);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<MachineDescription>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), timeoutMs);
    timer.unref();
  });
  const described = describeMachine(options).catch(fallback);
  try {
    return await Promise.race([described, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A SLURM job's ids, as `Placement` holds them. */
export type SlurmJob = Pick<Placement, 'arrayJobId' | 'arrayTaskId'> & { scheduler: 'slurm'; jobId: string };

/**
 * The SLURM job this process belongs to, from the variables slurmd sets in every job step (`SLURM_JOB_ID`,
 * `SLURM_ARRAY_JOB_ID`, `SLURM_ARRAY_TASK_ID`; sbatch(1), "OUTPUT ENVIRONMENT VARIABLES"): enough to give each array
 * task its own results file (`resultsFileName`). undefined outside SLURM. A non-numeric task id is left out.
 * `eff run` adds allocation and exclusivity to this (cli's placementFromEnv).
 */
export function slurmJobOf(env: NodeJS.ProcessEnv): SlurmJob | undefined {
  const jobId = env.SLURM_JOB_ID?.trim();
  if (!jobId) return undefined;
  const job: SlurmJob = { scheduler: 'slurm', jobId };
  const arrayJobId = env.SLURM_ARRAY_JOB_ID?.trim();
  if (arrayJobId) job.arrayJobId = arrayJobId;
  const taskId = env.SLURM_ARRAY_TASK_ID?.trim();
  if (taskId && /^\d+$/.test(taskId)) job.arrayTaskId = Number(taskId);
  return job;
}
