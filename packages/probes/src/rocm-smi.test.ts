// rocm-smi probe: JSON parser on the documented format, fake rocm-smi end to end, and the real Debian rocm-smi failing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { childrenOf, gone } from '../test/processes.js';
import { ProbeError, ProbeParseError } from './errors.js';
import { parseRocmSmiJson, rocmSmiProbe } from './rocm-smi.js';
import type { BadLineReport } from './tolerance.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const fakeBin = join(fixtures, 'bin', 'rocm-smi');
// The fake is found the way users' tools are, by name, first on PATH; `realPath` still finds the real tool.
const realPath = process.env.PATH ?? '';
process.env.PATH = `${dirname(fakeBin)}${delimiter}${realPath}`;

describe('parseRocmSmiJson', () => {
  it('reads both power key spellings and the energy accumulator (uJ -> J)', () => {
    const text = readFileSync(join(fixtures, 'rocm-smi-power-energy.json'), 'utf8');
    expect(parseRocmSmiJson(text)).toEqual([
      { card: 'card0', powerW: 35, energyJ: 36930978.2 / 1e6 },
      { card: 'card1', powerW: 412, energyJ: 0.1511118 },
    ]);
  });
  it('skips log lines before the JSON and rejects non-numeric values', () => {
    expect(parseRocmSmiJson('WARNING: x\n{"card2": {"Average Graphics Package Power (W)": "7.5"}}')).toEqual([
      { card: 'card2', powerW: 7.5 },
    ]);
    expect(() => parseRocmSmiJson('{"card0": {"Average Graphics Package Power (W)": "-1"}}')).toThrow(
      ProbeParseError,
    );
    expect(() => parseRocmSmiJson('ERROR: Driver not initialized')).toThrow(ProbeParseError);
  });
  it('reads Python float spellings and skips N/A (e.g. the secondary die of an MI250)', () => {
    expect(
      parseRocmSmiJson(
        '{"card0": {"Average Graphics Package Power (W)": "5e-06", "Accumulated Energy (uJ)": "1.5e+16"},' +
          ' "card1": {"Average Graphics Package Power (W)": "N/A (Secondary die)"}}',
      ),
    ).toEqual([{ card: 'card0', powerW: 5e-6, energyJ: 1.5e10 }, { card: 'card1' }]);
  });
  it('fuzz: 10k inputs, only ProbeParseError or finite non-negative numbers', () => {
    const cardJson = fc
      .dictionary(
        fc.constantFrom('card0', 'card1', 'system', 'x'),
        fc.dictionary(
          fc.constantFrom('Average Graphics Package Power (W)', 'Accumulated Energy (uJ)', 'Other'),
          fc.oneof(fc.string(), fc.double().map(String), fc.integer(), fc.constant(null)),
        ),
      )
      .map((o) => JSON.stringify(o));
    fc.assert(
      fc.property(fc.oneof(fc.string(), cardJson, fc.json()), (s) => {
        try {
          for (const r of parseRocmSmiJson(s)) {
            for (const v of [r.powerW, r.energyJ]) {
              if (v !== undefined) expect(Number.isFinite(v) && v >= 0).toBe(true);
            }
          }
        } catch (err) {
          expect(err).toBeInstanceOf(ProbeParseError);
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('rocmSmiProbe', () => {
  it('polls the fake rocm-smi and emits energy counters', async () => {
    const probe = rocmSmiProbe({});
    expect(await probe.check()).toEqual({ available: true, devices: ['card0', 'card1'] });
    const got = await lastValueFrom(probe.samples({ intervalMs: 500 }).pipe(take(4), toArray()));
    expect(got.map((s) => [s.deviceId, s.kind, s.kind === 'energy' ? s.energyJ : s.powerW])).toEqual([
      ['card0', 'energy', 36930978.2 / 1e6],
      ['card1', 'energy', 0.1511118],
      ['card0', 'energy', 36930978.2 / 1e6],
      ['card1', 'energy', 0.1511118],
    ]);
    expect(got[2]!.tMs - got[0]!.tMs).toBeGreaterThan(400);
  });
  it('power fallback when the energy counter is off', async () => {
    const got = await firstValueFrom(rocmSmiProbe({ energyCounter: false }).samples());
    expect(got).toMatchObject({ deviceId: 'card0', kind: 'power', component: 'gpu', estimated: false });
  });
  for (const [mode, code] of [
    ['fail', 'E_PROBE_UNAVAILABLE'],
    ['garbage', 'E_PROBE_PARSE'],
  ] as const) {
    it(`fake mode ${mode} -> ${code}`, async () => {
      process.env.FAKE_ROCM_MODE = mode;
      try {
        const err = await firstValueFrom(rocmSmiProbe({}).samples({ maxConsecutiveBadLines: 0 })).catch(
          (e) => e,
        );
        expect(err).toBeInstanceOf(ProbeError);
        expect((err as ProbeError).code).toBe(code);
      } finally {
        delete process.env.FAKE_ROCM_MODE;
      }
    });
  }
  it('unsubscribing while a (slow) poll is in flight kills that rocm-smi at once', async () => {
    process.env.FAKE_ROCM_MODE = 'slow';
    try {
      const pids: number[] = [];
      const sub = rocmSmiProbe({ onSpawn: (c) => c.pid && pids.push(c.pid) })
        .samples({ intervalMs: 500 })
        .subscribe({ error: () => {} });
      await new Promise((r) => setTimeout(r, 300));
      expect(pids).toHaveLength(1);
      const t0 = Date.now();
      sub.unsubscribe();
      expect(await gone(pids[0]!, 1000)).toBe(true);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(childrenOf(process.pid)).toEqual([]);
    } finally {
      delete process.env.FAKE_ROCM_MODE;
    }
  });
  it('a poll that hangs is killed at its timeout and the stream errors with E_PROBE_STALLED', async () => {
    process.env.FAKE_ROCM_MODE = 'slow';
    try {
      const pids: number[] = [];
      const err = await firstValueFrom(
        rocmSmiProbe({
          pollTimeoutMs: 600,
          onSpawn: (c) => c.pid && pids.push(c.pid),
        }).samples(),
      ).catch((e) => e);
      expect((err as ProbeError).code).toBe('E_PROBE_STALLED');
      expect((err as Error).message).toMatch(/did not finish within 600 ms/);
      expect(await gone(pids[0]!, 1000)).toBe(true);
    } finally {
      delete process.env.FAKE_ROCM_MODE;
    }
  });
  it('one garbage poll is skipped and reported; the polls after it still give samples', async () => {
    process.env.FAKE_ROCM_MODE = 'glitch';
    process.env.FAKE_ROCM_STATE = join(mkdtempSync(join(tmpdir(), 'eff-rocm-')), 'polls');
    try {
      const bad: BadLineReport[] = [];
      const got = await lastValueFrom(
        rocmSmiProbe({})
          .samples({ intervalMs: 500, onBadLine: (r) => bad.push(r) })
          .pipe(take(4), toArray()),
      );
      expect(got.map((s) => s.deviceId)).toEqual(['card0', 'card1', 'card0', 'card1']);
      // poll 2 was skipped: the second pair comes from poll 3, a full interval later than without the glitch
      expect(got[2]!.tMs - got[0]!.tMs).toBeGreaterThan(900);
      expect(bad.map((b) => [b.probe, b.consecutive, b.total, b.error.code])).toEqual([
        ['rocm-smi', 1, 1, 'E_PROBE_PARSE'],
      ]);
      expect(bad[0]!.error.message).toMatch(/lots/);
    } finally {
      delete process.env.FAKE_ROCM_MODE;
      delete process.env.FAKE_ROCM_STATE;
    }
  });
  it('garbage on every poll errors after 3 skipped polls, saying how many', async () => {
    process.env.FAKE_ROCM_MODE = 'garbage';
    try {
      const bad: BadLineReport[] = [];
      const err = await lastValueFrom(
        rocmSmiProbe({}).samples({ intervalMs: 500, onBadLine: (r) => bad.push(r) }),
      ).catch((e) => e);
      expect((err as ProbeError).code).toBe('E_PROBE_PARSE');
      expect((err as Error).message).toMatch(/4 unparseable outputs in a row \(4 since start; 3 tolerated\)/);
      expect(bad.map((b) => b.consecutive)).toEqual([1, 2, 3, 4]);
    } finally {
      delete process.env.FAKE_ROCM_MODE;
    }
  });
  const real = spawnSync('sh', ['-c', 'command -v rocm-smi'], { env: { ...process.env, PATH: realPath } })
    .stdout.toString()
    .trim();
  it.skipIf(!real)('the real rocm-smi on a machine without amdgpu fails with a typed error', async () => {
    const probe = rocmSmiProbe({ binary: real });
    const check = await probe.check();
    expect(check.available).toBe(false);
    expect(check.reason).toMatch(/rocm-smi/);
    const err = await firstValueFrom(probe.samples()).catch((e) => e);
    expect(err).toBeInstanceOf(ProbeError);
    const left = spawnSync('pgrep', ['-f', 'rocm-smi --showpower']).stdout.toString().trim();
    expect(left).toBe('');
    expect(childrenOf(process.pid)).toEqual([]);
  });
});
