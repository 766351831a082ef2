// Asks SLURM's squeue which array tasks of given jobs are still queued or running, and parses its answer.
import { execFile } from 'node:child_process';

/** One array task (or plain job) squeue still knows: `state` as squeue prints it (`PENDING`, `RUNNING`, …). */
export interface QueuedTask {
  arrayJobId: string;
  /** undefined for a job that is not an array task. */
  taskId: number | undefined;
  state: string;
  /** squeue's reason (`Priority`, `Resources`, `JobArrayTaskLimit`, `None`). */
  reason: string;
}

/** The format eff asks for: array job id, task index, long state, reason, `|`-separated (`%F|%K|%T|%r`). */
export const SQUEUE_FORMAT = '%F|%K|%T|%r';

/**
 * Task indices of a `%K` field: one number with `--array`; without it pending tasks come folded, e.g. `2-5%1`,
 * `[1,3,5-7]`, so those are expanded too. [] for `N/A` (not an array job).
 */
export function parseTaskIndices(field: string): number[] {
  const body = field.trim().replace(/^\[/, '').replace(/\]$/, '').replace(/%\d+$/, '');
  if (body === '' || body === 'N/A') return [];
  const out: number[] = [];
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const step = m[3] === undefined ? 1 : Math.max(1, Number(m[3]));
    for (let i = from; i <= to; i += step) out.push(i);
  }
  return out;
}

/**
 * Parses the output of `squeue --noheader --array --format=%F|%K|%T|%r` (squeue(1), `-o/--format`: `%F` the array's
 * base job id, `%K` the array index, `%T` the state in extended form, `%r` the reason). Lines that are not four
 * `|`-separated fields are skipped.
 */
export function parseSqueue(text: string): QueuedTask[] {
  const out: QueuedTask[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split('|');
    if (fields.length !== 4) continue;
    const [arrayJobId, index, state, reason] = fields.map((f) => f.trim()) as [
      string,
      string,
      string,
      string,
    ];
    if (!/^\d+$/.test(arrayJobId)) continue;
    const indices = parseTaskIndices(index);
    if (indices.length === 0) out.push({ arrayJobId, taskId: undefined, state, reason });
    for (const taskId of indices) out.push({ arrayJobId, taskId, state, reason });
  }
  return out;
}

/** What squeue said: the tasks, or why it could not be asked (`available: false` when squeue is not on PATH). */
export interface QueueAnswer {
  available: boolean;
  tasks: QueuedTask[];
  /** squeue ran but failed (no controller, …): its message. */
  error?: string;
}

/**
 * Runs `squeue --noheader --array --jobs=<ids> --format=%F|%K|%T|%r` (10 s at most). squeue refusing ids it no
 * longer knows ("Invalid job id specified": every task has ended and left the queue) is an empty queue, not an error.
 */
export function queryQueue(arrayJobIds: readonly string[], env: NodeJS.ProcessEnv): Promise<QueueAnswer> {
  if (arrayJobIds.length === 0) return Promise.resolve({ available: true, tasks: [] });
  return new Promise((resolve) => {
    execFile(
      'squeue',
      ['--noheader', '--array', `--jobs=${arrayJobIds.join(',')}`, `--format=${SQUEUE_FORMAT}`],
      { env, timeout: 10_000, maxBuffer: 8 << 20 },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          resolve({ available: false, tasks: [] });
        } else if (err && /invalid job id/i.test(stderr)) {
          resolve({ available: true, tasks: parseSqueue(stdout) });
        } else if (err) {
          resolve({
            available: true,
            tasks: [],
            error: (stderr.trim().split('\n').pop() ?? '') || (err as Error).message,
          });
        } else {
          resolve({ available: true, tasks: parseSqueue(stdout) });
        }
      },
    );
  });
}
