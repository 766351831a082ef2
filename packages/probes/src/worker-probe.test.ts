// inWorkerThread: the same probes sampling in a worker thread, on schedule while the main thread is busy.
import { delimiter, dirname, join } from 'node:path';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { childrenOf, gone } from '../test/processes.js';
import { ProbeError, ProbeExitedError, ProbeParseError } from './errors.js';
import { estimateProbe } from './estimate.js';
import { nowMs, type Probe } from './sample.js';
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
    await new Promise((r) => setTimeout(r, 400));
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
    expect(await probe.check()).toEqual({ available: true, devices: ['gpu0', 'gpu1'] });
    const before = new Set(childrenOf(process.pid));
    let tools: number[] = [];
    const got = await lastValueFrom(
      probe.samples({ intervalMs: 30 }).pipe(
        // While samples flow, the fake tool is a child of this process (the worker thread shares its pid).
        tap(() => {
          if (tools.length === 0) tools = childrenOf(process.pid).filter((pid) => !before.has(pid));
        }),
        take(4),
        toArray(),
      ),
    );
    expect(got.map((s) => [s.deviceId, s.kind === 'power' ? s.powerW : -1])).toEqual([
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

  it('an unknown probe name is ProbeError E_PROBE_UNKNOWN, at once', () => {
    expect(() => inWorkerThread('no-such-probe')).toThrow(ProbeError);
    expect(() => inWorkerThread('no-such-probe')).toThrow(/unknown probe "no-such-probe"/);
  });
});
