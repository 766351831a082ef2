// Registry: probeByName builds each probe, rejects unknown names; detectProbes explains every unavailable probe.
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { childrenOf } from '../test/processes.js';
import { ProbeError } from './errors.js';
import {
  describeProbe,
  detectProbes,
  oneProbePerHardware,
  probeByName,
  probeHardware,
  probeHardwareKinds,
  probeNames,
} from './registry.js';

const bin = join(import.meta.dirname, '..', 'test', 'fixtures', 'bin');

describe('registry', () => {
  it('keeps one probe per kind of hardware, the first in detection order (no joule counted twice)', () => {
    expect(oneProbePerHardware(['nvml', 'nvidia-smi', 'rocm-smi', 'rapl', 'powerstat', 'powertop'])).toEqual([
      'nvml',
      'rocm-smi',
      'rapl',
      'powertop',
    ]);
    expect(oneProbePerHardware(['nvidia-smi', 'powerstat'])).toEqual(['nvidia-smi', 'powerstat']);
    expect(probeHardware('nvml')).toBe(probeHardware('nvidia-smi'));
    expect(probeHardware('powerstat')).toBe(probeHardware('rapl'));
    expect(probeHardware('rocm-smi')).not.toBe(probeHardware('nvml'));
    expect(probeHardware('my-wattmeter')).toBe('my-wattmeter');
    // detection order puts the in-process and counter-based probes first
    const names = probeNames();
    expect(names.indexOf('nvml')).toBeLessThan(names.indexOf('nvidia-smi'));
    expect(names.indexOf('rapl')).toBeLessThan(names.indexOf('powerstat'));
    expect(names.indexOf('amd-smi')).toBeLessThan(names.indexOf('rocm-smi'));
    // measurements before the estimate; the dedicated AMD tools and the BMC before the generic hwmon files
    expect(names.at(-1)).toBe('estimate');
    expect(names.indexOf('ipmi')).toBeLessThan(names.indexOf('hwmon'));
    expect(names.indexOf('rocm-smi')).toBeLessThan(names.indexOf('hwmon'));
  });
  it('new probes: amd-smi before rocm-smi; hwmon only where no AMD tool and no node meter came first', () => {
    expect(oneProbePerHardware(['amd-smi', 'rocm-smi', 'rapl'])).toEqual(['amd-smi', 'rapl']);
    expect(oneProbePerHardware(['rocm-smi', 'hwmon'])).toEqual(['rocm-smi']);
    expect(oneProbePerHardware(['ipmi', 'hwmon', 'powertop'])).toEqual(['ipmi']);
    expect(oneProbePerHardware(['nvml', 'rapl', 'hwmon', 'powertop'])).toEqual(['nvml', 'rapl', 'hwmon']);
    expect(oneProbePerHardware(['nvml', 'ipmi', 'powermetrics', 'estimate'])).toEqual([
      'nvml',
      'ipmi',
      'powermetrics',
      'estimate',
    ]);
    expect(probeHardwareKinds('hwmon')).toEqual(['amd-gpu', 'node']);
    expect(probeHardware('amd-smi')).toBe(probeHardware('rocm-smi'));
  });
  it('describes what every registered probe measures and needs', () => {
    for (const name of probeNames()) {
      const d = describeProbe(name);
      expect(d.measures.length).toBeGreaterThan(10);
      expect(d.needs.length).toBeGreaterThan(5);
    }
    expect(describeProbe('ipmi').measures).toMatch(/whole node.*system/);
    expect(describeProbe('powermetrics').needs).toMatch(/root/);
  });
  it('builds every named probe with that name', () => {
    for (const name of probeNames()) expect(probeByName(name).name).toBe(name);
    expect(probeNames()).toEqual(
      expect.arrayContaining([
        'nvml',
        'nvidia-smi',
        'amd-smi',
        'rocm-smi',
        'rapl',
        'powerstat',
        'ipmi',
        'hwmon',
        'powermetrics',
        'estimate',
      ]),
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
  it('with the fake tools first on PATH, the default binaries are found, detected and sampled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eff-path-'));
    for (const tool of ['nvidia-smi', 'rocm-smi', 'powerstat', 'powertop'])
      symlinkSync(join(bin, tool), join(dir, tool));
    const savedPath = process.env.PATH;
    process.env.PATH = `${dir}${delimiter}${savedPath ?? ''}`;
    try {
      const found = Object.fromEntries((await detectProbes()).map((d) => [d.name, d]));
      expect(found['nvidia-smi']?.devices).toEqual(['gpu0', 'gpu1']);
      expect(found['rocm-smi']?.devices).toEqual(['card0', 'card1']);
      expect(found.powerstat?.devices).toEqual(['dram', 'pkg-0']);
      expect(found.powertop?.devices).toEqual(['battery']);
      const first = await Promise.all(
        ['nvidia-smi', 'rocm-smi', 'powerstat', 'powertop'].map((name) =>
          firstValueFrom(probeByName(name).samples({ intervalMs: name === 'nvidia-smi' ? 100 : 1000 })),
        ),
      );
      expect(first.map((s) => [s.source, s.deviceId])).toEqual([
        ['nvidia-smi', 'gpu0'],
        ['rocm-smi', 'card0'],
        ['powerstat', 'dram'],
        ['powertop', 'battery'],
      ]);
      await new Promise((r) => setTimeout(r, 700)); // SIGTERM grace
      expect(childrenOf(process.pid)).toEqual([]);
    } finally {
      process.env.PATH = savedPath;
    }
  });
  it('detectProbes: fake nvidia-smi available, missing binaries and empty RAPL explained', async () => {
    const found = await detectProbes({
      'nvidia-smi': { binary: join(bin, 'nvidia-smi') },
      'rocm-smi': { binary: '/nonexistent/rocm-smi' },
      nvml: { libraryPath: '/nonexistent/libnvidia-ml.so.1' },
      rapl: { root: '/nonexistent-powercap' },
      powerstat: { binary: '/nonexistent/powerstat' },
      powertop: { binary: '/nonexistent/powertop' },
      'amd-smi': { binary: '/nonexistent/amd-smi' },
      ipmi: { binary: '/nonexistent/ipmitool' },
      hwmon: { root: '/nonexistent-hwmon' },
      powermetrics: { platform: 'linux' },
    });
    const byName = Object.fromEntries(found.map((d) => [d.name, d]));
    expect(byName['nvidia-smi']).toEqual({
      name: 'nvidia-smi',
      available: true,
      devices: ['gpu0', 'gpu1'],
      unmeasurable: [],
      selectedBy: 'all',
    });
    for (const name of [
      'nvml',
      'amd-smi',
      'rocm-smi',
      'rapl',
      'powerstat',
      'ipmi',
      'hwmon',
      'powermetrics',
      'powertop',
    ]) {
      expect(byName[name]?.available).toBe(false);
      expect(byName[name]?.reason?.length).toBeGreaterThan(10);
    }
    expect(byName['rocm-smi']?.reason).toMatch(/not found/);
    expect(byName.estimate?.available).toBe(true);
  });
});
