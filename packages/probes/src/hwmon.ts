// hwmon probe: power (µW) and energy (µJ) sensors of the kernel's hwmon drivers under /sys/class/hwmon, each a device.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  concat,
  concatMap,
  defer,
  from,
  mergeMap,
  type Observable,
  switchMap,
  throwError,
  timer,
} from 'rxjs';
import { DeviceTracker, type TrackedDevice } from './device-state.js';
import { type ProbeError, ProbeUnavailableError } from './errors.js';
import { type ListedGpu, selectGpus } from './gpu-selection.js';
import {
  type Component,
  nowMs,
  type PowerSample,
  type Probe,
  type ProbeCheck,
  type ProbeEvent,
  type ProbeOptions,
  raisedIntervalMs,
} from './sample.js';

/**
 * What each hwmon driver's power and energy channels measure, by the chip's `name` file. A driver not listed here
 * is not read (its sensors are listed as not measurable with the reason): a rail monitor (ina3221, pmbus) may
 * measure one 5 V rail or the whole board, and counting it as `system` would replace the machine's total with it.
 * Add a driver with the `drivers` option. Sources: each driver's page under the kernel's Documentation/hwmon/ and
 * Documentation/gpu/amdgpu (power1_average / power1_input of the GPU package, power1_cap its limit).
 * - `amdgpu`, `radeon`, `nouveau`, `i915`, `xe`: the GPU (board or package) → `gpu`;
 * - `fam15h_power`, `zenpower`, `zenergy`, `amd_energy`, `peci_cpupower`: the CPU package or cores → `cpu`;
 * - `power_meter` (ACPI power meter, usually read by the BMC), `ibmaem`: the whole machine → `system`.
 */
export const HWMON_DRIVER_COMPONENTS: Readonly<Record<string, Component>> = {
  amdgpu: 'gpu',
  radeon: 'gpu',
  nouveau: 'gpu',
  i915: 'gpu',
  xe: 'gpu',
  fam15h_power: 'cpu',
  zenpower: 'cpu',
  zenergy: 'cpu',
  amd_energy: 'cpu',
  peci_cpupower: 'cpu',
  power_meter: 'system',
  ibmaem: 'system',
};

/**
 * Drivers skipped unless named in `drivers`, because another probe reads the same counters: `amd_energy` and
 * `zenergy` expose the RAPL energy MSRs the `rapl` probe reads through powercap (both at once would count the CPU
 * twice).
 */
export const HWMON_SKIPPED_BY_DEFAULT: readonly string[] = ['amd_energy', 'zenergy'];

export interface HwmonProbeOptions {
  /** The hwmon class directory (default `/sys/class/hwmon`); a fake tree in tests. */
  root?: string;
  /** Default sampling interval in ms (1000). Shorter than HWMON_MIN_INTERVAL_MS is raised to it. */
  intervalMs?: number;
  /**
   * Drivers to read, by chip `name`, each with its component: adds drivers HWMON_DRIVER_COMPONENTS does not know
   * (`{ ina3221: 'system' }`) or reads one that is skipped by default (`{ amd_energy: 'cpu' }`). Default: the known
   * drivers but HWMON_SKIPPED_BY_DEFAULT.
   */
  drivers?: Readonly<Record<string, Component>>;
  /** GPU selection for `amdgpu` chips (card indices or `GPU-…` unique ids; see selectGpus), as the rocm-smi probe. */
  gpus?: readonly (string | number)[];
  /** Environment the GPU selection variables are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Shortest interval: a read is a sysfs file, but on amdgpu each one is a message to the GPU's power firmware (SMU),
 * and the firmware's power value is itself an average it refreshes every few ms to 1 s: readings closer than 100 ms
 * add load without adding information.
 */
export const HWMON_MIN_INTERVAL_MS = 100;
const DEFAULT_INTERVAL_MS = 1000;
const SOURCE = 'hwmon';

/** One power/energy channel of one hwmon chip, as found under the root. */
export interface HwmonSensor {
  /** `hwmon3/1`: the chip's directory and the channel number (power1_* and energy1_* of a chip are one device). */
  deviceId: string;
  /** The chip directory's path. */
  dir: string;
  /** The driver (`name` file), e.g. `amdgpu`. */
  driver: string;
  component: Component;
  /** `power1_average` (preferred: it covers the time between reads) or `power1_input`, when the chip has one. */
  powerFile?: string;
  /** `energy1_input`, a cumulative µJ counter, when the chip has one. */
  energyFile?: string;
  /** `power1_cap` in W, the limit a counter is checked against. */
  powerLimitW?: number;
  /** `power1_label` / `energy1_label`, e.g. `PPT`. */
  label?: string;
  /** For GPUs: the DRM card (`card0`, from device/drm) and the unique id (device/unique_id) when sysfs has them. */
  card?: string;
  uniqueId?: string;
}

function errnoOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : String(err);
}

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return [];
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** A sysfs value: an unsigned decimal integer (µW, µJ), or why it is not one (the read's errno or the content). */
export async function readHwmonInteger(
  file: string,
): Promise<{ value: number } | { problem: string; gone: boolean }> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    const code = errnoOf(err);
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied (the driver made it root-only): run eff as root or use another probe'
        : // Node names the kernel's EOPNOTSUPP (errno 95) ENOTSUP: libuv has no separate code for it
          code === 'ENODATA' || code === 'ENOTSUP' || code === 'EINVAL'
          ? `the driver has no value now (${code}; a GPU in a low-power state or a sensor this chip lacks)`
          : code;
    return { problem: `cannot read ${file}: ${why}`, gone: code === 'ENOENT' || code === 'ENODEV' };
  }
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    return {
      problem: `${file} holds ${JSON.stringify(text.slice(0, 60))}, not an unsigned integer`,
      gone: false,
    };
  }
  return { value: Number(text) };
}

/**
 * Finds every power/energy channel under `root` (the hwmon ABI: Documentation/hwmon/sysfs-interface.rst,
 * `power[1-*]_average` and `power[1-*]_input` in microwatts, `energy[1-*]_input` in microjoules, `power[1-*]_cap`
 * in microwatts, `name` the driver). Returns the sensors of the drivers to read, and those skipped with the reason.
 */
export async function discoverHwmonSensors(
  root: string,
  drivers: Readonly<Record<string, Component>>,
): Promise<{ sensors: HwmonSensor[]; skipped: Array<{ deviceId: string; reason: string }> }> {
  const sensors: HwmonSensor[] = [];
  const skipped: Array<{ deviceId: string; reason: string }> = [];
  for (const chip of await list(root)) {
    if (!/^hwmon[0-9]+$/.test(chip)) continue;
    const dir = join(root, chip);
    const files = await list(dir);
    const channels = new Set<number>();
    for (const f of files) {
      const m = /^(?:power([0-9]+)_(?:average|input)|energy([0-9]+)_input)$/.exec(f);
      if (m) channels.add(Number(m[1] ?? m[2]));
    }
    if (channels.size === 0) continue; // a temperature or fan chip
    const driver = (await readText(join(dir, 'name'))) ?? '(no name)';
    const component = drivers[driver];
    for (const n of [...channels].sort((a, b) => a - b)) {
      const deviceId = `${chip}/${n}`;
      if (component === undefined) {
        skipped.push({
          deviceId,
          reason:
            `${deviceId} (${driver}): ${HWMON_SKIPPED_BY_DEFAULT.includes(driver) ? 'skipped: the rapl probe reads the same counters' : "eff does not know what this driver's sensor covers"}; ` +
            `to read it, pass the hwmon option drivers: { ${driver}: 'cpu' | 'gpu' | 'ram' | 'system' }`,
        });
        continue;
      }
      const sensor: HwmonSensor = { deviceId, dir, driver, component };
      const power = [`power${n}_average`, `power${n}_input`].find((f) => files.includes(f));
      if (power) sensor.powerFile = join(dir, power);
      if (files.includes(`energy${n}_input`)) sensor.energyFile = join(dir, `energy${n}_input`);
      const cap = files.includes(`power${n}_cap`)
        ? await readHwmonInteger(join(dir, `power${n}_cap`))
        : undefined;
      if (cap && 'value' in cap && cap.value > 0) sensor.powerLimitW = cap.value / 1e6;
      const label =
        (await readText(join(dir, `power${n}_label`))) ?? (await readText(join(dir, `energy${n}_label`)));
      if (label) sensor.label = label;
      if (component === 'gpu') {
        const card = (await list(join(dir, 'device', 'drm'))).find((d) => /^card[0-9]+$/.test(d));
        if (card) sensor.card = card;
        const uid = await readText(join(dir, 'device', 'unique_id'));
        if (uid && /^(0x)?[0-9a-f]+$/i.test(uid)) sensor.uniqueId = uid.replace(/^0x/i, '').toLowerCase();
      }
      sensors.push(sensor);
    }
  }
  return { sensors, skipped };
}

function labelOf(s: HwmonSensor): string {
  const parts = [s.driver, s.card, s.label && `"${s.label}"`].filter(Boolean).join(', ');
  return `${s.deviceId} (${parts})`;
}

/**
 * AMD GPUs are narrowed to the job's (gpus option > ROCR/HIP variables > SLURM > all, as rocm-smi), by DRM card
 * index and unique id; chips of other drivers are not GPUs of a job's allocation and are kept.
 */
function selectAmdgpu(
  sensors: readonly HwmonSensor[],
  options: Pick<HwmonProbeOptions, 'gpus' | 'env'>,
): { sensors: HwmonSensor[]; selectedBy: string; notes: string[] } {
  const amd = sensors.filter((s) => s.driver === 'amdgpu');
  if (amd.length === 0) return { sensors: [...sensors], selectedBy: 'all', notes: [] };
  // cards in DRM order; a chip without device/drm gets the next index after the known ones
  const cards = [...new Set(amd.map((s) => s.card ?? s.deviceId))];
  const listed: ListedGpu[] = cards.map((card, i) => {
    const s = amd.find((x) => (x.card ?? x.deviceId) === card);
    const index = /^card([0-9]+)$/.exec(card)?.[1];
    return {
      index: index !== undefined ? Number(index) : 1000 + i,
      deviceId: card,
      ...(s?.uniqueId ? { uuid: `GPU-${s.uniqueId.padStart(16, '0')}` } : {}),
    };
  });
  const selection = selectGpus('amd', listed, options);
  const chosen = new Set(selection.devices.map((d) => d.deviceId));
  return {
    sensors: sensors.filter((s) => s.driver !== 'amdgpu' || chosen.has(s.card ?? s.deviceId)),
    selectedBy: selection.selectedBy,
    notes: selection.notes,
  };
}

/** One read of a sensor: its samples, or why it has none (and whether the file is gone). */
async function readSensor(
  s: HwmonSensor,
): Promise<{ samples: PowerSample[] } | { problem: string; gone: boolean }> {
  const tMs = nowMs();
  const base = { tMs, deviceId: s.deviceId, component: s.component, source: SOURCE, estimated: false };
  const samples: PowerSample[] = [];
  const problems: string[] = [];
  let gone = true;
  if (s.energyFile) {
    const r = await readHwmonInteger(s.energyFile);
    // no rangeJ: the ABI's counter is 64-bit; a decrease is a reset and core stops trusting the counter
    if ('value' in r) samples.push({ ...base, kind: 'energy', energyJ: r.value / 1e6 });
    else {
      problems.push(r.problem);
      gone &&= r.gone;
    }
  }
  if (s.powerFile) {
    const r = await readHwmonInteger(s.powerFile);
    if ('value' in r) samples.push({ ...base, kind: 'power', powerW: r.value / 1e6 });
    else {
      problems.push(r.problem);
      gone &&= r.gone;
    }
  }
  return samples.length > 0 ? { samples } : { problem: problems.join('; '), gone };
}

interface Started {
  sensors: HwmonSensor[];
  events: ProbeEvent[];
  tracker: DeviceTracker;
  unmeasurable: Array<{ deviceId: string; reason: string }>;
  selectedBy: string;
  fatal?: ProbeError;
}

/** Discovery, selection and the first read of every sensor: `present` for each, then a sample or `unsupported`. */
async function start(options: HwmonProbeOptions): Promise<Started> {
  const root = options.root ?? '/sys/class/hwmon';
  const drivers = options.drivers
    ? { ...HWMON_DRIVER_COMPONENTS, ...options.drivers }
    : Object.fromEntries(
        Object.entries(HWMON_DRIVER_COMPONENTS).filter(([d]) => !HWMON_SKIPPED_BY_DEFAULT.includes(d)),
      );
  const found = await discoverHwmonSensors(root, drivers);
  const { sensors, selectedBy, notes } = selectAmdgpu(found.sensors, options);
  const unmeasurable = [...found.skipped];
  if (sensors.length === 0) {
    const why =
      found.sensors.length > 0
        ? `${selectedBy} leaves the job none of the amdgpu sensors${notes.length ? ` (${notes.join('; ')})` : ''}`
        : found.skipped.length > 0
          ? `no sensor of a known driver under ${root} (${found.skipped.map((s) => s.reason).join('; ')})`
          : `no power or energy sensor under ${root} (only temperature/fan chips, or no hwmon at all: usual in VMs)`;
    const tracker = new DeviceTracker(SOURCE, 'system', selectedBy, []);
    return {
      sensors: [],
      events: [],
      tracker,
      unmeasurable,
      selectedBy,
      fatal: new ProbeUnavailableError(`hwmon: ${why}; use another probe`),
    };
  }
  const devices: TrackedDevice[] = sensors.map((s) => ({
    deviceId: s.deviceId,
    label: labelOf(s),
    component: s.component,
    ...(s.uniqueId ? { uuid: `GPU-${s.uniqueId.padStart(16, '0')}` } : {}),
    ...(s.powerLimitW !== undefined ? { powerLimitW: s.powerLimitW } : {}),
  }));
  const tracker = new DeviceTracker(SOURCE, 'system', selectedBy, devices);
  const events: ProbeEvent[] = [...tracker.present(nowMs())];
  const live: HwmonSensor[] = [];
  for (const s of sensors) {
    const read = await readSensor(s);
    if ('samples' in read) {
      live.push(s);
      tracker.good(s.deviceId, nowMs());
      events.push(...read.samples);
    } else {
      unmeasurable.push({ deviceId: s.deviceId, reason: `${labelOf(s)}: ${read.problem}` });
      events.push(...tracker.unsupported(s.deviceId, nowMs(), `${labelOf(s)}: ${read.problem}`));
    }
  }
  const none = tracker.noneMeasurable();
  return { sensors: live, events, tracker, unmeasurable, selectedBy, ...(none ? { fatal: none } : {}) };
}

/** One later read of the measured sensors: samples, `bad-reading` (three in a row: lost), or `lost` (file gone). */
async function readAll(sensors: readonly HwmonSensor[], tracker: DeviceTracker): Promise<ProbeEvent[]> {
  const out: ProbeEvent[] = [];
  for (const s of sensors) {
    const read = await readSensor(s);
    const tMs = nowMs();
    if ('samples' in read) {
      if (tracker.good(s.deviceId, tMs)) out.push(...read.samples);
    } else if (read.gone) {
      out.push(
        ...tracker.lost(s.deviceId, tMs, `${labelOf(s)} vanished (${read.problem}): the device was removed`),
      );
    } else {
      out.push(...tracker.bad(s.deviceId, tMs, `${labelOf(s)}: ${read.problem}`));
    }
  }
  return out;
}

/**
 * A probe reading the kernel's hwmon power and energy sensors, no tool and (for amdgpu) no root needed. Each
 * channel of a chip of a known driver (HWMON_DRIVER_COMPONENTS; `drivers` adds more) is a device `hwmonN/C` with
 * its driver in the label and its component from the driver: per read, `kind: 'energy'` in J from `energyC_input`
 * (µJ) and `kind: 'power'` in W from `powerC_average` (else `powerC_input`, µW), both when the chip has both so that
 * core checks the counter against the power (frozen, backwards, above 1.5 × `powerC_cap`). amdgpu chips follow the
 * job's GPU selection. A sensor unreadable at start is `unsupported`, one that vanishes `lost`, one that reads
 * garbage a `bad-reading`; the stream errors (ProbeUnavailableError, NoMeasurableDeviceError) only when no sensor can
 * be read.
 */
export function hwmonProbe(options: HwmonProbeOptions = {}): Probe {
  return {
    name: SOURCE,
    components: ['gpu', 'cpu', 'system'],
    estimated: false,
    minIntervalMs: HWMON_MIN_INTERVAL_MS,
    async check(): Promise<ProbeCheck> {
      try {
        const s = await start(options);
        const check: ProbeCheck = {
          available: s.sensors.length > 0,
          devices: s.sensors.map((x) => x.deviceId),
          selectedBy: s.selectedBy,
        };
        if (s.unmeasurable.length > 0) check.unmeasurable = s.unmeasurable;
        if (s.fatal) check.reason = s.fatal.message;
        return check;
      } catch (err) {
        return { available: false, reason: `hwmon: ${(err as Error).message}` };
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<ProbeEvent> {
      const requestedMs = probeOptions?.intervalMs ?? options.intervalMs ?? DEFAULT_INTERVAL_MS;
      const intervalMs = raisedIntervalMs(requestedMs, HWMON_MIN_INTERVAL_MS);
      return defer(() =>
        from(start(options)).pipe(
          switchMap(({ sensors, events, tracker, fatal }) =>
            concat(
              from(events),
              fatal
                ? throwError(() => fatal)
                : timer(intervalMs, intervalMs).pipe(
                    concatMap(() => readAll(sensors, tracker)),
                    mergeMap((batch) => batch),
                  ),
            ),
          ),
        ),
      );
    },
  };
}
