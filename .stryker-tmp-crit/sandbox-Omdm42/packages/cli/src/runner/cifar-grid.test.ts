// @ts-nocheck
// eff run on CIFAR-10 folds, from a directory of generated files in the exact binary format (no download here).

import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';

const RECORD_BYTES = 3073;
const PER_CLASS_PER_FILE = 4;

/** One batch file: PER_CLASS_PER_FILE records of each class, pixels a function of class and position. */
function batch(fileIndex: number): Buffer {
  const buf = Buffer.alloc(10 * PER_CLASS_PER_FILE * RECORD_BYTES);
  let r = 0;
  for (let c = 0; c < 10; c++) {
    for (let i = 0; i < PER_CLASS_PER_FILE; i++, r++) {
      const at = r * RECORD_BYTES;
      buf[at] = c;
      for (let p = 1; p < RECORD_BYTES; p++) buf[at + p] = (c * 25 + ((p * (i + fileIndex + 1)) % 13)) & 0xff;
    }
  }
  return buf;
}

describe('eff run on CIFAR-10', () => {
  it('trains a fold from cifar10.dir and records dataset and fold', { timeout: 180_000 }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'eff-cifar-grid-'));
    const dir = join(root, 'cifar-10-batches-bin');
    await mkdir(dir);
    const files = [
      'data_batch_1',
      'data_batch_2',
      'data_batch_3',
      'data_batch_4',
      'data_batch_5',
      'test_batch',
    ];
    await Promise.all(files.map((f, i) => writeFile(join(dir, `${f}.bin`), batch(i))));
    const config = join(root, 'grid.json');
    await writeFile(
      config,
      JSON.stringify({
        name: 'cifar-tiny',
        datasets: ['cifar10'],
        architectures: ['lenet'],
        sizes: [1],
        criteria: [{ name: 'fixedEpochs', params: { epochs: 1 } }],
        maxEpochs: 1,
        batchSize: 40,
        intervalMs: 50,
        threads: 1,
        cifar10: { dir, folds: 2, perClassPerFold: 6, onlyFolds: [1] },
      }),
    );
    const out = join(root, 'results');
    const run = await runEff(['run', '--config', config, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const records = (await readFile(join(out, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(1);
    const r = records[0];
    expect(r.status).toBe('completed');
    expect(r.config).toMatchObject({ dataset: 'cifar10', fold: 1, architecture: 'lenet', size: 1 });
    expect(r.final.epochs).toBe(1);
    expect(r.final.accuracyOn).toBe('test');
    // The config's thread count reached eff's wasm kernels, and the record says so (threads change the energy).
    expect(r.environment).toMatchObject({ backend: 'wasm', trainingThreads: 1 });
    expect(r.config.extra.threads).toBe(1);
    // The test fold holds perClassPerFold images of each of the 10 classes: accuracy is a multiple of 1/60.
    expect(Math.abs(r.final.accuracy * 60 - Math.round(r.final.accuracy * 60))).toBeLessThan(1e-6);
  });

  it('says where to put the files when the directory is empty, and exits 1', {
    timeout: 60_000,
  }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'eff-cifar-missing-'));
    const config = join(root, 'grid.yaml');
    await writeFile(
      config,
      `datasets: [cifar10]\narchitectures: [lenet]\nsizes: [1]\ncriteria: [{ name: fixedEpochs, params: { epochs: 1 } }]\ncifar10: { dir: ${root} }\n`,
    );
    const run = await runEff(['run', '--config', config, '--out', join(root, 'out')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/data_batch_1\.bin/);
    expect(run.stderr).toMatch(/\[E_DATASET_MISSING\]/);
    expect(run.stderr).not.toMatch(/unexpected error|^\s+at /m);
  });
});
