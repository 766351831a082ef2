// The results directory: results.jsonl appended and fsynced through @eff/core, read back to resume a grid.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { appendJsonl, type RunRecord, readJsonlKeepingTail, repairTornTail } from '@eff/core';

export const RESULTS_FILE = 'results.jsonl';

/**
 * Every complete record of a results file ([] when it does not exist). A last line cut by a crash is left out
 * (`eff run` moves it aside before appending); any other bad line throws ResultsFormatError naming file and line.
 */
export async function readRunRecords(file: string): Promise<RunRecord[]> {
  if (!existsSync(file)) return [];
  return (await readJsonlKeepingTail(file)).records;
}

/**
 * runIds of runs with a final outcome: completed or diverged (a seeded run that diverged diverges again, and that
 * it diverges is the result). Failed runs are not in it, so a rerun retries them.
 */
export async function completedRunIds(file: string): Promise<Set<string>> {
  const records = await readRunRecords(file);
  return new Set(records.filter((r) => r.status !== 'failed').map((r) => r.runId));
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
