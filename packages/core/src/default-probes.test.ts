// The default probes and an explicit GPU list: validation, which probes get it, and refusal when no GPU probe can read it.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userProbe } from '../test/user-probes.js';
import * as criteria from './criteria.js';
import { defaultProbes, gpuProbeOptions, normalizeGpuList } from './default-probes.js';
import { measureEfficiency } from './measure.js';
import { MeasureError } from './measure-error.js';

const FAKE_BIN = fileURLToPath(new URL('../test/fixtures/bin', import.meta.url));
const config = { architecture: 'test-net', size: 1, dataset: 'synthetic' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MeasureError);
    return (err as MeasureError).code;
  }
  return undefined;
}

describe('normalizeGpuList', () => {
  it('accepts indices (numbers or strings), UUIDs and MIG ids, trimmed', () => {
    expect(normalizeGpuList([1, ' 0 ', 'GPU-5c1b', 'MIG-GPU-5c1b/1/0'])).toEqual([
      '1',
      '0',
      'GPU-5c1b',
      'MIG-GPU-5c1b/1/0',
    ]);
  });

  it('refuses an empty list, blank or non-string entries, naming them', () => {
    expect(() => normalizeGpuList([])).toThrow(/gpus is empty: name at least one GPU/);
    expect(() => normalizeGpuList(['0', ' '])).toThrow(/gpus: " " is not a GPU index/);
    expect(() => normalizeGpuList([-1])).toThrow(/gpus: -1 is not a GPU index/);
    expect(() => normalizeGpuList('0,1')).toThrow(/gpus must be a list/);
    expect(codeOf(() => normalizeGpuList([]))).toBe('E_MEASURE_OPTIONS');
  });
});

describe('gpuProbeOptions', () => {
  it('gives the list to every GPU probe and to no other', () => {
    expect(gpuProbeOptions(['1'])).toEqual({
      nvml: { gpus: ['1'] },
      'nvidia-smi': { gpus: ['1'] },
      'amd-smi': { gpus: ['1'] },
      'rocm-smi': { gpus: ['1'] },
      // hwmon selects among its amdgpu chips; powermetrics refuses any GPU but 0 (one Apple GPU)
      hwmon: { gpus: ['1'] },
      powermetrics: { gpus: ['1'] },
    });
    expect(gpuProbeOptions(undefined)).toEqual({});
  });
});

describe('measureEfficiency({ gpus })', () => {
  it('is refused with explicit probes (their factories take gpus) and when empty', () => {
    const base = { config, criterion: criteria.fixedEpochs(1), maxEpochs: 1 };
    expect(() => measureEfficiency({ ...base, gpus: ['0'], probes: [userProbe({ powerW: 1 })] })).toThrow(
      /gpus applies to the default probes; with explicit probes, pass gpus to their factories/,
    );
    expect(() => measureEfficiency({ ...base, gpus: [] })).toThrow(/gpus is empty/);
  });
});

describe('defaultProbes({ gpus }) without any GPU tool', () => {
  const savedPath = process.env.PATH;
  beforeEach(async () => {
    // Only node is reachable: no nvidia-smi, rocm-smi, powerstat or powertop.
    const empty = await mkdtemp(join(tmpdir(), 'eff-no-gpu-'));
    process.env.PATH = `${empty}:${join(process.execPath, '..')}`;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('refuses, with each GPU probe reason, instead of measuring the CPU only', async () => {
    const err = await defaultProbes({ gpus: ['1'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeasureError);
    expect((err as MeasureError).code).toBe('E_MEASURE_OPTIONS');
    expect((err as Error).message).toMatch(
      /^gpus 1: no GPU probe can measure them \(nvml: .+; nvidia-smi: .+; rocm-smi: .+\)$/,
    );
  });

  it('measureEfficiency({ gpus }): start() rejects before training, naming the selection', async () => {
    const session = measureEfficiency({
      config,
      gpus: ['1'],
      criterion: criteria.fixedEpochs(1),
      maxEpochs: 1,
    });
    await expect(session.start()).rejects.toThrow(/^gpus 1: no GPU probe can measure them/);
    await session.abort();
  });

  it('without gpus the same machine falls back to the labelled estimate (the selection is what made it an error)', async () => {
    const probes = await defaultProbes();
    expect(probes.map((p) => [p.name, p.estimated])).toEqual([['estimate', true]]);
  });
});

describe('defaultProbes({ gpus }) with a GPU tool on PATH', () => {
  const savedPath = process.env.PATH;
  beforeEach(() => {
    process.env.PATH = `${FAKE_BIN}:${savedPath}`;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('starts the GPU probe that can read them', async () => {
    const probes = await defaultProbes({ gpus: ['0'] });
    expect(probes.map((p) => p.name)).toEqual(['nvidia-smi']);
  });
});
