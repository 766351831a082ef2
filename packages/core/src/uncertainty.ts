// Sensor uncertainty: an interval on a run's energy from what each device's source can know, and Eq. 1's interval from it.
import type { DeviceBound, DeviceReport, EnergyBound, ProbeReport, RunRecord } from './schema.js';

/**
 * What each kind of source can know (issue 14 item 6). Sources:
 * - `nvidiaBoardPowerW`: nvidia-smi's documentation of `power.draw` ("accurate to within +/- 5 watts"), also the
 *   sensor NVML's `nvmlDeviceGetPowerUsage` reads.
 * - `otherPowerFraction`: AMD (rocm-smi), powerstat and powertop publish no per-reading accuracy; assumed ±5 % of the
 *   energy (a documented assumption, not a datasheet value).
 * - `raplUnitJ`: RAPL's default energy status unit, 2⁻¹⁶ J = 15.3 µJ (Intel SDM vol. 3B, MSR_RAPL_POWER_UNIT);
 *   `raplUpdateS`: its counters update about every 1 ms (same source).
 * - `otherCounterUnitJ`/`otherCounterUpdateS`: NVML's total-energy counter counts mJ; its update period is not
 *   documented, assumed 100 ms.
 * - `estimateFraction`: the labelled estimate (utilisation × TDP) is a model, not a meter: ±50 %.
 */
export const SENSOR_ACCURACY = {
  nvidiaBoardPowerW: 5,
  otherPowerFraction: 0.05,
  raplUnitJ: 2 ** -16,
  raplUpdateS: 1e-3,
  otherCounterUnitJ: 1e-3,
  otherCounterUpdateS: 0.1,
  estimateFraction: 0.5,
} as const;

/** One device's energy and its half-width, J, with the terms that make it up. */
export interface DeviceEnergyBound {
  probe: string;
  deviceId: string;
  method: 'counter' | 'power' | 'estimate';
  energyJ: number;
  /** Half-width below the energy, J (the energy cannot go below 0). */
  belowJ: number;
  /** Half-width above, J: the same, plus the energy of uncovered time at the device's mean power. */
  aboveJ: number;
}

/**
 * The bound on one device's energy over a window of `windowS` s, sampled every `intervalS` s:
 * - estimate: ± estimateFraction × E;
 * - counter: ± (2 × update period × mean power + 2 × unit) — each end of the window can be off by one update and one
 *   count — plus the sampling bound of any power readings that covered part of the window;
 * - power: reading accuracy (NVIDIA: ± 5 W × covered time; others: ± 5 % of E) plus sampling. The sampling term is
 *   the device's `samplingBoundJ`, computed by the energy meter from the readings themselves: Σ |P_i+1 − P_i| · Δt / 2,
 *   the trapezoid rule's largest error under monotone power between readings (PowerSeries.samplingBoundJ). A record
 *   written before that existed has none: then one interval's worth of mean power (P × Δt), a proxy.
 * Uncovered time (gaps) adds P × uncovered above: the energy there is missing, not wrong.
 */
export function deviceEnergyBound(
  probe: string,
  device: Pick<
    DeviceReport,
    'deviceId' | 'method' | 'energyJ' | 'sampleCount' | 'uncoveredMs' | 'samplingBoundJ'
  >,
  windowS: number,
  intervalS: number,
): DeviceEnergyBound {
  const method = device.method ?? 'power';
  const energyJ = device.energyJ;
  const coveredS = Math.max(windowS - (device.uncoveredMs ?? 0) / 1000, 0);
  const meanPowerW = coveredS > 0 ? energyJ / coveredS : 0;
  let halfJ: number;
  if (method === 'estimate') halfJ = SENSOR_ACCURACY.estimateFraction * energyJ;
  else if (method === 'counter') {
    const rapl = probe === 'rapl';
    const updateS = rapl ? SENSOR_ACCURACY.raplUpdateS : SENSOR_ACCURACY.otherCounterUpdateS;
    const unitJ = rapl ? SENSOR_ACCURACY.raplUnitJ : SENSOR_ACCURACY.otherCounterUnitJ;
    halfJ = 2 * updateS * meanPowerW + 2 * unitJ + (device.samplingBoundJ ?? 0);
  } else {
    const nvidia = probe === 'nvidia-smi' || probe === 'nvml';
    const readingJ = nvidia
      ? SENSOR_ACCURACY.nvidiaBoardPowerW * coveredS
      : SENSOR_ACCURACY.otherPowerFraction * energyJ;
    halfJ = readingJ + (device.samplingBoundJ ?? meanPowerW * intervalS);
  }
  return {
    probe,
    deviceId: device.deviceId,
    method,
    energyJ,
    belowJ: Math.min(halfJ, energyJ),
    aboveJ: halfJ + meanPowerW * ((device.uncoveredMs ?? 0) / 1000),
  };
}

/**
 * The interval on a run's total energy (`final.energyBoundJ`) from its probes' per-device reports over a window of
 * `durationMs`: the devices' bounds added (worst case: the errors of different sensors are not assumed to cancel).
 * `fallback.energyJ` is the energy bounded (final.energyJ.total): when the reports' window holds more (a baseline),
 * the half-widths are scaled by its share. Without device reports (records written before they existed) the bound is
 * the estimate's (±50 %) when `estimated`, else ±5 %. Returns the interval and the devices' parts, J (`devices`:
 * scaled like the total, so lowJ = E − Σ belowJ and highJ = E + Σ aboveJ, as final.energyBoundJ.devices keeps them).
 */
export function energyBoundOf(
  probes: readonly ProbeReport[],
  durationMs: number,
  fallback: { energyJ: number; estimated: boolean },
): EnergyBound & { devices: DeviceBound[] } {
  const windowS = durationMs / 1000;
  const devices = probes.flatMap((p) =>
    (p.deviceReports ?? [])
      .filter((d) => d.status !== 'unsupported')
      .map((d) => {
        const intervalS =
          p.intervalMs !== undefined
            ? p.intervalMs / 1000
            : d.sampleCount > 1
              ? windowS / (d.sampleCount - 1)
              : windowS;
        return deviceEnergyBound(p.name, d, windowS, intervalS);
      }),
  );
  if (devices.length === 0) {
    const fraction = fallback.estimated
      ? SENSOR_ACCURACY.estimateFraction
      : SENSOR_ACCURACY.otherPowerFraction;
    const halfJ = fraction * fallback.energyJ;
    return { lowJ: fallback.energyJ - halfJ, highJ: fallback.energyJ + halfJ, devices: [] };
  }
  const devicesJ = devices.reduce((s, d) => s + d.energyJ, 0);
  // The reports' window can be longer than the energy bounded (an idle baseline before training): the devices'
  // half-widths are scaled to the share of their energy the total is.
  const scale = devicesJ > 0 ? fallback.energyJ / devicesJ : 1;
  const parts: DeviceBound[] = devices.map((d) => ({
    probe: d.probe,
    deviceId: d.deviceId,
    method: d.method,
    belowJ: scale * d.belowJ,
    aboveJ: scale * d.aboveJ,
  }));
  return {
    lowJ: Math.max(0, fallback.energyJ - parts.reduce((s, d) => s + d.belowJ, 0)),
    highJ: fallback.energyJ + parts.reduce((s, d) => s + d.aboveJ, 0),
    devices: parts,
  };
}

/**
 * A run's sensor interval on `final.energyJ.total`, J: the recorded `final.energyBoundJ`, else (records written before
 * it existed) energyBoundOf over its probe reports and duration.
 */
export function runEnergyBound(run: RunRecord): EnergyBound {
  return (
    run.final.energyBoundJ ??
    energyBoundOf(run.probes, run.final.durationMs, {
      energyJ: run.final.energyJ.total,
      estimated: run.final.estimated,
    })
  );
}

/**
 * Eq. 1's interval from an energy interval: accuracy / highJ … accuracy / lowJ (acc/J; `high` is Infinity when lowJ
 * is 0). The accuracy is exact here: only the sensors' error is propagated.
 */
export function efficiencyBound(accuracy: number, bound: EnergyBound): EfficiencyInterval {
  return {
    low: bound.highJ > 0 ? accuracy / bound.highJ : 0,
    high: bound.lowJ > 0 ? accuracy / bound.lowJ : Number.POSITIVE_INFINITY,
  };
}

/** An interval on an efficiency, acc/J: low ≤ high (high is Infinity when some energy's lower end is 0 J). */
export interface EfficiencyInterval {
  low: number;
  high: number;
}

const meanOf = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Eq. 3's sensor interval for one architecture under one criterion: its runs' Eq. 1 intervals (efficiencyBound over
 * runEnergyBound) averaged the way Eq. 3 averages the values — over a size's repeats, then over sizes. Eq. 3 is a
 * mean of acc/E_r, each term falling as E_r grows, so over the box E_r ∈ [lowJ_r, highJ_r] its least and greatest
 * values are the means of the terms' ends: this is the exact worst case, whatever the sensors' errors' correlation.
 * Input: the usable runs of the group (as Eq. 3 takes them). Throws RangeError for none.
 */
export function architectureEfficiencyBound(runs: readonly RunRecord[]): EfficiencyInterval {
  if (runs.length === 0) throw new RangeError("Eq. 3's sensor interval needs at least one run, found none");
  const bySize = new Map<number, EfficiencyInterval[]>();
  for (const run of runs) {
    const list = bySize.get(run.config.size) ?? [];
    list.push(efficiencyBound(run.final.accuracy, runEnergyBound(run)));
    bySize.set(run.config.size, list);
  }
  const sizes = [...bySize.values()];
  return {
    low: meanOf(sizes.map((xs) => meanOf(xs.map((x) => x.low)))),
    high: meanOf(sizes.map((xs) => meanOf(xs.map((x) => x.high)))),
  };
}

/**
 * Eq. 4's sensor interval: Eq. 4 is the mean of Eq. 3 over criteria, each rising with its own Eq. 3, so its interval
 * is the mean of the Eq. 3 intervals' ends (same worst-case argument as architectureEfficiencyBound). Throws
 * RangeError for no criterion.
 */
export function overallEfficiencyBound(perCriterion: readonly EfficiencyInterval[]): EfficiencyInterval {
  if (perCriterion.length === 0)
    throw new RangeError("Eq. 4's sensor interval needs at least one criterion's Eq. 3 interval, found none");
  return { low: meanOf(perCriterion.map((c) => c.low)), high: meanOf(perCriterion.map((c) => c.high)) };
}

/**
 * The sensor interval of a ratio of two efficiencies (Table 12: Eq. 4 on T1 / Eq. 4 on T2, or A1 / A2): n / d rises
 * with n and falls with d, so [n.low / d.high, n.high / d.low] (Infinity when d.low is 0 or n.high is Infinity).
 */
export function ratioBound(
  numerator: EfficiencyInterval,
  denominator: EfficiencyInterval,
): EfficiencyInterval {
  return {
    low: denominator.high > 0 && Number.isFinite(denominator.high) ? numerator.low / denominator.high : 0,
    high: denominator.low > 0 ? numerator.high / denominator.low : Number.POSITIVE_INFINITY,
  };
}

/**
 * Which interval is wider: the sensors' (more runs will not narrow the result; a better meter would) or the bootstrap
 * CI's (run-to-run and size-to-size spread: more runs would). `ci` null: the bootstrap has one value and no spread,
 * so the sensors' interval is all there is. A tie counts for the bootstrap.
 */
export function dominantInterval(
  sensor: EfficiencyInterval,
  ci: EfficiencyInterval | null,
): 'sensors' | 'bootstrap' {
  if (ci === null) return 'sensors';
  return sensor.high - sensor.low > ci.high - ci.low ? 'sensors' : 'bootstrap';
}
