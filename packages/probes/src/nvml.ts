// NVML probe: reads each selected NVIDIA GPU's energy counter (mJ) and power (mW) in-process from libnvidia-ml.so.1.
import koffi, { type LibraryHandle } from 'koffi';
import { Observable } from 'rxjs';
import { attachNotes, DeviceTracker, type TrackedDevice } from './device-state.js';
import { type ProbeError, ProbePermissionError, ProbeUnavailableError } from './errors.js';
import { GpuSelectionError, type ListedGpu, type SelectedGpus, selectGpus } from './gpu-selection.js';
import type { DeviceEvent, PowerSample, Probe, ProbeCheck, ProbeEvent, ProbeOptions } from './sample.js';
import { nowMs } from './sample.js';

export interface NvmlProbeOptions {
  /** Library to load; a fake .so in tests. Default `libnvidia-ml.so.1` (found by the dynamic loader). */
  libraryPath?: string;
  /**
   * GPUs to read: NVML indices (PCI order, as nvidia-smi), `GPU-…` UUIDs or `MIG-…` ids; wins over the environment
   * (CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES, SLURM: see selectGpus). All GPUs when nothing selects.
   */
  gpus?: readonly (number | string)[];
  /** Environment the selection variables are read from; `process.env` by default. */
  env?: NodeJS.ProcessEnv;
  /** Default interval; NVML's power reading refreshes every ~20-100 ms, the energy counter continuously. */
  intervalMs?: number;
}

export const NVML_DEFAULT_INTERVAL_MS = 100;
/** An in-process call costs microseconds; below 10 ms readings of power repeat and the timer itself dominates. */
export const NVML_MIN_INTERVAL_MS = 10;

const NVML_SUCCESS = 0;
const NVML_ERROR_NOT_SUPPORTED = 3;
const NVML_ERROR_NO_PERMISSION = 4;
const NVML_ERROR_GPU_IS_LOST = 15;
/** NVML_DEVICE_UUID_V2_BUFFER_SIZE and NVML_DEVICE_NAME_V2_BUFFER_SIZE are 96. */
const NVML_STRING_BUFFER_BYTES = 96;

interface NvmlLib {
  init(): number;
  shutdown(): number;
  errorString(code: number): string;
  getCount(out: number[]): number;
  getHandle(index: number, out: unknown[]): number;
  getUuid?: (device: unknown, out: Buffer, length: number) => number;
  getName?: (device: unknown, out: Buffer, length: number) => number;
  getPowerLimit?: (device: unknown, out: number[]) => number;
  getEnergy?: (device: unknown, out: (number | bigint)[]) => number;
  getPower(device: unknown, out: number[]): number;
  getMaxMigCount?: (device: unknown, out: number[]) => number;
  getMigHandle?: (device: unknown, index: number, out: unknown[]) => number;
}

// koffi type names are global: register the opaque device handle once per process
let deviceTypeRegistered = false;
const loaded = new Map<string, NvmlLib>();

function loadNvml(libraryPath: string): NvmlLib {
  const cached = loaded.get(libraryPath);
  if (cached) return cached;
  let lib: LibraryHandle;
  try {
    lib = koffi.load(libraryPath);
  } catch (err) {
    throw new ProbeUnavailableError(
      `nvml: cannot load ${libraryPath} (${(err as Error).message}); install the NVIDIA driver or use --probe nvidia-smi`,
      { cause: err },
    );
  }
  if (!deviceTypeRegistered) {
    koffi.pointer('eff_nvmlDevice_t', koffi.opaque());
    deviceTypeRegistered = true;
  }
  // entry points newer than the oldest drivers are optional: without them the probe does less, it does not fail
  const optional = <F>(signature: string): F | undefined => {
    try {
      return lib.func(signature) as F;
    } catch {
      return undefined;
    }
  };
  const nvml: NvmlLib = {
    init: lib.func('int nvmlInit_v2()'),
    shutdown: lib.func('int nvmlShutdown()'),
    errorString: lib.func('const char *nvmlErrorString(int)'),
    getCount: lib.func('int nvmlDeviceGetCount_v2(_Out_ unsigned int *)'),
    getHandle: lib.func('int nvmlDeviceGetHandleByIndex_v2(unsigned int, _Out_ eff_nvmlDevice_t *)'),
    getUuid: optional('int nvmlDeviceGetUUID(eff_nvmlDevice_t, _Out_ uint8_t *, unsigned int)'),
    getName: optional('int nvmlDeviceGetName(eff_nvmlDevice_t, _Out_ uint8_t *, unsigned int)'),
    getPowerLimit: optional('int nvmlDeviceGetEnforcedPowerLimit(eff_nvmlDevice_t, _Out_ unsigned int *)'),
    getEnergy: optional(
      'int nvmlDeviceGetTotalEnergyConsumption(eff_nvmlDevice_t, _Out_ unsigned long long *)',
    ),
    getPower: lib.func('int nvmlDeviceGetPowerUsage(eff_nvmlDevice_t, _Out_ unsigned int *)'),
    getMaxMigCount: optional('int nvmlDeviceGetMaxMigDeviceCount(eff_nvmlDevice_t, _Out_ unsigned int *)'),
    getMigHandle: optional(
      'int nvmlDeviceGetMigDeviceHandleByIndex(eff_nvmlDevice_t, unsigned int, _Out_ eff_nvmlDevice_t *)',
    ),
  };
  loaded.set(libraryPath, nvml);
  return nvml;
}

function nvmlError(nvml: NvmlLib, what: string, code: number): ProbeError {
  const text = `nvml: ${what} failed: ${nvml.errorString(code)} (NVML code ${code})`;
  if (code === NVML_ERROR_NO_PERMISSION) {
    return new ProbePermissionError(
      `${text}; run as a user allowed to query the GPU (video group) or as root`,
    );
  }
  return new ProbeUnavailableError(`${text}; check \`nvidia-smi\` works, or pick another probe`);
}

/** One GPU as NVML enumerates it, with its handle (absent when NVML cannot give one: the GPU is lost). */
interface NvmlGpu extends ListedGpu {
  handle?: unknown;
  handleError?: string;
  powerLimitW?: number;
}

function readString(
  f: ((device: unknown, out: Buffer, length: number) => number) | undefined,
  handle: unknown,
): string | undefined {
  if (!f) return undefined;
  const out = Buffer.alloc(NVML_STRING_BUFFER_BYTES);
  if (f(handle, out, out.length) !== NVML_SUCCESS) return undefined;
  const end = out.indexOf(0);
  return out.toString('utf8', 0, end < 0 ? out.length : end) || undefined;
}

/** The UUIDs of a GPU's MIG instances (none when it is not in MIG mode or the driver predates MIG). */
function migUuids(nvml: NvmlLib, handle: unknown): string[] {
  const max = [0];
  if (!nvml.getMigHandle || nvml.getMaxMigCount?.(handle, max) !== NVML_SUCCESS) return [];
  const ids: string[] = [];
  for (let i = 0; i < (max[0] ?? 0); i++) {
    const out: unknown[] = [null];
    if (nvml.getMigHandle(handle, i, out) !== NVML_SUCCESS) continue; // a slot without an instance
    const id = readString(nvml.getUuid, out[0]);
    if (id) ids.push(id);
  }
  return ids;
}

/** Every GPU NVML lists, in its (PCI) order. NVML must be initialised. */
function listGpus(nvml: NvmlLib): NvmlGpu[] {
  const count = [0];
  const countRc = nvml.getCount(count);
  if (countRc !== NVML_SUCCESS) throw nvmlError(nvml, 'nvmlDeviceGetCount_v2', countRc);
  return Array.from({ length: count[0] ?? 0 }, (_, index): NvmlGpu => {
    const out: unknown[] = [null];
    const rc = nvml.getHandle(index, out);
    if (rc !== NVML_SUCCESS) {
      return {
        index,
        deviceId: `gpu${index}`,
        handleError: `nvmlDeviceGetHandleByIndex_v2(${index}): ${nvml.errorString(rc)} (NVML code ${rc})`,
      };
    }
    const handle = out[0];
    const uuid = readString(nvml.getUuid, handle);
    const name = readString(nvml.getName, handle);
    const limitMw = [0];
    const limitOk = nvml.getPowerLimit?.(handle, limitMw) === NVML_SUCCESS;
    const migIds = migUuids(nvml, handle);
    return {
      index,
      deviceId: `gpu${index}`,
      handle,
      ...(uuid ? { uuid } : {}),
      ...(name ? { name } : {}),
      ...(migIds.length > 0 ? { migIds } : {}),
      ...(limitOk && (limitMw[0] ?? 0) > 0 ? { powerLimitW: (limitMw[0] ?? 0) / 1000 } : {}),
    };
  });
}

function label(gpu: NvmlGpu): string {
  const details = [gpu.uuid, gpu.name].filter(Boolean).join(', ');
  return `GPU ${gpu.index}${details ? ` (${details})` : ''}`;
}

/** Initialises NVML, lists and selects the GPUs. Shuts NVML down again when that fails. */
function openSelection(
  nvml: NvmlLib,
  options: NvmlProbeOptions,
): { gpus: NvmlGpu[]; selection: SelectedGpus } {
  const rc = nvml.init();
  if (rc !== NVML_SUCCESS) throw nvmlError(nvml, 'nvmlInit_v2', rc);
  try {
    const listed = listGpus(nvml);
    if (listed.length === 0) throw new ProbeUnavailableError('nvml: the driver reports no GPU');
    const selection = selectGpus('nvidia', listed, {
      ...(options.gpus ? { gpus: options.gpus } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    if (selection.devices.length === 0) {
      throw new ProbeUnavailableError(
        `nvml: the job may use no GPU (${[selection.selectedBy, ...selection.notes].join('; ')}); nothing to measure`,
      );
    }
    return { gpus: selection.devices as NvmlGpu[], selection };
  } catch (err) {
    nvml.shutdown();
    throw err;
  }
}

/** What one call gave: a value, or NVML's error code and text. */
type Outcome<T> = { ok: true; value: T } | { ok: false; code: number; text: string };

/** Reads a GPU's energy counter (when it has one) and power. `energy: false` skips the counter. */
function readGpu(
  nvml: NvmlLib,
  gpu: NvmlGpu,
  energy: boolean,
): { energy?: Outcome<number>; power: Outcome<number> } {
  const call = <T>(what: string, f: (out: T[]) => number, init: T): Outcome<T> => {
    const out = [init];
    const rc = f(out);
    if (rc === NVML_SUCCESS) return { ok: true, value: out[0] as T };
    return { ok: false, code: rc, text: `${what}: ${nvml.errorString(rc)} (NVML code ${rc})` };
  };
  const power = call<number>('nvmlDeviceGetPowerUsage', (out) => nvml.getPower(gpu.handle, out), 0);
  if (!energy || !nvml.getEnergy) return { power };
  const getEnergy = nvml.getEnergy;
  const counter = call<number | bigint>(
    'nvmlDeviceGetTotalEnergyConsumption',
    (out) => getEnergy(gpu.handle, out),
    0,
  );
  return { power, energy: counter.ok ? { ok: true, value: Number(counter.value) } : counter };
}

/**
 * Turns one tick's reading of a GPU into events: the counter as `energy` (J since driver load; 2^64 mJ never wraps,
 * so no rangeJ) and power as `power` (W), both when the driver has them, so core can check the counter against power;
 * otherwise, per device: NOT_SUPPORTED for everything -> unsupported (first reading) or a bad reading; GPU_IS_LOST ->
 * lost; any other error -> bad-reading (lost after three in a row).
 */
function eventsOf(
  tracker: DeviceTracker,
  gpu: NvmlGpu,
  read: { energy?: Outcome<number>; power: Outcome<number> },
  tMs: number,
): ProbeEvent[] {
  const base = { tMs, deviceId: gpu.deviceId, component: 'gpu' as const, source: 'nvml', estimated: false };
  const samples: PowerSample[] = [];
  if (read.energy?.ok) samples.push({ ...base, kind: 'energy', energyJ: read.energy.value / 1000 });
  if (read.power.ok && Number.isFinite(read.power.value)) {
    samples.push({ ...base, kind: 'power', powerW: read.power.value / 1000 });
  }
  if (samples.length > 0) return tracker.good(gpu.deviceId, tMs) ? samples : [];
  const failures = [read.power, ...(read.energy ? [read.energy] : [])].filter(
    (o): o is { ok: false; code: number; text: string } => !o.ok,
  );
  const said = failures.map((f) => f.text).join('; ') || 'no value';
  if (failures.some((f) => f.code === NVML_ERROR_GPU_IS_LOST)) {
    return tracker.lost(
      gpu.deviceId,
      tMs,
      `nvml: ${label(gpu)} is lost (${said}): it fell off the bus or the driver lost it; its energy from here on is missing`,
    );
  }
  if (
    failures.length > 0 &&
    failures.every((f) => f.code === NVML_ERROR_NOT_SUPPORTED || f.code === NVML_ERROR_NO_PERMISSION)
  ) {
    return tracker.unsupported(
      gpu.deviceId,
      tMs,
      `nvml: ${label(gpu)} cannot be measured (${said})`,
      failures.some((f) => f.code === NVML_ERROR_NO_PERMISSION)
        ? '; run as a user allowed to query the GPU (video group) or as root'
        : ': the board reports neither power nor energy; leave it out with --gpus or CUDA_VISIBLE_DEVICES',
    );
  }
  return tracker.bad(gpu.deviceId, tMs, `nvml: unusable reading of ${label(gpu)} (${said}); it is skipped`);
}

function trackedDevice(gpu: NvmlGpu): TrackedDevice {
  return {
    deviceId: gpu.deviceId,
    label: label(gpu),
    ...(gpu.uuid ? { uuid: gpu.uuid } : {}),
    ...(gpu.powerLimitW !== undefined ? { powerLimitW: gpu.powerLimitW } : {}),
  };
}

export function nvmlProbe(options: NvmlProbeOptions = {}): Probe {
  const libraryPath = options.libraryPath ?? 'libnvidia-ml.so.1';
  return {
    name: 'nvml',
    components: ['gpu'],
    estimated: false,
    minIntervalMs: NVML_MIN_INTERVAL_MS,
    async check(): Promise<ProbeCheck> {
      let nvml: NvmlLib;
      let opened: { gpus: NvmlGpu[]; selection: SelectedGpus };
      try {
        nvml = loadNvml(libraryPath);
        opened = openSelection(nvml, options);
      } catch (err) {
        return {
          available: false,
          reason: (err as Error).message,
          ...(err instanceof GpuSelectionError ? { selectedBy: err.selectedBy } : {}),
        };
      }
      try {
        // one reading tells which GPUs cannot be measured at all
        const tracker = new DeviceTracker(
          'nvml',
          'gpu',
          opened.selection.selectedBy,
          opened.gpus.map(trackedDevice),
        );
        const unmeasurable: Array<{ deviceId: string; reason: string }> = [];
        for (const gpu of opened.gpus) {
          if (gpu.handleError) {
            unmeasurable.push({
              deviceId: gpu.deviceId,
              reason: `nvml: ${label(gpu)} cannot be opened (${gpu.handleError})`,
            });
            continue;
          }
          const unsupported = eventsOf(tracker, gpu, readGpu(nvml, gpu, true), nowMs()).find(
            (e): e is DeviceEvent => e.kind === 'device' && e.state === 'unsupported',
          );
          if (unsupported)
            unmeasurable.push({ deviceId: gpu.deviceId, reason: unsupported.reason ?? 'unsupported' });
        }
        const devices = opened.gpus
          .map((g) => g.deviceId)
          .filter((id) => !unmeasurable.some((u) => u.deviceId === id));
        const selectedBy = opened.selection.selectedBy;
        if (devices.length === 0) {
          return {
            available: false,
            reason: `nvml: none of the selected GPUs can be measured: ${unmeasurable.map((u) => u.reason).join('; ')}`,
            devices,
            unmeasurable,
            selectedBy,
          };
        }
        return { available: true, devices, unmeasurable, selectedBy };
      } finally {
        nvml.shutdown();
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<ProbeEvent> {
      const intervalMs = probeOptions?.intervalMs ?? options.intervalMs ?? NVML_DEFAULT_INTERVAL_MS;
      if (!(intervalMs >= NVML_MIN_INTERVAL_MS)) {
        throw new RangeError(`nvml: intervalMs must be >= ${NVML_MIN_INTERVAL_MS}, got ${intervalMs}`);
      }
      return new Observable<ProbeEvent>((subscriber) => {
        let nvml: NvmlLib;
        let opened: { gpus: NvmlGpu[]; selection: SelectedGpus };
        try {
          nvml = loadNvml(libraryPath);
          opened = openSelection(nvml, options);
        } catch (err) {
          subscriber.error(err);
          return;
        }
        const tracker = new DeviceTracker(
          'nvml',
          'gpu',
          opened.selection.selectedBy,
          attachNotes(opened.gpus.map(trackedDevice), opened.selection.notes),
          {
            lostAfterBadReadings: 3,
          },
        );
        // a counter NVML says it does not have is not asked for again; any other failure is retried
        const hasCounter = new Map(opened.gpus.map((g) => [g.deviceId, true]));
        const emit = (events: readonly ProbeEvent[]): boolean => {
          for (const e of events) {
            subscriber.next(e);
            if (e.kind === 'device' && e.state === 'unsupported') {
              const none = tracker.noneMeasurable();
              if (none) {
                subscriber.error(none);
                return false;
              }
            }
          }
          return true;
        };
        const t0 = nowMs();
        emit(tracker.present(t0));
        for (const gpu of opened.gpus) {
          if (gpu.handleError) {
            emit(tracker.lost(gpu.deviceId, t0, `nvml: ${label(gpu)} cannot be opened (${gpu.handleError})`));
          }
        }
        const tick = (): void => {
          for (const gpu of opened.gpus) {
            if (gpu.handleError || subscriber.closed) continue;
            const read = readGpu(nvml, gpu, hasCounter.get(gpu.deviceId) === true);
            if (read.energy && !read.energy.ok && read.energy.code === NVML_ERROR_NOT_SUPPORTED) {
              hasCounter.set(gpu.deviceId, false);
            }
            if (!emit(eventsOf(tracker, gpu, read, nowMs()))) return;
          }
        };
        tick();
        const timerId = setInterval(tick, intervalMs);
        return () => {
          clearInterval(timerId);
          nvml.shutdown();
        };
      });
    },
  };
}
