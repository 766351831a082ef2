// @ts-nocheck
// Whether one step of an energy counter is believable: counters are checked against power readings and limits.
import type { Component } from '@eff/probes';

/**
 * Highest power a device of each component may plausibly draw when its tool reports no power limit, W. Generous on
 * purpose (the largest accelerators draw ~1 kW, dual-socket servers ~1 kW of CPU): only broken counters exceed them.
 */
export const COMPONENT_POWER_BOUND_W: Readonly<Record<Component, number>> = {
  gpu: 3000,
  cpu: 2000,
  ram: 1000,
  system: 100_000,
};

/** A counter may exceed the device's power limit this many times over before it is rejected (boost, averaging). */
export const POWER_LIMIT_MARGIN = 1.5;

/** A counter that does not move while the power readings average at least this much is frozen, W. */
export const FROZEN_MIN_POWER_W = 1;

/**
 * A counter must stand still at least this long before it is judged frozen, ms: some counters (NVML's) update
 * less often than a fast poll, so one or two equal readings in a row are normal.
 */
export const FROZEN_MIN_SPAN_MS = 500;

/** Shortest span over which a counter's implied power is judged, ms: two readings 1 ms apart say little. */
const MIN_RATE_SPAN_MS = 20;

/** Why a counter step is not believed. */
export interface CounterRejection {
  kind: 'counter-decrease' | 'counter-implausible';
  /** One sentence for the user, without what eff does about it (the caller adds that). */
  message: string;
}

/** One step of a counter: raw readings before and after, the wrap range when known, the time between them. */
export interface CounterStep {
  fromJ: number;
  toJ: number;
  rangeJ?: number;
  dtMs: number;
  component: Component;
  /** The device's power limit from its `present` event, W. */
  powerLimitW?: number;
}

/** Highest believable power for a device, W, and how that bound was chosen (for messages). */
export function powerBoundW(component: Component, powerLimitW?: number): { boundW: number; why: string } {
  return powerLimitW !== undefined && powerLimitW > 0
    ? {
        boundW: powerLimitW * POWER_LIMIT_MARGIN,
        why: `${POWER_LIMIT_MARGIN} × its power limit of ${powerLimitW} W`,
      }
    : {
        boundW: COMPONENT_POWER_BOUND_W[component],
        why: `the ${COMPONENT_POWER_BOUND_W[component]} W no ${component} draws`,
      };
}

/**
 * Energy of one counter step in J, or why it cannot be believed: a decrease without a known wrap range, or an
 * implied power above powerBoundW. A decrease with a range is one wrap (`rangeJ - fromJ + toJ`).
 * Returns `{ error }` when `fromJ` is above `rangeJ` (the range itself is wrong: an input error).
 */
export function judgeCounterStep(
  step: CounterStep,
): { deltaJ: number } | { rejection: CounterRejection } | { error: string } {
  let deltaJ: number;
  if (step.toJ >= step.fromJ) deltaJ = step.toJ - step.fromJ;
  else if (step.rangeJ !== undefined) {
    deltaJ = step.rangeJ - step.fromJ + step.toJ;
    if (deltaJ < 0) return { error: `was ${step.fromJ} J, above its rangeJ ${step.rangeJ}` };
  } else {
    return {
      rejection: {
        kind: 'counter-decrease',
        message: `energy counter went down from ${step.fromJ} J to ${step.toJ} J and its range is unknown`,
      },
    };
  }
  const impliedW = (deltaJ * 1000) / Math.max(step.dtMs, MIN_RATE_SPAN_MS);
  const { boundW, why } = powerBoundW(step.component, step.powerLimitW);
  if (impliedW > boundW) {
    return {
      rejection: {
        kind: 'counter-implausible',
        message: `energy counter rose by ${round(deltaJ)} J in ${round(step.dtMs)} ms (${round(impliedW)} W), more than ${why}`,
      },
    };
  }
  return { deltaJ };
}

/** A counter step of zero while the device's power readings average `meanPowerW` means the counter is frozen. */
export function isFrozen(deltaJ: number, meanPowerW: number | null): boolean {
  return deltaJ === 0 && meanPowerW !== null && meanPowerW >= FROZEN_MIN_POWER_W;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
