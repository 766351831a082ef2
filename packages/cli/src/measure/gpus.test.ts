// The job's own GPUs end to end: --gpus and the grid config's gpus reach the GPU probes (a strict fake nvidia-smi
// first on PATH, two A100s at 95.5 W and 140 W), win over CUDA_VISIBLE_DEVICES, and every result shows each device.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunRecordSchema } from '@eff/core';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import type { ProbeRow } from './probes.js';
import type { MeasureResult } from './report.js';

const MACHINE_BIN = fileURLToPath(new URL('../../test/fixtures/machine-bin', import.meta.url));
const BIN = fileURLToPath(new URL('../../test/fixtures/bin/', import.meta.url));
const env = { PATH: `${MACHINE_BIN}${delimiter}${process.env.PATH ?? ''}` };
const GPU0_W = 95.5;
const GPU1_W = 140;

/** Energy of a constant power over a duration, J. */
const joules = (powerW: number, durationMs: number) => (powerW * durationMs) / 1000;

describe('eff measure --gpus', () => {
  it('measures only the GPU named, over CUDA_VISIBLE_DEVICES, and reports it per device (JSON)', {
    timeout: 180_000,
  }, async () => {
    const r = await runEff(['measure', '--gpus', '1', '--json', '--', `${BIN}sleep-exit`, '1', '0'], {
      ...env,
      CUDA_VISIBLE_DEVICES: '0',
    });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as MeasureResult;
    const gpuProbes = result.probes.filter((p) => p.components.includes('gpu'));
    expect(gpuProbes.map((p) => p.name)).toEqual(['nvidia-smi']);
    const probe = gpuProbes[0]!;
    expect(probe.devices).toEqual(['gpu1']);
    expect(probe.deviceReports.map((d) => [d.deviceId, d.status, d.method, d.selectedBy])).toEqual([
      ['gpu1', 'measured', 'power', 'option'],
    ]);
    // GPU 1 alone: 140 W over the command's duration, within 5 %; GPU 0's 95.5 W is not in it.
    expect(result.energyJ.gpu).toBeGreaterThan(0.95 * joules(GPU1_W, result.durationMs));
    expect(result.energyJ.gpu).toBeLessThan(1.05 * joules(GPU1_W, result.durationMs));
    expect(probe.deviceReports[0]?.energyJ).toBeCloseTo(result.energyJ.gpu ?? 0, 6);
    expect(result.degraded).toBe(false);
  });

  it('without --gpus, one line per GPU with its own energy in the human summary', {
    timeout: 180_000,
  }, async () => {
    const r = await runEff(['measure', '--probe', 'nvidia-smi', '--', `${BIN}sleep-exit`, '1', '0'], env);
    expect(r.code, r.stderr).toBe(0);
    const seconds = Number(/\(exit code 0, ([\d.]+) s\)/.exec(r.stderr)?.[1]);
    expect(seconds).toBeGreaterThan(0.9);
    const device = (id: string) => {
      // energy, its sensor interval (NVIDIA's ±5 W per reading), samples
      const m = new RegExp(
        `^ {4}${id}\\s+measured\\s+power\\s+([\\d.]+) J ± [\\d.]+ J \\(sensor\\)\\s+\\d+ samples$`,
        'm',
      ).exec(r.stderr);
      return Number(m?.[1]);
    };
    expect(device('gpu0'), r.stderr).toBeGreaterThan(0.95 * GPU0_W * seconds);
    expect(device('gpu0')).toBeLessThan(1.05 * GPU0_W * seconds);
    expect(device('gpu1')).toBeGreaterThan(0.95 * GPU1_W * seconds);
    expect(device('gpu1')).toBeLessThan(1.05 * GPU1_W * seconds);
  });

  it('a GPU that does not exist: exit 2 naming it, before the command starts', {
    timeout: 180_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-gpus-missing-'));
    const marker = join(dir, 'started');
    const command = ['/bin/sh', '-c', `echo started > ${marker}`];
    const byDefault = await runEff(['measure', '--gpus', '7', '--', ...command], env);
    expect(byDefault.code, byDefault.stderr).toBe(2);
    // The message names the GPU asked for and the GPUs there are.
    expect(byDefault.stderr).toMatch(
      /--gpus 7: no GPU probe can measure them \(.*nvidia-smi: gpus option: "7" is not a GPU index.*this machine has: gpu0 \(index 0, GPU-0a0a0a0a[^)]*\); gpu1 \(index 1, GPU-1b1b1b1b/,
    );
    const named = await runEff(['measure', '--probe', 'nvidia-smi', '--gpus', '7', '--', ...command], env);
    expect(named.code, named.stderr).toBe(2);
    expect(named.stderr).toMatch(
      /probe 'nvidia-smi' cannot run on this machine: gpus option: "7" is not a GPU index/,
    );
    // The same selection made by the environment is as clear an error (no silent CPU-only or estimated result).
    const fromEnv = await runEff(['measure', '--', ...command], { ...env, CUDA_VISIBLE_DEVICES: '7' });
    expect(fromEnv.code, fromEnv.stderr).toBe(2);
    expect(fromEnv.stderr).toMatch(
      /the job's GPU selection names GPUs that are not here \(nvidia-smi: CUDA_VISIBLE_DEVICES=7 names "7".*this machine has: gpu0/,
    );
    expect(existsSync(marker)).toBe(false);
  });
});

describe('eff probes --gpus', () => {
  it('--json: the GPU probe lists only the GPUs it would measure', { timeout: 240_000 }, async () => {
    const r = await runEff(['probes', '--json', '--gpus', '1'], env);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as ProbeRow[];
    const nvsmi = rows.find((row) => row.name === 'nvidia-smi');
    expect(nvsmi).toMatchObject({ available: true, devices: ['gpu1'], selectedBy: 'option' });
    const fromEnv = JSON.parse(
      (await runEff(['probes', '--json'], { ...env, CUDA_VISIBLE_DEVICES: '0' })).stdout,
    ) as ProbeRow[];
    expect(fromEnv.find((row) => row.name === 'nvidia-smi')).toMatchObject({
      devices: ['gpu0'],
      selectedBy: 'CUDA_VISIBLE_DEVICES',
    });
  });
});

// GPU 0 drives the displays and has no power sensor (nvidia-smi prints [N/A]); GPU 1 trains at 95.5 W.
const NO_SENSOR_MACHINE = JSON.stringify({
  gpus: [
    { uuid: 'GPU-0a0a0a0a-0000-4000-8000-000000000000', power: ['[N/A]'] },
    { uuid: 'GPU-1b1b1b1b-0000-4000-8000-000000000001', power: [95.5] },
  ],
});

describe('a GPU without a power sensor beside a healthy one', () => {
  it('eff probes names it as not measurable, with the reason; the other GPU is measured', {
    timeout: 240_000,
  }, async () => {
    const r = await runEff(['probes'], { ...env, FAKE_NVSMI_MACHINE: NO_SENSOR_MACHINE });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^nvidia-smi\s+gpu\s+yes\s+devices: gpu1 \(all: nothing narrows the choice\); not measurable: gpu0: .*\[N\/A\]: no power sensor/m,
    );
  });

  it('eff measure: gpu0 unsupported, gpu1 measured at 95.5 W, not degraded', {
    timeout: 180_000,
  }, async () => {
    const r = await runEff(['measure', '--json', '--', `${BIN}sleep-exit`, '1', '0'], {
      ...env,
      FAKE_NVSMI_MACHINE: NO_SENSOR_MACHINE,
    });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as MeasureResult;
    const probe = result.probes.find((p) => p.name === 'nvidia-smi')!;
    expect(probe.deviceReports.map((d) => [d.deviceId, d.status])).toEqual([
      ['gpu0', 'unsupported'],
      ['gpu1', 'measured'],
    ]);
    expect(result.energyJ.gpu).toBeGreaterThan(0.95 * joules(GPU0_W, result.durationMs));
    expect(result.energyJ.gpu).toBeLessThan(1.05 * joules(GPU0_W, result.durationMs));
    expect(result.degraded).toBe(false);
    expect(r.stderr).toMatch(/^ {4}gpu0\s+unsupported\s+-\s+-\s+0 samples: .*\[N\/A\]/m);
    expect(r.stderr).toMatch(/^ {4}gpu1\s+measured\s+power\s+[\d.]+ J/m);
    // The reason is on gpu0's line; the probe's note saying the same is not printed twice.
    expect(r.stderr).not.toMatch(/note: gpu0 not measured/);
  });
});

describe('eff run --gpus', () => {
  it('--gpus wins over the config gpus; the record shows the device measured', {
    timeout: 400_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-run-gpus-'));
    const config = join(dir, 'g.yaml');
    await writeFile(
      config,
      [
        'datasets: [mnist]',
        'architectures: [lenet]',
        'sizes: [1]',
        'criteria:',
        '  - { name: fixedEpochs, params: { epochs: 1 } }',
        'maxEpochs: 1',
        'batchSize: 50',
        'mnist: { trainSize: 200, testSize: 50 }',
        'probes: [nvidia-smi]',
        'gpus: [0]',
        'intervalMs: 50',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'results');
    const r = await runEff(['run', '--config', config, '--out', out, '--gpus', '1'], {
      ...env,
      CUDA_VISIBLE_DEVICES: '0',
    });
    expect(r.code, r.stderr).toBe(0);
    const lines = (await readFile(join(out, 'results.jsonl'), 'utf8')).trim().split('\n');
    const record = RunRecordSchema.parse(JSON.parse(lines[0] ?? '{}'));
    const probe = record.probes.find((p) => p.name === 'nvidia-smi');
    expect(probe?.devices).toEqual(['gpu1']);
    expect(probe?.deviceReports.map((d) => [d.deviceId, d.status, d.method])).toEqual([
      ['gpu1', 'measured', 'power'],
    ]);
    const e = record.epochs[0]!;
    expect(e.energyJ.gpu).toBeGreaterThan(0.95 * joules(GPU1_W, e.durationMs));
    expect(e.energyJ.gpu).toBeLessThan(1.05 * joules(GPU1_W, e.durationMs));
  });
});
