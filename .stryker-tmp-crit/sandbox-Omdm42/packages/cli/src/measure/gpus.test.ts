// @ts-nocheck
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
    timeout: 120_000,
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
    expect(probe.deviceReports.map((d) => [d.deviceId, d.status, d.method])).toEqual([
      ['gpu1', 'measured', 'power'],
    ]);
    // GPU 1 alone: 140 W over the command's duration, within 5 %; GPU 0's 95.5 W is not in it.
    expect(result.energyJ.gpu).toBeGreaterThan(0.95 * joules(GPU1_W, result.durationMs));
    expect(result.energyJ.gpu).toBeLessThan(1.05 * joules(GPU1_W, result.durationMs));
    expect(probe.deviceReports[0]?.energyJ).toBeCloseTo(result.energyJ.gpu ?? 0, 6);
    expect(result.degraded).toBe(false);
  });

  it('without --gpus, one line per GPU with its own energy in the human summary', {
    timeout: 120_000,
  }, async () => {
    const r = await runEff(['measure', '--probe', 'nvidia-smi', '--', `${BIN}sleep-exit`, '1', '0'], env);
    expect(r.code, r.stderr).toBe(0);
    const seconds = Number(/\(exit code 0, \d+s, ([\d.]+) s\)/.exec(r.stderr)?.[1]);
    expect(seconds).toBeGreaterThan(0.9);
    const device = (id: string) => {
      const m = new RegExp(`^ {4}${id}\\s+measured\\s+power\\s+([\\d.]+) J\\s+\\d+ samples$`, 'm').exec(
        r.stderr,
      );
      return Number(m?.[1]);
    };
    expect(device('gpu0'), r.stderr).toBeGreaterThan(0.95 * GPU0_W * seconds);
    expect(device('gpu0')).toBeLessThan(1.05 * GPU0_W * seconds);
    expect(device('gpu1')).toBeGreaterThan(0.95 * GPU1_W * seconds);
    expect(device('gpu1')).toBeLessThan(1.05 * GPU1_W * seconds);
  });

  it('a GPU that does not exist: exit 2 naming it, before the command starts', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-gpus-missing-'));
    const marker = join(dir, 'started');
    const command = ['/bin/sh', '-c', `echo started > ${marker}`];
    const byDefault = await runEff(['measure', '--gpus', '7', '--', ...command], env);
    expect(byDefault.code, byDefault.stderr).toBe(2);
    expect(byDefault.stderr).toMatch(
      /--gpus 7: no GPU probe can measure them \(.*nvidia-smi: [^;]*(No devices were found|"7")/,
    );
    const named = await runEff(['measure', '--probe', 'nvidia-smi', '--gpus', '7', '--', ...command], env);
    expect(named.code, named.stderr).toBe(2);
    expect(named.stderr).toMatch(
      /probe 'nvidia-smi' cannot run on this machine: .*(No devices were found|"7")/,
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
    expect(nvsmi).toMatchObject({ available: true, devices: ['gpu1'] });
    const all = JSON.parse((await runEff(['probes', '--json'], env)).stdout) as ProbeRow[];
    expect(all.find((row) => row.name === 'nvidia-smi')?.devices).toEqual(['gpu0', 'gpu1']);
  });
});

describe('eff run --gpus', () => {
  it('--gpus wins over the config gpus; the record shows the device measured', {
    timeout: 180_000,
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
