// NVML probe: reads NVIDIA GPU energy counters (mJ) or power (mW) in-process from libnvidia-ml.so.1 through koffi.
import koffi, { type LibraryHandle } from 'koffi';
import { Observable } from 'rxjs';
import { ProbeError, ProbePermissionError, ProbeUnavailableError } from './errors.js';
import type { PowerSample, Probe, ProbeCheck, ProbeOptions } from './sample.js';
import { nowMs } from './sample.js';

export interface NvmlProbeOptions {
  /** Library to load; a fake .so in tests. Default `libnvidia-ml.so.1` (found by the dynamic loader). */
  libraryPath?: string;
  /** GPU indices; all when omitted. */
  gpus?: readonly number[];
  /** Default interval; NVML's power reading refreshes every ~20-100 ms, the energy counter continuously. */
  intervalMs?: number;
}

export const NVML_DEFAULT_INTERVAL_MS = 100;
export const NVML_MIN_INTERVAL_MS = 10;

const NVML_SUCCESS = 0;
const NVML_ERROR_NOT_SUPPORTED = 3;
const NVML_ERROR_NO_PERMISSION = 4;

interface NvmlLib {
  init(): number;
  shutdown(): number;
  errorString(code: number): string;
  getCount(out: number[]): number;
  getHandle(index: number, out: unknown[]): number;
  getEnergy(device: unknown, out: (number | bigint)[]): number;
  getPower(device: unknown, out: number[]): number;
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
  const nvml: NvmlLib = {
    init: lib.func('int nvmlInit_v2()'),
    shutdown: lib.func('int nvmlShutdown()'),
    errorString: lib.func('const char *nvmlErrorString(int)'),
    getCount: lib.func('int nvmlDeviceGetCount_v2(_Out_ unsigned int *)'),
    getHandle: lib.func('int nvmlDeviceGetHandleByIndex_v2(unsigned int, _Out_ eff_nvmlDevice_t *)'),
    getEnergy: lib.func(
      'int nvmlDeviceGetTotalEnergyConsumption(eff_nvmlDevice_t, _Out_ unsigned long long *)',
    ),
    getPower: lib.func('int nvmlDeviceGetPowerUsage(eff_nvmlDevice_t, _Out_ unsigned int *)'),
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

interface Device {
  index: number;
  handle: unknown;
  useEnergy: boolean;
}

/** Initialises NVML and opens the devices; decides per device whether the energy counter is supported. */
function openDevices(nvml: NvmlLib, gpus: readonly number[] | undefined): Device[] {
  const rc = nvml.init();
  if (rc !== NVML_SUCCESS) throw nvmlError(nvml, 'nvmlInit_v2', rc);
  try {
    const count = [0];
    const countRc = nvml.getCount(count);
    if (countRc !== NVML_SUCCESS) throw nvmlError(nvml, 'nvmlDeviceGetCount_v2', countRc);
    const indices = gpus ?? Array.from({ length: count[0] ?? 0 }, (_, i) => i);
    if (indices.length === 0) throw new ProbeUnavailableError('nvml: the driver reports no GPU');
    return indices.map((index) => {
      const out: unknown[] = [null];
      const hRc = nvml.getHandle(index, out);
      if (hRc !== NVML_SUCCESS) throw nvmlError(nvml, `nvmlDeviceGetHandleByIndex_v2(${index})`, hRc);
      const energy: (number | bigint)[] = [0];
      const eRc = nvml.getEnergy(out[0], energy);
      if (eRc !== NVML_SUCCESS && eRc !== NVML_ERROR_NOT_SUPPORTED) {
        throw nvmlError(nvml, `nvmlDeviceGetTotalEnergyConsumption(${index})`, eRc);
      }
      return { index, handle: out[0], useEnergy: eRc === NVML_SUCCESS };
    });
  } catch (err) {
    nvml.shutdown();
    throw err;
  }
}

function readDevice(nvml: NvmlLib, device: Device): PowerSample {
  const base = {
    tMs: nowMs(),
    deviceId: `gpu${device.index}`,
    component: 'gpu' as const,
    source: 'nvml',
    estimated: false,
  };
  if (device.useEnergy) {
    const out: (number | bigint)[] = [0];
    const rc = nvml.getEnergy(device.handle, out);
    if (rc !== NVML_SUCCESS)
      throw nvmlError(nvml, `nvmlDeviceGetTotalEnergyConsumption(${device.index})`, rc);
    // mJ since driver load; 2^64 mJ never wraps in practice, so no rangeJ
    return { ...base, kind: 'energy', energyJ: Number(out[0]) / 1000 };
  }
  const out = [0];
  const rc = nvml.getPower(device.handle, out);
  if (rc !== NVML_SUCCESS) throw nvmlError(nvml, `nvmlDeviceGetPowerUsage(${device.index})`, rc);
  return { ...base, kind: 'power', powerW: (out[0] ?? Number.NaN) / 1000 };
}

export function nvmlProbe(options: NvmlProbeOptions = {}): Probe {
  const libraryPath = options.libraryPath ?? 'libnvidia-ml.so.1';
  return {
    name: 'nvml',
    components: ['gpu'],
    estimated: false,
    async check(): Promise<ProbeCheck> {
      try {
        const nvml = loadNvml(libraryPath);
        const devices = openDevices(nvml, options.gpus);
        nvml.shutdown();
        return { available: true, devices: devices.map((d) => `gpu${d.index}`) };
      } catch (err) {
        return { available: false, reason: (err as Error).message };
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<PowerSample> {
      const intervalMs = probeOptions?.intervalMs ?? options.intervalMs ?? NVML_DEFAULT_INTERVAL_MS;
      if (!(intervalMs >= NVML_MIN_INTERVAL_MS)) {
        throw new RangeError(`nvml: intervalMs must be >= ${NVML_MIN_INTERVAL_MS}, got ${intervalMs}`);
      }
      return new Observable<PowerSample>((subscriber) => {
        let nvml: NvmlLib;
        let devices: Device[];
        try {
          nvml = loadNvml(libraryPath);
          devices = openDevices(nvml, options.gpus);
        } catch (err) {
          subscriber.error(err);
          return;
        }
        const tick = (): void => {
          try {
            for (const device of devices) {
              const sample = readDevice(nvml, device);
              if (sample.kind === 'power' && !Number.isFinite(sample.powerW)) {
                throw new ProbeError('E_PROBE_READ', `nvml: no power value for gpu${device.index}`);
              }
              subscriber.next(sample);
            }
          } catch (err) {
            subscriber.error(err);
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
