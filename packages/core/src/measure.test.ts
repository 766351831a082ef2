// measureEfficiency around custom loops and real tfjs model.fit: criteria, per-batch budget, probe crash, training errors.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nvidiaSmiProbe } from '@eff/probes';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sleep, userProbe } from '../test/user-probes.js';
import * as criteria from './criteria.js';
import { type EfficiencySession, MeasureError, measureEfficiency } from './measure.js';
import { RunRecordSchema } from './schema.js';

const FAKE_BIN = fileURLToPath(new URL('../test/fixtures/bin', import.meta.url));
process.env.PATH = `${FAKE_BIN}:${process.env.PATH}`;

function fakeNvidiaSmiPids(): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(`${FAKE_BIN}/nvidia-smi`) && !/^\s*\d+\s+Z/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

async function noFakeLeft(): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (fakeNvidiaSmiPids().length === 0) return true;
    await sleep(20);
  }
  return false;
}

const config = { architecture: 'test-net', size: 1, dataset: 'synthetic' };

/** Runs a custom loop: one epoch = `sleepMs` of "training", then epochEnd with the given validation accuracy. */
async function loop(session: EfficiencySession, valAccs: number[], sleepMs = 30): Promise<number> {
  await session.start();
  let epochs = 0;
  for (const validationAccuracy of valAccs) {
    await sleep(sleepMs);
    epochs++;
    const r = await session.epochEnd({
      trainAccuracy: Math.min(1, validationAccuracy + 0.01),
      validationAccuracy,
    });
    expect(r.epoch).toBe(epochs);
    if (r.stop) break;
  }
  return epochs;
}

describe('measureEfficiency: stopping criteria in a custom loop', () => {
  it('fixedEpochs stops at exactly that epoch and the record adds up', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 50 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(3),
      maxEpochs: 10,
    });
    const live: number[] = [];
    session.epochs$.subscribe((e) => live.push(e.epoch));
    expect(await loop(session, [0.5, 0.6, 0.7, 0.8, 0.9])).toBe(3);
    const r = await session.finish();
    expect(RunRecordSchema.safeParse(r).success).toBe(true);
    expect(r.status).toBe('completed');
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(live).toEqual([1, 2, 3]);
    expect(r.final.stoppedBy).toEqual({ criterion: 'fixedEpochs', reason: 'reached 3 epochs', epoch: 3 });
    expect(r.config.criterion).toEqual(criteria.fixedEpochs(3).toConfig());
    expect(r.config.maxEpochs).toBe(10);
    // Constant 50 W: each epoch's energy is 50 W × its duration; epochs add up to the run's energy.
    for (const e of r.epochs) expect(e.energyJ.total).toBeCloseTo((50 * e.durationMs) / 1000, 6);
    const sum = r.epochs.reduce((s, e) => s + e.energyJ.total, 0);
    expect(r.final.energyJ.total).toBeCloseTo(sum, 9);
    expect(r.final.energyJ.total).toBeCloseTo((50 * r.final.durationMs) / 1000, 6);
    expect(r.final.accuracyOn).toBe('validation');
    expect(r.final.accuracy).toBe(0.7);
    expect(r.final.efficiency).toBeCloseTo(0.7 / r.final.energyJ.total, 12);
    expect(r.epochs[1]?.efficiency).toBeCloseTo(0.6 / (r.epochs[1]?.cumulativeEnergyJ.total ?? 0), 12);
    expect(r.final.degraded).toBe(false);
    expect(r.final.estimated).toBe(false);
    expect(r.probes[0]?.sampleCount).toBeGreaterThan(3);
  });

  it('accuracyTarget stops at the first epoch reaching the target', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 10 })],
      intervalMs: 10,
      criterion: criteria.accuracyTarget({ target: 0.9, on: 'validation' }),
      maxEpochs: 10,
    });
    expect(await loop(session, [0.5, 0.85, 0.91, 0.95])).toBe(3);
    const r = await session.finish();
    expect(r.final.stoppedBy.criterion).toBe('accuracyTarget');
    expect(r.final.stoppedBy.epoch).toBe(3);
    expect(r.final.accuracy).toBe(0.91);
  });

  it('earlyStopping stops after `patience` epochs without improvement', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 10 })],
      intervalMs: 10,
      criterion: criteria.earlyStopping({ patience: 2 }),
      maxEpochs: 10,
    });
    expect(await loop(session, [0.5, 0.6, 0.6, 0.59, 0.7])).toBe(4);
    const r = await session.finish();
    expect(r.final.stoppedBy).toMatchObject({ criterion: 'earlyStopping', epoch: 4 });
    expect(r.final.stoppedBy.reason).toMatch(/did not improve on 0\.6000 \(epoch 2\)/);
  });

  it('the hard epoch cap stops a criterion that has not fired, and says so', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 10 })],
      intervalMs: 10,
      criterion: criteria.accuracyTarget({ target: 0.99 }),
      maxEpochs: 2,
    });
    expect(await loop(session, [0.5, 0.6, 0.7])).toBe(2);
    const r = await session.finish();
    expect(r.final.stoppedBy).toEqual({
      criterion: 'maxEpochs',
      reason: 'hit the hard cap of 2 epochs',
      epoch: 2,
    });
  });

  it('bad input is an error naming the value', async () => {
    expect(() =>
      measureEfficiency({ config, probes: [userProbe({ powerW: 1 })], criterion: criteria.fixedEpochs(2) }),
    ).toThrow(/maxEpochs is required/);
    expect(() =>
      measureEfficiency({
        config: { ...config, size: 0 },
        probes: [userProbe({ powerW: 1 })],
        criterion: criteria.fixedEpochs(2),
        maxEpochs: 2,
      }),
    ).toThrow(/^config: size: /);
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 1 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(2),
      maxEpochs: 2,
    });
    await expect(session.epochEnd({ validationAccuracy: 97 })).rejects.toThrow(
      /validationAccuracy after epoch 1 must be an accuracy in \[0, 1\], found 97/,
    );
    await expect(session.epochEnd({ trainLoss: 0.3 })).rejects.toBeInstanceOf(MeasureError);
    await session.abort();
    await expect(session.epochEnd({ validationAccuracy: 0.5 })).rejects.toThrow(/after the session ended/);
  });
});

describe('measureEfficiency: a diverged run is a result', () => {
  it('a non-finite training loss in a custom loop ends the run as diverged with every epoch kept', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 50 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(5),
      maxEpochs: 5,
    });
    await session.start();
    await sleep(30);
    expect(
      (await session.epochEnd({ trainAccuracy: 0.5, validationAccuracy: 0.4, trainLoss: 1.2 })).stop,
    ).toBe(false);
    await sleep(30);
    const r2 = await session.epochEnd({
      trainAccuracy: 0.333,
      validationAccuracy: 0.3,
      trainLoss: Number.POSITIVE_INFINITY,
    });
    const decision = { criterion: 'diverged', reason: 'training loss is Infinity after epoch 2', epoch: 2 };
    expect(r2).toEqual({ stop: true, decision, epoch: 2 });
    const r = await session.finish();
    expect(RunRecordSchema.safeParse(r).success).toBe(true);
    expect(r.status).toBe('diverged');
    expect(r.error).toBeUndefined();
    expect(r.final.stoppedBy).toEqual(decision);
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    const e2 = r.epochs[1]!;
    expect(e2.trainLoss).toBeNull();
    expect(e2.nonFinite).toEqual({ trainLoss: 'Infinity' });
    expect(r.epochs[0]?.nonFinite).toBeUndefined();
    expect(e2.trainAccuracy).toBe(0.333);
    // The offending epoch keeps its energy (50 W × its duration) and its Eq. 2 value.
    expect(e2.energyJ.total).toBeCloseTo((50 * e2.durationMs) / 1000, 6);
    expect(e2.efficiency).toBeCloseTo(0.3 / e2.cumulativeEnergyJ.total, 12);
    expect(r.final.epochs).toBe(2);
    expect(r.final.accuracy).toBe(0.3);
    expect(r.final.accuracyOn).toBe('validation');
    expect(r.final.energyJ.total).toBeCloseTo((50 * r.final.durationMs) / 1000, 6);
    expect(r.final.efficiency).toBeCloseTo(0.3 / r.final.energyJ.total, 12);
    expect(r.final.degraded).toBe(false);
  });

  it('a NaN accuracy: the outcome is the last epoch with a finite accuracy, the energy is the whole run', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 20 })],
      intervalMs: 10,
      criterion: criteria.earlyStopping({ patience: 3 }),
      maxEpochs: 10,
    });
    await session.start();
    for (const validationAccuracy of [0.6, 0.7]) {
      await sleep(30);
      await session.epochEnd({ trainAccuracy: 0.9, validationAccuracy, validationLoss: 0.5 });
    }
    await sleep(30);
    // The validation accuracy is NaN, the training accuracy is still a number: the run must not switch to it.
    const r3 = await session.epochEnd({
      trainAccuracy: 0.95,
      validationAccuracy: Number.NaN,
      validationLoss: Number.NEGATIVE_INFINITY,
    });
    expect(r3.stop).toBe(true);
    expect(r3.decision?.reason).toBe(
      'validation accuracy is NaN, validation loss is -Infinity after epoch 3',
    );
    const r = await session.finish();
    expect(r.status).toBe('diverged');
    expect(r.epochs).toHaveLength(3);
    const [, e2, e3] = r.epochs;
    expect(e3?.nonFinite).toEqual({ validationAccuracy: 'NaN', validationLoss: '-Infinity' });
    expect(e3?.validationAccuracy).toBeNull();
    expect(e3?.efficiencyAccuracy).toBe('validation');
    expect(e3?.efficiency).toBe(0);
    expect(e3?.energyJ.total).toBeCloseTo((20 * (e3?.durationMs ?? 0)) / 1000, 6);
    expect(r.final.accuracy).toBe(0.7);
    expect(r.final.accuracyOn).toBe('validation');
    expect(r.final.trainAccuracy).toBe(0.9);
    expect(r.final.efficiency).toBe(e2?.efficiency);
    expect(r.final.efficiency).toBeCloseTo(0.7 / (e2?.cumulativeEnergyJ.total ?? 0), 12);
    expect(r.final.energyJ.total).toBe(e3?.cumulativeEnergyJ.total);
    expect(r.final.epochs).toBe(3);
  });

  it('a run whose first epoch has no finite accuracy at all is still diverged (accuracy 0), not failed', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 20 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(3),
      maxEpochs: 3,
    });
    await session.start();
    await sleep(20);
    await session.epochEnd({ trainAccuracy: Number.NaN, trainLoss: Number.NaN });
    const r = await session.finish();
    expect(r.status).toBe('diverged');
    expect(r.epochs).toHaveLength(1);
    expect(r.epochs[0]?.nonFinite).toEqual({ trainAccuracy: 'NaN', trainLoss: 'NaN' });
    expect(r.final).toMatchObject({ accuracy: 0, efficiency: 0, epochs: 1 });
    expect(r.final.energyJ.total).toBeGreaterThan(0);
  });

  it('fail() after a divergence is still a failure (an error is not a result)', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 20 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(3),
      maxEpochs: 3,
    });
    await session.start();
    await session.epochEnd({ trainAccuracy: 0.5, trainLoss: Number.NaN });
    const r = await session.fail(new Error('disk full'));
    expect(r.status).toBe('failed');
    expect(r.epochs).toHaveLength(1);
    expect(r.final.stoppedBy.criterion).toBe('error');
  });
});

describe('measureEfficiency: energy budget', () => {
  /** 100 W; batches of ~20 ms (~2 J); 20 batches per epoch; budget 10 J. */
  async function budgetRun(checkEvery: 'batch' | 'epoch') {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 100 })],
      intervalMs: 10,
      criterion: criteria.energyBudget({ joules: 10, checkEvery }),
      maxEpochs: 5,
    });
    await session.start();
    let batchesRun = 0;
    let longestBatchMs = 0;
    outer: for (let epoch = 1; epoch <= 5; epoch++) {
      for (let b = 1; b <= 20; b++) {
        const t = performance.now();
        await sleep(20);
        batchesRun++;
        const stop = await session.batchEnd();
        longestBatchMs = Math.max(longestBatchMs, performance.now() - t);
        if (stop) {
          await session.epochEnd({ trainAccuracy: 0.5 });
          break outer;
        }
      }
      if ((await session.epochEnd({ trainAccuracy: 0.5 })).stop) break;
    }
    return { record: await session.finish(), batchesRun, longestBatchMs };
  }

  it('checked per batch, it stops within one batch of the budget', async () => {
    const { record: r, batchesRun, longestBatchMs } = await budgetRun('batch');
    expect(r.final.stoppedBy.criterion).toBe('energyBudget');
    expect(r.final.stoppedBy.epoch).toBe(1);
    expect(r.final.stoppedBy.batch).toBe(batchesRun);
    expect(r.epochs).toHaveLength(1);
    const overshootJ = r.final.energyJ.total - 10;
    // The run used at least the budget (held-power estimate at decision time, exact energy in the record) ...
    expect(overshootJ).toBeGreaterThan(-0.5);
    // ... and at most one batch more.
    expect(overshootJ).toBeLessThan((100 * longestBatchMs) / 1000);
  });

  it("checked per epoch (the paper's way), the same budget overshoots by most of an epoch", async () => {
    const { record: r } = await budgetRun('epoch');
    expect(r.final.stoppedBy).toMatchObject({ criterion: 'energyBudget', epoch: 1 });
    expect(r.final.stoppedBy.batch).toBeUndefined();
    // 20 batches of >= 20 ms at 100 W: >= 40 J against a 10 J budget.
    expect(r.final.energyJ.total).toBeGreaterThan(38);
  });
});

describe('measureEfficiency: failures', () => {
  it('a probe that crashes mid-run: the run continues, marked degraded with the gap', async () => {
    process.env.FAKE_NVSMI_EXIT_AFTER_MS = '300';
    process.env.FAKE_NVSMI_POWER_W = '150';
    try {
      const session = measureEfficiency({
        config,
        probes: [nvidiaSmiProbe(), userProbe({ powerW: 20 })],
        intervalMs: 25,
        criterion: criteria.fixedEpochs(6),
        maxEpochs: 6,
      });
      expect(await loop(session, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 120)).toBe(6);
      const r = await session.finish();
      expect(r.status).toBe('completed');
      expect(r.epochs).toHaveLength(6);
      expect(r.final.degraded).toBe(true);
      const gpu = r.probes.find((p) => p.name === 'nvidia-smi');
      expect(gpu?.degraded).toBe(true);
      expect(gpu?.errors[0]).toMatch(/exited \(code 3.*GPU is lost/);
      expect(gpu?.gaps).toHaveLength(1);
      // The gap runs from the crash (~300 ms in) to the end of training (~720 ms): never a silent lower bound.
      expect(gpu?.gaps[0]?.durationMs).toBeGreaterThan(250);
      const cpu = r.probes.find((p) => p.name === 'wattmeter');
      expect(cpu?.degraded).toBe(false);
      // The surviving probe measured every epoch.
      for (const e of r.epochs) expect(e.energyJ.cpu).toBeCloseTo((20 * e.durationMs) / 1000, 6);
      // The GPU measured the first epochs, then nothing (and the gap says so).
      expect(r.epochs[0]?.energyJ.gpu).toBeCloseTo((150 * (r.epochs[0]?.durationMs ?? 0)) / 1000, 6);
      expect(r.epochs[5]?.energyJ.gpu).toBe(0);
      expect(await noFakeLeft()).toBe(true);
    } finally {
      delete process.env.FAKE_NVSMI_EXIT_AFTER_MS;
      delete process.env.FAKE_NVSMI_POWER_W;
    }
  });

  it('probes that cannot start: start() rejects with the reason and fail() still writes a failed record', async () => {
    const session = measureEfficiency({
      config,
      probes: [],
      criterion: criteria.fixedEpochs(2),
      maxEpochs: 2,
    });
    await expect(session.start()).rejects.toThrow(/startMeter needs at least one probe/);
    let completed = false;
    session.epochs$.subscribe({ complete: () => (completed = true) });
    const r = await session.fail(new Error('no meter'));
    expect(RunRecordSchema.safeParse(r).success).toBe(true);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^no meter; probes did not start: E_METER: startMeter needs at least one probe/);
    expect(r.probes).toEqual([]);
    expect(r.final.degraded).toBe(true);
    expect(completed).toBe(true);
    await expect(session.finish()).rejects.toThrow(/finish after the session ended/);
  });

  it('idle baseline: energy above idle subtracts the idle power over the training time', async () => {
    let training = false;
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: () => (training ? 30 : 10) })],
      intervalMs: 10,
      baselineMs: 200,
      criterion: criteria.fixedEpochs(2),
      maxEpochs: 2,
    });
    await session.start();
    training = true;
    await sleep(150);
    await session.epochEnd({ trainAccuracy: 0.4 });
    await sleep(150);
    await session.epochEnd({ trainAccuracy: 0.5 });
    const r = await session.finish();
    expect(r.baseline?.durationMs).toBe(200);
    expect(r.baseline?.powerW.total).toBeCloseTo(10, 6);
    expect(r.baseline?.energyJ.total).toBeCloseTo(2, 6);
    const s = r.final.durationMs / 1000;
    // ~30 W while training (the first sample after the switch is up to one interval late).
    expect(r.final.energyJ.total).toBeGreaterThan(30 * s - 0.3);
    expect(r.final.energyAboveIdleJ?.total).toBeCloseTo(r.final.energyJ.total - 10 * s, 6);
    expect(r.final.energyAboveIdleJ?.total).toBeGreaterThan(20 * s - 0.3);
  });

  it('a baseline without start() before training is refused (idle power must be measured while idle)', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 10 })],
      intervalMs: 10,
      baselineMs: 50,
      criterion: criteria.fixedEpochs(2),
      maxEpochs: 2,
    });
    await expect(session.epochEnd({ trainAccuracy: 0.5 })).rejects.toThrow(/await session.start\(\)/);
    await session.abort();
  });

  it('without probes it uses what detectProbes finds (here: the fake nvidia-smi on PATH), not the estimate', async () => {
    const session = measureEfficiency({
      config,
      intervalMs: 30,
      criterion: criteria.fixedEpochs(1),
      maxEpochs: 1,
    });
    await loop(session, [0.5], 100);
    const r = await session.finish();
    expect(r.probes.map((p) => p.name)).toEqual(['nvidia-smi']);
    expect(r.final.estimated).toBe(false);
    expect(r.final.energyJ.gpu).toBeCloseTo((100 * r.final.durationMs) / 1000, 6);
    expect(await noFakeLeft()).toBe(true);
  });
});

describe('measureEfficiency around a real tfjs model.fit (cpu backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  /** Tiny separable task: label = (x0 + x1 > 0), 96 samples, a 2-layer dense model. */
  function data() {
    const xs = tf.randomUniform([96, 4], -1, 1, 'float32', 7);
    const labels = tf.tidy(() =>
      xs
        .slice([0, 0], [96, 1])
        .add(xs.slice([0, 1], [96, 1]))
        .greater(0)
        .toFloat(),
    );
    const ys = tf.tidy(() => tf.concat([tf.sub(1, labels), labels], 1));
    labels.dispose();
    return { xs, ys };
  }

  function model(): tf.Sequential {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }));
    m.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
    m.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  }

  it('the callback stops fit at the criterion, records every epoch and the record validates', async () => {
    const { xs, ys } = data();
    const m = model();
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 40 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(3),
      maxEpochs: 20,
      evaluate: async () => {
        const [loss, acc] = m.evaluate(xs, ys) as tf.Scalar[];
        const out = { testAccuracy: (await acc?.data())?.[0] ?? 0, testLoss: (await loss?.data())?.[0] ?? 0 };
        loss?.dispose();
        acc?.dispose();
        return out;
      },
    });
    const history = await m.fit(xs, ys, {
      epochs: 20,
      batchSize: 16,
      validationSplit: 0.25,
      verbose: 0,
      callbacks: [session.callback(m) as unknown as tf.CustomCallbackArgs],
    });
    const r = await session.finish();
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(RunRecordSchema.safeParse(r).success).toBe(true);
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(r.final.stoppedBy).toMatchObject({ criterion: 'fixedEpochs', epoch: 3 });
    for (const [i, e] of r.epochs.entries()) {
      expect(e.trainAccuracy).toBeCloseTo(history.history.acc?.[i] as number, 6);
      expect(e.validationAccuracy).toBeCloseTo(history.history.val_acc?.[i] as number, 6);
      expect(e.trainLoss).toBeCloseTo(history.history.loss?.[i] as number, 6);
      expect(e.testAccuracy).not.toBeNull();
      expect(e.efficiencyAccuracy).toBe('test');
      expect(e.energyJ.total).toBeGreaterThan(0);
    }
    expect(r.final.accuracyOn).toBe('test');
    xs.dispose();
    ys.dispose();
    m.dispose();
  });

  it('a loss that becomes Infinity: stopTraining ends fit normally, the record is diverged with epoch 1 kept', async () => {
    // Plain SGD at a huge learning rate on inputs up to 100: the loss after epoch 1 is not finite (as in the
    // non-finite-loss field case); seeded weights and no shuffling make it the same every time.
    const x = tf.randomUniform([64, 8], 0, 100, 'float32', 3);
    const y = tf
      .oneHot(
        tf.tensor1d(
          Array.from({ length: 64 }, (_, i) => i % 3),
          'int32',
        ),
        3,
      )
      .toFloat();
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [8], units: 3, activation: 'relu', kernelInitializer: init(7) }),
        tf.layers.dense({ units: 3, kernelInitializer: init(107) }),
      ],
    });
    m.compile({ optimizer: tf.train.sgd(1e6), loss: 'meanSquaredError', metrics: ['accuracy'] });
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 40 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(3),
      maxEpochs: 3,
    });
    const history = await m.fit(x, y, {
      epochs: 3,
      batchSize: 16,
      validationSplit: 0.25,
      shuffle: false,
      verbose: 0,
      callbacks: [session.callback(m) as unknown as tf.CustomCallbackArgs],
    });
    expect(Number.isFinite(history.history.loss?.[0] as number)).toBe(false);
    expect(history.epoch).toEqual([0]);
    expect(m.stopTraining).toBe(true);
    const r = await session.finish();
    expect(r.status).toBe('diverged');
    expect(r.final.stoppedBy).toMatchObject({ criterion: 'diverged', epoch: 1 });
    expect(r.final.stoppedBy.reason).toMatch(/^training loss is (Infinity|NaN)\b.* after epoch 1$/);
    const e1 = r.epochs[0]!;
    expect(r.epochs).toHaveLength(1);
    expect(e1.trainLoss).toBeNull();
    expect(e1.nonFinite?.trainLoss).toBe(String(history.history.loss?.[0]));
    expect(e1.trainAccuracy).toBeCloseTo(history.history.acc?.[0] as number, 9);
    expect(e1.energyJ.total).toBeCloseTo((40 * e1.durationMs) / 1000, 6);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('callback() without the model is refused at once (tfjs never hands plain callbacks the model)', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 40 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(2),
      maxEpochs: 20,
    });
    // @ts-expect-error: the model is required
    expect(() => session.callback()).toThrow(/callback\(model\) needs the model being fit/);
    await session.abort();
  });

  it('a per-batch energy budget stops fit inside the first epoch', async () => {
    const { xs, ys } = data();
    const m = model();
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 100 })],
      intervalMs: 10,
      criterion: criteria.energyBudget({ joules: 2, checkEvery: 'batch' }),
      maxEpochs: 5,
    });
    // Each batch takes >= 10 ms (~1 J at 100 W): 12 batches per epoch, the budget is reached around batch 2-3.
    const slow = { onBatchEnd: () => sleep(10) };
    let batches = 0;
    // When each batch ended: the overshoot past the budget is at most the batch that crossed it, however slow a
    // loaded machine makes that batch, plus the stop itself.
    const endsMs: number[] = [performance.now()];
    const count = {
      onBatchEnd: async () => {
        batches++;
        endsMs.push(performance.now());
      },
    };
    await m.fit(xs, ys, {
      epochs: 5,
      batchSize: 8,
      verbose: 0,
      callbacks: [slow, count, session.callback(m) as unknown as tf.CustomCallbackArgs],
    });
    const r = await session.finish();
    expect(r.final.stoppedBy).toMatchObject({ criterion: 'energyBudget', epoch: 1 });
    expect(r.final.stoppedBy.batch).toBe(batches);
    expect(batches).toBeLessThan(12);
    expect(r.epochs).toHaveLength(1);
    expect(r.final.energyJ.total).toBeGreaterThan(1.5);
    const longestBatchS = Math.max(...endsMs.slice(1).map((t, i) => t - (endsMs[i] as number))) / 1000;
    expect(r.final.energyJ.total).toBeLessThan(2 + 100 * (longestBatchS + 0.05));
    xs.dispose();
    ys.dispose();
    m.dispose();
  });

  it('an exception inside training: fail() records it and no probe child is left', async () => {
    const { xs, ys } = data();
    const m = model();
    const session = measureEfficiency({
      config,
      probes: [nvidiaSmiProbe()],
      intervalMs: 25,
      criterion: criteria.fixedEpochs(10),
      maxEpochs: 10,
    });
    const boom = {
      onEpochEnd: async (epoch: number) => {
        if (epoch === 1) throw new Error('out of memory in epoch 2');
      },
    };
    let record: unknown;
    try {
      await m.fit(xs, ys, {
        epochs: 10,
        batchSize: 32,
        verbose: 0,
        callbacks: [session.callback(m) as unknown as tf.CustomCallbackArgs, boom],
      });
      throw new Error('fit should have thrown');
    } catch (err) {
      expect(fakeNvidiaSmiPids().length).toBeGreaterThan(0);
      record = await session.fail(err);
    }
    const r = RunRecordSchema.parse(record);
    expect(r.status).toBe('failed');
    expect(r.error).toBe('out of memory in epoch 2');
    expect(r.final.stoppedBy).toEqual({ criterion: 'error', reason: 'out of memory in epoch 2', epoch: 2 });
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(await noFakeLeft()).toBe(true);
    xs.dispose();
    ys.dispose();
    m.dispose();
  });
});
