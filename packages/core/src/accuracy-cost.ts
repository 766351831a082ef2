// What an accuracy costs: energy/time to reach accuracy thresholds, the efficiency curve's area, the accuracy–energy Pareto front.
import type { EpochRecord } from './schema.js';

/** Default thresholds of energy/time-to-accuracy (MNIST-like tasks, where 0.9 comes in the first epoch). */
export const DEFAULT_ACCURACY_THRESHOLDS: readonly number[] = [0.9, 0.95, 0.98, 0.99];

/** The energy and time at which a run first reached one accuracy threshold. */
export interface AccuracyCost {
  threshold: number;
  /** Cumulative total energy, J, at which the threshold was first reached; null: not reached. */
  energyJ: number | null;
  /** Time since the run started, ms, at which it was first reached; null: not reached. */
  elapsedMs: number | null;
  /** First epoch whose accuracy was ≥ threshold; null: not reached. */
  epoch: number | null;
  /**
   * Reached in the first epoch with a finite accuracy: nothing is known before it, so `energyJ`/`elapsedMs` are that
   * epoch's values, an upper bound (shown `≤`).
   */
  upperBound: boolean;
}

/** The accuracy Eq. 2 used for an epoch (its efficiencyAccuracy), null when not finite. */
export function epochAccuracy(e: EpochRecord): number | null {
  return e[`${e.efficiencyAccuracy}Accuracy`];
}

/**
 * Energy- and time-to-accuracy of one run (issue 14 item 3). For each threshold t, the first epoch i whose accuracy
 * a_i ≥ t; with the previous epoch with a finite accuracy j (a_j < t, since i is the first), energy and time are
 * interpolated linearly on the cumulative total energy and elapsed time:
 *   f = (t − a_j) / (a_i − a_j);  E = E_j + f · (E_i − E_j);  T = T_j + f · (T_i − T_j).
 * Rule before the first epoch: nothing is measured before it (accuracy at 0 J is not known, chance level is only an
 * assumption), so interpolation starts at the first epoch with a finite accuracy; a threshold already reached there
 * gets that epoch's energy and time, flagged `upperBound`. Epochs with a non-finite accuracy are skipped. Not
 * reached: null values. `epochs` in order, as kept in a RunRecord (cumulativeEnergyJ.total in J, elapsedMs in ms).
 */
export function accuracyCosts(
  epochs: readonly EpochRecord[],
  thresholds: readonly number[] = DEFAULT_ACCURACY_THRESHOLDS,
): AccuracyCost[] {
  const points = epochs.flatMap((e) => {
    const a = epochAccuracy(e);
    return a === null
      ? []
      : [{ a, energyJ: e.cumulativeEnergyJ.total, elapsedMs: e.elapsedMs, epoch: e.epoch }];
  });
  return thresholds.map((threshold) => {
    const i = points.findIndex((p) => p.a >= threshold);
    const hit = points[i];
    if (hit === undefined)
      return { threshold, energyJ: null, elapsedMs: null, epoch: null, upperBound: false };
    const prev = points[i - 1];
    if (prev === undefined)
      return {
        threshold,
        energyJ: hit.energyJ,
        elapsedMs: hit.elapsedMs,
        epoch: hit.epoch,
        upperBound: true,
      };
    const f = (threshold - prev.a) / (hit.a - prev.a);
    return {
      threshold,
      energyJ: prev.energyJ + f * (hit.energyJ - prev.energyJ),
      elapsedMs: prev.elapsedMs + f * (hit.elapsedMs - prev.elapsedMs),
      epoch: hit.epoch,
      upperBound: false,
    };
  });
}

/**
 * The efficiency curve's normalised area (issue 14 item 4): the trapezoidal area under accuracy against cumulative
 * total energy, divided by the run's energy (the last epoch's cumulative energy), i.e. the mean accuracy over the
 * energy axis, dimensionless in [0, 1]. The curve starts at (0 J, accuracy 0): before training nothing is delivered,
 * so a run that spends joules before it gets accurate scores lower than one reaching the same accuracy early.
 * Epochs with a non-finite accuracy are skipped. Null when no epoch has a finite accuracy or the energy is 0.
 * Example: epochs (10 J, 0.5), (20 J, 0.9) → (10·0.25 + 10·0.7) / 20 = 0.475.
 */
export function efficiencyCurveArea(epochs: readonly EpochRecord[]): number | null {
  let area = 0;
  let prevE = 0;
  let prevA = 0;
  for (const e of epochs) {
    const a = epochAccuracy(e);
    if (a === null) continue;
    const energyJ = e.cumulativeEnergyJ.total;
    area += ((energyJ - prevE) * (a + prevA)) / 2;
    prevE = energyJ;
    prevA = a;
  }
  // No finite accuracy leaves prevE at 0 (energies are ≥ 0), so this one test covers both cases of the docstring.
  return prevE > 0 ? area / prevE : null;
}

/** A run on the accuracy–energy plane: its total energy in J and its final accuracy in [0, 1]. */
export interface AccuracyEnergyPoint {
  energyJ: number;
  accuracy: number;
}

/**
 * Which points are on the accuracy–energy Pareto front (issue 14 item 5): maximise accuracy, minimise energy. A point
 * p dominates q when p.energyJ ≤ q.energyJ and p.accuracy ≥ q.accuracy with at least one strict; the front is every
 * point no other dominates. Ties: identical points dominate neither each other, so all copies are on the front.
 * Returns one boolean per input point, in input order. O(n log n): sort by energy ascending (accuracy descending
 * within equal energy) and keep the best accuracy seen at lower energy.
 */
export function paretoFront(points: readonly AccuracyEnergyPoint[]): boolean[] {
  const order = points
    .map((p, i) => ({ ...p, i }))
    .sort((a, b) => a.energyJ - b.energyJ || b.accuracy - a.accuracy);
  const on = new Array<boolean>(points.length).fill(false);
  // Best accuracy among points of strictly lower energy, and the best point at the current energy.
  let bestBelow = Number.NEGATIVE_INFINITY;
  let k = 0;
  while (k < order.length) {
    const energyJ = (order[k] as (typeof order)[number]).energyJ;
    let end = k;
    while (end < order.length && (order[end] as (typeof order)[number]).energyJ === energyJ) end++;
    const top = (order[k] as (typeof order)[number]).accuracy;
    for (let j = k; j < end; j++) {
      const p = order[j] as (typeof order)[number];
      // Dominated by a cheaper point at least as accurate, or by an equally cheap, more accurate one.
      on[p.i] = p.accuracy > bestBelow && p.accuracy === top;
    }
    bestBelow = Math.max(bestBelow, top);
    k = end;
  }
  return on;
}
