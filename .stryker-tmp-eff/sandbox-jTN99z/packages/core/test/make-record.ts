// @ts-nocheck
// Test helper: a valid RunRecord with the given final numbers (hand-made, no measurement behind it).
import { RESULT_SCHEMA_VERSION, type RunRecord, RunRecordSchema } from '../src/schema.js';

export interface RecordSpec {
  architecture?: string;
  size?: number;
  dataset?: string;
  fold?: number | null;
  criterion?: string;
  criterionLabel?: string;
  criterionParams?: Record<string, unknown>;
  accuracy?: number;
  trainAccuracy?: number | null;
  energyJ?: number;
  epochs?: number;
  status?: 'completed' | 'failed';
  /** [accuracy, cumulative J] per epoch. */
  curve?: Array<[number, number]>;
}

export function makeRecord(s: RecordSpec = {}): RunRecord {
  const energyJ = s.energyJ ?? 100;
  const accuracy = s.accuracy ?? 0.9;
  const curve = s.curve ?? [];
  let prev = 0;
  return RunRecordSchema.parse({
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: `${s.architecture ?? 'lenet'}-${s.size ?? 1}-${s.criterion ?? 'fixedEpochs'}-${s.fold ?? 'x'}`,
    status: s.status ?? 'completed',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:01:00.000Z',
    config: {
      architecture: s.architecture ?? 'lenet',
      size: s.size ?? 1,
      dataset: s.dataset ?? 'mnist',
      fold: s.fold ?? null,
      criterion: {
        name: s.criterion ?? 'fixedEpochs',
        params: s.criterionParams ?? {},
        ...(s.criterionLabel ? { label: s.criterionLabel } : {}),
      },
      maxEpochs: 100,
    },
    environment: {},
    probes: [],
    epochs: curve.map(([acc, cum], i) => {
      const e = {
        epoch: i + 1,
        trainAccuracy: null,
        validationAccuracy: null,
        testAccuracy: acc,
        trainLoss: null,
        validationLoss: null,
        testLoss: null,
        durationMs: 1000,
        elapsedMs: 1000 * (i + 1),
        energyJ: { gpu: cum - prev, total: cum - prev },
        cumulativeEnergyJ: { gpu: cum, total: cum },
        efficiency: cum > 0 ? acc / cum : 0,
        efficiencyAccuracy: 'test',
      };
      prev = cum;
      return e;
    }),
    final: {
      epochs: s.epochs ?? Math.max(1, curve.length),
      accuracy,
      accuracyOn: 'test',
      trainAccuracy: s.trainAccuracy === undefined ? null : s.trainAccuracy,
      energyJ: { gpu: energyJ, total: energyJ },
      efficiency: accuracy / energyJ,
      durationMs: 1000,
      stoppedBy: { criterion: s.criterion ?? 'fixedEpochs', reason: 'test', epoch: 1 },
      degraded: false,
      estimated: false,
    },
  });
}
