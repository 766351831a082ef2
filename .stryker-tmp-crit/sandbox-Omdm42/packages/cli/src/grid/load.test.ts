// @ts-nocheck
// Grid config validation: presets are valid, wrong fields are named, YAML and JSON both load.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { expandGrid } from './expand.js';
import { loadGridConfigFile, presetConfig } from './load.js';
import { PRESET_NAMES } from './presets.js';

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eff-grid-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('presets', () => {
  it('paper-mnist has the paper settings', () => {
    const g = presetConfig('paper-mnist');
    expect(g.architectures).toEqual(['lenet', 'bcnn']);
    expect(g.sizes).toEqual([1, 2, 3, 4, 5]);
    expect(g.criteria.map((c) => c.name)).toEqual([
      'fixedEpochs',
      'accuracyTarget',
      'earlyStopping',
      'energyBudget',
    ]);
    expect([g.maxEpochs, g.batchSize, g.learningRate, g.optimizer]).toEqual([100, 256, 1e-3, 'adam']);
    expect(g.mnist.trainSize).toBeUndefined();
  });
  it('paper-cifar uses 6 folds of 1000 images per class', () => {
    const g = presetConfig('paper-cifar');
    expect(g.datasets).toEqual(['cifar10']);
    expect(g.cifar10).toMatchObject({ folds: 6, perClassPerFold: 1000 });
  });
  it('every preset validates, and an unknown one lists the known ones', () => {
    for (const name of PRESET_NAMES) expect(presetConfig(name).name).toBe(name);
    expect(() => presetConfig('paper')).toThrow(/expected one of: paper-mnist, paper-cifar, quick/);
  });
});

describe('config files', () => {
  it('loads YAML with defaults applied', async () => {
    const path = await tempFile(
      'g.yaml',
      'datasets: [mnist]\narchitectures: [lenet]\nsizes: [1]\ncriteria:\n  - name: fixedEpochs\n    params: { epochs: 2 }\nmnist: { trainSize: 500 }\n',
    );
    const g = await loadGridConfigFile(path);
    expect(g.maxEpochs).toBe(100);
    expect(g.batchSize).toBe(256);
    expect(g.mnist).toEqual({ trainSize: 500, validationSplit: 0.2 });
  });
  it('loads JSON', async () => {
    const path = await tempFile(
      'g.json',
      JSON.stringify({
        datasets: ['cifar10'],
        architectures: ['bcnn'],
        sizes: [2],
        criteria: [{ name: 'earlyStopping' }],
      }),
    );
    expect((await loadGridConfigFile(path)).cifar10.folds).toBe(6);
  });
  it('names a misspelled field and a wrongly typed nested one', async () => {
    const path = await tempFile(
      'bad.yaml',
      'datasets: [mnist]\narchitectures: [lenet, resnet]\nsizes: [1]\nmaxEpoch: 3\ncriteria:\n  - name: fixedEpochs\nmnist: { trainSize: "many" }\n',
    );
    const err = await loadGridConfigFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).toMatch(/maxEpoch: unknown field/);
    expect(message).toMatch(/architectures\[1\]:/);
    expect(message).toMatch(/mnist\.trainSize:/);
    expect((err as ConfigError).exitCode).toBe(2);
  });
  it('takes a thread count for the wasm kernels and rejects one that is not 1–64', async () => {
    const base = 'datasets: [mnist]\narchitectures: [lenet]\nsizes: [1]\ncriteria:\n  - name: fixedEpochs\n';
    expect((await loadGridConfigFile(await tempFile('t.yaml', `${base}threads: 1\n`))).threads).toBe(1);
    expect((await loadGridConfigFile(await tempFile('d.yaml', base))).threads).toBeUndefined();
    const err = await loadGridConfigFile(await tempFile('t0.yaml', `${base}threads: 0\n`)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/threads:/);
  });
  it('takes gpus as indices, UUIDs or MIG ids (as strings), not in the run hash; rejects an empty list or entry', async () => {
    const base = 'datasets: [mnist]\narchitectures: [lenet]\nsizes: [1]\ncriteria:\n  - name: fixedEpochs\n';
    const g = await loadGridConfigFile(
      await tempFile('g.yaml', `${base}gpus: [1, GPU-5c1b, 'MIG-GPU-5c1b/1/0']\n`),
    );
    expect(g.gpus).toEqual(['1', 'GPU-5c1b', 'MIG-GPU-5c1b/1/0']);
    const without = await loadGridConfigFile(await tempFile('d.yaml', base));
    expect(without.gpus).toBeUndefined();
    // Which GPUs are measured does not change what is trained: resuming with another selection skips finished runs.
    expect(expandGrid(g).map((r) => r.runId)).toEqual(expandGrid(without).map((r) => r.runId));
    for (const [bad, field] of [
      ['gpus: []', /gpus: name at least one GPU/],
      ["gpus: ['']", /gpus\[0\]:/],
      ['gpus: [-1]', /gpus\[0\]:/],
      ['gpus: 1', /gpus:/],
    ] as const) {
      const err = await loadGridConfigFile(await tempFile('bad.yaml', `${base}${bad}\n`)).catch(
        (e: unknown) => e,
      );
      expect(err, bad).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message, bad).toMatch(field);
    }
  });
  it('reports unparsable YAML and a missing file', async () => {
    const path = await tempFile('broken.yaml', 'datasets: [mnist\n');
    await expect(loadGridConfigFile(path)).rejects.toThrow(/not valid YAML/);
    await expect(loadGridConfigFile('/nonexistent/grid.yaml')).rejects.toThrow(/cannot read config file/);
  });
});
