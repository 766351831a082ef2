// @ts-nocheck
// Reads the JSON Lines results of a results directory into validated RunRecords, naming file and line on error.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type RunRecord, RunRecordSchema } from '@eff/core';
import { EffCliError } from '../errors.js';

/** The report's input cannot be used: `file` and `line` (1-based) say where, when known. */
export class ReportInputError extends EffCliError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(message: string, file?: string, line?: number) {
    super('E_REPORT_INPUT', message, 1);
    this.file = file;
    this.line = line;
  }
}

/** One run and where it came from, so the report can name its source. */
export interface LoadedRun {
  run: RunRecord;
  file: string;
  line: number;
}

/**
 * Every `*.jsonl` file directly in `resultsDir` (results.jsonl first), parsed and validated.
 * Blank lines are allowed; anything else that is not a RunRecord is an error (nothing is dropped silently).
 */
export function loadRuns(resultsDir: string): { runs: LoadedRun[]; files: string[] } {
  if (!existsSync(resultsDir) || !statSync(resultsDir).isDirectory()) {
    throw new ReportInputError(
      `results directory ${resultsDir} does not exist or is not a directory; give the --out directory of eff run.`,
    );
  }
  const names = readdirSync(resultsDir)
    .filter((n) => n.endsWith('.jsonl'))
    .sort((a, b) => (a === 'results.jsonl' ? -1 : b === 'results.jsonl' ? 1 : a.localeCompare(b)));
  if (names.length === 0) {
    throw new ReportInputError(
      `${resultsDir} has no results.jsonl (no *.jsonl file at all); run eff run --out ${resultsDir} or eff demo first.`,
      join(resultsDir, 'results.jsonl'),
    );
  }
  const runs: LoadedRun[] = [];
  const files = names.map((n) => join(resultsDir, n));
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (text.trim() === '') return;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new ReportInputError(
          `${file}:${i + 1}: expected one JSON object per line, found text that is not JSON (${(err as Error).message}); fix or remove that line.`,
          file,
          i + 1,
        );
      }
      const parsed = RunRecordSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue ? issue.path.join('.') || '(root)' : '(root)';
        throw new ReportInputError(
          `${file}:${i + 1}: expected a RunRecord, field ${where}: ${issue?.message ?? 'invalid'}; fix or remove that line.`,
          file,
          i + 1,
        );
      }
      runs.push({ run: parsed.data, file, line: i + 1 });
    });
  }
  if (runs.length === 0) {
    throw new ReportInputError(`${files.join(', ')} contain no runs; run eff run first.`, files[0]);
  }
  return { runs, files };
}
