// powerstat probe: one long-running `powerstat -R -D -n -d 0 <s> <count>` per subscription, per-RAPL-domain watts.
import type { ChildProcess } from 'node:child_process';
import { concatMap, defer, type Observable } from 'rxjs';
import { ProbeParseError } from './errors.js';
import type { Component, PowerReading, Probe, ProbeCheck, ProbeOptions } from './sample.js';
import { nowMs } from './sample.js';
import { runOnce, spawnLines } from './spawn.js';

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
}

/** Domain column -> component; core/uncore/gpu/psys overlap package (or contain everything) and are never used. */
export function powerstatComponent(domain: string): Component | undefined {
  if (/^(pkg|package)-?[0-9]*$/.test(domain)) return 'cpu';
  if (/^dram(-?[0-9]+)?$/.test(domain)) return 'ram';
  return undefined;
}

const ROW_RE = /^[0-9]{2}:[0-9]{2}:[0-9]{2}\s/;
const NUMBER_RE = /^[0-9]+(\.[0-9]+)?$/;

/**
 * Line-by-line parser of `powerstat -R -D` output. Remembers the heading (`Time User ... Watts <domains>`);
 * returns a row for each `HH:MM:SS` data line, null for banners/blank/summary lines, and throws ProbeParseError
 * for a data line that does not match the heading.
 */
export class PowerstatParser {
  private columns: string[] | undefined;

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
      this.columns = columns;
      return null;
    }
    if (!ROW_RE.test(trimmed)) return null;
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
    const domainsW: Record<string, number> = {};
    for (let i = wattsAt + 1; i < columns.length; i++) {
      const name = columns[i] ?? '';
      const cell = cells[i] ?? '';
      if (!NUMBER_RE.test(cell)) {
        throw new ProbeParseError(
          `powerstat: expected watts for ${name} but found ${JSON.stringify(cell.slice(0, 50))}`,
          line,
        );
      }
      domainsW[name] = Number(cell);
    }
    return { domainsW };
  }
}

export function powerstatProbe(options: PowerstatProbeOptions = {}): Probe {
  const binary = options.binary ?? 'powerstat';
  return {
    name: 'powerstat',
    components: ['cpu', 'ram'],
    estimated: false,
    async check(): Promise<ProbeCheck> {
      try {
        const { code, stdout, stderr } = await runOnce(binary, ['-R', '-D', '-d', '0', '0.5', '1'], 10_000);
        const out = `${stdout}\n${stderr}`;
        const parser = new PowerstatParser();
        const rows = out.split('\n').map((l) => {
          try {
            return parser.feed(l);
          } catch {
            return null;
          }
        });
        const row = rows.find((r) => r !== null);
        const devices = row
          ? Object.keys(row.domainsW).filter((d) => powerstatComponent(d) !== undefined)
          : [];
        if (code !== 0 || devices.length === 0) {
          const why = out.trim().split('\n')[0] ?? '';
          return {
            available: false,
            reason: `powerstat -R cannot read RAPL (exit ${code}): ${why.slice(0, 200)}; on bare-metal Intel/AMD run as root or \`sudo chmod -R a+r /sys/class/powercap/intel-rapl*\``,
          };
        }
        return { available: true, devices };
      } catch {
        return {
          available: false,
          reason: `\`${binary}\` not found on PATH; install it (apt-get install powerstat)`,
        };
      }
    },
    samples(probeOptions?: ProbeOptions): Observable<PowerReading> {
      const intervalMs = probeOptions?.intervalMs ?? options.intervalMs ?? POWERSTAT_DEFAULT_INTERVAL_MS;
      if (!(intervalMs >= POWERSTAT_MIN_INTERVAL_MS)) {
        throw new RangeError(
          `powerstat: intervalMs must be >= ${POWERSTAT_MIN_INTERVAL_MS}, got ${intervalMs}`,
        );
      }
      return defer(() => {
        const parser = new PowerstatParser();
        const startMs = nowMs();
        let rowIndex = 0;
        // count large enough for a week; powerstat exiting earlier is an error on the stream
        const count = String(Math.ceil((7 * 86_400_000) / intervalMs));
        return spawnLines(binary, ['-R', '-D', '-n', '-d', '0', String(intervalMs / 1000), count], {
          tool: 'powerstat',
          stallMs: Math.max(3000, 5 * intervalMs),
          onSpawn: options.onSpawn,
        }).pipe(
          concatMap((line) => {
            const row = parser.feed(line);
            if (!row) return [];
            // powerstat's clock column has 1 s resolution: the k-th row closes the k-th interval after start
            rowIndex += 1;
            const tMs = startMs + rowIndex * intervalMs;
            const out: PowerReading[] = [];
            for (const [domain, powerW] of Object.entries(row.domainsW)) {
              const component = powerstatComponent(domain);
              if (!component) continue; // overlapping domain (core/uncore/psys), never added on top of package
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
            if (out.length === 0) {
              throw new ProbeParseError(
                `powerstat: no package or dram column in ${JSON.stringify(line.slice(0, 200))}; run it with -R -D on a RAPL machine`,
                line,
              );
            }
            return out;
          }),
        );
      });
    },
  };
}
