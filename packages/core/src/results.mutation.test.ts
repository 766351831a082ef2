// results.ts and results-reader.ts messages for a line that is JSON but no record at all, parseJsonl without a file
// name, and stableStringify of undefined (uncovered in Stryker's run).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import {
  appendJsonl,
  parseJsonl,
  ResultsFormatError,
  repairTornTail,
  runsToCsv,
  stableStringify,
} from './results.js';
import { readRunIndex, readRunRecords, resultsFiles } from './results-reader.js';

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

describe('CSV cells, key order and the torn-tail repair (mutation tests)', () => {
  it('a run row, cell by cell: empty cells for null and absent, RFC 4180 quotes, objects as JSON, model from architecture-size', () => {
    const r = makeRecord({
      criterionLabel: 'acc "high", train',
      criterionParams: { n: 3 },
      accuracy: 0.5,
      energyJ: 64,
    });
    const placed = {
      ...r,
      final: { ...r.final, sharedComponents: ['cpu' as const, 'ram' as const] },
      environment: { hostname: 'node7', placement: { jobId: '42', exclusive: false } },
    };
    const [header, row, end] = runsToCsv([placed]).split('\n');
    expect(header).toBe(
      'runId,status,architecture,size,model,dataset,fold,seed,criterion,criterionLabel,criterionParams,maxEpochs,' +
        'epochs,accuracy,accuracyOn,trainAccuracy,energyJ,gpuJ,cpuJ,ramJ,systemJ,paperSumW,efficiencyPerJ,' +
        'durationMs,stoppedBy,stopReason,degraded,estimated,startedAt,error,sharedComponents,hostname,jobId,' +
        'arrayJobId,arrayTaskId,exclusive',
    );
    // 0.5 / 64 J = 0.0078125 acc/J (binary-exact); the label's quotes doubled and the cell quoted for its comma; {"n":3} quoted for
    // its quotes; no seed, fold, train accuracy, cpu/ram/system joules, paper sum, error or array ids: empty
    expect(row).toBe(
      'lenet-1-fixedEpochs-x,completed,lenet,1,lenet-1,mnist,,,fixedEpochs,"acc ""high"", train","{""n"":3}",100,' +
        '1,0.5,test,,64,64,,,,,0.0078125,1000,fixedEpochs,test,false,false,2026-01-01T00:00:00.000Z,,cpu;ram,node7,42,' +
        ',,false',
    );
    expect(end).toBe('');
    // a model given is written as is
    expect(runsToCsv([{ ...r, config: { ...r.config, model: 'lenet-wide' } }]).split('\n')[1]).toMatch(
      /^lenet-1-fixedEpochs-x,completed,lenet,1,lenet-wide,mnist,/,
    );
  });

  it('cells with a newline or a carriage return are quoted; a plain string is not', () => {
    const label = (criterionLabel: string) =>
      runsToCsv([makeRecord({ criterionLabel })])
        .split('\n')
        .slice(1)
        .join('\n');
    expect(label('two\nlines')).toMatch(/,fixedEpochs,"two\nlines",\{\}?/);
    expect(label('cr\rhere')).toContain(',fixedEpochs,"cr\rhere",');
    expect(label('plain')).toContain(',fixedEpochs,plain,{},100,');
  });

  it('stableStringify sorts keys at every level, whatever their order in the object', () => {
    expect(stableStringify({ c: 1, a: { z: true, b: [{ y: 2, x: 1 }] }, b: 'q' })).toBe(
      '{"a":{"b":[{"x":1,"y":2}],"z":true},"b":"q","c":1}',
    );
    expect(stableStringify({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    expect(stableStringify({ a: 2, b: 1 })).toBe('{"a":2,"b":1}');
  });

  it('parseJsonl: a record with spaces around it and a line of spaces; a null line is a format error', () => {
    const a = makeRecord({ size: 1 });
    expect(parseJsonl(`  ${JSON.stringify(a)}\t\n   \n`)).toEqual([a]);
    const err = thrown(() => parseJsonl('null\n', 'n.jsonl'));
    expect(err.message).toMatch(/^n\.jsonl:1: not a RunRecord \(schema version undefined\): \(record\): /);
  });
});

describe('repairTornTail edge cases (mutation tests)', () => {
  const rec = JSON.stringify(makeRecord({ size: 1 }));
  const at = new Date('2026-11-30T10:00:00.000Z');
  const fileWith = (content: string): string => {
    const file = join(mkdtempSync(join(dir, 'repair-')), 'results.jsonl');
    writeFileSync(file, content);
    return file;
  };

  it('an empty file and one ending with a newline are left alone', async () => {
    for (const content of ['', `${rec}\n`]) {
      const file = fileWith(content);
      expect(await repairTornTail(file, at)).toBeNull();
      expect(readFileSync(file, 'utf8')).toBe(content);
      expect(readdirSync(join(file, '..'))).toEqual(['results.jsonl']);
    }
  });

  it('a blank tail without a newline gets no newline and no side file; a complete last record gets its newline', async () => {
    const blank = fileWith(`${rec}\n  `);
    expect(await repairTornTail(blank, at)).toBeNull();
    expect(readFileSync(blank, 'utf8')).toBe(`${rec}\n  `);
    expect(readdirSync(join(blank, '..'))).toEqual(['results.jsonl']);
    const lost = fileWith(`${rec}\n${rec}`);
    expect(await repairTornTail(lost, at)).toBeNull();
    expect(readFileSync(lost, 'utf8')).toBe(`${rec}\n${rec}\n`);
  });

  it('a torn first line: offset 0, the file emptied, the side file holds it all', async () => {
    const file = fileWith('{"runId":"x');
    const repair = await repairTornTail(file, at);
    expect(repair).toEqual({
      line: 1,
      byteOffset: 0,
      bytes: 11,
      text: '{"runId":"x',
      movedTo: `${file}.torn-2026-11-30T10-00-00.000Z`,
    });
    expect(readFileSync(file, 'utf8')).toBe('');
    expect(readFileSync(`${file}.torn-2026-11-30T10-00-00.000Z`, 'utf8')).toBe('{"runId":"x');
  });

  it('side file names already taken: -2, then -3; an error other than EEXIST is thrown', async () => {
    const file = fileWith(`${rec}\n{"cut`);
    const base = `${file}.torn-2026-11-30T10-00-00.000Z`;
    writeFileSync(base, 'older');
    writeFileSync(`${base}-2`, 'older 2');
    const repair = await repairTornTail(file, at);
    expect(repair?.movedTo).toBe(`${base}-3`);
    expect(readFileSync(`${base}-3`, 'utf8')).toBe('{"cut');
    expect([readFileSync(base, 'utf8'), readFileSync(`${base}-2`, 'utf8')]).toEqual(['older', 'older 2']);
    expect(readFileSync(file, 'utf8')).toBe(`${rec}\n`);
    // the side file's directory is a file: ENOTDIR, not retried under another name
    const blocked = `${fileWith(`${rec}\n{"cut`)}`;
    await expect(repairTornTail(join(blocked, 'inner.jsonl'), at)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('appendJsonl to an empty file writes no leading newline', async () => {
    const file = fileWith('');
    await appendJsonl(file, makeRecord({ size: 1 }));
    expect(readFileSync(file, 'utf8')).toBe(`${rec}\n`);
  });
});

describe('duplicates and retries across a results directory (mutation tests)', () => {
  const done = JSON.stringify(makeRecord({ architecture: 'a' }));
  const failed = JSON.stringify({ ...makeRecord({ architecture: 'a', status: 'failed' }), error: 'OOM' });
  const other = JSON.stringify(makeRecord({ architecture: 'b' }));
  // a: failed, completed, completed again, failed again; b completed; then a torn line of 5 bytes ({"run)
  const content = `${failed}\n${done}\n${done}\n${failed}\n${other}\n{"run`;

  it('readRunIndex: the first final outcome wins over failed attempts; a second one is a duplicate; the torn line listed', async () => {
    const d = resultsDir({ 'results.jsonl': content });
    const file = join(d, 'results.jsonl');
    const index = await readRunIndex(d);
    expect([...index.runs.entries()]).toEqual([
      ['a-1-fixedEpochs-x', { status: 'completed', file, line: 2 }],
      ['b-1-fixedEpochs-x', { status: 'completed', file, line: 5 }],
    ]);
    expect(index.duplicates).toEqual([
      { runId: 'a-1-fixedEpochs-x', first: { file, line: 2 }, again: { file, line: 3 } },
    ]);
    expect(index.tornLines).toEqual([{ file, line: 6, bytes: 5 }]);
    expect(index.files).toEqual([file]);
  });

  it('readRunRecords: failed attempts all yielded, a second final outcome passed to onDuplicate (or dropped without one)', async () => {
    const d = resultsDir({ 'results.jsonl': content });
    const file = join(d, 'results.jsonl');
    const seen: unknown[] = [];
    const lines: number[] = [];
    for await (const r of readRunRecords(d, { onDuplicate: (x) => seen.push(x) })) lines.push(r.line);
    expect(lines).toEqual([1, 2, 4, 5]);
    expect(seen).toEqual([
      { runId: 'a-1-fixedEpochs-x', first: { file, line: 2 }, again: { file, line: 3 } },
    ]);
    expect((await readAll(d)).map((r) => r.line)).toEqual([1, 2, 4, 5]);
  });
});
