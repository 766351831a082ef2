// powertop probe: repeated `powertop --csv=<file> --time=<s>` windows; reports the battery discharge rate it prints.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defer, Observable, repeat } from 'rxjs';
import { spawnTool } from './child-lifetime.js';
import { ProbeExitedError, ProbeParseError, ProbeUnavailableError } from './errors.js';
import {
  nowMs,
  type PowerReading,
  type Probe,
  type ProbeCheck,
  type ProbeOptions,
  raisedIntervalMs,
} from './sample.js';
import { killChild } from './spawn.js';
import { parseTolerantly } from './tolerance.js';

export interface PowertopProbeOptions {
  /** Window length; powertop needs >= 1 s per window and takes ~1 s more to start. Default 5000 ms. */
  intervalMs?: number;
  binary?: string;
  onSpawn?: (pid: number) => void;
}

export const POWERTOP_DEFAULT_INTERVAL_MS = 5000;
export const POWERTOP_MIN_INTERVAL_MS = 1000;

export interface PowertopReport {
  /** Section titles in order, e.g. `System Information`, `Device Power Report`. */
  sections: string[];
  /** Whole-system power from the battery discharge rate, when powertop printed one. */
  dischargeW?: number;
}

const SECTION_RE = /^\s*\*\s+\*\s+\*\s+(.+?)\s+\*\s+\*\s+\*\s*$/;
// devices/device.cpp (report_devices) + report-formatter-csv.cpp (add_summary_list): "<label> <fmt_prefix(W)> W;"
// where fmt_prefix prints 3 significant digits and an SI prefix separated by a space: "11.4  W", "900 m W".
const DISCHARGE_RE =
  /^The battery reports a discharge rate of:\s*([0-9]+(?:\.[0-9]*)?)\s*([yzafpnuµmkMGTPEZY]?)\s*W;?\s*$/;
const SI_PREFIX: Record<string, number> = {
  y: 1e-24,
  z: 1e-21,
  a: 1e-18,
  f: 1e-15,
  p: 1e-12,
  n: 1e-9,
  u: 1e-6,
  µ: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Z: 1e21,
  Y: 1e24,
};

/** Parses powertop's `--csv` report (sections under `* * * Title * * *` banners, `;`-separated rows). */
export function parsePowertopCsv(text: string): PowertopReport {
  if (!text.includes('P o w e r T O P')) {
    throw new ProbeParseError(
      `powertop: expected a CSV report starting with the "P o w e r T O P" banner but found ${JSON.stringify(text.slice(0, 120))}`,
      text,
    );
  }
  const sections: string[] = [];
  let dischargeW: number | undefined;
  for (const line of text.split('\n')) {
    const section = SECTION_RE.exec(line);
    if (section?.[1]) sections.push(section[1]);
    // a CRLF report's \r is trailing whitespace to both patterns (`\s*$`)
    const discharge = DISCHARGE_RE.exec(line);
    if (discharge?.[1]) {
      const value = Number(discharge[1]) * (SI_PREFIX[discharge[2] ?? ''] ?? Number.NaN);
      if (!Number.isFinite(value)) {
        throw new ProbeParseError(`powertop: unreadable discharge rate in ${JSON.stringify(line)}`, text);
      }
      if (dischargeW !== undefined && dischargeW !== value) {
        throw new ProbeParseError(
          `powertop: two different discharge rates in one report (${dischargeW}, ${value})`,
          text,
        );
      }
      dischargeW = value;
    }
  }
  if (sections.length === 0) throw new ProbeParseError('powertop: report has no sections', text);
  return dischargeW === undefined ? { sections } : { sections, dischargeW };
}

const NO_BATTERY =
  'powertop reports watts only from a discharging battery (laptop on battery); this machine has no battery ' +
  'discharge reading: use --probe rapl or --probe estimate';

export function powertopProbe(options: PowertopProbeOptions = {}): Probe {
  const binary = options.binary ?? 'powertop';
  /** One window: runs powertop for `seconds`, then parses its CSV. Unsubscribing kills it. */
  const window = (seconds: number): Observable<string> =>
    new Observable<string>((subscriber) => {
      let child: ChildProcess | undefined;
      let dir: string | undefined;
      let done = false;
      void (async () => {
        const madeDir = await mkdtemp(join(tmpdir(), 'eff-powertop-'));
        dir = madeDir;
        const file = join(madeDir, 'report.csv');
        if (done) {
          void rm(madeDir, { recursive: true, force: true });
          return;
        }
        // LC_ALL=C: the report's sentences are translated (gettext) and fmt_prefix prints µ only in UTF-8 locales
        // tied to this process (parent-death signal, exit hooks): a window in flight must not outlive eff
        child = spawnTool(binary, [`--csv=${file}`, `--time=${seconds}`], {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        });
        if (child.pid) options.onSpawn?.(child.pid);
        let stderr = '';
        child.stderr?.setEncoding('utf8').on('data', (c: string) => {
          stderr = (stderr + c).slice(-1000);
        });
        child.on('error', (err: NodeJS.ErrnoException) =>
          subscriber.error(
            err.code === 'ENOENT'
              ? new ProbeUnavailableError(
                  `powertop: executable \`${binary}\` not found; apt-get install powertop`,
                )
              : err,
          ),
        );
        child.on('close', async (code, signal) => {
          if (subscriber.closed) return;
          if (code !== 0) {
            subscriber.error(
              new ProbeExitedError(
                `powertop failed (code ${code}, signal ${signal}): ${stderr.trim().slice(-300)}`,
                code,
                signal,
              ),
            );
            return;
          }
          try {
            subscriber.next(await readFile(file, 'utf8'));
            subscriber.complete();
          } catch (err) {
            subscriber.error(
              (err as NodeJS.ErrnoException).code === 'ENOENT'
                ? new ProbeExitedError(
                    `powertop exited 0 but wrote no CSV: ${stderr.trim().slice(-300)}`,
                    code,
                    signal,
                  )
                : err,
            );
          }
        });
      })().catch((err) => subscriber.error(err));
      return () => {
        done = true;
        if (child) killChild(child);
        if (dir) void rm(dir, { recursive: true, force: true });
      };
    });

  return {
    name: 'powertop',
    components: ['system'],
    estimated: false,
    minIntervalMs: POWERTOP_MIN_INTERVAL_MS,
    check(): Promise<ProbeCheck> {
      return new Promise((resolve) => {
        window(1).subscribe({
          next: (text) => {
            try {
              resolve(
                parsePowertopCsv(text).dischargeW === undefined
                  ? { available: false, reason: NO_BATTERY }
                  : { available: true, devices: ['battery'] },
              );
            } catch (err) {
              resolve({ available: false, reason: (err as Error).message });
            }
          },
          error: (err: Error) => resolve({ available: false, reason: err.message }),
        });
      });
    },
    samples(probeOptions?: ProbeOptions): Observable<PowerReading> {
      const requestedMs = probeOptions?.intervalMs ?? options.intervalMs ?? POWERTOP_DEFAULT_INTERVAL_MS;
      // Never throw and never yield nothing: a shorter (or nonsensical) interval becomes the minimum.
      const intervalMs = raisedIntervalMs(requestedMs, POWERTOP_MIN_INTERVAL_MS);
      const seconds = Math.round(intervalMs / 1000);
      // one window after the other; unsubscribing kills the powertop of the window in progress
      return defer(() => window(seconds)).pipe(
        repeat(),
        parseTolerantly(
          'powertop',
          (text: string): PowerReading[] => {
            const report = parsePowertopCsv(text);
            if (report.dischargeW === undefined) throw new ProbeUnavailableError(NO_BATTERY);
            return [
              {
                kind: 'power',
                tMs: nowMs(), // the average over the window that just ended
                deviceId: 'battery',
                component: 'system',
                source: 'powertop',
                estimated: false,
                powerW: report.dischargeW,
              },
            ];
          },
          probeOptions,
        ),
      );
    },
  };
}
