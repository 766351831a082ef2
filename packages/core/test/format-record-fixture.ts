// The run record formatRecord's tests print: a completed 3-epoch LeNet-1 run, 0.9712 test accuracy, 250 J estimated.
import { type RunRecord, RunRecordSchema } from '../src/schema.js';

/** That record, parsed by the schema, with `overrides` laid over its status, error, config, final and probes. */
export function record(overrides: {
  status?: RunRecord['status'];
  error?: string;
  config?: Record<string, unknown>;
  final?: Partial<RunRecord['final']>;
  probes?: unknown[];
}): RunRecord {
  return RunRecordSchema.parse({
    schemaVersion: 1,
    runId: 'r1',
    status: overrides.status ?? 'completed',
    ...(overrides.error ? { error: overrides.error } : {}),
    startedAt: '2026-11-25T04:00:00.000Z',
    endedAt: '2026-11-25T04:01:00.000Z',
    config: {
      architecture: 'lenet',
      size: 1,
      model: 'lenet-1',
      dataset: 'mnist',
      criterion: { name: 'fixedEpochs', label: 'fixed 3 epochs' },
      maxEpochs: 3,
      ...overrides.config,
    },
    environment: {},
    probes: overrides.probes ?? [],
    epochs: [],
    final: {
      epochs: 3,
      accuracy: 0.9712,
      accuracyOn: 'test',
      trainAccuracy: null,
      energyJ: { cpu: 250, total: 250 },
      efficiency: 0.9712 / 250,
      durationMs: 61_000,
      stoppedBy: { criterion: 'fixedEpochs', reason: 'test', epoch: 3 },
      degraded: false,
      estimated: true,
      ...overrides.final,
    },
  });
}
