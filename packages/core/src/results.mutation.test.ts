// results.ts and results-reader.ts messages for a line that is JSON but no record at all, parseJsonl without a file
// name, and stableStringify of undefined (uncovered in Stryker's run).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import { parseJsonl, ResultsFormatError, stableStringify } from './results.js';
import { readRunRecords, resultsFiles } from './results-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'eff-results-mut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(f: () => unknown): ResultsFormatError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ResultsFormatError);
    return err as ResultsFormatError;
  }
  throw new Error('expected a ResultsFormatError');
}

describe('results messages (mutation tests)', () => {
  it('parseJsonl without a file name says "results"; a line that is not an object is "(record)"', () => {
    const err = thrown(() => parseJsonl('\n42\n'));
    expect(err.message).toMatch(/^results:2: not a RunRecord \(schema version undefined\): \(record\): \S/);
    expect([err.file, err.line, err.code, err.name]).toEqual([
      undefined,
      2,
      'E_RESULTS_FORMAT',
      'ResultsFormatError',
    ]);
    // a record missing most fields: the first five issues, joined by "; "
    const many = thrown(() => parseJsonl('{"schemaVersion":7}\n', 'r.jsonl')).message;
    expect(many.startsWith('r.jsonl:1: not a RunRecord (schema version 7): ')).toBe(true);
    expect(many.slice('r.jsonl:1: not a RunRecord (schema version 7): '.length).split('; ')).toHaveLength(5);
    expect(thrown(() => parseJsonl('{', 'runs.jsonl')).message).toMatch(/^runs\.jsonl:1: not valid JSON/);
    expect(thrown(() => parseJsonl('{')).message).toMatch(/^results:1: not valid JSON/);
  });

  it('readRunRecords names the file and line; a line that is not an object is "(record)"', async () => {
    const file = join(dir, 'results.jsonl');
    writeFileSync(file, '"a string"\n');
    let caught: unknown;
    try {
      for await (const _ of readRunRecords(dir)) {
        // reading is what throws
      }
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ResultsFormatError);
    expect((caught as Error).message).toMatch(
      new RegExp(
        `^${file.replaceAll('.', '\\.')}:1: not a RunRecord \\(schema version undefined\\): \\(record\\): \\S`,
      ),
    );
  });

  it('an empty results file has no records and no torn line', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    writeFileSync(join(empty, 'results.jsonl'), '');
    const torn: unknown[] = [];
    const records: unknown[] = [];
    for await (const r of readRunRecords(empty, { onTornLine: (t) => torn.push(t) })) records.push(r);
    expect([records, torn]).toEqual([[], []]);
  });

  it('stableStringify writes undefined as null, like JSON in an array, and drops undefined keys', () => {
    expect(stableStringify(undefined)).toBe('null');
    expect(stableStringify([undefined, 1])).toBe('[null,1]');
    expect(stableStringify({ b: 1, a: undefined, c: [2] })).toBe('{"b":1,"c":[2]}');
  });
});

/** A fresh results directory holding `files` (name -> content). */
function resultsDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(dir, 'r-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(d, name), content);
  return d;
}

async function readAll(d: string, onTornLine?: (t: unknown) => void) {
  const out: Array<{ runId: string; file: string; line: number }> = [];
  for await (const r of readRunRecords(d, onTornLine ? { onTornLine } : {})) {
    out.push({ runId: r.record.runId, file: r.file, line: r.line });
  }
  return out;
}

async function readError(d: string): Promise<ResultsFormatError> {
  try {
    await readAll(d);
  } catch (err) {
    expect(err).toBeInstanceOf(ResultsFormatError);
    return err as ResultsFormatError;
  }
  throw new Error('expected a ResultsFormatError');
}

describe('results-reader (mutation tests)', () => {
  const a = JSON.stringify(makeRecord({ architecture: 'a' }));
  const b = JSON.stringify(makeRecord({ architecture: 'b' }));

  it('results.jsonl first wherever it sorts, then the others with numbers in numeric order; only *.jsonl', () => {
    const d = resultsDir({
      'z.jsonl': '',
      'results-shard-10-of-12.jsonl': '',
      'results.jsonl': '',
      'a.jsonl': '',
      'results-shard-2-of-12.jsonl': '',
      'notes.txt': '',
    });
    mkdirSync(join(d, 'sub.jsonl.d'));
    expect(resultsFiles(d).map((f) => f.slice(d.length + 1))).toEqual([
      'results.jsonl',
      'a.jsonl',
      'results-shard-2-of-12.jsonl',
      'results-shard-10-of-12.jsonl',
      'z.jsonl',
    ]);
  });

  it('blank lines (spaces too) are skipped, line numbers still count them', async () => {
    const d = resultsDir({ 'results.jsonl': `${a}\n   \n\n${b}\n` });
    expect(await readAll(d)).toEqual([
      { runId: 'a-1-fixedEpochs-x', file: join(d, 'results.jsonl'), line: 1 },
      { runId: 'b-1-fixedEpochs-x', file: join(d, 'results.jsonl'), line: 4 },
    ]);
  });

  it('a non-JSON line with a line after it is an error naming that line, even when the file lacks its newline', async () => {
    const d = resultsDir({ 'results.jsonl': `${a}\n{"cut\n${b}` });
    const err = await readError(d);
    expect(err.message).toMatch(
      new RegExp(`^${join(d, 'results.jsonl').replaceAll('.', '\\.')}:2: not valid JSON \\(`),
    );
    expect([err.file, err.line]).toEqual([join(d, 'results.jsonl'), 2]);
  });

  it('a torn last line (no final newline) is skipped and reported with its UTF-8 size; without a listener too', async () => {
    const torn = '{"runId":"é'; // 11 characters, 12 bytes: é is two in UTF-8
    const d = resultsDir({ 'results.jsonl': `${a}\n${torn}` });
    const seen: unknown[] = [];
    expect((await readAll(d, (t) => seen.push(t))).map((r) => r.line)).toEqual([1]);
    expect(seen).toEqual([{ file: join(d, 'results.jsonl'), line: 2, bytes: 12 }]);
    expect((await readAll(d)).map((r) => r.line)).toEqual([1]);
    // the same line with its newline is not torn: an error
    const whole = resultsDir({ 'results.jsonl': `${a}\n${torn}\n` });
    expect((await readError(whole)).line).toBe(2);
  });

  it('a JSON null line and an empty object: "schema version undefined", at most three issues joined by "; "', async () => {
    const nul = await readError(resultsDir({ 'results.jsonl': 'null\n' }));
    expect(nul.message).toMatch(/:1: not a RunRecord \(schema version undefined\): \(record\): /);
    const empty = await readError(resultsDir({ 'results.jsonl': '{"schemaVersion":7}\n' }));
    const issues =
      empty.message.split(': not a RunRecord (schema version 7): ')[1]?.split('; a file from')[0] ?? '';
    expect(issues.split('; ')).toHaveLength(3);
  });
});
