// NVML probe against a fake libnvidia-ml.so.1 built here with gcc from test/fake-nvml/fake-nvml.c.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProbeError } from './errors.js';
import { nvmlProbe } from './nvml.js';

const source = join(import.meta.dirname, '..', 'test', 'fake-nvml', 'fake-nvml.c');
const hasGcc = spawnSync('sh', ['-c', 'command -v gcc']).status === 0;

describe.skipIf(!hasGcc)('nvmlProbe (fake libnvidia-ml.so.1; skipped only when gcc is absent)', () => {
  let libraryPath = '';
  beforeAll(() => {
    libraryPath = join(mkdtempSync(join(tmpdir(), 'eff-nvml-')), 'libnvidia-ml.so.1');
    const build = spawnSync('gcc', ['-shared', '-fPIC', '-O1', '-o', libraryPath, source], {
      encoding: 'utf8',
    });
    expect(build.status, build.stderr).toBe(0);
  });

  it('check() lists both GPUs', async () => {
    expect(await nvmlProbe({ libraryPath }).check()).toEqual({ available: true, devices: ['gpu0', 'gpu1'] });
  });

  it('energy counter (mJ -> J) where supported, power (mW -> W) as the fallback', async () => {
    const got = await lastValueFrom(
      nvmlProbe({ libraryPath }).samples({ intervalMs: 20 }).pipe(take(4), toArray()),
    );
    const [a, b, c, d] = got;
    expect(a).toMatchObject({
      deviceId: 'gpu0',
      kind: 'energy',
      source: 'nvml',
      component: 'gpu',
      estimated: false,
    });
    expect(b).toMatchObject({ deviceId: 'gpu1', kind: 'power', powerW: 75.5 });
    expect(c).toMatchObject({ deviceId: 'gpu0', kind: 'energy' });
    expect(d).toMatchObject({ deviceId: 'gpu1', kind: 'power', powerW: 75.5 });
    // the fake adds 1000 mJ per read: consecutive gpu0 readings differ by exactly 1 J
    if (a?.kind === 'energy' && c?.kind === 'energy') expect(c.energyJ - a.energyJ).toBeCloseTo(1, 9);
    else throw new Error('expected energy samples for gpu0');
    expect(c.tMs).toBeGreaterThan(a.tMs);
  });

  it('gpus option selects devices', async () => {
    const got = await firstValueFrom(nvmlProbe({ libraryPath, gpus: [1] }).samples());
    expect(got).toMatchObject({ deviceId: 'gpu1', kind: 'power', powerW: 75.5 });
  });

  it('init failure -> ProbeUnavailableError naming the NVML error', async () => {
    process.env.FAKE_NVML_INIT = 'fail';
    try {
      const err = await firstValueFrom(nvmlProbe({ libraryPath }).samples()).catch((e) => e);
      expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
      expect((err as Error).message).toMatch(/Driver Not Loaded/);
    } finally {
      delete process.env.FAKE_NVML_INIT;
    }
  });
});

describe('nvmlProbe without the library', () => {
  it('a missing library is unavailable with a reason', async () => {
    const probe = nvmlProbe({ libraryPath: '/nonexistent/libnvidia-ml.so.1' });
    const check = await probe.check();
    expect(check.available).toBe(false);
    expect(check.reason).toMatch(/cannot load/);
    const err = await firstValueFrom(probe.samples()).catch((e) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
  });
});
