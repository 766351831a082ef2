// The results directory: this process's results file appended and fsynced through @eff/core; every file's run index read to resume.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { appendJsonl, type RunRecord, readRunIndex, readRunRecords, repairTornTail } from '@eff/core';

export const RESULTS_FILE = 'results.jsonl';

/**
 * Every complete record of every `*.jsonl` in `resultsDir` ([] when it does not exist), streamed line by line and
 * collected (for small directories such as the demo's; reports aggregate while streaming instead). A last line cut
 * by a crash is left out; a run found twice is kept once; any other bad line throws ResultsFormatError naming file,
 * line and fix.
 */
export async function collectRunRecords(resultsDir: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for await (const { record } of readRunRecords(resultsDir)) records.push(record);
  return records;
}

/**
 * runIds of runs with a final outcome in any `*.jsonl` of `resultsDir`: completed or diverged (a seeded run that
 * diverged diverges again, and that it diverges is the result). Failed runs are not in it, so a rerun retries them.
 * Reads only each line's runId and status (core's readRunIndex), never a whole file or a full validation.
 */
export async function completedRunIds(resultsDir: string): Promise<Set<string>> {
  const { runs } = await readRunIndex(resultsDir);
  return new Set([...runs].filter(([, e]) => e.status !== 'failed').map(([runId]) => runId));
}

/**
 * Before a grid appends to `file`: moves a last line cut by a crash (no newline, not JSON) to
 * `<file>.torn-<UTC time>` and returns the line to tell the user, or null when the file is whole or absent.
 */
export async function repairResultsFile(file: string): Promise<string | null> {
  if (!existsSync(file)) return null;
  const repair = await repairTornTail(file);
  if (repair === null) return null;
  return (
    `eff: ${basename(file)} ended with line ${repair.line} cut by a crash (${repair.bytes} bytes, not JSON); ` +
    `moved it to ${repair.movedTo}. Every complete run before it is kept; the run it held is redone.`
  );
}

/** One line, flushed and fsynced before returning: a crash after this loses nothing of this run. */
export async function appendRunRecord(file: string, record: RunRecord): Promise<void> {
  await appendJsonl(file, record);
}
