// `--gpus` end to end: malformed lists, --gpus without a GPU probe, and no GPU tool able to read the selection are
// usage errors (exit 2) before the command or the grid starts.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import { parseGpuList } from './gpus-option.js';

/** A PATH with node and nothing else: no nvidia-smi, rocm-smi, powerstat or powertop. */
async function pathWithoutGpuTools(): Promise<string> {
  const empty = await mkdtemp(join(tmpdir(), 'eff-no-gpu-tools-'));
  return `${empty}:${dirname(process.execPath)}`;
}

/** A command that leaves a file behind if it ever starts. */
async function markerCommand(): Promise<{ args: string[]; marker: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'eff-gpus-cmd-'));
  const marker = join(dir, 'started');
  return { args: ['/bin/sh', '-c', `echo started > ${marker}`], marker };
}

describe('parseGpuList', () => {
  it('splits on commas, trims, and appends repeated options', () => {
    expect(parseGpuList('0, 1', undefined)).toEqual(['0', '1']);
    expect(parseGpuList('GPU-5c1b', ['0'])).toEqual(['0', 'GPU-5c1b']);
    expect(() => parseGpuList('0,,1', undefined)).toThrow(/separated by commas \(e\.g\. 0,1\), got '0,,1'/);
  });

  it('a negative index (CUDA_VISIBLE_DEVICES=-1 means "no GPU") is refused with what to do instead', () => {
    expect(() => parseGpuList('-1', undefined)).toThrow(
      /'-1' is not a GPU \(GPU indices start at 0\)\. .*leave --gpus out and name CPU probes with --probe/,
    );
    expect(() => parseGpuList('0,-2', undefined)).toThrow(/'-2' is not a GPU/);
    // Ids that merely contain a dash are GPU or MIG UUIDs, not negative numbers.
    expect(parseGpuList('GPU-1-2,MIG-3', undefined)).toEqual(['GPU-1-2', 'MIG-3']);
  });
});

describe('eff measure --gpus', () => {
  it('a malformed list is a usage error and the command does not start', { timeout: 180_000 }, async () => {
    const cmd = await markerCommand();
    const r = await runEff(['measure', '--gpus', '0,', '--', ...cmd.args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option '--gpus <list>' argument '0,' is invalid/);
    expect(existsSync(cmd.marker)).toBe(false);
  });

  it('with only non-GPU probes named it is a usage error, not silently ignored', {
    timeout: 180_000,
  }, async () => {
    const cmd = await markerCommand();
    const r = await runEff(['measure', '--probe', 'estimate', '--gpus', '1', '--', ...cmd.args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--gpus selects GPUs, but no GPU probe is named \(--probe estimate\); add one of nvml, nvidia-smi, amd-smi, rocm-smi, hwmon, powermetrics or drop --gpus/,
    );
    expect(existsSync(cmd.marker)).toBe(false);
  });

  it('when no GPU probe can read the selection: exit 2 with each probe reason, command not started', {
    timeout: 180_000,
  }, async () => {
    const cmd = await markerCommand();
    const r = await runEff(['measure', '--gpus', '1', '--', ...cmd.args], {
      PATH: await pathWithoutGpuTools(),
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^eff: --gpus 1: no GPU probe can measure them \(nvml: .*; nvidia-smi: .*not found on PATH.*; rocm-smi: .*\) \(see eff probes\)\.$/m,
    );
    expect(existsSync(cmd.marker)).toBe(false);
  });
});

describe('eff run --gpus', () => {
  it('when no GPU probe can read the selection: exit 2 before training, nothing recorded', {
    timeout: 240_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-run-gpus-'));
    const config = join(dir, 'g.yaml');
    await writeFile(
      config,
      'datasets: [mnist]\narchitectures: [lenet]\nsizes: [1]\ncriteria:\n  - { name: fixedEpochs, params: { epochs: 1 } }\nmaxEpochs: 1\nmnist: { trainSize: 100, testSize: 50 }\n',
    );
    const out = join(dir, 'results');
    const r = await runEff(['run', '--config', config, '--out', out, '--gpus', '3'], {
      PATH: await pathWithoutGpuTools(),
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/eff: --gpus 3: no GPU probe can measure them/);
    expect(r.stderr).not.toMatch(/epoch 1\//);
    expect(existsSync(join(out, 'results.jsonl'))).toBe(false);
  });
});
