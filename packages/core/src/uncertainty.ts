// Sensor uncertainty: an interval on a run's energy from what each device's source can know, and Eq. 1's interval from it.
import type { DeviceReport, EnergyBound, ProbeReport } from './schema.js';

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
 *   count;
 * - power: reading accuracy (NVIDIA: ± 5 W × window; others: ± 5 % of E) plus sampling: the trapezoid rule
 *   interpolates between readings, so at most one interval's worth of mean power (P × Δt) is misplaced over the
 *   window's two ends (the samples themselves are not kept to bound the change between consecutive readings).
 * Uncovered time (gaps) adds P × uncovered above: the energy there is missing, not wrong.
 */
export function deviceEnergyBound(
  probe: string,
  device: Pick<DeviceReport, 'deviceId' | 'method' | 'energyJ' | 'sampleCount' | 'uncoveredMs'>,
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
    halfJ = 2 * updateS * meanPowerW + 2 * unitJ;
  } else {
    const nvidia = probe === 'nvidia-smi' || probe === 'nvml';
    const readingJ = nvidia
      ? SENSOR_ACCURACY.nvidiaBoardPowerW * coveredS
      : SENSOR_ACCURACY.otherPowerFraction * energyJ;
    halfJ = readingJ + meanPowerW * intervalS;
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
 * the estimate's (±50 %) when `estimated`, else ±5 %. Returns the interval and the devices.
 */
export function energyBoundOf(
  probes: readonly ProbeReport[],
  durationMs: number,
  fallback: { energyJ: number; estimated: boolean },
): EnergyBound & { devices: DeviceEnergyBound[] } {
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
  return {
    lowJ: Math.max(0, fallback.energyJ - scale * devices.reduce((s, d) => s + d.belowJ, 0)),
    highJ: fallback.energyJ + scale * devices.reduce((s, d) => s + d.aboveJ, 0),
    devices,
  };
}

/**
 * Eq. 1's interval from an energy interval: accuracy / highJ … accuracy / lowJ (acc/J; `high` is Infinity when lowJ
 * is 0). The accuracy is exact here: only the sensors' error is propagated.
 */
export function efficiencyBound(accuracy: number, bound: EnergyBound): { low: number; high: number } {
  return {
    low: bound.highJ > 0 ? accuracy / bound.highJ : 0,
    high: bound.lowJ > 0 ? accuracy / bound.lowJ : Number.POSITIVE_INFINITY,
  };
}
