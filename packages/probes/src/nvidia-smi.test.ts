// nvidia-smi probe: parser on the real CSV format, end-to-end runs against a fake nvidia-smi first on PATH.
import { readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { childrenOf, gone } from '../test/processes.js';
import { ProbeError, type ProbeExitedError, ProbeParseError } from './errors.js';
import { nvidiaSmiProbe, parseNvidiaSmiLine } from './nvidia-smi.js';
import type { BadLineReport } from './tolerance.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const fakeBin = join(fixtures, 'bin', 'nvidia-smi');
// The fake is found the way users' tools are, by name, first on PATH; `realPath` still finds the real tool.
const realPath = process.env.PATH ?? '';
process.env.PATH = `${dirname(fakeBin)}${delimiter}${realPath}`;

describe('parseNvidiaSmiLine', () => {
  it('parses the fixture lines', () => {
    const lines = readFileSync(join(fixtures, 'nvidia-smi-query.csv'), 'utf8').trim().split('\n');
    expect(lines.map(parseNvidiaSmiLine).map((r) => [r.index, r.powerW])).toEqual([
      [0, 71.23],
      [1, 254.8],
      [0, 72.05],
      [1, 249.1],
    ]);
  });
  it('maps [N/A] and [Not Supported] to null, never to a number', () => {
    expect(parseNvidiaSmiLine('0, GPU-x, [N/A]').powerW).toBeNull();
    expect(parseNvidiaSmiLine('2, GPU-y, [Not Supported]').powerW).toBeNull();
  });
  it('rejects garbage with ProbeParseError', () => {
    expect(() => parseNvidiaSmiLine('No devices were found')).toThrow(ProbeParseError);
    expect(() => parseNvidiaSmiLine('0, GPU-x, 12 W')).toThrow(ProbeParseError);
  });
  it('fuzz: 10k inputs, only ProbeParseError or a finite non-negative power', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^[0-9], ?[A-Z-]{0,5}, ?[0-9.A-Z[\] /]{0,8}$/)),
        (s) => {
          try {
            const row = parseNvidiaSmiLine(s);
            expect(row.powerW === null || (Number.isFinite(row.powerW) && row.powerW >= 0)).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(ProbeParseError);
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe('nvidiaSmiProbe (fake nvidia-smi)', () => {
  it('streams samples at the requested rate and kills the child on unsubscribe', async () => {
    let pid = 0;
    const probe = nvidiaSmiProbe({ onSpawn: (c) => (pid = c.pid ?? 0) });
    expect(await probe.check()).toEqual({ available: true, devices: ['gpu0', 'gpu1'] });
    const got = await lastValueFrom(probe.samples({ intervalMs: 30 }).pipe(take(4), toArray()));
    expect(got.map((s) => [s.deviceId, s.kind === 'power' ? s.powerW : -1])).toEqual([
      ['gpu0', 71.23],
      ['gpu1', 254.8],
      ['gpu0', 71.23],
      ['gpu1', 254.8],
    ]);
    expect(got.every((s) => s.source === 'nvidia-smi' && !s.estimated && s.component === 'gpu')).toBe(true);
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
  });

  it('the gpus option reads only those GPUs (the fake honours -i like the real tool)', async () => {
    const got = await lastValueFrom(
      nvidiaSmiProbe({ gpus: [1] })
        .samples({ intervalMs: 30 })
        .pipe(take(3), toArray()),
    );
    expect(got.map((s) => [s.deviceId, s.kind === 'power' ? s.powerW : -1])).toEqual([
      ['gpu1', 254.8],
      ['gpu1', 254.8],
      ['gpu1', 254.8],
    ]);
  });

  for (const [mode, code] of [
    ['exit', 'E_PROBE_EXITED'],
    ['garbage', 'E_PROBE_PARSE'],
    ['stall', 'E_PROBE_STALLED'],
    ['na', 'E_PROBE_UNAVAILABLE'],
  ] as const) {
    it(`mode ${mode}: errors with ${code} and leaves no process`, async () => {
      process.env.FAKE_NVSMI_MODE = mode;
      let pid = 0;
      try {
        const probe = nvidiaSmiProbe({ onSpawn: (c) => (pid = c.pid ?? 0) });
        // stall limit is max(2 s, 5 x interval)
        const err = await lastValueFrom(probe.samples({ intervalMs: 30 }).pipe(toArray())).catch((e) => e);
        expect(err).toBeInstanceOf(ProbeError);
        expect((err as ProbeError).code).toBe(code);
        expect(await gone(pid)).toBe(true);
      } finally {
        delete process.env.FAKE_NVSMI_MODE;
      }
    });
  }

  it('a tool killed from outside (SIGKILL) is E_PROBE_EXITED naming the signal, after the samples it gave', async () => {
    let pid = 0;
    const seen: number[] = [];
    const err = await new Promise<unknown>((resolve) => {
      nvidiaSmiProbe({ onSpawn: (c) => (pid = c.pid ?? 0) })
        .samples({ intervalMs: 30 })
        .subscribe({
          next: (s) => {
            seen.push(s.kind === 'power' ? s.powerW : -1);
            if (seen.length === 2) process.kill(pid, 'SIGKILL');
          },
          error: resolve,
        });
    });
    expect((err as ProbeError).code).toBe('E_PROBE_EXITED');
    expect((err as ProbeExitedError).signal).toBe('SIGKILL');
    expect(seen.slice(0, 2)).toEqual([71.23, 254.8]);
    expect(seen.every((w) => w === 71.23 || w === 254.8)).toBe(true);
  });

  it('one garbage line is skipped and reported, the stream goes on (a gap, not a number)', async () => {
    process.env.FAKE_NVSMI_MODE = 'glitch';
    try {
      const bad: BadLineReport[] = [];
      const got = await lastValueFrom(
        nvidiaSmiProbe({})
          .samples({ intervalMs: 30, onBadLine: (r) => bad.push(r) })
          .pipe(take(5), toArray()),
      );
      expect(got.map((s) => [s.deviceId, s.kind === 'power' ? s.powerW : -1])).toEqual([
        ['gpu0', 71.23],
        ['gpu1', 254.8],
        ['gpu1', 254.8],
        ['gpu0', 71.23],
        ['gpu1', 254.8],
      ]);
      expect(bad).toHaveLength(1);
      expect(bad[0]!.error.input).toBe('0, GPU-3f2c6e4a-1b2d-4c5e-8f90-a1b2c3d4e5f6, 7#.1');
    } finally {
      delete process.env.FAKE_NVSMI_MODE;
    }
  });

  it('unsubscribing during the --help-query-gpu capability query kills that query', async () => {
    process.env.FAKE_NVSMI_MODE = 'slowhelp';
    try {
      const pids: number[] = [];
      const sub = nvidiaSmiProbe({ onSpawn: (c) => c.pid && pids.push(c.pid) })
        .samples({ intervalMs: 30 })
        .subscribe({ error: () => {} });
      await new Promise((r) => setTimeout(r, 300));
      expect(pids).toHaveLength(1);
      sub.unsubscribe();
      expect(await gone(pids[0]!)).toBe(true);
      expect(childrenOf(process.pid)).toEqual([]);
    } finally {
      delete process.env.FAKE_NVSMI_MODE;
    }
  });

  it('a missing binary is ProbeUnavailableError, and check() says why', async () => {
    const probe = nvidiaSmiProbe({ binary: '/nonexistent/nvidia-smi' });
    expect((await probe.check()).available).toBe(false);
    const err = await firstValueFrom(probe.samples()).catch((e) => e);
    expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
  });
});
