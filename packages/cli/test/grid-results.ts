// Test and benchmark helper: writes schema-valid results of a synthetic grid (any size), one line at a time.

import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RESULT_SCHEMA_VERSION, type RunRecord, RunRecordSchema } from '@eff/core';

export interface SyntheticGrid {
  datasets: string[];
  architectures: string[];
  sizes: number[];
  /** Criterion labels; the first two are fixed-epoch criteria (short, long) when `fixedEpochs` is given. */
  criteria: { label: string; name?: string; params?: Record<string, unknown> }[];
  folds: number;
  /** Epochs per run. */
  epochs: number;
  /** Split the runs over this many files (`results.jsonl` when 1, else `results-shard-<i>-of-<n>.jsonl`). */
  files?: number;
}

/** Runs the grid holds: datasets × architectures × sizes × criteria × folds. */
export const runCount = (g: SyntheticGrid): number =>
  g.datasets.length * g.architectures.length * g.sizes.length * g.criteria.length * g.folds;

/**
 * One run's record: accuracy rises and energy grows with epochs and size, so efficiency falls roughly as 1/epoch
 * (the paper's Fig. 5 shape). Deterministic: the same arguments give the same record.
 */
export function syntheticRecord(
  g: SyntheticGrid,
  at: { dataset: string; architecture: string; size: number; criterion: number; fold: number },
): RunRecord {
  const c = g.criteria[at.criterion]!;
  const a = g.architectures.indexOf(at.architecture);
  const wPerSize = 20 + 3 * at.size + 5 * a;
  let cumJ = 0;
  const epochs = [];
  for (let e = 1; e <= g.epochs; e++) {
    const acc = Math.min(0.99, 0.5 + 0.45 * (1 - Math.exp(-e / (3 + a))) + 0.001 * at.fold);
    const j = wPerSize * 10 * (1 + 0.01 * ((e * 7 + at.fold) % 5));
    cumJ += j;
    epochs.push({
      epoch: e,
      trainAccuracy: Math.min(1, acc + 0.01),
      validationAccuracy: acc,
      testAccuracy: acc - 0.002,
      trainLoss: 1 / e,
      validationLoss: 1.1 / e,
      testLoss: 1.12 / e,
      durationMs: 10_000,
      elapsedMs: 10_000 * e,
      energyJ: { gpu: j * 0.7, cpu: j * 0.2, ram: j * 0.1, total: j },
      cumulativeEnergyJ: { gpu: cumJ * 0.7, cpu: cumJ * 0.2, ram: cumJ * 0.1, total: cumJ },
      cumulativePaperSumW: cumJ / 0.1,
      efficiency: (acc - 0.002) / cumJ,
      efficiencyAccuracy: 'test',
    });
  }
  const last = epochs.at(-1)!;
  const runId = [at.dataset, at.architecture, at.size, at.criterion, at.fold].join('-');
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId,
    status: 'completed',
    startedAt: '2026-11-30T08:00:00.000Z',
    endedAt: '2026-11-30T09:00:00.000Z',
    config: {
      architecture: at.architecture,
      size: at.size,
      model: `${at.architecture}-${at.size}`,
      dataset: at.dataset,
      fold: at.fold,
      seed: at.fold,
      criterion: { name: c.name ?? 'fixedEpochs', params: c.params ?? { epochs: g.epochs }, label: c.label },
      maxEpochs: g.epochs,
      batchSize: 64,
      learningRate: 0.001,
      extra: {},
    },
    environment: { backend: 'wasm', cpu: { model: 'Synthetic CPU', cores: 8 }, gpus: [], versions: {} },
    probes: [
      {
        name: 'nvidia-smi',
        components: ['gpu'],
        estimated: false,
        sampleCount: g.epochs * 100,
        devices: ['gpu0'],
        gaps: [],
        errors: [],
        degraded: false,
        intervalMs: 100,
        deviceReports: [
          {
            deviceId: 'gpu0',
            component: 'gpu',
            status: 'measured',
            method: 'counter',
            energyJ: cumJ * 0.7,
            sampleCount: g.epochs * 100,
            uncoveredMs: 0,
          },
        ],
        notes: [],
      },
    ],
    epochs,
    final: {
      epochs: g.epochs,
      accuracy: last.testAccuracy,
      accuracyOn: 'test',
      trainAccuracy: last.trainAccuracy,
      energyJ: last.cumulativeEnergyJ,
      paperSumW: last.cumulativePaperSumW,
      efficiency: last.efficiency,
      durationMs: last.elapsedMs,
      stoppedBy: { criterion: 'fixedEpochs', reason: `reached ${g.epochs} epochs`, epoch: g.epochs },
      degraded: false,
      estimated: false,
    },
  } as RunRecord;
}

/**
 * Writes the grid's records into `dir` (created), one line each, round-robin over `files` files, never holding more
 * than one record. The first record is checked against RunRecordSchema, so every file is schema-valid. Returns the
 * files written and the number of runs.
 */
export async function writeGridResults(
  dir: string,
  g: SyntheticGrid,
): Promise<{ files: string[]; runs: number }> {
  mkdirSync(dir, { recursive: true });
  const n = g.files ?? 1;
  const files = Array.from({ length: n }, (_, i) =>
    join(dir, n === 1 ? 'results.jsonl' : `results-shard-${i + 1}-of-${n}.jsonl`),
  );
  const streams = files.map((f) => createWriteStream(f));
  let runs = 0;
  for (const dataset of g.datasets)
    for (const architecture of g.architectures)
      for (const size of g.sizes)
        for (let criterion = 0; criterion < g.criteria.length; criterion++)
          for (let fold = 0; fold < g.folds; fold++) {
            const record = syntheticRecord(g, { dataset, architecture, size, criterion, fold });
            if (runs === 0) RunRecordSchema.parse(record);
            const out = streams[runs % n]!;
            runs += 1;
            if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
          }
  await Promise.all(
    streams.map(
      (s) =>
        new Promise<void>((resolve, reject) =>
          s.end((err?: Error | null) => (err ? reject(err) : resolve())),
        ),
    ),
  );
  return { files, runs };
}
