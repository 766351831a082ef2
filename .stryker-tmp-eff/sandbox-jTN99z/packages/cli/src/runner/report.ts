// @ts-nocheck
// `eff report`: checks the results directory, then hands it to the report generator (src/report/).
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ResultsError } from '../errors.js';
import type { CliIo } from '../io.js';
import { generateReport } from '../report/index.js';
import { RESULTS_FILE } from './store.js';

/** Generates `<dir>/report/` and returns the path of its index.html. */
export async function reportFor(resultsDir: string): Promise<string> {
  if (!existsSync(resultsDir) || !statSync(resultsDir).isDirectory()) {
    throw new ResultsError(
      `results directory ${resultsDir} does not exist; give the --out directory of eff run.`,
    );
  }
  if (!existsSync(join(resultsDir, RESULTS_FILE))) {
    throw new ResultsError(
      `${resultsDir} has no ${RESULTS_FILE}; run eff run --out ${resultsDir} (or eff demo) first, then eff report ${resultsDir}.`,
    );
  }
  await generateReport(resultsDir, {});
  return join(resultsDir, 'report', 'index.html');
}

export async function runReport(io: CliIo, resultsDir: string): Promise<number> {
  const index = await reportFor(resolve(io.cwd, resultsDir));
  io.stdout.write(`Report: ${index}\n`);
  return 0;
}
