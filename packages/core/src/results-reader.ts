// Streams the RunRecords of a results directory (every `*.jsonl`, one line at a time) and builds resume's run index.
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ResultsFormatError } from './results.js';
import { type RunRecord, RunRecordSchema } from './schema.js';

/** The file a results directory holds when it is not split into shards; read first. */
export const RESULTS_FILE_NAME = 'results.jsonl';

/** One record of a results directory and where it is: `line` is 1-based. */
export interface RunRecordAt {
  record: RunRecord;
  file: string;
  line: number;
}

/** A run whose final outcome (completed or diverged) is in the directory more than once; only `first` counts. */
export interface DuplicateRun {
  runId: string;
  first: { file: string; line: number };
  again: { file: string; line: number };
}

/** A last line a crash cut (no newline, not JSON): left out of what is read; the file is not changed. */
export interface TornLine {
  file: string;
  line: number;
  bytes: number;
}

/** Told, while reading, about what is left out; every callback is optional. */
export interface ResultsReadOptions {
  /** A later final record of a runId already read (a shard written twice, a file copied in): it is skipped. */
  onDuplicate?: (duplicate: DuplicateRun) => void;
  /** A torn last line; the next `eff run` moves it aside and redoes its run. */
  onTornLine?: (torn: TornLine) => void;
}

/**
 * The `*.jsonl` files directly in `dir`, `results.jsonl` first, then the others by name with numbers in numeric
 * order (`results-shard-2-of-8.jsonl` before `results-shard-10-of-8.jsonl`). [] when `dir` does not exist.
 * Throws ResultsFormatError when `dir` is a file.
 */
export function resultsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) {
    throw new ResultsFormatError(
      `${dir} is a file, not a results directory; give the --out directory of eff run (the folder holding results.jsonl).`,
      dir,
      undefined,
    );
  }
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jsonl'))
    .sort((a, b) =>
      a === RESULTS_FILE_NAME
        ? -1
        : b === RESULTS_FILE_NAME
          ? 1
          : a.localeCompare(b, undefined, { numeric: true }),
    )
    .map((n) => join(dir, n));
}

async function endsWithNewline(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/** A line of a results file that is not JSON: where, and what to do about it. */
function notJsonError(file: string, line: number, cause: string): ResultsFormatError {
  return new ResultsFormatError(
    `${file}:${line}: not valid JSON (${cause}); a line cut by an earlier crash, with runs appended after it? ` +
      `move that line out of the file (e.g. \`sed -i '${line}d' ${file}\` after a backup); the run it held is redone by the next eff run.`,
    file,
    line,
  );
}

/**
 * The non-blank lines of one file, parsed as JSON, one at a time (never the whole file in memory). A torn last line
 * goes to `onTornLine` and is skipped; any other line that is not JSON throws ResultsFormatError (file, line, fix).
 */
async function* jsonLines(
  file: string,
  onTornLine: ((torn: TornLine) => void) | undefined,
): AsyncGenerator<{ json: unknown; line: number }> {
  const newlineAtEnd = await endsWithNewline(file);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  // A line that is not JSON is only torn if nothing follows it and the file lacks its final newline, so its error
  // waits for the next line.
  let pending: { line: number; text: string; cause: string } | null = null;
  let lineNo = 0;
  try {
    for await (const text of lines) {
      lineNo += 1;
      if (text.trim() === '') continue;
      if (pending) throw notJsonError(file, pending.line, pending.cause);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        pending = { line: lineNo, text, cause: (err as Error).message };
        continue;
      }
      yield { json, line: lineNo };
    }
  } finally {
    lines.close();
  }
  if (pending) {
    if (newlineAtEnd) throw notJsonError(file, pending.line, pending.cause);
    onTornLine?.({ file, line: pending.line, bytes: Buffer.byteLength(pending.text, 'utf8') });
  }
}

function schemaError(file: string, line: number, json: unknown, error: z.ZodError): ResultsFormatError {
  const issues = error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`)
    .join('; ');
  return new ResultsFormatError(
    `${file}:${line}: not a RunRecord (schema version ${String((json as { schemaVersion?: unknown })?.schemaVersion)}): ${issues}; ` +
      'a file from another eff version is read by that version (or rerun the grid); a hand-edited line: fix that field or remove the line.',
    file,
    line,
  );
}

/**
 * Every RunRecord of every `*.jsonl` in `dir` (see `resultsFiles` for the order), validated, one line at a time:
 * memory holds one line, not a file. A run with a final outcome (completed, diverged) found again later is passed
 * to `onDuplicate` and not yielded, so nothing is counted twice; failed attempts are all yielded (a retry that
 * succeeded follows them). Throws ResultsFormatError naming file, line and fix for a line that is not a RunRecord.
 * Yields nothing when `dir` does not exist.
 */
export async function* readRunRecords(
  dir: string,
  options: ResultsReadOptions = {},
): AsyncGenerator<RunRecordAt> {
  const finals = new Map<string, { file: string; line: number }>();
  for (const file of resultsFiles(dir)) {
    for await (const { json, line } of jsonLines(file, options.onTornLine)) {
      const parsed = RunRecordSchema.safeParse(json);
      if (!parsed.success) throw schemaError(file, line, json, parsed.error);
      const record = parsed.data;
      if (record.status !== 'failed') {
        const first = finals.get(record.runId);
        if (first) {
          options.onDuplicate?.({ runId: record.runId, first, again: { file, line } });
          continue;
        }
        finals.set(record.runId, { file, line });
      }
      yield { record, file, line };
    }
  }
}

/** What resume needs of one run: its outcome and where its record is. */
export interface RunIndexEntry {
  status: RunRecord['status'];
  file: string;
  line: number;
}

/** runId → the run's outcome; a final outcome (completed, diverged) wins over failed attempts. */
export interface RunIndex {
  runs: Map<string, RunIndexEntry>;
  /** Final outcomes found more than once (only the first is in `runs`). */
  duplicates: DuplicateRun[];
  /** Torn last lines left out. */
  tornLines: TornLine[];
  files: string[];
}

// Only what identifies a run: zod checks two fields and ignores the rest (epochs are parsed as JSON, not validated).
const RunIdentitySchema = z.object({
  runId: RunRecordSchema.shape.runId,
  status: RunRecordSchema.shape.status,
});

/**
 * The runs of a results directory for resume and `--dry-run`: runId → status, file, line, reading each line for its
 * runId and status only (no validation of configs or epochs). A final outcome (completed, diverged) replaces a failed
 * attempt; a second final outcome is listed in `duplicates`. Empty when `dir` does not exist. Throws
 * ResultsFormatError (file, line, fix) for a line that is not JSON or lacks a runId/status.
 */
export async function readRunIndex(dir: string): Promise<RunIndex> {
  const index: RunIndex = { runs: new Map(), duplicates: [], tornLines: [], files: resultsFiles(dir) };
  for (const file of index.files) {
    for await (const { json, line } of jsonLines(file, (t) => index.tornLines.push(t))) {
      const parsed = RunIdentitySchema.safeParse(json);
      if (!parsed.success) throw schemaError(file, line, json, parsed.error);
      const { runId, status } = parsed.data;
      const known = index.runs.get(runId);
      if (known && known.status !== 'failed') {
        if (status !== 'failed') {
          index.duplicates.push({
            runId,
            first: { file: known.file, line: known.line },
            again: { file, line },
          });
        }
        continue;
      }
      index.runs.set(runId, { status, file, line });
    }
  }
  return index;
}
