// The progress line shows the epoch's energy-to-finish prediction: "≈ 1.20 kJ to go (0.90 kJ–1.60 kJ), ~2m10s".
import type { Prediction } from '@eff/core';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { formatPrediction, lineProgress } from './progress.js';

const prediction: Prediction = {
  afterEpoch: 2,
  method: 'learning-curve',
  remainingEpochs: 3,
  remainingEnergyJ: 1200,
  remainingEnergyLowJ: 900,
  remainingEnergyHighJ: 1600,
  remainingMs: 130_000,
  totalEnergyJ: 2000,
  baselineTotalEnergyJ: 4000,
};

describe('progress: prediction', () => {
  it('formats point, interval and time left', () => {
    expect(formatPrediction(prediction)).toBe('≈ 1.20 kJ to go (900.0 J–1.60 kJ), ~2m10s');
    expect(formatPrediction(undefined)).toBe('');
  });

  it('appears on the epoch line only when the epoch has one', () => {
    let err = '';
    const io: CliIo = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (err += s), isTTY: false },
      env: {},
      cwd: '/',
    };
    const p = lineProgress(io);
    p.runStart({ index: 1, total: 1, label: 'mnist LeNet-1', maxEpochs: 6 });
    p.epoch({ epoch: 2, maxEpochs: 6, accuracy: 0.9, cumulativeEnergyJ: 800, elapsedMs: 20_000, prediction });
    p.epoch({ epoch: 3, maxEpochs: 6, accuracy: 0.95, cumulativeEnergyJ: 1200, elapsedMs: 30_000 });
    const lines = err.trimEnd().split('\n');
    expect(lines[1]).toMatch(
      /epoch 2\/6: acc 90\.0%, energy 800\.0 J, 20s, ≈ 1\.20 kJ to go \(900\.0 J–1\.60 kJ\), ~2m10s$/,
    );
    expect(lines[2]).toMatch(/epoch 3\/6: acc 95\.0%, energy 1\.20 kJ, 30s$/);
  });
});
