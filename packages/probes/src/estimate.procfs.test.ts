// Tests the estimate's OS boundary: procfs text (stat, loadavg, meminfo) -> counters -> load -> watts, over fake trees.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProbeError } from './errors.js';
import {
  estimateProbe,
  osModuleReadings,
  parseLoadavg,
  parseMeminfoTotalBytes,
  parseProcStat,
  procReadings,
} from './estimate.js';
import { DEFAULT_INTERVAL_MS, nowMs, type PowerReading } from './sample.js';

const GiB = 1024 ** 3;

/** The thrown value of `f`, or undefined when it returns. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** A /proc/stat text: the aggregate line (which must not be counted), per-core lines, and the lines after them. */
function stat(...cores: string[]): string {
  return `cpu  999999 999999 999999 999999 999999 999999 999999 0 0 0\n${cores.map((c, i) => `cpu${i} ${c}`).join('\n')}\nintr 1 2 3\nctxt 4242\nbtime 1700000000\n`;
}

describe('parseProcStat (proc(5) per-core counters -> total and idle ms)', () => {
  it('sums user + nice + system + idle + irq over the per-core lines, idle alone, at 10 ms per tick', () => {
    // cpu0: 100 + 10 + 50 + 400 + irq 3 = 563 ticks (iowait 20, softirq 4, steal 1 in neither sum)
    // cpu1: 200 + 20 + 100 + 600 + irq 2 = 922 ticks; together 1485 ticks = 14,850 ms, idle 1000 ticks = 10,000 ms
    const text = stat('100 10 50 400 20 3 4 1 0 0', '200 20 100 600 20 2 3 0 0 0');
    expect(parseProcStat(text, '/fake/stat')).toEqual({ totalMs: 14_850, idleMs: 10_000, cores: 2 });
  });

  it('reads exactly six counters (an old kernel without softirq) and cores numbered past 9', () => {
    const eleven = Array.from({ length: 11 }, () => '1 2 3 4 5 6');
    // per core: 1 + 2 + 3 + 4 + irq 6 = 16 ticks, idle 4; 11 cores: 176 ticks = 1760 ms, idle 44 ticks = 440 ms
    expect(parseProcStat(stat(...eleven), 'x')).toEqual({ totalMs: 1760, idleMs: 440, cores: 11 });
  });

  it('refuses a per-core line with five counters, naming the file, the line and what it expected', () => {
    const err = thrown(() => parseProcStat(stat('1 2 3 4 5'), '/fake/stat'));
    expect(err).toBeInstanceOf(ProbeError);
    expect(err).toMatchObject({ code: 'E_PROBE_READ' });
    expect((err as Error).message).toBe(
      "estimate: /fake/stat has 'cpu0 1 2 3 4 5'; expected cpuN and at least six whole counters (user nice system idle iowait irq)",
    );
  });

  it.each(['x12', '12x', '-1', '1.5'])('refuses a counter %s (not a whole number)', (bad) => {
    const err = thrown(() => parseProcStat(stat(`1 2 ${bad} 4 5 6 7`), 's'));
    expect(err).toMatchObject({
      code: 'E_PROBE_READ',
      message: expect.stringContaining(`cpu0 1 2 ${bad} 4`),
    });
  });

  it('refuses a text with no per-core line (the aggregate line alone is not enough)', () => {
    const err = thrown(() => parseProcStat('cpu  1 2 3 4 5 6 7\nintr 1\n', '/p/stat'));
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as Error).message).toBe(
      "estimate: /p/stat has no per-core line (cpu0 …); is it the kernel's stat?",
    );
    expect(thrown(() => parseProcStat('', 's'))).toMatchObject({ code: 'E_PROBE_READ' });
  });

  it('quotes at most 80 characters of a refused line', () => {
    const long = `1 2 3 4 ${'9'.repeat(200)}`;
    const message = (thrown(() => parseProcStat(stat(long), 's')) as Error).message;
    expect(message).toBe(
      `estimate: s has '${`cpu0 ${long}`.slice(0, 80)}'; expected cpuN and at least six whole counters (user nice system idle iowait irq)`,
    );
  });
});

describe('parseLoadavg (proc(5) loadavg -> 1-minute load average)', () => {
  it.each([
    ['1.50 0.80 0.40 2/300 4242\n', 1.5],
    ['0.52 0.58 0.59 1/467 12345', 0.52],
    ['12.25 1 1 1/1 1', 12.25],
    ['3 2 1 1/100 7\n', 3],
  ])('%j -> %d', (text, load) => {
    expect(parseLoadavg(text, 'l')).toBe(load);
  });

  it.each(['', 'x1.5 1 1', '1.5x 1 1', '-1.0 0 0', '.5 1 1', '1.5\t1 1', ` ${'9'.repeat(60)}`])(
    'refuses %j naming the file and quoting at most 40 characters',
    (text) => {
      const err = thrown(() => parseLoadavg(text, '/fake/loadavg'));
      expect(err).toBeInstanceOf(ProbeError);
      expect(err).toMatchObject({ code: 'E_PROBE_READ' });
      expect((err as Error).message).toBe(
        `estimate: /fake/loadavg starts with ${JSON.stringify(text.slice(0, 40))}; expected a load average such as 0.52`,
      );
    },
  );
});

describe('parseMeminfoTotalBytes (proc(5) meminfo -> bytes installed)', () => {
  it.each([
    ['MemTotal:       16777216 kB\nMemFree:         1024 kB\n', 16 * GiB],
    // not the first line, and a key that only ends in MemTotal before it
    ['HugeMemTotal: 1 kB\nMemTotal: 2048 kB\n', 2 * 1024 * 1024],
  ])('%j -> %d B (kB are KiB)', (text, bytes) => {
    expect(parseMeminfoTotalBytes(text, 'm')).toBe(bytes);
  });

  it.each(['MemFree: 5 kB\n', 'MemTotal: 5 MB\n', 'MemTotal: 5 kB extra\n', 'MemTotal: x kB\n'])(
    'refuses %j',
    (text) => {
      const err = thrown(() => parseMeminfoTotalBytes(text, '/fake/meminfo'));
      expect(err).toBeInstanceOf(ProbeError);
      expect(err).toMatchObject({ code: 'E_PROBE_READ' });
      expect((err as Error).message).toBe("estimate: /fake/meminfo has no 'MemTotal: N kB' line");
    },
  );
});

describe('procReadings and Node os module agree on this machine', () => {
  it.skipIf(process.platform !== 'linux')(
    'the counters of /proc/stat are the ones os.cpus() sums (libuv reads the same file), within the time between reads',
    () => {
      const t0 = performance.now();
      const viaOs = osModuleReadings.cpuTimes();
      const viaProc = procReadings('/proc').cpuTimes();
      const elapsedMs = performance.now() - t0;
      expect(viaProc.cores).toBe(viaOs.cores);
      // Each core's counters advance by at most the wall time (+ one 10 ms tick of rounding) between the two reads.
      const slackMs = (elapsedMs + 10) * viaOs.cores;
      expect(viaProc.totalMs - viaOs.totalMs).toBeGreaterThanOrEqual(0);
      expect(viaProc.totalMs - viaOs.totalMs).toBeLessThanOrEqual(slackMs);
      expect(viaProc.idleMs - viaOs.idleMs).toBeGreaterThanOrEqual(0);
      expect(viaProc.idleMs - viaOs.idleMs).toBeLessThanOrEqual(slackMs);
      const mem = procReadings('/proc').memTotalBytes();
      expect(mem).toBe(osModuleReadings.memTotalBytes());
    },
  );
});

describe('estimateProbe over a fake procfs tree', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  /** A fake /proc with two cores, the given load average and 16 GiB installed. */
  function fakeProc(loadavg: string, meminfo = 'MemTotal:       16777216 kB\nMemFree: 1 kB\n'): string {
    root = mkdtempSync(join(tmpdir(), 'eff-proc-'));
    writeFileSync(join(root, 'stat'), STAT0);
    writeFileSync(join(root, 'loadavg'), loadavg);
    writeFileSync(join(root, 'meminfo'), meminfo);
    return root;
  }

  // Two cores. Between STAT0 and STAT1: cpu0 user +20, nice +5, system +10, idle +60, iowait +7, irq +5; cpu1 user
  // +40, idle +60, softirq +9. Counted: 200 ticks, of which 120 idle -> load 1 − 120/200 = 0.4.
  const STAT0 = stat('1000 100 500 4000 70 30 20 0 0 0', '2000 200 1000 6000 70 20 30 0 0 0');
  const STAT1 = stat('1020 105 510 4060 77 35 20 0 0 0', '2040 200 1000 6060 70 20 39 0 0 0');
  // From STAT1: both cores idle +100 and nothing else -> load 0. From STAT0 it would be 1 − 320/400 = 0.2.
  const STAT4 = stat('1020 105 510 4160 77 35 20 0 0 0', '2040 200 1000 6160 70 20 39 0 0 0');

  /** Subscribes; after each reading's pair (cpu, ram), writes the next stat text; resolves with `count` pairs. */
  function readPairs(
    dir: string,
    nextStats: string[],
    count: number,
    options: { tdpW?: number } = {},
  ): Promise<PowerReading[][]> {
    return new Promise((resolve, reject) => {
      const pairs: PowerReading[][] = [];
      let current: PowerReading[] = [];
      const sub = estimateProbe({ procRoot: dir, intervalMs: 20, ...options })
        .samples()
        .subscribe({
          next: (r) => {
            current.push(r as PowerReading);
            if (current.length < 2) return;
            pairs.push(current);
            current = [];
            // Written before the next tick can read (this runs synchronously inside the emission).
            const next = nextStats[pairs.length - 1];
            if (next !== undefined) writeFileSync(join(dir, 'stat'), next);
            if (pairs.length === count) {
              sub.unsubscribe();
              resolve(pairs);
            }
          },
          error: reject,
        });
    });
  }

  it('turns the counters of successive stat files into the load of each interval, and keeps the previous counters while no tick elapsed or the total went back', async () => {
    const dir = fakeProc('1.50 1.00 0.50 3/200 999\n');
    // reading 1: stat unchanged since subscribing -> the load average per core, 1.5 / 2 = 0.75
    // reading 2: STAT0 -> STAT1, load 0.4
    // reading 3: STAT1 again (no tick) -> 0.4 repeated
    // reading 4: STAT0 (the total went back) -> 0.4 repeated, STAT1 kept as the previous counters
    // reading 5: STAT1 -> STAT4, load 0
    const pairs = await readPairs(dir, [STAT1, STAT1, STAT0, STAT4], 5);
    const cpuW = pairs.map((p) => p[0]?.powerW);
    // 85 × (0.1 + 0.9 × load)
    const expected = [85 * 0.775, 85 * 0.46, 85 * 0.46, 85 * 0.46, 8.5];
    expect(cpuW).toHaveLength(5);
    for (const [i, w] of cpuW.entries()) expect(w, `reading ${i + 1}`).toBeCloseTo(expected[i] as number, 10);
    // 16 GiB × 0.375 W/GiB, every reading
    expect(pairs.map((p) => p[1]?.powerW)).toEqual([6, 6, 6, 6, 6]);
    expect(pairs.map((p) => p.map((r) => r.deviceId))).toEqual(Array(5).fill(['cpu', 'ram']));
  });

  it('caps the first load at 1 when the load average exceeds the core count', async () => {
    const dir = fakeProc('5.00 1.00 0.50 3/200 999\n', 'MemTotal: 1048576 kB\n');
    const [first] = await readPairs(dir, [], 1, { tdpW: 100 });
    expect(first?.[0]?.powerW).toBe(100);
    // 1 GiB × 0.375
    expect(first?.[1]?.powerW).toBe(0.375);
  });

  it('errors the stream with E_PROBE_READ when the memory reads 0 B', async () => {
    const dir = fakeProc('0.00 0 0 1/1 1\n', 'MemTotal: 0 kB\n');
    const err = await readPairs(dir, [], 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProbeError);
    expect(err).toMatchObject({ code: 'E_PROBE_READ' });
    expect((err as Error).message).toBe('estimate: the OS reports 0 B of memory installed');
  });

  it('errors the stream with E_PROBE_READ naming a missing procfs file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eff-proc-'));
    root = dir;
    const err = await readPairs(dir, [], 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProbeError);
    expect(err).toMatchObject({ code: 'E_PROBE_READ' });
    expect((err as Error).message).toBe(`estimate: cannot read ${join(dir, 'stat')} (ENOENT)`);
    expect((err as Error & { cause?: { code?: string } }).cause?.code).toBe('ENOENT');
  });

  it('accepts procRoot as one of its option keys', () => {
    expect(estimateProbe({ procRoot: '/nonexistent' }).name).toBe('estimate');
    const err = thrown(() => estimateProbe({ procroot: '/x', tdp: 1 } as never));
    expect(err).toBeInstanceOf(ProbeError);
    expect(err).toMatchObject({ code: 'E_PROBE_CONFIG' });
    expect((err as Error).message).toBe(
      "estimate: unknown option 'procroot', 'tdp'; expected tdpW, ramWPerGB, loadScope, intervalMs, procRoot",
    );
  });

  it('reads at once on subscribing, then every 100 ms by default', async () => {
    const dir = fakeProc('0.00 0 0 1/1 1\n');
    const t0 = nowMs();
    // an hour's interval: only the reading on subscribing can arrive within the race
    const first = await Promise.race([
      firstValueFrom(estimateProbe({ procRoot: dir }).samples({ intervalMs: 3_600_000 })),
      new Promise((r) => setTimeout(() => r('no reading within 5 s'), 5000)),
    ]);
    expect(first).toMatchObject({ deviceId: 'cpu', kind: 'power' });
    expect((first as PowerReading).tMs - t0).toBeLessThan(5000);
    const readings = (await firstValueFrom(
      estimateProbe({ procRoot: dir }).samples().pipe(take(6), toArray()),
    )) as PowerReading[];
    // timers never fire early: the third reading is at least two default intervals after the first
    expect((readings[4]?.tMs ?? 0) - (readings[0]?.tMs ?? 0)).toBeGreaterThanOrEqual(
      2 * DEFAULT_INTERVAL_MS - 2,
    );
  });
});

describe('estimateProbe with loadScope process', () => {
  it("the load is this process's CPU time over wall time × cores between two readings", async () => {
    const cores = Math.max(1, cpus().length);
    const probe = estimateProbe({ loadScope: 'process', intervalMs: 50 });
    // Snapshots taken as each cpu reading arrives: only microtasks run between the probe's own read and this one,
    // but the process's other threads (GC, libuv) may add a few ms of CPU time there: hence 0.04, not 0.
    const snaps: Array<{ busyMs: number; wallMs: number; cpuW: number }> = [];
    await new Promise<void>((resolve, reject) => {
      const sub = probe.samples().subscribe({
        next: (r) => {
          if (r.deviceId !== 'cpu' || r.kind !== 'power') return;
          const u = process.cpuUsage();
          snaps.push({ busyMs: (u.user + u.system) / 1000, wallMs: nowMs(), cpuW: r.powerW });
          // keep this process busy until the next reading: its load is well above 0
          const until = performance.now() + 200;
          while (performance.now() < until) statSync('/');
          if (snaps.length === 3) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    for (const i of [1, 2]) {
      const a = snaps[i - 1] as (typeof snaps)[number];
      const b = snaps[i] as (typeof snaps)[number];
      const load = Math.min(1, Math.max(0, (b.busyMs - a.busyMs) / ((b.wallMs - a.wallMs) * cores)));
      const loadOfReading = (b.cpuW / 85 - 0.1) / 0.9;
      expect(load, `interval ${i}`).toBeGreaterThan(0.02);
      expect(Math.abs(loadOfReading - load), `interval ${i}: ${loadOfReading} vs ${load}`).toBeLessThan(0.04);
    }
  });
});
