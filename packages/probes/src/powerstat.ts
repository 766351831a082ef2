// powerstat probe: one long-running `powerstat -R -D -n -d 0 <s> <count>` per subscription, per-RAPL-domain watts.
import type { ChildProcess } from 'node:child_process';
import { defer, filter, firstValueFrom, map, mergeMap, type Observable, of, throwError } from 'rxjs';
import { DeviceTracker } from './device-state.js';
import { ProbeExitedError, ProbeParseError, ProbeUnavailableError } from './errors.js';
import {
  type Component,
  nowMs,
  type Probe,
  type ProbeCheck,
  type ProbeEvent,
  type ProbeOptions,
  raisedIntervalMs,
} from './sample.js';
import { spawnLines } from './spawn.js';
import { parseTolerantly } from './tolerance.js';

export interface PowerstatProbeOptions {
  /** Default interval; powerstat takes whole or fractional seconds, and its clock column has 1 s resolution. */
  intervalMs?: number;
  binary?: string;
  onSpawn?: (child: ChildProcess) => void;
}

export const POWERSTAT_DEFAULT_INTERVAL_MS = 1000;
export const POWERSTAT_MIN_INTERVAL_MS = 500;

export interface PowerstatRow {
  /** Watts per reported domain column, e.g. `{ 'pkg-0': 12.3, dram: 1.2 }`; the `Watts` total is not kept. */
  domainsW: Record<string, number>;
  /**
   * powerstat marks a row whose power it could not compute (first RAPL read, no delta yet) with an `E` after the
   * Watts figure and prints 0.00 for its domains: those zeros are not readings, so such a row is never used.
   */
  inaccurate: boolean;
  /**
   * Domains whose cell is not a wattage (`-nan`, `inf`, text), with why: that domain's reading is bad, the row's
   * other domains are kept. Absent when every domain cell was a number.
   */
  unreadable?: Record<string, string>;
}

/**
 * Domain column -> component. powerstat renames `package-N` to `pkg-N` and prints at most 6 characters of a name.
 * core/uncore/gpu/psys overlap package (or contain everything) and are never used.
 */
export function powerstatComponent(domain: string): Component | undefined {
  if (/^(pkg|package)-?[0-9]*$/.test(domain)) return 'cpu';
  if (/^dram(-?[0-9]+)?(#[0-9]+)?$/.test(domain)) return 'ram';
  return undefined;
}

const ROW_RE = /^[0-9]{2}:[0-9]{2}:[0-9]{2}\s/;
const NUMBER_RE = /^[0-9]+(\.[0-9]+)?$/;
const WATTS_RE = /^[0-9]+(\.[0-9]+)?E?$/;

/**
 * Line-by-line parser of `powerstat -R -D` output (format of powerstat.c `stats_headings`/`stats_print`).
 * Remembers the heading (`Time User ... Watts <domains>`); returns a row for each `HH:MM:SS` data line (a domain
 * cell that is not a number goes to `unreadable`), null for banners, rulers, blank and summary lines, and throws
 * ProbeParseError for a data line that does not fit the heading (column count, Watts total). `rowCount` counts every data line, parseable or not, so sample times stay on the interval grid.
 */
export class PowerstatParser {
  private columns: string[] | undefined;
  rowCount = 0;

  feed(line: string): PowerstatRow | null {
    const trimmed = line.trim();
    if (/^Time\s/.test(trimmed)) {
      const columns = trimmed.split(/\s+/);
      if (!columns.includes('Watts')) {
        throw new ProbeParseError(
          `powerstat: heading without a Watts column: ${JSON.stringify(trimmed.slice(0, 200))}`,
          line,
        );
      }
      // powerstat 0.03.x does not merge same-named domains (two sockets: two `dram`): keep them apart
      const seen = new Map<string, number>();
      this.columns = columns.map((name) => {
        const n = (seen.get(name) ?? 0) + 1;
        seen.set(name, n);
        return n === 1 ? name : `${name}#${n}`;
      });
      return null;
    }
    if (!ROW_RE.test(trimmed)) return null;
    this.rowCount += 1;
    const columns = this.columns;
    if (!columns) {
      throw new ProbeParseError(
        `powerstat: data line before the heading: ${JSON.stringify(trimmed.slice(0, 200))}`,
        line,
      );
    }
    const cells = trimmed.split(/\s+/);
    if (cells.length !== columns.length) {
      throw new ProbeParseError(
        `powerstat: expected ${columns.length} columns (${columns.join(' ')}) but found ${cells.length} in ${JSON.stringify(trimmed.slice(0, 200))}`,
        line,
      );
    }
    const wattsAt = columns.indexOf('Watts');
    const watts = cells[wattsAt] ?? '';
    if (!WATTS_RE.test(watts)) {
      throw new ProbeParseError(
        `powerstat: expected the Watts total (e.g. 12.34 or 12.34E) but found ${JSON.stringify(watts.slice(0, 50))}`,
        line,
      );
    }
    const domainsW: Record<string, number> = {};
    const unreadable: Record<string, string> = {};
    for (let i = wattsAt + 1; i < columns.length; i++) {
      const name = columns[i] ?? '';
      const cell = cells[i] ?? '';
      // one domain's bad cell spoils that domain's reading only, not the row
      if (NUMBER_RE.test(cell)) domainsW[name] = Number(cell);
      else unreadable[name] = `powerstat printed ${JSON.stringify(cell.slice(0, 50))} for ${name}, not watts`;
    }
    const row: PowerstatRow = { domainsW, inaccurate: watts.endsWith('E') };
    if (Object.keys(unreadable).length > 0) row.unreadable = unreadable;
    return row;
  }
}

/**
 * Arguments of the long-running powerstat: a count large enough for a week (powerstat exits with "Number of
 * readings should be at least N" for runs under 60 s, so a short probing run is not possible either).
 */
/**
 * The package and dram domains of one powerstat run, each on its own (device-state's DeviceTracker): the first
 * usable row announces each (`present`), `unsupported` when its cell is not a number; later rows give its reading
 * or a `bad-reading` (three in a row: `lost`). core, uncore,
 * gpu and psys overlap package (or contain everything) and are never used. Returns an Error as the last element
 * when no domain can be measured, so the `unsupported` events reach the consumer before the stream errors.
 */
class PowerstatDomains {
  private tracker: DeviceTracker | undefined;
  private domains: string[] = [];

  eventsOf(row: PowerstatRow, tMs: number): Array<ProbeEvent | Error> {
    const names = [...Object.keys(row.domainsW), ...Object.keys(row.unreadable ?? {})];
    const used = names.filter((d) => powerstatComponent(d) !== undefined);
    if (used.length === 0) {
      return [
        new ProbeUnavailableError(
          `powerstat -R -D shows no package or dram domain (columns: ${names.join(', ') || 'none'}); use --probe rapl`,
        ),
      ];
    }
    const out: Array<ProbeEvent | Error> = [];
    let tracker = this.tracker;
    if (!tracker) {
      tracker = new DeviceTracker(
        'powerstat',
        'cpu',
        'all',
        used.map((domain) => ({
          deviceId: domain,
          label: domain,
          component: powerstatComponent(domain) ?? 'cpu',
        })),
      );
      this.tracker = tracker;
      this.domains = used;
      out.push(...tracker.present(tMs));
      for (const domain of used) {
        const why = row.unreadable?.[domain];
        if (why !== undefined) {
          out.push(...tracker.unsupported(domain, tMs, why, '; use --probe rapl or --probe estimate'));
        }
      }
      const none = tracker.noneMeasurable();
      if (none) return [...out, none];
    }
    for (const domain of this.domains) {
      const powerW = row.domainsW[domain];
      if (powerW === undefined) {
        out.push(
          ...tracker.bad(domain, tMs, row.unreadable?.[domain] ?? `powerstat printed no ${domain} column`),
        );
        continue;
      }
      if (!tracker.good(domain, tMs)) continue; // unsupported from the start
      const component = powerstatComponent(domain) ?? 'cpu';
      out.push({
        kind: 'power',
        tMs,
        deviceId: domain,
        component,
        source: 'powerstat',
        estimated: false,
        powerW,
      });
    }
    return out;
  }
}

function powerstatArgs(intervalMs: number): string[] {
  const count = String(Math.ceil((7 * 86_400_000) / intervalMs));
  return ['-R', '-D', '-n', '-d', '0', String(intervalMs / 1000), count];
}

export function powerstatProbe(options: PowerstatProbeOptions = {}): Probe {
  const binary = options.binary ?? 'powerstat';
  return {
    name: 'powerstat',
    components: ['cpu', 'ram'],
    estimated: false,
    minIntervalMs: POWERSTAT_MIN_INTERVAL_MS,
    async check(): Promise<ProbeCheck> {
      // powerstat refuses runs shorter than 60 s, so start the real sampler and stop it after its first row
      const parser = new PowerstatParser();
      try {
        const row = await firstValueFrom(
          spawnLines(binary, powerstatArgs(POWERSTAT_MIN_INTERVAL_MS), {
            tool: 'powerstat',
            stallMs: 5000,
          }).pipe(
            map((line) => {
              try {
                return parser.feed(line);
              } catch {
                return null;
              }
            }),
            filter((r): r is PowerstatRow => r !== null),
          ),
        );
        const devices = Object.keys(row.domainsW).filter((d) => powerstatComponent(d) !== undefined);
        const unmeasurable = Object.entries(row.unreadable ?? {})
          .filter(([d]) => powerstatComponent(d) !== undefined)
          .map(([deviceId, reason]) => ({ deviceId, reason }));
        if (devices.length === 0) {
          return {
            available: false,
            reason: `powerstat -R -D shows no package or dram domain (columns: ${Object.keys(row.domainsW).join(', ') || 'none'}); use --probe rapl`,
            ...(unmeasurable.length > 0 ? { unmeasurable } : {}),
          };
        }
        return { available: true, devices, ...(unmeasurable.length > 0 ? { unmeasurable } : {}) };
      } catch (err) {
        if (err instanceof ProbeUnavailableError) {
          return {
            available: false,
            reason: `\`${binary}\` not found on PATH; install it (apt-get install powerstat)`,
          };
        }
        const said =
          err instanceof ProbeExitedError && err.lastWords ? err.lastWords : (err as Error).message;
        return {
          available: false,
          reason: `powerstat -R cannot read RAPL: ${said}; on bare-metal Intel/AMD run as root or \`sudo chmod -R a+r /sys/class/powercap/intel-rapl*\` (Debian's powerstat 0.03.01 reads only intel-rapl-mmio zones: use --probe rapl)`,
        };
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<ProbeEvent> {
      const requestedMs = probeOptions?.intervalMs ?? options.intervalMs ?? POWERSTAT_DEFAULT_INTERVAL_MS;
      // Never throw and never yield nothing: a shorter (or nonsensical) interval becomes the minimum.
      const intervalMs = raisedIntervalMs(requestedMs, POWERSTAT_MIN_INTERVAL_MS);
      return defer(() => {
        const parser = new PowerstatParser();
        const domains = new PowerstatDomains();
        const startMs = nowMs();
        return spawnLines(binary, powerstatArgs(intervalMs), {
          tool: 'powerstat',
          stallMs: Math.max(3000, 5 * intervalMs),
          onSpawn: options.onSpawn,
        }).pipe(
          parseTolerantly(
            'powerstat',
            (line: string): Array<ProbeEvent | Error> => {
              const row = parser.feed(line);
              if (!row || row.inaccurate) return [];
              // powerstat's clock column has 1 s resolution, and it schedules row k at start + k x interval
              return domains.eventsOf(row, startMs + parser.rowCount * intervalMs);
            },
            probeOptions,
          ),
          mergeMap((e) => (e instanceof Error ? throwError(() => e) : of(e))),
        );
      });
    },
  };
}
