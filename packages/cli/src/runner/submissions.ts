// The SLURM array jobs submitted for a results directory (DIR/slurm-jobs.txt), so `eff status` can ask squeue.
import { existsSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Kept in the results directory; not `*.jsonl`, so result readers never take it for a results file. */
export const SUBMISSIONS_FILE = 'slurm-jobs.txt';

/** One `sbatch --array` submission of a grid: its array job id and how many shards its tasks 0…N-1 run. */
export interface Submission {
  arrayJobId: string;
  shardCount: number;
  /** ISO time of the submission. */
  submittedAt?: string;
}

/**
 * Appends a submission as one line `<arrayJobId> <shardCount> <ISO time>` to `DIR/slurm-jobs.txt` (one short line,
 * appended by the one process that submits). `eff slurm submit` calls this after sbatch prints the job id.
 */
export async function appendSubmission(dir: string, submission: Submission): Promise<void> {
  const at = submission.submittedAt ?? new Date().toISOString();
  await appendFile(join(dir, SUBMISSIONS_FILE), `${submission.arrayJobId} ${submission.shardCount} ${at}\n`);
}

/**
 * The submissions recorded in `DIR/slurm-jobs.txt`, oldest first ([] when there is none). Lines that do not start
 * with a job id and a shard count (comments, blank lines) are skipped.
 */
export async function readSubmissions(dir: string): Promise<Submission[]> {
  const file = join(dir, SUBMISSIONS_FILE);
  if (!existsSync(file)) return [];
  const out: Submission[] = [];
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)(?:\s+(\S+))?/.exec(line);
    if (!m || Number(m[2]) < 1) continue;
    out.push({
      arrayJobId: m[1]!,
      shardCount: Number(m[2]),
      ...(m[3] ? { submittedAt: m[3] } : {}),
    });
  }
  return out;
}
