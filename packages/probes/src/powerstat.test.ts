// powerstat probe: parser on the -R -D table, fake powerstat end to end, and the real Debian powerstat failing.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ProbeError, ProbeParseError } from './errors.js';
import { PowerstatParser, powerstatProbe } from './powerstat.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const fakeBin = join(fixtures, 'bin', 'powerstat');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('PowerstatParser', () => {
  it('reads per-domain watts from the fixture and skips banners', () => {
    const parser = new PowerstatParser();
    const rows = readFileSync(join(fixtures, 'powerstat-R-D.txt'), 'utf8')
      .split('\n')
      .map((l) => parser.feed(l))
      .filter((r) => r !== null);
    expect(rows).toEqual([
      { domainsW: { 'pkg-0': 24.1, core: 18.52, uncore: 0.31, dram: 3.21 } },
      { domainsW: { 'pkg-0': 24.77, core: 19.01, uncore: 0.3, dram: 3.42 } },
      { domainsW: { 'pkg-0': 55.4, core: 48, uncore: 0.45, dram: 6.17 } },
    ]);
  });
  it('rejects rows that do not fit the heading', () => {
    const parser = new PowerstatParser();
    expect(() => parser.feed('10:00:00 1 2 3')).toThrow(ProbeParseError);
    parser.feed('  Time    User  Watts  pkg-0');
    expect(() => parser.feed('10:00:00 1.0 3.0')).toThrow(ProbeParseError);
    expect(() => parser.feed('10:00:00 1.0 3.0 nan')).toThrow(ProbeParseError);
    expect(parser.feed('10:00:00 1.0 3.0 2.5')).toEqual({ domainsW: { 'pkg-0': 2.5 } });
  });
  it('fuzz: 10k lines, only ProbeParseError or finite non-negative watts', () => {
    const rowish = fc
      .array(fc.oneof(fc.constantFrom('1.0', '0', '-1', 'nan', '2.5e3', ''), fc.string({ maxLength: 4 })), {
        maxLength: 6,
      })
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

describe('powerstatProbe', () => {
  it('streams package and dram (never core/uncore) with times rebuilt from the row index', async () => {
    let pid = 0;
    const probe = powerstatProbe({ binary: fakeBin, onSpawn: (c) => (pid = c.pid ?? 0) });
    const got = await lastValueFrom(probe.samples({ intervalMs: 500 }).pipe(take(4), toArray()));
    expect(got.map((s) => [s.deviceId, s.component, s.kind === 'power' ? s.powerW : -1])).toEqual([
      ['pkg-0', 'cpu', 24.1],
      ['dram', 'ram', 3.21],
      ['pkg-0', 'cpu', 24.77],
      ['dram', 'ram', 3.42],
    ]);
    expect(got[2]!.tMs - got[0]!.tMs).toBe(500);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });
  for (const [mode, code] of [
    ['exit', 'E_PROBE_EXITED'],
    ['garbage', 'E_PROBE_PARSE'],
  ] as const) {
    it(`fake mode ${mode} -> ${code}`, async () => {
      process.env.FAKE_POWERSTAT_MODE = mode;
      try {
        const err = await lastValueFrom(
          powerstatProbe({ binary: fakeBin }).samples({ intervalMs: 500 }),
        ).catch((e) => e);
        expect(err).toBeInstanceOf(ProbeError);
        expect((err as ProbeError).code).toBe(code);
      } finally {
        delete process.env.FAKE_POWERSTAT_MODE;
      }
    });
  }
  const real = spawnSync('sh', ['-c', 'command -v powerstat']).stdout.toString().trim();
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
      expect(alive(pid)).toBe(false);
    },
  );
});
