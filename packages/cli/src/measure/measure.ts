// `eff measure`: starts the probes, runs the command, waits for the samples covering its end, and reports its energy.
import { startMeter } from '@eff/core';
import { nowMs } from '@eff/probes';
import type { CliIo } from '../io.js';
import { type ChildOutcome, runChild } from './child.js';
import { selectProbes } from './probes.js';
import { averagePower, formatMeasureResult, MEASURE_JSON_VERSION, type MeasureResult } from './report.js';

export interface MeasureOptions {
  probeNames: string[];
  intervalMs: number;
  json: boolean;
  /** Explicit GPU selection (`--gpus`): wins over the environment's; a GPU that does not exist is a UsageError. */
  gpus?: string[];
  /** `--tdp`: the CPU TDP in W the labelled estimate assumes. */
  tdpW?: number;
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
  const meter = startMeter(probes, { intervalMs: options.intervalMs });
  let outcome: ChildOutcome;
  try {
    // The command starts once every probe delivers samples, so its first moments are measured too.
    await meter.waitFirstSamples();
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
    degraded: reading.degraded,
    probes: reading.probes,
  };
  if (options.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  io.stderr.write(formatMeasureResult(result));
  return outcome.exitCode;
}
