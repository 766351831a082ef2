// RAPL probe: cumulative package (cpu) and dram (ram) energy counters from the Linux powercap sysfs tree.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { concatMap, from, mergeMap, Observable, switchMap, timer } from 'rxjs';
import { ProbeError, ProbePermissionError, ProbeUnavailableError } from './errors.js';
import type { Component, EnergyCounterReading, Probe, ProbeCheck, ProbeOptions } from './sample.js';
import { nowMs } from './sample.js';

export type RaplDomain = 'package' | 'dram';

export interface RaplProbeOptions {
  /** Powercap root; a fake tree in tests. */
  root?: string;
  /** Default sampling interval; below 50 ms RAPL readings carry > 5% systematic error. */
  intervalMs?: number;
  /** Which domains to report. core/uncore/psys are never reported: they overlap package. */
  domains?: readonly RaplDomain[];
}

interface RaplZone {
  deviceId: string;
  dir: string;
  component: Component;
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

function componentOf(name: string, domains: readonly RaplDomain[]): Component | undefined {
  if (domains.includes('package') && /^package-[0-9]+$/.test(name)) return 'cpu';
  if (domains.includes('dram') && name === 'dram') return 'ram';
  return undefined; // core, uncore, psys: inside package (or containing everything), so never added
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
            {
              cause: err,
            },
          );
        }
        continue; // not a zone (no name file)
      }
      const component = componentOf(name, domains);
      if (component)
        found.set(entry, {
          deviceId: entry,
          dir: zoneDir,
          component,
          name,
          mmio: entry.startsWith('intel-rapl-mmio'),
        });
      await visit(zoneDir);
    }
  };
  await visit(root);
  // An mmio zone re-measures the same domain as the MSR zone of that name; count it only when MSR lacks it.
  const msrNames = new Set([...found.values()].filter((z) => !z.mmio).map((z) => z.name));
  return [...found.values()]
    .filter((z) => !z.mmio || !msrNames.has(z.name))
    .map(({ deviceId, dir, component }) => ({ deviceId, dir, component }));
}

async function readMicrojoules(file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errno(err) === 'EACCES' || errno(err) === 'EPERM') {
      throw new ProbePermissionError(
        `cannot read ${file} (permission denied, root-only since CVE-2020-8694); ${PERMISSION_FIX}`,
        {
          cause: err,
        },
      );
    }
    throw new ProbeError(
      'E_PROBE_READ',
      `cannot read RAPL counter ${file} (${errno(err) ?? String(err)}); expected a file holding microjoules`,
      {
        cause: err,
      },
    );
  }
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new ProbeError(
      'E_PROBE_READ',
      `RAPL counter ${file} holds ${JSON.stringify(text.trim())}; expected a non-negative integer of microjoules`,
    );
  }
  return value;
}

/** The wrap value, or undefined when unreadable: then consumers must not turn a decrease into negative energy. */
async function readRangeJ(dir: string): Promise<number | undefined> {
  try {
    return (await readMicrojoules(join(dir, 'max_energy_range_uj'))) / 1e6;
  } catch {
    return undefined;
  }
}

export function raplProbe(options: RaplProbeOptions = {}): Probe {
  const root = options.root ?? '/sys/class/powercap';
  const defaultIntervalMs = options.intervalMs ?? 1000;
  const domains = options.domains ?? ['package', 'dram'];
  const components: Component[] = [];
  if (domains.includes('package')) components.push('cpu');
  if (domains.includes('dram')) components.push('ram');

  return {
    name: 'rapl',
    components,
    estimated: false,
    async check(): Promise<ProbeCheck> {
      let zones: RaplZone[];
      try {
        zones = await discoverZones(root, domains);
        if (zones.length === 0) {
          return {
            available: false,
            reason: `no RAPL zones under ${root} (usual in VMs and containers); use --probe estimate`,
          };
        }
        for (const zone of zones) await readMicrojoules(join(zone.dir, 'energy_uj'));
      } catch (err) {
        return { available: false, reason: err instanceof Error ? err.message : String(err) };
      }
      return { available: true, devices: zones.map((z) => z.deviceId) };
    },
    samples(sampleOptions?: ProbeOptions): Observable<EnergyCounterReading> {
      const intervalMs = sampleOptions?.intervalMs ?? defaultIntervalMs;
      return new Observable<EnergyCounterReading>((subscriber) => {
        const setup = async () => {
          const zones = await discoverZones(root, domains);
          if (zones.length === 0) {
            throw new ProbeUnavailableError(
              `no RAPL zones under ${root} (usual in VMs and containers); use --probe estimate`,
            );
          }
          const ranges = await Promise.all(zones.map((z) => readRangeJ(z.dir)));
          return zones.map((zone, i) => ({ zone, rangeJ: ranges[i] }));
        };
        const readAll = (zones: { zone: RaplZone; rangeJ: number | undefined }[]) =>
          Promise.all(
            zones.map(async ({ zone, rangeJ }): Promise<EnergyCounterReading> => {
              const energyJ = (await readMicrojoules(join(zone.dir, 'energy_uj'))) / 1e6;
              const reading: EnergyCounterReading = {
                kind: 'energy',
                tMs: nowMs(),
                deviceId: zone.deviceId,
                component: zone.component,
                source: 'rapl',
                estimated: false,
                energyJ,
              };
              if (rangeJ !== undefined) reading.rangeJ = rangeJ;
              return reading;
            }),
          );
        return from(setup())
          .pipe(
            switchMap((zones) => timer(0, intervalMs).pipe(concatMap(() => readAll(zones)))),
            mergeMap((readings) => readings),
          )
          .subscribe(subscriber);
      });
    },
  };
}
