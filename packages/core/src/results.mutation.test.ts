// results.ts and results-reader.ts messages for a line that is JSON but no record at all, parseJsonl without a file
// name, and stableStringify of undefined (uncovered in Stryker's run).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonl, ResultsFormatError, stableStringify } from './results.js';
import { readRunRecords } from './results-reader.js';

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
    expect([err.file, err.line, err.code]).toEqual([undefined, 2, 'E_RESULTS_FORMAT']);
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
