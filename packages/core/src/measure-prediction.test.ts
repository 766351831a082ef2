// measureEfficiency's energy-to-finish predictions: in every epoch record but the last, and after epochs 1, 2, 3, 5 in the run record.
import { describe, expect, it } from 'vitest';
import { sleep, userProbe } from '../test/user-probes.js';
import * as criteria from './criteria.js';
import { type EfficiencySession, measureEfficiency } from './measure.js';
import { RunRecordSchema } from './schema.js';

const config = { architecture: 'test-net', size: 1, dataset: 'synthetic' };

async function loop(session: EfficiencySession, valAccs: number[]): Promise<number> {
  await session.start();
  let epochs = 0;
  for (const validationAccuracy of valAccs) {
    await sleep(30);
    epochs++;
    const r = await session.epochEnd({ trainAccuracy: validationAccuracy, validationAccuracy });
    if (r.stop) break;
  }
  return epochs;
}

describe('measureEfficiency: predictions', () => {
  it('fixed epochs: every epoch but the last predicts the rest, the run keeps epochs 1, 2, 3, 5', async () => {
    const session = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 50 })],
      intervalMs: 10,
      criterion: criteria.fixedEpochs(6),
      maxEpochs: 12,
    });
    expect(await loop(session, [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95])).toBe(6);
    const record = await session.finish();
    expect(() => RunRecordSchema.parse(record)).not.toThrow();
    for (const e of record.epochs.slice(0, 5)) {
      expect(e.prediction).toMatchObject({
        afterEpoch: e.epoch,
        method: 'trend',
        remainingEpochs: 6 - e.epoch,
      });
      const p = e.prediction as NonNullable<typeof e.prediction>;
      // total = energy so far + remaining; the interval brackets the point
      expect(p.totalEnergyJ - p.remainingEnergyJ).toBeCloseTo(e.cumulativeEnergyJ.total, 6);
      expect(p.remainingEnergyLowJ).toBeLessThanOrEqual(p.remainingEnergyJ);
      expect(p.remainingEnergyHighJ).toBeGreaterThanOrEqual(p.remainingEnergyJ);
      expect(p.remainingEnergyJ).toBeGreaterThan(0);
    }
    expect(record.epochs[5]?.prediction).toBeUndefined();
    expect(record.predictions?.map((p) => p.afterEpoch)).toEqual([1, 2, 3, 5]);
  });

  it('early stopping predicts from the learning curve; diminishingReturns stops a measured run', async () => {
    const es = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 50 })],
      intervalMs: 10,
      criterion: criteria.earlyStopping({ patience: 2 }),
      maxEpochs: 8,
    });
    await loop(es, [0.5, 0.7, 0.8]);
    const esRecord = await es.finish();
    expect(esRecord.epochs[0]?.prediction?.method).toBe('learning-curve');

    const dr = measureEfficiency({
      config,
      probes: [userProbe({ powerW: 50 })],
      intervalMs: 10,
      criterion: criteria.diminishingReturns({ window: 1, fraction: 0.5 }),
      maxEpochs: 8,
    });
    // the accuracy stalls from epoch 3: no gain at all is below half the efficiency
    expect(await loop(dr, [0.5, 0.9, 0.9, 0.9, 0.9])).toBe(3);
    const drRecord = await dr.finish();
    expect(drRecord.final.stoppedBy.criterion).toBe('diminishingReturns');
    expect(drRecord.config.criterion.label).toBe('diminishing returns (window 1, fraction 0.5)');
  });
});
