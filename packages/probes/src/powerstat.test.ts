// powerstat probe: parser on the -R -D table, fake powerstat end to end, and the real Debian powerstat failing.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { childrenOf, gone } from '../test/processes.js';
import { ProbeError, ProbeParseError } from './errors.js';
import { PowerstatParser, powerstatComponent, powerstatProbe } from './powerstat.js';
import type { DeviceEvent, ProbeEvent } from './sample.js';
import type { BadLineReport } from './tolerance.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const fakeBin = join(fixtures, 'bin', 'powerstat');
// The fake is found the way users' tools are, by name, first on PATH; `realPath` still finds the real tool.
const realPath = process.env.PATH ?? '';
process.env.PATH = `${dirname(fakeBin)}${delimiter}${realPath}`;

function parseFixture(name: string) {
  const parser = new PowerstatParser();
  const rows = readFileSync(join(fixtures, name), 'utf8')
    .split('\n')
    .map((l) => parser.feed(l))
    .filter((r) => r !== null);
  return { rows, rowCount: parser.rowCount };
}

const show = (e: ProbeEvent): string =>
  e.kind === 'device'
    ? `${e.deviceId} ${e.state}`
    : `${e.deviceId} ${e.kind === 'power' ? e.powerW : e.energyJ}`;

describe('PowerstatParser', () => {
  it('reads per-domain watts from real powerstat 0.04.06 output, skipping banner, rulers and summary', () => {
    const { rows, rowCount } = parseFixture('powerstat-0.04.06-R-D.txt');
    expect(rowCount).toBe(6);
    expect(rows[0]).toEqual({
      domainsW: { core: 14.99, uncore: 0.4, dram: 2.5, 'pkg-0': 19.99 },
      inaccurate: false,
    });
    expect(rows[5]).toEqual({
      domainsW: { core: 18.75, uncore: 0.5, dram: 3.12, 'pkg-0': 25 },
      inaccurate: false,
    });
  });
  it('reads the real Debian powerstat 0.03.01 output (mmio package domain only)', () => {
    const { rows } = parseFixture('powerstat-0.03.01-R-D.txt');
    expect(rows.map((r) => r.domainsW)).toEqual([
      { 'pkg-0': 19.99 },
      { 'pkg-0': 25 },
      { 'pkg-0': 25 },
      { 'pkg-0': 25 },
      { 'pkg-0': 24.99 },
      { 'pkg-0': 25.01 },
    ]);
  });
  it("marks a row whose Watts carries powerstat's E (inaccurate) flag, and keeps same-named domains apart", () => {
    const parser = new PowerstatParser();
    parser.feed('  Time    User  Nice   Sys  Idle    IO  Run Ctxt/s  IRQ/s  Watts   pkg-0   dram   dram');
    expect(
      parser.feed('10:00:00   0.0   0.0   2.0  98.0   0.0    1    396    372   0.00E   0.00   0.00   0.00'),
    ).toEqual({
      domainsW: { 'pkg-0': 0, dram: 0, 'dram#2': 0 },
      inaccurate: true,
    });
    expect(powerstatComponent('dram#2')).toBe('ram');
    expect(powerstatComponent('uncore')).toBeUndefined();
    expect(powerstatComponent('pkg-1')).toBe('cpu');
  });
  it('rejects rows that do not fit the heading, counting them as rows', () => {
    const parser = new PowerstatParser();
    expect(() => parser.feed('10:00:00 1 2 3')).toThrow(ProbeParseError);
    parser.feed('  Time    User  Watts  pkg-0');
    expect(() => parser.feed('10:00:00 1.0 3.0')).toThrow(ProbeParseError);
    // a domain cell that is not a number spoils that domain only
    expect(parser.feed('10:00:00 1.0 3.0 -nan')).toEqual({
      domainsW: {},
      inaccurate: false,
      unreadable: { 'pkg-0': 'powerstat printed "-nan" for pkg-0, not watts' },
    });
    expect(() => parser.feed('10:00:00 1.0 x 2.5')).toThrow(ProbeParseError);
    expect(parser.feed('10:00:00 1.0 3.0 2.5')).toEqual({ domainsW: { 'pkg-0': 2.5 }, inaccurate: false });
    expect(parser.rowCount).toBe(5);
  });
  it('fuzz: 10k lines, only ProbeParseError or finite non-negative watts', () => {
    const rowish = fc
      .array(
        fc.oneof(fc.constantFrom('1.0', '0', '-1', 'nan', '2.5e3', '3.1E', ''), fc.string({ maxLength: 4 })),
        {
          maxLength: 6,
        },
      )
      .map((cells) => `10:00:00 ${cells.join(' ')}`);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), rowish), { maxLength: 3 }), (lines) => {
        const parser = new PowerstatParser();
        parser.feed('  Time    User  Watts  pkg-0  dram');
        for (const line of lines) {
          try {
            const row = parser.feed(line);
            for (const v of Object.values(row?.domainsW ?? {}))
              expect(Number.isFinite(v) && v >= 0).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(ProbeParseError);
          }
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('PowerstatParser properties', () => {
  it('property: a heading with N domains and a row of N wattages yields those N readings, whatever their names', () => {
    const domain = fc.stringMatching(/^[a-z][a-z0-9-]{0,5}$/).filter((d) => d !== 'Watts' && d !== 'Time');
    const watts = fc.double({ min: 0, max: 9999, noNaN: true }).map((w) => w.toFixed(2));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(domain, watts), { minLength: 1, maxLength: 8, selector: ([d]) => d }),
        fc.boolean(),
        (columns, inaccurate) => {
          const parser = new PowerstatParser();
          const names = columns.map(([d]) => d);
          expect(
            parser.feed(
              `  Time    User  Nice   Sys  Idle    IO  Run Ctxt/s  IRQ/s  Watts  ${names.join('  ')}`,
            ),
          ).toBeNull();
          const row = parser.feed(
            `10:00:00   0.0   0.0   2.0  98.0   0.0    1    396    372   1.00${inaccurate ? 'E' : ''}  ${columns.map(([, w]) => w).join('  ')}`,
          );
          expect(row).toEqual({
            domainsW: Object.fromEntries(columns.map(([d, w]) => [d, Number(w)])),
            inaccurate,
          });
          expect(parser.rowCount).toBe(1);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('powerstatProbe', () => {
  it('declares its minimum and raises a shorter interval to it instead of throwing', async () => {
    const probe = powerstatProbe({});
    expect(probe.minIntervalMs).toBe(500);
    const got = await lastValueFrom(probe.samples({ intervalMs: 100 }).pipe(take(6), toArray()));
    // rows are placed on the raised grid: the second row's samples are 500 ms after the first's
    expect(got.map(show)).toEqual([
      'dram present',
      'pkg-0 present',
      'dram 2.5',
      'pkg-0 19.99',
      'dram 3.13',
      'pkg-0 25',
    ]);
    expect(got[4]!.tMs - got[2]!.tMs).toBe(500);
  });

  it('streams package and dram (never core/uncore) with times rebuilt from the row index; kills on unsubscribe', async () => {
    let pid = 0;
    const probe = powerstatProbe({ onSpawn: (c) => (pid = c.pid ?? 0) });
    const got = await lastValueFrom(probe.samples({ intervalMs: 500 }).pipe(take(6), toArray()));
    expect(got.slice(0, 2)).toMatchObject([
      { kind: 'device', state: 'present', deviceId: 'dram', component: 'ram', source: 'powerstat' },
      { kind: 'device', state: 'present', deviceId: 'pkg-0', component: 'cpu', source: 'powerstat' },
    ]);
    expect(got.slice(2).map((s) => [s.deviceId, s.component, s.kind === 'power' ? s.powerW : -1])).toEqual([
      ['dram', 'ram', 2.5],
      ['pkg-0', 'cpu', 19.99],
      ['dram', 'ram', 3.13],
      ['pkg-0', 'cpu', 25],
    ]);
    expect(got[4]!.tMs - got[2]!.tMs).toBe(500);
    expect(await gone(pid)).toBe(true);
  });
  it('check() runs the sampler (powerstat refuses short runs) and lists the usable domains', async () => {
    expect(await powerstatProbe({}).check()).toEqual({
      available: true,
      devices: ['dram', 'pkg-0'],
    });
    expect(childrenOf(process.pid)).toEqual([]);
  });
  it('one unparseable row is skipped and reported; the next row keeps its place on the time grid', async () => {
    process.env.FAKE_POWERSTAT_MODE = 'glitch';
    try {
      const bad: BadLineReport[] = [];
      const got = await lastValueFrom(
        powerstatProbe({})
          .samples({ intervalMs: 500, onBadLine: (r) => bad.push(r) })
          .pipe(take(6), toArray()),
      );
      expect(got.map(show)).toEqual([
        'dram present',
        'pkg-0 present',
        'dram 2.5',
        'pkg-0 19.99',
        'dram 3.13',
        'pkg-0 25',
      ]);
      expect(got[4]!.tMs - got[2]!.tMs).toBe(1000); // row 2 is a gap, row 3 is at start + 3 x interval
      expect(bad.map((b) => [b.consecutive, b.total])).toEqual([[1, 1]]);
      expect(bad[0]!.error.message).toMatch(/expected 17 columns/);
    } finally {
      delete process.env.FAKE_POWERSTAT_MODE;
    }
  });
  it('a domain that reads -nan in one row is a bad-reading for that row; the other domain keeps its reading', async () => {
    process.env.FAKE_POWERSTAT_MODE = 'nan';
    try {
      const bad: BadLineReport[] = [];
      const got = await lastValueFrom(
        powerstatProbe({})
          .samples({ intervalMs: 500, onBadLine: (r) => bad.push(r) })
          .pipe(take(8), toArray()),
      );
      expect(got.map(show)).toEqual([
        'dram present',
        'pkg-0 present',
        'dram 2.5',
        'pkg-0 19.99',
        'dram 3.13',
        'pkg-0 bad-reading',
        'dram 3.13',
        'pkg-0 25',
      ]);
      expect((got[5] as DeviceEvent).reason).toBe('powerstat printed "-nan" for pkg-0, not watts');
      expect(got[5]!.tMs).toBe(got[4]!.tMs);
      expect(bad).toEqual([]); // not a bad line: the row was read, one domain of it was bad
    } finally {
      delete process.env.FAKE_POWERSTAT_MODE;
    }
  });
  it('a domain that never reads a number is unsupported; the other domain is measured, check() says which', async () => {
    process.env.FAKE_POWERSTAT_MODE = 'nan-always';
    try {
      const got = await lastValueFrom(
        powerstatProbe({}).samples({ intervalMs: 500 }).pipe(take(5), toArray()),
      );
      expect(got.map(show)).toEqual([
        'dram present',
        'pkg-0 present',
        'pkg-0 unsupported',
        'dram 2.5',
        'dram 3.13',
      ]);
      expect((got[2] as DeviceEvent).reason).toMatch(/^powerstat printed "-nan" for pkg-0.*--probe rapl/);
      expect(await powerstatProbe({}).check()).toEqual({
        available: true,
        devices: ['dram'],
        unmeasurable: [{ deviceId: 'pkg-0', reason: 'powerstat printed "-nan" for pkg-0, not watts' }],
      });
    } finally {
      delete process.env.FAKE_POWERSTAT_MODE;
    }
  });
  for (const [mode, code, message] of [
    ['exit', 'E_PROBE_EXITED', /RAPL domains/],
    ['garbage', 'E_PROBE_PARSE', /4 unparseable outputs in a row/],
    ['norapl', 'E_PROBE_EXITED', /does not have any RAPL domains/],
  ] as const) {
    it(`fake mode ${mode} -> ${code}, no process left`, async () => {
      process.env.FAKE_POWERSTAT_MODE = mode;
      let pid = 0;
      try {
        const err = await lastValueFrom(
          powerstatProbe({ onSpawn: (c) => (pid = c.pid ?? 0) }).samples({
            intervalMs: 500,
          }),
        ).catch((e) => e);
        expect(err).toBeInstanceOf(ProbeError);
        expect((err as ProbeError).code).toBe(code);
        expect((err as Error).message).toMatch(message);
        expect(await gone(pid)).toBe(true);
      } finally {
        delete process.env.FAKE_POWERSTAT_MODE;
      }
    });
  }
  it('check() explains Debian 0.03.01\'s "no RAPL domains"', async () => {
    process.env.FAKE_POWERSTAT_MODE = 'norapl';
    try {
      const check = await powerstatProbe({}).check();
      expect(check.available).toBe(false);
      expect(check.reason).toMatch(/does not have any RAPL domains.*--probe rapl/);
    } finally {
      delete process.env.FAKE_POWERSTAT_MODE;
    }
  });
  const real = spawnSync('sh', ['-c', 'command -v powerstat'], { env: { ...process.env, PATH: realPath } })
    .stdout.toString()
    .trim();
  const hasRapl = spawnSync('sh', ['-c', 'cat /sys/class/powercap/intel-rapl:0/energy_uj']).status === 0;
  it.skipIf(!real || hasRapl)(
    'the real powerstat without RAPL fails with a typed error and leaves no process',
    async () => {
      let pid = 0;
      const probe = powerstatProbe({ binary: real, onSpawn: (c) => (pid = c.pid ?? 0) });
      const check = await probe.check();
      expect(check.available).toBe(false);
      expect(check.reason).toMatch(/RAPL/);
      const err = await firstValueFrom(probe.samples()).catch((e) => e);
      expect((err as ProbeError).code).toBe('E_PROBE_EXITED');
      expect((err as Error).message).toMatch(/RAPL/);
      expect(await gone(pid)).toBe(true);
      expect(childrenOf(process.pid)).toEqual([]);
    },
  );
});
