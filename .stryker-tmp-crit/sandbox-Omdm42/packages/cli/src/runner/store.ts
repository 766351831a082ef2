// @ts-nocheck
// The results directory: results.jsonl appended and fsynced through @eff/core, read back to resume a grid.
import { existsSync } from 'node:fs';
import { appendJsonl, type RunRecord, readJsonl } from '@eff/core';

export const RESULTS_FILE = 'results.jsonl';

export async function readRunRecords(file: string): Promise<RunRecord[]> {
  if (!existsSync(file)) return [];
  return readJsonl(file);
}

/**
 * runIds of runs with a final outcome: completed or diverged (a seeded run that diverged diverges again, and that
 * it diverges is the result). Failed runs are not in it, so a rerun retries them.
 */
export async function completedRunIds(file: string): Promise<Set<string>> {
  const records = await readRunRecords(file);
  return new Set(records.filter((r) => r.status !== 'failed').map((r) => r.runId));
}

/** One line, flushed and fsynced before returning: a crash after this loses nothing of this run. */
export async function appendRunRecord(file: string, record: RunRecord): Promise<void> {
  await appendJsonl(file, record);
}
