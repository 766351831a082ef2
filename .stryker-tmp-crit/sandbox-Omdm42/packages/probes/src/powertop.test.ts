// @ts-nocheck
// powertop probe: CSV report parser on real output, fake powertop windows end to end, real Debian powertop failing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { childrenOf, gone } from '../test/processes.js';
import { ProbeError, ProbeParseError } from './errors.js';
import { parsePowertopCsv, powertopProbe } from './powertop.js';
import type { BadLineReport } from './tolerance.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const fakeBin = join(fixtures, 'bin', 'powertop');
// The fake is found the way users' tools are, by name, first on PATH; `realPath` still finds the real tool.
const realPath = process.env.PATH ?? '';
process.env.PATH = `${dirname(fakeBin)}${delimiter}${realPath}`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('parsePowertopCsv', () => {
  it('reads the sections of a real report without a battery (no watts)', () => {
    const report = parsePowertopCsv(readFileSync(join(fixtures, 'powertop-no-battery.csv'), 'utf8'));
    expect(report.dischargeW).toBeUndefined();
    expect(report.sections).toContain('Device Power Report');
    expect(report.sections[0]).toBe('System Information');
  });
  it('reads the battery discharge rate', () => {
    expect(parsePowertopCsv(readFileSync(join(fixtures, 'powertop-battery.csv'), 'utf8')).dischargeW).toBe(
      11.4,
    );
  });
  it('reads the SI-prefixed form powertop prints below 1 W ("900 m W", real powertop 2.14 line)', () => {
    const head = readFileSync(join(fixtures, 'powertop-no-battery.csv'), 'utf8');
    expect(
      parsePowertopCsv(`${head}\nThe battery reports a discharge rate of:  900 m W;\n`).dischargeW,
    ).toBeCloseTo(0.9, 12);
    expect(
      parsePowertopCsv(`${head}\nThe system baseline power is estimated at:  4.20  W;\n`).dischargeW,
    ).toBe(undefined);
  });
  it('rejects non-reports', () => {
    expect(() => parsePowertopCsv('PowerTOP needs to be run as root')).toThrow(ProbeParseError);
  });
  it('fuzz: 10k inputs, only ProbeParseError or a finite non-negative discharge', () => {
    const head = ' P o w e r T O P\n *  *  *   X   *  *  *\n';
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => head + s),
          fc
            .array(
              fc.constantFrom(
                'The battery reports a discharge rate of: ',
                '1.5',
                ' m',
                ' W',
                ';',
                '-',
                '\n',
                'x',
                'k',
              ),
              {
                maxLength: 8,
              },
            )
            .map((xs) => head + xs.join('')),
        ),
        (s) => {
          try {
            const r = parsePowertopCsv(s);
            if (r.dischargeW !== undefined)
              expect(Number.isFinite(r.dischargeW) && r.dischargeW >= 0).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(ProbeParseError);
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe('parsePowertopCsv properties', () => {
  const SI: Record<string, number> = { '': 1, m: 1e-3, u: 1e-6, k: 1e3 };
  it('property: a well-formed report with a discharge line yields its one device reading, SI prefix applied', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(fc.double({ min: 0, max: 999, noNaN: true }), fc.integer({ min: 0, max: 2 }))
          .map(([w, digits]) => w.toFixed(digits)),
        fc.constantFrom('', 'm', 'u', 'k'),
        fc.array(fc.constantFrom('Device Power Report', 'Software Power Consumers', 'Overview'), {
          maxLength: 3,
        }),
        (value, prefix, sections) => {
          const text =
            ' P o w e r T O P\n\n *  *  *   System Information   *  *  *\nKernel Version;6.1\n\n' +
            `The battery reports a discharge rate of:  ${value} ${prefix} W;\n\n` +
            sections.map((t) => ` *  *  *   ${t}   *  *  *\nUsage;Device Name;PW Estimate;\n`).join('\n');
          const report = parsePowertopCsv(text);
          expect(report.dischargeW).toBeCloseTo(Number(value) * (SI[prefix] ?? Number.NaN), 9);
          expect(report.sections).toEqual(['System Information', ...sections]);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('powertopProbe', () => {
  it('declares its minimum and raises a shorter interval to it instead of throwing', async () => {
    const probe = powertopProbe({});
    expect(probe.minIntervalMs).toBe(1000);
    const got = await lastValueFrom(probe.samples({ intervalMs: 10 }).pipe(take(1), toArray()));
    expect(got.map((s) => [s.deviceId, s.kind === 'power' ? s.powerW : -1])).toEqual([['battery', 11.4]]);
  });

  it('repeats windows with the fake powertop and kills the running window on unsubscribe', async () => {
    const pids: number[] = [];
    const probe = powertopProbe({ onSpawn: (pid) => pids.push(pid) });
    const got = await lastValueFrom(probe.samples({ intervalMs: 1000 }).pipe(take(2), toArray()));
    expect(got.map((s) => [s.deviceId, s.component, s.kind === 'power' ? s.powerW : -1])).toEqual([
      ['battery', 'system', 11.4],
      ['battery', 'system', 11.4],
    ]);
    expect(got[1]!.tMs - got[0]!.tMs).toBeGreaterThan(900);
    await new Promise((r) => setTimeout(r, 100));
    expect(pids.length).toBeGreaterThanOrEqual(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
  it('unsubscribing mid-window kills that powertop at once (no child left)', async () => {
    const pids: number[] = [];
    const sub = powertopProbe({ onSpawn: (pid) => pids.push(pid) })
      .samples({ intervalMs: 5000 })
      .subscribe({ error: () => {} });
    await new Promise((r) => setTimeout(r, 400));
    expect(pids).toHaveLength(1);
    sub.unsubscribe();
    expect(await gone(pids[0]!, 1000)).toBe(true);
    expect(childrenOf(process.pid)).toEqual([]);
  });
  it('one unreadable report is skipped and reported; the next window still gives a sample', async () => {
    process.env.FAKE_POWERTOP_MODE = 'glitch';
    process.env.FAKE_POWERTOP_STATE = join(mkdtempSync(join(tmpdir(), 'eff-powertop-')), 'windows');
    try {
      const bad: BadLineReport[] = [];
      const got = await lastValueFrom(
        powertopProbe({})
          .samples({ intervalMs: 1000, onBadLine: (r) => bad.push(r) })
          .pipe(take(2), toArray()),
      );
      expect(got.map((s) => (s.kind === 'power' ? s.powerW : -1))).toEqual([11.4, 11.4]);
      expect(got[1]!.tMs - got[0]!.tMs).toBeGreaterThan(1900); // window 2 is a gap
      expect(bad.map((b) => [b.probe, b.consecutive])).toEqual([['powertop', 1]]);
    } finally {
      delete process.env.FAKE_POWERTOP_MODE;
      delete process.env.FAKE_POWERTOP_STATE;
    }
  });
  it('a failing powertop is E_PROBE_EXITED with its message', async () => {
    process.env.FAKE_POWERTOP_MODE = 'fail';
    try {
      const err = await firstValueFrom(powertopProbe({}).samples({ intervalMs: 1000 })).catch((e) => e);
      expect((err as ProbeError).code).toBe('E_PROBE_EXITED');
      expect((err as Error).message).toMatch(/run as root/);
    } finally {
      delete process.env.FAKE_POWERTOP_MODE;
    }
  });
  const real = spawnSync('sh', ['-c', 'command -v powertop'], { env: { ...process.env, PATH: realPath } })
    .stdout.toString()
    .trim();
  const battery = spawnSync('sh', ['-c', 'ls /sys/class/power_supply/BAT*']).status === 0;
  it.skipIf(!real || battery)(
    'the real powertop without a battery is E_PROBE_UNAVAILABLE and leaves no process',
    async () => {
      const pids: number[] = [];
      const err = await firstValueFrom(
        powertopProbe({ binary: real, onSpawn: (pid) => pids.push(pid) }).samples({ intervalMs: 1000 }),
      ).catch((e) => e);
      expect(err).toBeInstanceOf(ProbeError);
      expect([(err as ProbeError).code]).toEqual(
        expect.arrayContaining([expect.stringMatching(/E_PROBE_(UNAVAILABLE|EXITED)/)]),
      );
      await new Promise((r) => setTimeout(r, 100));
      for (const pid of pids) expect(alive(pid)).toBe(false);
    },
    20_000,
  );
});
