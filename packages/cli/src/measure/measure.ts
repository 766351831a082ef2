// `eff measure`: starts the probes, runs the command, waits for the samples covering its end, and reports its energy.
import { carbonOf, energyBoundOf, type GridIntensity, markShortWindow, startMeter } from '@eff/core';
import { nowMs } from '@eff/probes';
import type { CliIo } from '../io.js';
import type { LiveMetrics } from '../metrics/live-metrics.js';
import { type ChildOutcome, runChild } from './child.js';
import { selectProbes } from './probes.js';
import { averagePower, formatMeasureResult, MEASURE_JSON_VERSION, type MeasureResult } from './report.js';

export interface MeasureOptions {
  probeNames: string[];
  intervalMs: number;
  json: boolean;
  /** Explicit GPU selection (`--gpus`): wins over the environment's; a GPU that does not exist is a UsageError. */
  gpus?: string[];
  /** Live series (`--metrics-port`): power per device as sampled, the command's joules so far per component. */
  metrics?: LiveMetrics;
  /** `--tdp`: the CPU TDP in W the labelled estimate assumes. */
  tdpW?: number;
  /** Grid intensity and PUE for a carbon line (and `carbon` in --json). */
  carbon?: { intensity: GridIntensity; pue: number };
}

export async function measureCommandRun(
  io: CliIo,
  command: string,
  args: string[],
  options: MeasureOptions,
): Promise<number> {
  const probes = await selectProbes(options.probeNames, {
    ...(options.gpus ? { gpus: options.gpus } : {}),
    ...(options.tdpW !== undefined ? { tdpW: options.tdpW } : {}),
  });
  const { metrics } = options;
  const meter = startMeter(probes, {
    intervalMs: options.intervalMs,
    ...(metrics ? { onSample: (s) => metrics.observeSample(s) } : {}),
  });
  let outcome: ChildOutcome;
  try {
    // The command starts once every probe delivers samples, so its first moments are measured too.
    await meter.waitFirstSamples();
    if (metrics) {
      // The counter is the meter's own integration from the command's start to the instant every device reached.
      const liveStartMs = nowMs();
      metrics.pullEnergyFrom(() => {
        const covered = meter.coveredUntilMs();
        const endMs = covered === null ? liveStartMs : Math.min(covered, nowMs());
        return endMs > liveStartMs ? meter.energyBetween(liveStartMs, endMs).energyJ : null;
      });
    }
    outcome = await runChild(command, args, {
      stdoutTo: options.json ? 'stderr' : 'stdout',
      env: io.env,
      cwd: io.cwd,
      now: nowMs,
    });
    await meter.waitCovered(outcome.endMs);
  } finally {
    // Stops every probe (and kills their child processes) even when the command could not start.
    await meter.stop();
  }
  const reading = meter.energyBetween(outcome.startMs, outcome.endMs);
  // A command that ends before the first sample inside it is not measured: its joules are extrapolated, and say so.
  const shortWindow = markShortWindow(reading.probes, {
    ms: outcome.endMs - outcome.startMs,
    intervalMs: options.intervalMs,
    what: 'the command',
    advice: 'lower --interval to measure commands this short',
  });
  // Until the server closes, a last scrape sees the joules the result reports.
  metrics?.pullEnergyFrom(() => reading.energyJ);
  const durationMs = outcome.endMs - outcome.startMs;
  const result: MeasureResult = {
    version: MEASURE_JSON_VERSION,
    command: [command, ...args],
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    startedAt: new Date(outcome.startMs).toISOString(),
    endedAt: new Date(outcome.endMs).toISOString(),
    durationMs,
    intervalMs: options.intervalMs,
    energyJ: reading.energyJ,
    averagePowerW: averagePower(reading.energyJ, durationMs),
    estimated: reading.estimated,
    degraded: reading.degraded || shortWindow,
    probes: reading.probes,
    energyBoundJ: (({ lowJ, highJ, devices }) => ({ lowJ, highJ, ...(devices.length ? { devices } : {}) }))(
      energyBoundOf(reading.probes, durationMs, {
        energyJ: reading.energyJ.total,
        estimated: reading.estimated,
      }),
    ),
    ...(options.carbon
      ? { carbon: carbonOf(reading.energyJ.total, options.carbon.intensity, options.carbon.pue) }
      : {}),
  };
  if (options.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  io.stderr.write(formatMeasureResult(result));
  return outcome.exitCode;
}
