// Labelled fallback: CPU power from load × TDP and RAM power from installed memory, when no meter is readable.

import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { concatMap, from, mergeMap, Observable } from 'rxjs';
import { ProbeError } from './errors.js';
import type { EstimateAssumptions, PowerReading, Probe, ProbeCheck, ProbeOptions } from './sample.js';
import { DEFAULT_INTERVAL_MS, nowMs } from './sample.js';

/**
 * Options of the labelled estimate. A closed shape: a misspelt key (`{ tdpw: 35 }`) is a compile error in an object
 * literal, and `estimateProbe` rejects unknown keys at run time too (E_PROBE_CONFIG) for callers without types.
 */
export interface EstimateProbeOptions {
  /** CPU thermal design power in W. Default 85 W, CodeCarbon's value for an unknown CPU. */
  tdpW?: number;
  /** RAM power in W per GiB installed. Default 3/8 W (eco2AI, jupyter-power-usage). */
  ramWPerGB?: number;
  /**
   * Whose CPU load drives the CPU term: `machine` (default; every process on the machine, from the kernel's idle
   * and busy times of every core) or `process` (this process only, all its threads: process.cpuUsage() / (wall
   * time × cores)).
   */
  loadScope?: 'machine' | 'process';
  /** Sampling interval in ms when samples() is not given one. Default DEFAULT_INTERVAL_MS (100). */
  intervalMs?: number;
  /**
   * Directory holding the kernel's `stat`, `loadavg` and `meminfo` (procfs, proc(5)): the CPU counters, the
   * 1-minute load average and the installed memory are read from there; a fake tree in tests. Default `/proc` when
   * `/proc/stat` exists, else Node's os module (os.cpus(), os.loadavg(), os.totalmem(): macOS, Windows).
   */
  procRoot?: string;
}

/** Default TDP of the estimate, W (CodeCarbon's value for a CPU it does not know). */
export const DEFAULT_ESTIMATE_TDP_W = 85;
/** Default RAM power of the estimate, W per GiB (eco2AI, jupyter-power-usage). */
export const DEFAULT_ESTIMATE_RAM_W_PER_GB = 0.375;

const ESTIMATE_OPTION_KEYS = new Set(['tdpW', 'ramWPerGB', 'loadScope', 'intervalMs', 'procRoot']);

const BYTES_PER_GB = 1024 ** 3;

/** CPU time summed over every core (ms), and how many cores were summed. */
export interface CpuTimes {
  totalMs: number;
  idleMs: number;
  cores: number;
}

interface LoadState {
  previous: CpuTimes;
  lastLoad: number;
}

/** Where the estimate reads the OS: the CPU counters, the 1-minute load average and the installed memory (B). */
export interface OsReadings {
  cpuTimes(): CpuTimes;
  loadAverage1(): number;
  memTotalBytes(): number;
}

/**
 * Busy fraction of all cores spent by this process (every thread) since `previous`, in [0, 1]:
 * Δ(user + system CPU time) / (Δwall time × cores), from process.cpuUsage() (µs) and the monotonic clock (ms).
 */
function processTimes(cores: number): CpuTimes {
  const u = process.cpuUsage();
  const busyMs = (u.user + u.system) / 1000;
  const totalMs = nowMs() * cores;
  // Expressed as (total, idle) like the machine's counters so busyFraction applies unchanged.
  return { totalMs, idleMs: totalMs - busyMs, cores };
}

/**
 * Ticks at 0, intervalMs, 2 × intervalMs, … on timers that do not keep the process alive: a session the user never
 * finished must not hang their script (inside a sampler worker, the worker's port keeps the thread alive).
 */
function unrefTicks(intervalMs: number): Observable<number> {
  return new Observable<number>((subscriber) => {
    let n = 0;
    const first = setTimeout(() => subscriber.next(n++), 0);
    first.unref();
    const every = setInterval(() => subscriber.next(n++), intervalMs);
    every.unref();
    return () => {
      clearTimeout(first);
      clearInterval(every);
    };
  });
}

/** Milliseconds per /proc/stat tick: the kernel counts in USER_HZ, 100 per second on Linux (proc(5), time(7)). */
const MS_PER_USER_HZ_TICK = 10;

/**
 * CPU time of all cores since boot from the text of /proc/stat (proc(5)): for every per-core line
 * `cpuN user nice system idle iowait irq …` (USER_HZ ticks), total = user + nice + system + idle + irq and idle =
 * idle, in ms; the same sums libuv makes for os.cpus() (iowait, softirq and steal are in neither), so the load is
 * the one os.cpus() gives. The aggregate `cpu` line is not counted. `file` names the source in errors.
 * @throws ProbeError `E_PROBE_READ` when a per-core line has fewer than six counters or one is not a whole number,
 *   or when there is no per-core line.
 */
export function parseProcStat(text: string, file: string): CpuTimes {
  let totalTicks = 0;
  let idleTicks = 0;
  let cores = 0;
  for (const line of text.split('\n')) {
    if (!/^cpu[0-9]+\s/.test(line)) continue;
    // the kernel separates the fields with one space (fs/proc/stat.c, seq_put_decimal_ull)
    const counters = line.split(' ').slice(1, 7);
    if (counters.length < 6 || !counters.every((c) => /^[0-9]+$/.test(c))) {
      throw new ProbeError(
        'E_PROBE_READ',
        `estimate: ${file} has '${line.slice(0, 80)}'; expected cpuN and at least six whole counters (user nice system idle iowait irq)`,
      );
    }
    const [user, nice, system, idle, , irq] = counters.map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    totalTicks += user + nice + system + idle + irq;
    idleTicks += idle;
    cores++;
  }
  if (cores === 0) {
    throw new ProbeError(
      'E_PROBE_READ',
      `estimate: ${file} has no per-core line (cpu0 …); is it the kernel's stat?`,
    );
  }
  return { totalMs: totalTicks * MS_PER_USER_HZ_TICK, idleMs: idleTicks * MS_PER_USER_HZ_TICK, cores };
}

/**
 * The 1-minute load average from the text of /proc/loadavg (proc(5): `0.52 0.58 0.59 1/467 12345`).
 * @throws ProbeError `E_PROBE_READ` when the first field is not a non-negative decimal number.
 */
export function parseLoadavg(text: string, file: string): number {
  const m = /^([0-9]+(\.[0-9]+)?) /.exec(text);
  if (!m) {
    throw new ProbeError(
      'E_PROBE_READ',
      `estimate: ${file} starts with ${JSON.stringify(text.slice(0, 40))}; expected a load average such as 0.52`,
    );
  }
  return Number(m[1]);
}

/**
 * Installed memory in bytes from the text of /proc/meminfo (proc(5): `MemTotal:       16384000 kB`, kB being KiB,
 * as libuv reads it for os.totalmem()).
 * @throws ProbeError `E_PROBE_READ` when there is no `MemTotal: N kB` line.
 */
export function parseMeminfoTotalBytes(text: string, file: string): number {
  const m = /^MemTotal:\s+([0-9]+) kB$/m.exec(text);
  if (!m) throw new ProbeError('E_PROBE_READ', `estimate: ${file} has no 'MemTotal: N kB' line`);
  return Number(m[1]) * 1024;
}

/** Reads `name` under a procfs root; a missing or unreadable file is E_PROBE_READ naming it. */
function readProcFile(root: string, name: string): { text: string; file: string } {
  const file = join(root, name);
  try {
    return { text: readFileSync(file, 'utf8'), file };
  } catch (err) {
    throw new ProbeError(
      'E_PROBE_READ',
      `estimate: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`,
      {
        cause: err,
      },
    );
  }
}

/**
 * The OS readings from procfs files under `root` (each read afresh: they are the kernel's live counters).
 * Package-internal (not in index.ts); exported for the tests that hold it against Node's os module.
 */
export function procReadings(root: string): OsReadings {
  return {
    cpuTimes: () => {
      const { text, file } = readProcFile(root, 'stat');
      return parseProcStat(text, file);
    },
    loadAverage1: () => {
      const { text, file } = readProcFile(root, 'loadavg');
      return parseLoadavg(text, file);
    },
    memTotalBytes: () => {
      const { text, file } = readProcFile(root, 'meminfo');
      return parseMeminfoTotalBytes(text, file);
    },
  };
}

/** The OS readings from Node's os module, where there is no procfs (macOS, Windows). Package-internal, as procReadings. */
export const osModuleReadings: OsReadings = {
  cpuTimes: () => {
    let totalMs = 0;
    let idleMs = 0;
    const all = cpus();
    for (const c of all) {
      const t = c.times;
      totalMs += t.user + t.nice + t.sys + t.idle + t.irq;
      idleMs += t.idle;
    }
    return { totalMs, idleMs, cores: all.length };
  },
  loadAverage1: () => loadavg()[0] ?? 0,
  memTotalBytes: () => totalmem(),
};

/**
 * Busy fraction of all cores between two os.cpus() totals, in [0, 1]: 1 − idle time / total time elapsed.
 * When no tick elapsed (readings < 10 ms apart) the previous fraction `lastLoad` is returned again.
 */
export function busyFraction(
  previous: { totalMs: number; idleMs: number },
  now: { totalMs: number; idleMs: number },
  lastLoad: number,
): number {
  const totalMs = now.totalMs - previous.totalMs;
  if (!(totalMs > 0)) return lastLoad;
  return Math.min(1, Math.max(0, 1 - (now.idleMs - previous.idleMs) / totalMs));
}

/** Inputs of the estimate's power model: load in [0, 1], TDP in W, installed memory in bytes, W per GiB. */
export interface EstimateInputs {
  loadFraction: number;
  tdpW: number;
  memTotalBytes: number;
  ramWPerGB: number;
}

/**
 * The labelled estimate's power model, in W: CPU `tdpW × (0.1 + 0.9 × load)`, RAM `GiB installed × ramWPerGB`.
 * A linear variant of CodeCarbon's TDP × (0.1 + 0.9·load³): same 10 % idle floor and TDP at full load, but
 * linear in load so a half-busy CPU is not credited with only ~21 % of its TDP; it errs high, which suits a
 * labelled upper-side fallback.
 */
export function estimatedPowerW(x: EstimateInputs): { cpuW: number; ramW: number } {
  return {
    cpuW: x.tdpW * (0.1 + 0.9 * x.loadFraction),
    ramW: (x.memTotalBytes / BYTES_PER_GB) * x.ramWPerGB,
  };
}

/**
 * The labelled estimate: CPU and RAM power from load × TDP and installed memory (see estimatedPowerW), every
 * reading `estimated: true`; its assumptions are on `probe.estimate` and end up in the run's `ProbeReport.estimate`.
 * @throws ProbeError `E_PROBE_CONFIG` for tdpW <= 0, ramWPerGB < 0, an unknown loadScope or an unknown option key;
 *   on the stream, `E_PROBE_READ` when a procfs file is missing or not in the kernel's format, or memory reads 0 B.
 */
export function estimateProbe(options: EstimateProbeOptions = {}): Probe {
  const unknown = Object.keys(options).filter((k) => !ESTIMATE_OPTION_KEYS.has(k));
  if (unknown.length > 0) {
    throw new ProbeError(
      'E_PROBE_CONFIG',
      `estimate: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; expected ${[...ESTIMATE_OPTION_KEYS].join(', ')}`,
    );
  }
  const tdpW = options.tdpW ?? DEFAULT_ESTIMATE_TDP_W;
  const ramWPerGB = options.ramWPerGB ?? DEFAULT_ESTIMATE_RAM_W_PER_GB;
  const loadScope = options.loadScope ?? 'machine';
  const defaultIntervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (!(tdpW > 0)) throw new ProbeError('E_PROBE_CONFIG', `estimate: tdpW must be > 0, got ${tdpW}`);
  if (!(ramWPerGB >= 0))
    throw new ProbeError('E_PROBE_CONFIG', `estimate: ramWPerGB must be >= 0, got ${ramWPerGB}`);
  if (loadScope !== 'machine' && loadScope !== 'process') {
    throw new ProbeError(
      'E_PROBE_CONFIG',
      `estimate: loadScope must be 'machine' or 'process', got ${JSON.stringify(loadScope)}`,
    );
  }
  const estimate: EstimateAssumptions = { tdpW, ramWPerGB, loadScope };
  const procRoot = options.procRoot ?? (existsSync('/proc/stat') ? '/proc' : undefined);
  const os = procRoot === undefined ? osModuleReadings : procReadings(procRoot);
  const times = loadScope === 'process' ? () => processTimes(Math.max(1, cpus().length)) : os.cpuTimes;

  // Load and memory come from three small procfs files or Node's os module (tens of µs): this probe runs on the
  // training thread, and systeminformation's si.currentLoad()/si.mem() cost ~1.3 + 2.5 ms per reading, >1% of a
  // core at 100 ms. Each subscription keeps its own previous reading: load is the busy fraction since then.
  const readOnce = async (state: LoadState): Promise<PowerReading[]> => {
    const now = times();
    const loadFraction = busyFraction(state.previous, now, state.lastLoad);
    if (now.totalMs > state.previous.totalMs) state.previous = now;
    state.lastLoad = loadFraction;
    const memTotalBytes = os.memTotalBytes();
    // The counters are whole numbers (parsed or the OS's), so the load is finite; memory of 0 B is a broken source.
    if (!(memTotalBytes > 0)) {
      throw new ProbeError('E_PROBE_READ', `estimate: the OS reports ${memTotalBytes} B of memory installed`);
    }
    const { cpuW, ramW } = estimatedPowerW({ loadFraction, tdpW, memTotalBytes, ramWPerGB });
    const tMs = nowMs();
    const base = { kind: 'power', tMs, source: 'estimate', estimated: true } as const;
    return [
      { ...base, deviceId: 'cpu', component: 'cpu', powerW: cpuW },
      { ...base, deviceId: 'ram', component: 'ram', powerW: ramW },
    ];
  };

  return {
    name: 'estimate',
    components: ['cpu', 'ram'],
    estimated: true,
    estimate,
    async check(): Promise<ProbeCheck> {
      return { available: true, devices: ['cpu', 'ram'] };
    },
    samples(sampleOptions?: ProbeOptions): Observable<PowerReading> {
      const intervalMs = sampleOptions?.intervalMs ?? defaultIntervalMs;
      return new Observable<PowerReading>((subscriber) => {
        // The first reading has no interval behind it: start from the 1-minute load average per core.
        // A read error here (a missing procfs file) reaches the subscriber as the stream's error (rxjs does that).
        const previous = times();
        const state: LoadState = {
          previous,
          lastLoad:
            loadScope === 'process' ? 0 : Math.min(1, os.loadAverage1() / Math.max(1, previous.cores)),
        };
        return unrefTicks(intervalMs)
          .pipe(
            concatMap(() => from(readOnce(state))),
            mergeMap((readings) => readings),
          )
          .subscribe(subscriber);
      });
    },
  };
}
