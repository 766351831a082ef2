// @ts-nocheck
import { describe, expect, it } from 'vitest';
import { RESULT_SCHEMA_VERSION, RunRecordSchema } from './schema.js';

const energy = { cpu: 10, total: 10 };
const record = {
  schemaVersion: RESULT_SCHEMA_VERSION,
  runId: 'abc',
  status: 'completed',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:01:00.000Z',
  config: {
    architecture: 'lenet',
    size: 1,
    dataset: 'mnist',
    criterion: { name: 'fixedEpochs' },
    maxEpochs: 1,
  },
  environment: {},
  probes: [],
  epochs: [],
  final: {
    epochs: 1,
    accuracy: 0.9,
    accuracyOn: 'test',
    trainAccuracy: 0.95,
    energyJ: energy,
    efficiency: 0.09,
    durationMs: 1000,
    stoppedBy: { criterion: 'fixedEpochs', reason: 'reached 1 epoch', epoch: 1 },
    degraded: false,
    estimated: false,
  },
};

describe('RunRecordSchema', () => {
  it('accepts a minimal run and fills defaults', () => {
    const parsed = RunRecordSchema.parse(record);
    expect(parsed.config.fold).toBeNull();
    expect(parsed.environment.gpus).toEqual([]);
  });
  it('rejects an accuracy outside [0, 1] and names the field', () => {
    const bad = { ...record, final: { ...record.final, accuracy: 1.2 } };
    const result = RunRecordSchema.safeParse(bad);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['final', 'accuracy']);
  });
});
