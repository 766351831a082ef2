// The probes that measure a run when the caller names none: every available hardware probe, GPU probes narrowed to the job's GPUs.
import {
  checkProbe,
  type EstimateProbeOptions,
  inWorkerThread,
  oneProbePerHardware,
  type Probe,
  type ProbeCheck,
  probeByName,
  probeNames,
} from '@eff/probes';
import { MeasureError } from './measure-error.js';

export interface DefaultProbesOptions {
  /**
   * The GPUs the job may use, as the vendor tool names them: indices (`'1'`), `GPU-…` UUIDs (a unique prefix is
   * enough) or `MIG-…` ids. Passed as the `gpus` option to every GPU probe, where it wins over
   * `CUDA_VISIBLE_DEVICES`, `ROCR_VISIBLE_DEVICES`, SLURM's variables and the rest (docs/probes.md). Default: the
   * probes read those variables themselves.
   */
  gpus?: readonly string[];
  /**
   * The labelled estimate's assumptions, used when no hardware meter is readable: `tdpW` (CPU TDP, W; default 85),
   * `ramWPerGB` (W per GiB; default 0.375), `loadScope` (`machine` | `process`; default `machine`). Recorded in the
   * run's `ProbeReport.estimate`.
   */
  estimate?: EstimateOptions;
  /** Detect again instead of reusing this process's detection (which runs once per process). Default false. */
  refresh?: boolean;
}

/** The estimate's typed parameters (closed: `{ tdpw: 35 }` does not compile). */
export type EstimateOptions = Omit<EstimateProbeOptions, 'intervalMs'>;

/**
 * Checks an explicit GPU list: at least one entry, each a non-empty string (numbers are taken as indices).
 * Returns the entries trimmed, as strings.
 * @throws MeasureError `E_MEASURE_OPTIONS` naming the bad entry.
 */
export function normalizeGpuList(gpus: unknown): string[] {
  if (!Array.isArray(gpus)) {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      `gpus must be a list of GPU indices, GPU-… UUIDs or MIG-… ids, e.g. ['1'], found ${JSON.stringify(gpus)}`,
      gpus,
    );
  }
  if (gpus.length === 0) {
    throw new MeasureError(
      'E_MEASURE_OPTIONS',
      'gpus is empty: name at least one GPU, or leave gpus out to measure the GPUs the environment gives the job',
      gpus,
    );
  }
  return gpus.map((g) => {
    const entry = typeof g === 'number' && Number.isInteger(g) && g >= 0 ? String(g) : g;
    if (typeof entry !== 'string' || entry.trim() === '') {
      throw new MeasureError(
        'E_MEASURE_OPTIONS',
        `gpus: ${JSON.stringify(g)} is not a GPU index, GPU-… UUID or MIG-… id`,
        gpus,
      );
    }
    return entry.trim();
  });
}

/** Names of the registered probes that measure GPUs (their factories take the `gpus` option). */
export function gpuProbeNames(): string[] {
  return probeNames().filter((name) => probeByName(name).components.includes('gpu'));
}

/**
 * Factory options per probe name that hand an explicit GPU list to every GPU probe: `{ 'nvidia-smi': { gpus },
 * nvml: { gpus }, 'rocm-smi': { gpus } }`. Empty when `gpus` is undefined (the probes then read the environment).
 */
export function gpuProbeOptions(gpus: readonly string[] | undefined): Record<string, { gpus: string[] }> {
  if (gpus === undefined) return {};
  const list = normalizeGpuList(gpus);
  return Object.fromEntries(gpuProbeNames().map((name) => [name, { gpus: list }]));
}

/** One probe's check, with whether it is a GPU probe whose device selection (option or environment) failed. */
interface DetectedProbe extends ProbeCheck {
  name: string;
  gpu: boolean;
  /**
   * The job's GPU selection names devices this probe does not have: its check threw GpuSelectionError
   * (`E_GPU_SELECTION`), or it came back unavailable with a `selectedBy` other than `all` and no device at all.
   */
  selectionError: boolean;
}

/** Every registered probe's check(), in parallel (as detectProbes, keeping what a failed check was). */
async function detect(
  probeOptions: Record<string, Record<string, unknown>>,
  refresh: boolean,
): Promise<DetectedProbe[]> {
  const gpuNames = new Set(gpuProbeNames());
  return Promise.all(
    probeNames().map(async (name): Promise<DetectedProbe> => {
      const gpu = gpuNames.has(name);
      try {
        // Cached per process (checkProbe): a script's second session starts without spawning the tools again.
        const check = await checkProbe(name, probeOptions[name] ?? {}, { refresh });
        const selectionError =
          gpu &&
          !check.available &&
          check.selectedBy !== undefined &&
          check.selectedBy !== 'all' &&
          !check.devices?.length &&
          !check.unmeasurable?.length;
        return { name, gpu, ...check, selectionError };
      } catch (err) {
        return {
          name,
          gpu,
          available: false,
          reason: `${name}: check failed: ${(err as Error).message}`,
          selectionError: (err as { code?: unknown }).code === 'E_GPU_SELECTION',
        };
      }
    }),
  );
}

/**
 * Detection runs once per process (cached; `refresh: true` runs it again).
 * The first available hardware probe of each kind of hardware (oneProbePerHardware: NVML before nvidia-smi, rapl
 * before powerstat), else the labelled estimate, each sampling in a worker thread
 * (`inWorkerThread`): training holds the main thread for a batch at a time, and samples must be taken on time.
 * GPU probes measure the job's GPUs: `gpus` when given, else what the environment selects (CUDA_VISIBLE_DEVICES, …).
 * A selection that no GPU probe can read is an error, never a quiet CPU-only (or estimated) measurement: with
 * `gpus`, when no GPU probe is available; without, when a GPU probe's selection names devices that do not exist and
 * no GPU probe is available.
 * @throws MeasureError `E_MEASURE_NO_PROBE` when nothing can run; `E_MEASURE_OPTIONS` for a bad or unmatched
 *   selection (the message carries each GPU probe's reason, e.g. which devices exist).
 */
export async function defaultProbes(options: DefaultProbesOptions = {}): Promise<Probe[]> {
  const probeOptions: Record<string, Record<string, unknown>> = gpuProbeOptions(options.gpus);
  if (options.estimate !== undefined) probeOptions.estimate = { ...options.estimate };
  const detected = await detect(probeOptions, options.refresh === true);
  const gpuProbes = detected.filter((d) => d.gpu);
  if (!gpuProbes.some((d) => d.available)) {
    const reasons = (list: DetectedProbe[]) =>
      list.map((d) => `${d.name}: ${d.reason ?? 'unavailable'}`).join('; ');
    if (options.gpus !== undefined) {
      throw new MeasureError(
        'E_MEASURE_OPTIONS',
        `gpus ${options.gpus.join(',')}: no GPU probe can measure them (${reasons(gpuProbes)})`,
        options.gpus,
      );
    }
    const misselected = gpuProbes.filter((d) => d.selectionError);
    if (misselected.length > 0) {
      throw new MeasureError(
        'E_MEASURE_OPTIONS',
        `the job's GPU selection names GPUs that are not here (${reasons(misselected)}); fix the variable, or choose with gpus / --gpus`,
      );
    }
  }
  // One probe per kind of hardware: NVML and nvidia-smi (or rapl and powerstat) together would count joules twice.
  const available = oneProbePerHardware(detected.filter((d) => d.available).map((d) => d.name)).map((name) =>
    inWorkerThread(name, probeOptions[name] ?? {}),
  );
  const hardware = available.filter((p) => !p.estimated);
  if (hardware.length > 0) return hardware;
  const estimate = available.filter((p) => p.estimated);
  if (estimate.length > 0) return estimate.slice(0, 1);
  throw new MeasureError(
    'E_MEASURE_NO_PROBE',
    `no probe can run on this machine (${detected.map((d) => `${d.name}: ${d.reason ?? 'unavailable'}`).join('; ')}); pass probes explicitly`,
  );
}
