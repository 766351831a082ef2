// Registry: probeByName builds each probe, rejects unknown names; detectProbes explains every unavailable probe.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProbeError } from './errors.js';
import { detectProbes, probeByName, probeNames } from './registry.js';

const bin = join(import.meta.dirname, '..', 'test', 'fixtures', 'bin');

describe('registry', () => {
  it('builds every named probe with that name', () => {
    for (const name of probeNames()) expect(probeByName(name).name).toBe(name);
    expect(probeNames()).toEqual(
      expect.arrayContaining(['nvml', 'nvidia-smi', 'rocm-smi', 'rapl', 'powerstat', 'estimate']),
    );
  });
  it('unknown names throw E_PROBE_UNKNOWN listing the valid ones', () => {
    const err = (() => {
      try {
        probeByName('wattmeter');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as ProbeError).code).toBe('E_PROBE_UNKNOWN');
    expect((err as Error).message).toMatch(/nvidia-smi/);
  });
  it('detectProbes: fake nvidia-smi available, missing binaries and empty RAPL explained', async () => {
    const found = await detectProbes({
      'nvidia-smi': { binary: join(bin, 'nvidia-smi') },
      'rocm-smi': { binary: '/nonexistent/rocm-smi' },
      nvml: { libraryPath: '/nonexistent/libnvidia-ml.so.1' },
      rapl: { root: '/nonexistent-powercap' },
      powerstat: { binary: '/nonexistent/powerstat' },
      powertop: { binary: '/nonexistent/powertop' },
    });
    const byName = Object.fromEntries(found.map((d) => [d.name, d]));
    expect(byName['nvidia-smi']).toEqual({ name: 'nvidia-smi', available: true, devices: ['gpu0', 'gpu1'] });
    for (const name of ['nvml', 'rocm-smi', 'rapl', 'powerstat', 'powertop']) {
      expect(byName[name]?.available).toBe(false);
      expect(byName[name]?.reason?.length).toBeGreaterThan(10);
    }
    expect(byName['rocm-smi']?.reason).toMatch(/not found/);
    expect(byName.estimate?.available).toBe(true);
  });
});
