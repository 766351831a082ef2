// inWorkerThread: the same probes sampling in a worker thread, on schedule while the main thread is busy.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { childrenOf, gone } from '../test/processes.js';
import { ProbeError, ProbeExitedError, ProbeParseError } from './errors.js';
import { estimateProbe } from './estimate.js';
import { rocmSmiProbe } from './rocm-smi.js';
import { nowMs, type Probe, type ProbeEvent } from './sample.js';
import { inWorkerThread } from './worker-probe.js';

const fakeBin = join(import.meta.dirname, '..', 'test', 'fixtures', 'bin', 'nvidia-smi');
process.env.PATH = `${dirname(fakeBin)}${delimiter}${process.env.PATH ?? ''}`;

/** Readings (cpu samples) a probe takes at 50 ms while this thread is held for 1 s, as training holds it. */
async function readingsWhileBlocked(probe: Probe): Promise<number> {
  const taken: number[] = [];
  const sub = probe.samples({ intervalMs: 50 }).subscribe((s) => {
    if (s.component === 'cpu') taken.push(s.tMs);
  });
  try {
    // Hold the thread only once sampling runs: a worker's start (tsx compiling the probe) takes seconds on a loaded
    // machine, and that start-up is not what this measures.
    const until = Date.now() + 20_000;
    while (taken.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const t0 = nowMs();
    while (nowMs() - t0 < 1000) {
      // busy, like a training step
    }
    await new Promise((r) => setTimeout(r, 300));
    return taken.filter((t) => t > t0 + 20 && t < t0 + 980).length;
  } finally {
    sub.unsubscribe();
  }
}

describe('inWorkerThread', () => {
  it('keeps sampling on schedule while the main thread is blocked (a main-thread probe takes nothing)', async () => {
    expect(await readingsWhileBlocked(estimateProbe())).toBe(0);
    // ~19 expected at 50 ms; a loaded 2-core machine may starve the worker for part of the second.
    expect(await readingsWhileBlocked(inWorkerThread('estimate'))).toBeGreaterThanOrEqual(6);
  });

  it("streams the same samples as the probe itself and kills the probe's tool on unsubscribe", async () => {
    const probe = inWorkerThread('nvidia-smi');
    expect(probe.name).toBe('nvidia-smi');
    expect(probe.estimated).toBe(false);
    expect(await probe.check()).toEqual({
      available: true,
      devices: ['gpu0', 'gpu1'],
      unmeasurable: [],
      selectedBy: 'all',
    });
    const before = new Set(childrenOf(process.pid));
    let tools: number[] = [];
    const got = await lastValueFrom(
      probe.samples({ intervalMs: 30 }).pipe(
        // While samples flow, the fake tool is a child of this process (the worker thread shares its pid).
        tap(() => {
          if (tools.length === 0) tools = childrenOf(process.pid).filter((pid) => !before.has(pid));
        }),
        take(6),
        toArray(),
      ),
    );
    // nvidia-smi announces its GPUs (DeviceEvents, carried across the thread unchanged), then reads them
    expect(
      got.map((s) => [s.deviceId, s.kind === 'power' ? s.powerW : s.kind === 'device' ? s.state : -1]),
    ).toEqual([
      ['gpu0', 'present'],
      ['gpu1', 'present'],
      ['gpu0', 71.23],
      ['gpu1', 254.8],
      ['gpu0', 71.23],
      ['gpu1', 254.8],
    ]);
    expect(got.every((s) => s.source === 'nvidia-smi' && s.component === 'gpu' && s.tMs > 0)).toBe(true);
    expect(tools.length).toBeGreaterThanOrEqual(1);
    for (const pid of tools) expect(await gone(pid, 3000)).toBe(true);
  });

  for (const [mode, errorClass, code] of [
    ['garbage', ProbeParseError, 'E_PROBE_PARSE'],
    ['exit', ProbeExitedError, 'E_PROBE_EXITED'],
  ] as const) {
    it(`mode ${mode}: the worker's ${code} arrives as a ${errorClass.name} with its code`, async () => {
      process.env.FAKE_NVSMI_MODE = mode;
      try {
        const err = await lastValueFrom(inWorkerThread('nvidia-smi').samples({ intervalMs: 30 })).catch(
          (e) => e,
        );
        expect(err).toBeInstanceOf(errorClass);
        expect((err as ProbeError).code).toBe(code);
      } finally {
        delete process.env.FAKE_NVSMI_MODE;
      }
    });
  }

  it('reports skipped lines to onBadLine across the thread boundary', async () => {
    process.env.FAKE_NVSMI_MODE = 'glitch';
    try {
      const bad: unknown[] = [];
      const got = await lastValueFrom(
        inWorkerThread('nvidia-smi')
          .samples({ intervalMs: 30, onBadLine: (r) => bad.push(r) })
          .pipe(take(6), toArray()),
      );
      expect(got).toHaveLength(6);
      expect(bad.length).toBeGreaterThanOrEqual(1);
    } finally {
      delete process.env.FAKE_NVSMI_MODE;
    }
  });

  it("carries device events across the thread boundary unchanged, and the probe's minIntervalMs", async () => {
    // Fake rocm-smi (same folder as the fake nvidia-smi): card1 has no power sensor, card0 reads 120 W.
    const replies = join(mkdtempSync(join(tmpdir(), 'eff-worker-')), 'replies.json');
    writeFileSync(
      replies,
      JSON.stringify([
        {
          card0: {
            'Average Graphics Package Power (W)': '120.0',
            'Accumulated Energy (uJ)': '5000000.0',
            'Max Graphics Package Power (W)': '300.0',
            'Unique ID': '0xabc',
          },
          card1: { 'Average Graphics Package Power (W)': 'N/A' },
        },
      ]),
    );
    process.env.FAKE_ROCM_REPLIES = replies;
    try {
      const probe = inWorkerThread('rocm-smi');
      expect(probe.minIntervalMs).toBe(rocmSmiProbe().minIntervalMs);
      expect(probe.minIntervalMs).toBe(1000);
      const got = await lastValueFrom(probe.samples().pipe(take(5), toArray()));
      writeFileSync(`${replies}.poll`, '0'); // the in-thread run below starts from the first reply again
      const local = await lastValueFrom(rocmSmiProbe().samples().pipe(take(5), toArray()));
      const withoutTime = (events: ProbeEvent[]) => events.map(({ tMs, ...rest }) => rest);
      expect(withoutTime(got)).toEqual(withoutTime(local));
      expect(got[0]).toEqual({
        kind: 'device',
        tMs: got[0]!.tMs,
        deviceId: 'card0',
        component: 'gpu',
        source: 'rocm-smi',
        state: 'present',
        uuid: 'GPU-0000000000000abc',
        powerLimitW: 300,
        selectedBy: 'all',
      });
      expect(got[1]).toMatchObject({ kind: 'device', deviceId: 'card1', state: 'present' });
      expect(got[2]).toMatchObject({ kind: 'device', deviceId: 'card1', state: 'unsupported' });
      expect((got[2] as { reason?: string }).reason).toMatch(/N\/A/);
      expect(
        got
          .slice(3)
          .map((e) => [e.kind, e.kind === 'energy' ? e.energyJ : e.kind === 'power' ? e.powerW : 0]),
      ).toEqual([
        ['energy', 5],
        ['power', 120],
      ]);
    } finally {
      delete process.env.FAKE_ROCM_REPLIES;
    }
  });

  it('an unknown probe name is ProbeError E_PROBE_UNKNOWN, at once', () => {
    expect(() => inWorkerThread('no-such-probe')).toThrow(ProbeError);
    expect(() => inWorkerThread('no-such-probe')).toThrow(/unknown probe "no-such-probe"/);
  });
});
