// @ts-nocheck
// Save/load round trips (directory files and in-memory handlers) for LeNet, MC-dropout and Bayes-by-Backprop BCNN.
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bcnn } from './bcnn.js';
import { ModelFileError } from './errors.js';
import { loadModel, saveModel } from './io.js';
import { lenet } from './lenet.js';
import { compileModel, predictMc } from './train.js';
import { VariationalConv2D, VariationalDense, variationalKl } from './variational.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'eff-models-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const builders = {
  'lenet-2 on 32×32×3': () => lenet({ width: 2, inputShape: [32, 32, 3], seed: 1 }),
  'mc-dropout bcnn-1': () => bcnn({ seed: 2 }),
  'bayes-by-backprop bcnn-1': () => bcnn({ kind: 'bayes-by-backprop', seed: 3 }),
};

function inputFor(model: tf.LayersModel): tf.Tensor {
  const [, h, w, c] = (model.inputs[0]?.shape ?? []) as number[];
  return tf.randomUniform([5, h as number, w as number, c as number], 0, 1, 'float32', 21);
}

function expectSameModel(a: tf.LayersModel, b: tf.LayersModel): void {
  expect(b.name).toBe(a.name);
  expect(b.layers.map((l) => l.getClassName())).toEqual(a.layers.map((l) => l.getClassName()));
  // tfjs writes unset options (dropout seed, noiseShape) back as null: compare the options that are set.
  const set = (l: tf.layers.Layer) =>
    Object.fromEntries(Object.entries(l.getConfig()).filter(([, v]) => v != null));
  expect(b.layers.map(set)).toEqual(a.layers.map(set));
  const wa = a.getWeights();
  const wb = b.getWeights();
  expect(wb.map((w) => w.shape)).toEqual(wa.map((w) => w.shape));
  for (const [i, w] of wa.entries())
    expect(Array.from((wb[i] as tf.Tensor).dataSync())).toEqual(Array.from(w.dataSync()));
  // The deterministic pass (dropout off; BBB: posterior means) must be bit-identical.
  const x = inputFor(a);
  const pa = a.predict(x) as tf.Tensor;
  const pb = b.predict(x) as tf.Tensor;
  expect(Array.from(pb.dataSync())).toEqual(Array.from(pa.dataSync()));
  tf.dispose([x, pa, pb]);
}

describe('saveModel / loadModel (directory with model.json + weights.bin)', () => {
  for (const [label, build] of Object.entries(builders)) {
    it(`round-trips ${label}`, async () => {
      const model = build();
      const target = join(dir, label.replace(/[^a-z0-9-]/gi, '_'));
      const files = await saveModel(model, target);
      expect(files.weightBytes).toBe(model.countParams() * 4);
      expect((await readFile(files.weightsPath)).byteLength).toBe(files.weightBytes);
      const json = JSON.parse(await readFile(files.modelJsonPath, 'utf8'));
      expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
      const loaded = await loadModel(target);
      expectSameModel(model, loaded);
      model.dispose();
      loaded.dispose();
    });
  }

  it('a loaded Bayes-by-Backprop model is still variational: stochastic, same KL, trainable after compileModel', async () => {
    const model = bcnn({ kind: 'bayes-by-backprop', seed: 4 });
    await saveModel(model, join(dir, 'bbb'));
    const loaded = await loadModel(join(dir, 'bbb'));
    expect(
      loaded.layers.filter((l) => l instanceof VariationalConv2D || l instanceof VariationalDense),
    ).toHaveLength(5);
    const kl = [variationalKl(model), variationalKl(loaded)].map((t) => t.dataSync()[0]);
    expect(kl[1]).toBe(kl[0]);
    const x = inputFor(loaded);
    const s1 = predictMc(loaded, x);
    const s2 = predictMc(loaded, x);
    expect(tf.max(tf.abs(tf.sub(s1, s2))).dataSync()[0]).toBeGreaterThan(0);
    compileModel(loaded, { trainSize: 100 });
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4], 'int32'), 10);
    const [loss] = (await loaded.trainOnBatch(x, y)) as number[];
    // β·KL alone is ≈ 16,700 here; the loss must include it.
    expect(loss).toBeGreaterThan(0.1 * (kl[0] as number));
    tf.dispose([x, y, s1, s2]);
    model.dispose();
    loaded.dispose();
  });

  it('a compiled model saves and loads too (compile settings are not saved)', async () => {
    const model = lenet({ seed: 5 });
    compileModel(model);
    await saveModel(model, join(dir, 'compiled'));
    const loaded = await loadModel(join(dir, 'compiled'));
    expectSameModel(model, loaded);
    expect(loaded.optimizer).toBeUndefined();
    // The BBB loss is a function (NLL·N), which tfjs cannot name; saving must still work.
    const bbb = bcnn({ kind: 'bayes-by-backprop', seed: 6 });
    compileModel(bbb, { trainSize: 10 });
    await saveModel(bbb, join(dir, 'compiled-bbb'));
    const bbbLoaded = await loadModel(join(dir, 'compiled-bbb'));
    expectSameModel(bbb, bbbLoaded);
    tf.dispose([model, loaded, bbb, bbbLoaded]);
  });

  it('says which file is missing, corrupt or truncated', async () => {
    await expect(loadModel(join(dir, 'nothing-here'))).rejects.toThrow(
      /nothing-here\/model\.json: cannot read it/,
    );
    const target = join(dir, 'broken');
    const model = lenet();
    await saveModel(model, target);
    await truncate(join(target, 'weights.bin'), 1000);
    const err = await loadModel(target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect((err as ModelFileError).code).toBe('E_MODEL_FILE');
    expect((err as Error).message).toMatch(/weights\.bin: holds 1000 bytes but model\.json describes 246824/);
    await writeFile(join(target, 'model.json'), '{"modelTopology":');
    await expect(loadModel(target)).rejects.toThrow(/model\.json: is not valid JSON/);
    await rm(join(target, 'weights.bin'));
    await saveModel(model, target);
    await rm(join(target, 'weights.bin'));
    await expect(loadModel(target)).rejects.toThrow(/weights\.bin: cannot read this weight file/);
    model.dispose();
  });
});

describe('in-memory round trip (tf.io.withSaveHandler + tf.io.fromMemory)', () => {
  for (const [label, build] of Object.entries(builders)) {
    it(`round-trips ${label}`, async () => {
      const model = build();
      let saved: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
      expectSameModel(model, loaded);
      model.dispose();
      loaded.dispose();
    });
  }
});
