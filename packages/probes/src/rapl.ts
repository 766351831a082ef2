// RAPL probe: cumulative energy counters per powercap domain (package, dram, …), each domain measured on its own.
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
import { DeviceTracker } from './device-state.js';
import { ProbeError, ProbePermissionError, ProbeUnavailableError } from './errors.js';
import {
  type Component,
  type EnergyCounterReading,
  nowMs,
  type Probe,
  type ProbeCheck,
  type ProbeEvent,
  type ProbeOptions,
  raisedIntervalMs,
} from './sample.js';

/**
 * RAPL domains by the `name` sysfs gives them. `core` (the cores) and `uncore` (on client chips, the integrated
 * graphics) sit inside `package`; `psys` is the whole SoC and contains the others: asking for them beside
 * `package` double-counts, so the default is `package` + `dram`.
 */
export type RaplDomain = 'package' | 'dram' | 'core' | 'uncore' | 'psys';

export interface RaplProbeOptions {
  /** Powercap root; a fake tree in tests. */
  root?: string;
  /** Default sampling interval; below 50 ms RAPL readings carry > 5% systematic error. */
  intervalMs?: number;
  /** Which domains to report; default `['package', 'dram']` (see RaplDomain on overlaps). */
  domains?: readonly RaplDomain[];
}

/**
 * Shortest interval: a sysfs read takes microseconds, but the counters update about every 1 ms and readings closer
 * than 50 ms apart carry > 5 % systematic error (the update does not line up with the read).
 */
export const RAPL_MIN_INTERVAL_MS = 50;

interface RaplZone {
  deviceId: string;
  dir: string;
  component: Component;
  /** sysfs `name`, e.g. `package-0`, `dram`. */
  name: string;
}

const ZONE_RE = /^intel-rapl(-mmio)?:[0-9]+(:[0-9]+)*$/;
const PERMISSION_FIX =
  'run `sudo chmod -R a+r /sys/class/powercap/intel-rapl*` (or a sysfsutils rule), or use `--probe estimate`';

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return [];
    throw err;
  }
}

const COMPONENT_OF: Record<RaplDomain, Component> = {
  package: 'cpu',
  dram: 'ram',
  core: 'cpu',
  uncore: 'gpu',
  psys: 'system',
};

/** The component a zone called `name` reports, when its domain was asked for. */
function componentOf(name: string, domains: readonly RaplDomain[]): Component | undefined {
  const domain = /^package-[0-9]+$/.test(name) ? 'package' : (name as RaplDomain);
  return domains.includes(domain) ? COMPONENT_OF[domain] : undefined;
}

/** Zones by reading each zone's `name`; sub-zones may sit at the root (real sysfs) or nested under their parent. */
async function discoverZones(root: string, domains: readonly RaplDomain[]): Promise<RaplZone[]> {
  const found = new Map<string, RaplZone & { name: string; mmio: boolean }>();
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await listDir(dir)) {
      if (!ZONE_RE.test(entry) || found.has(entry)) continue;
      const zoneDir = join(dir, entry);
      let name: string;
      try {
        name = (await readFile(join(zoneDir, 'name'), 'utf8')).trim();
      } catch (err) {
        if (errno(err) === 'EACCES' || errno(err) === 'EPERM') {
          throw new ProbePermissionError(
            `cannot read ${join(zoneDir, 'name')} (permission denied); ${PERMISSION_FIX}`,
            { cause: err },
          );
        }
        continue; // not a zone (no name file)
      }
      const component = componentOf(name, domains);
      if (component) {
        found.set(entry, {
          deviceId: entry,
          dir: zoneDir,
          component,
          name,
          mmio: entry.startsWith('intel-rapl-mmio'),
        });
      }
      await visit(zoneDir);
    }
  };
  await visit(root);
  // An mmio zone re-measures the same domain as the MSR zone of that name; count it only when MSR lacks it.
  const msrNames = new Set([...found.values()].filter((z) => !z.mmio).map((z) => z.name));
  return [...found.values()]
    .filter((z) => !z.mmio || !msrNames.has(z.name))
    .map(({ deviceId, dir, component, name }) => ({ deviceId, dir, component, name }));
}

/** A counter read: microjoules, or the typed error that says why not (and `gone` when the file vanished). */
type CounterRead = { uj: number } | { error: ProbeError; gone: boolean };

/**
 * Reads one `energy_uj`-style file of microjoules. Never throws: an unreadable file is a ProbePermissionError
 * (EACCES/EPERM, with the chmod fix) or ProbeError E_PROBE_READ; unparsable or negative content is E_PROBE_READ.
 */
export async function readRaplMicrojoules(file: string): Promise<CounterRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errno(err);
    if (code === 'EACCES' || code === 'EPERM') {
      return {
        error: new ProbePermissionError(
          `cannot read ${file} (permission denied, root-only since CVE-2020-8694); ${PERMISSION_FIX}`,
          { cause: err },
        ),
        gone: false,
      };
    }
    return {
      error: new ProbeError(
        'E_PROBE_READ',
        `cannot read RAPL counter ${file} (${code ?? String(err)}); expected a file holding microjoules; ` +
          'use `--probe estimate` if this machine has no readable RAPL',
        { cause: err },
      ),
      gone: code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENODEV',
    };
  }
  const trimmed = text.trim();
  // sysfs prints an unsigned decimal integer; anything else is not a reading
  if (!/^[0-9]+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) {
    return {
      error: new ProbeError(
        'E_PROBE_READ',
        `RAPL counter ${file} holds ${JSON.stringify(trimmed.slice(0, 80))}; expected a non-negative integer of ` +
          'microjoules; use `--probe estimate` if this machine has no readable RAPL',
      ),
      gone: false,
    };
  }
  return { uj: Number(trimmed) };
}

/** The wrap value in J, or undefined when unreadable: then consumers must not turn a decrease into negative energy. */
async function readRangeJ(dir: string): Promise<number | undefined> {
  const read = await readRaplMicrojoules(join(dir, 'max_energy_range_uj'));
  return 'uj' in read && read.uj > 0 ? read.uj / 1e6 : undefined;
}

/**
 * The largest `constraint_N_max_power_uw` in W (the most the domain may draw under any of its limits), or
 * undefined when sysfs gives none (absent, unreadable, 0): then no counter is rejected for implying too much power.
 */
async function readPowerLimitW(dir: string): Promise<number | undefined> {
  let best: number | undefined;
  for (const entry of await listDir(dir).catch(() => [])) {
    if (!/^constraint_[0-9]+_max_power_uw$/.test(entry)) continue;
    const read = await readRaplMicrojoules(join(dir, entry));
    if ('uj' in read && read.uj > 0) best = Math.max(best ?? 0, read.uj / 1e6);
  }
  return best;
}

interface LiveZone extends RaplZone {
  rangeJ?: number;
}

function sampleOf(zone: LiveZone, uj: number): EnergyCounterReading {
  const reading: EnergyCounterReading = {
    kind: 'energy',
    tMs: nowMs(),
    deviceId: zone.deviceId,
    component: zone.component,
    source: 'rapl',
    estimated: false,
    energyJ: uj / 1e6,
  };
  if (zone.rangeJ !== undefined) reading.rangeJ = zone.rangeJ;
  return reading;
}

/**
 * The first read of every zone (each zone's fate is kept by device-state's DeviceTracker): every zone is announced
 * (`present`, with its power limit), readable ones give a first sample, unreadable ones are `unsupported` with the
 * reason. Returns the measurable zones, the events, the tracker, the unmeasurable zones and `fatal` when no zone
 * can be measured.
 */
async function firstRead(root: string, domains: readonly RaplDomain[]) {
  const zones = await discoverZones(root, domains);
  if (zones.length === 0) {
    throw new ProbeUnavailableError(
      `no RAPL zones under ${root} (usual in VMs and containers); use --probe estimate`,
    );
  }
  const limits = await Promise.all(
    zones.map(async (zone) => ({
      rangeJ: await readRangeJ(zone.dir),
      powerLimitW: await readPowerLimitW(zone.dir),
    })),
  );
  const tracker = new DeviceTracker(
    'rapl',
    'cpu',
    'all',
    zones.map((zone, i) => {
      const powerLimitW = limits[i]?.powerLimitW;
      return {
        deviceId: zone.deviceId,
        label: `${zone.deviceId} (${zone.name})`,
        component: zone.component,
        ...(powerLimitW !== undefined ? { powerLimitW } : {}),
      };
    }),
  );
  const events: ProbeEvent[] = [...tracker.present(nowMs())];
  const live: LiveZone[] = [];
  const errors: ProbeError[] = [];
  const unmeasurable: Array<{ deviceId: string; reason: string }> = [];
  for (const [i, zone] of zones.entries()) {
    const read = await readRaplMicrojoules(join(zone.dir, 'energy_uj'));
    const tMs = nowMs();
    if ('error' in read) {
      errors.push(read.error);
      unmeasurable.push({ deviceId: zone.deviceId, reason: read.error.message });
      events.push(...tracker.unsupported(zone.deviceId, tMs, read.error.message));
      continue;
    }
    const rangeJ = limits[i]?.rangeJ;
    const liveZone: LiveZone = { ...zone, ...(rangeJ !== undefined ? { rangeJ } : {}) };
    live.push(liveZone);
    tracker.good(zone.deviceId, tMs);
    events.push(sampleOf(liveZone, read.uj));
  }
  let fatal: ProbeError | undefined;
  const [firstError] = errors;
  if (live.length === 0 && firstError) {
    // the first failure's class, so that a root-only counter stays E_PROBE_PERMISSION with its chmod advice
    const message = errors.length === 1 ? firstError.message : errors.map((e) => e.message).join(' / ');
    fatal =
      firstError instanceof ProbePermissionError
        ? new ProbePermissionError(message, { cause: firstError })
        : new ProbeError(firstError.code, message, { cause: firstError });
  }
  return { zones: live, events, tracker, unmeasurable, fatal };
}

/** One later read of the measured zones: a sample each, or `lost` (the zone vanished) / `bad-reading`. */
async function readZones(zones: readonly LiveZone[], tracker: DeviceTracker): Promise<ProbeEvent[]> {
  const out: ProbeEvent[] = [];
  for (const zone of zones) {
    const read = await readRaplMicrojoules(join(zone.dir, 'energy_uj'));
    const tMs = nowMs();
    if ('uj' in read) {
      if (tracker.good(zone.deviceId, tMs)) out.push(sampleOf(zone, read.uj));
      continue;
    }
    const reason = read.error.message;
    out.push(
      ...(read.gone ? tracker.lost(zone.deviceId, tMs, reason) : tracker.bad(zone.deviceId, tMs, reason)),
    );
  }
  return out;
}

/**
 * A probe reading RAPL energy counters from the powercap sysfs tree: per domain a `present` DeviceEvent (with
 * `powerLimitW` from `constraint_*_max_power_uw` when sysfs gives one) and `kind: 'energy'` samples in J with
 * `rangeJ` (the wrap value, from `max_energy_range_uj`). A domain that cannot be read at start is `unsupported`
 * (the reason says what to do), one that vanishes later is `lost`, one that reads garbage is a `bad-reading`; the
 * others keep being measured. The stream errors (ProbeUnavailableError, ProbePermissionError, ProbeError
 * E_PROBE_READ) only when no domain can be measured.
 */
export function raplProbe(options: RaplProbeOptions = {}): Probe {
  const root = options.root ?? '/sys/class/powercap';
  const defaultIntervalMs = options.intervalMs ?? 1000;
  const domains = options.domains ?? ['package', 'dram'];
  const components = [...new Set(domains.map((d) => COMPONENT_OF[d]))];

  return {
    name: 'rapl',
    components,
    estimated: false,
    minIntervalMs: RAPL_MIN_INTERVAL_MS,
    async check(): Promise<ProbeCheck> {
      try {
        const { zones, unmeasurable, fatal } = await firstRead(root, domains);
        const check: ProbeCheck = { available: zones.length > 0, devices: zones.map((z) => z.deviceId) };
        if (unmeasurable.length > 0) check.unmeasurable = unmeasurable;
        if (fatal) check.reason = fatal.message;
        return check;
      } catch (err) {
        return { available: false, reason: err instanceof Error ? err.message : String(err) };
      }
    },
    samples(sampleOptions?: ProbeOptions): Observable<ProbeEvent> {
      const requestedMs = sampleOptions?.intervalMs ?? defaultIntervalMs;
      const intervalMs = raisedIntervalMs(requestedMs, RAPL_MIN_INTERVAL_MS);
      return defer(() => {
        return from(firstRead(root, domains)).pipe(
          switchMap(({ zones, events, tracker, fatal }) =>
            concat(
              from(events),
              fatal
                ? throwError(() => fatal)
                : timer(intervalMs, intervalMs).pipe(
                    concatMap(() => readZones(zones, tracker)),
                    mergeMap((batch) => batch),
                  ),
            ),
          ),
        );
      });
    },
  };
}
