// `eff report`: checks the results directory, then hands it to the report generator (src/report/).
import { join, resolve } from 'node:path';
import { resultsFiles } from '@eff/core';
import { type CarbonCliOptions, carbonFromCli } from '../commands/carbon-option.js';
import { ResultsError } from '../errors.js';
import type { CliIo } from '../io.js';
import { generateReport, type ReportOptions } from '../report/index.js';
import { resolveResultsDir } from '../report/load.js';
import { RESULTS_FILE } from './store.js';

/** Generates `<dir>/report/` and returns the path of its index.html; warnings about the input go to `onWarning`. */
export async function reportFor(
  resultsPath: string,
  onWarning?: (message: string) => void,
  options: Omit<ReportOptions, 'onWarning'> = {},
): Promise<string> {
  // A results file stands for its directory (resolveResultsDir says so through onWarning in generateReport).
  const resultsDir = resolveResultsDir(resultsPath).dir;
  if (resultsFiles(resultsDir).length === 0) {
    throw new ResultsError(
      `${resultsDir} has no ${RESULTS_FILE} (nor any other *.jsonl shard); run eff run --out ${resultsDir} (or eff demo) first, then eff report ${resultsDir}.`,
    );
  }
  await generateReport(resultsPath, onWarning ? { ...options, onWarning } : options);
  return join(resultsDir, 'report', 'index.html');
}

/** `eff report`: `opts.thresholds` for energy/time-to-accuracy, the carbon options for runs that recorded no carbon. */
export async function runReport(
  io: CliIo,
  resultsDir: string,
  opts: { thresholds?: number[] } & CarbonCliOptions = {},
): Promise<number> {
  const carbon = await carbonFromCli(opts, io.env);
  const index = await reportFor(resolve(io.cwd, resultsDir), (m) => io.stderr.write(`eff report: ${m}\n`), {
    ...(opts.thresholds ? { thresholds: opts.thresholds } : {}),
    ...(carbon ? { carbonIntensity: carbon.intensity, pue: carbon.pue } : {}),
  });
  io.stdout.write(`Report: ${index}\n`);
  return 0;
}
