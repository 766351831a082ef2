// Tests for the streaming results reader: several files, duplicates, malformed lines, torn tails, the run index.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import { ResultsFormatError } from './results.js';
import {
  type DuplicateRun,
  readRunIndex,
  readRunRecords,
  resultsFiles,
  type TornLine,
} from './results-reader.js';

const dir = () => mkdtempSync(join(tmpdir(), 'eff-reader-'));
const line = (r: unknown) => `${JSON.stringify(r)}\n`;

async function collect(
  d: string,
  onDuplicate?: (x: DuplicateRun) => void,
  onTornLine?: (t: TornLine) => void,
) {
  const out = [];
  for await (const r of readRunRecords(d, { onDuplicate, onTornLine })) out.push(r);
  return out;
}

describe('readRunRecords', () => {
  it('reads every *.jsonl of a directory, results.jsonl first and shards in numeric order', async () => {
    const d = dir();
    writeFileSync(join(d, 'results-shard-10-of-12.jsonl'), line(makeRecord({ size: 10 })));
    writeFileSync(join(d, 'results-shard-2-of-12.jsonl'), line(makeRecord({ size: 2 })));
    writeFileSync(
      join(d, 'results.jsonl'),
      `${line(makeRecord({ size: 1 }))}\n${line(makeRecord({ size: 3 }))}`,
    );
    writeFileSync(join(d, 'notes.txt'), 'not results');
    mkdirSync(join(d, 'report'));
    expect(resultsFiles(d).map((f) => f.slice(d.length + 1))).toEqual([
      'results.jsonl',
      'results-shard-2-of-12.jsonl',
      'results-shard-10-of-12.jsonl',
    ]);
    const got = await collect(d);
    expect(got.map((r) => [r.record.config.size, r.file.slice(d.length + 1), r.line])).toEqual([
      [1, 'results.jsonl', 1],
      [3, 'results.jsonl', 3],
      [2, 'results-shard-2-of-12.jsonl', 1],
      [10, 'results-shard-10-of-12.jsonl', 1],
    ]);
  });

  it('yields nothing for a missing directory and refuses a file', async () => {
    const d = dir();
    expect(await collect(join(d, 'absent'))).toEqual([]);
    writeFileSync(join(d, 'f.jsonl'), '');
    expect(() => resultsFiles(join(d, 'f.jsonl'))).toThrow(/is a file, not a results directory/);
  });

  it('reports a run found twice and yields it once; failed attempts before a retry are all kept', async () => {
    const d = dir();
    const ok = makeRecord({ size: 1 });
    const failed = { ...makeRecord({ size: 1 }), status: 'failed', error: 'out of memory' };
    writeFileSync(join(d, 'results.jsonl'), line(failed) + line(ok));
    writeFileSync(join(d, 'results-shard-1-of-2.jsonl'), line(makeRecord({ size: 2 })) + line(ok));
    const dups: DuplicateRun[] = [];
    const got = await collect(d, (x) => dups.push(x));
    expect(got.map((r) => [r.record.config.size, r.record.status])).toEqual([
      [1, 'failed'],
      [1, 'completed'],
      [2, 'completed'],
    ]);
    expect(dups).toEqual([
      {
        runId: ok.runId,
        first: { file: join(d, 'results.jsonl'), line: 2 },
        again: { file: join(d, 'results-shard-1-of-2.jsonl'), line: 2 },
      },
    ]);
  });

  it('names file, line and the fix for a line that is not JSON or not a RunRecord', async () => {
    const d = dir();
    const file = join(d, 'results.jsonl');
    const good = line(makeRecord());
    writeFileSync(file, `${good}{"runId": oops\n${good}`);
    const err = await collect(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultsFormatError);
    expect((err as ResultsFormatError).line).toBe(2);
    expect((err as Error).message).toMatch(
      /results\.jsonl:2: not valid JSON .*move that line out of the file/,
    );

    const bad = makeRecord();
    (bad.final as { accuracy: number }).accuracy = 1.5;
    writeFileSync(file, `${good}\n${line(bad)}`);
    await expect(collect(d)).rejects.toThrow(
      /results\.jsonl:3: not a RunRecord .*final\.accuracy.*fix that field/,
    );
  });

  it('leaves out a torn last line and says where; the same text before a newline is an error', async () => {
    const d = dir();
    const file = join(d, 'results.jsonl');
    const good = line(makeRecord());
    writeFileSync(file, `${good}${good.slice(0, 50)}`);
    const torn: TornLine[] = [];
    const got = await collect(d, undefined, (t) => torn.push(t));
    expect(got).toHaveLength(1);
    expect(torn).toEqual([{ file, line: 2, bytes: 50 }]);
    writeFileSync(file, `${good}${good.slice(0, 50)}\n`);
    await expect(collect(d)).rejects.toThrow(/results\.jsonl:2: not valid JSON/);
    // A complete record that only lost its newline is read.
    writeFileSync(file, `${good}${line(makeRecord({ size: 2 })).trimEnd()}`);
    expect(await collect(d)).toHaveLength(2);
  });
});

describe('readRunIndex', () => {
  it('maps runId to status and place without validating configs or epochs', async () => {
    const d = dir();
    // Only runId and status are looked at: an epoch that a full read refuses does not stop resume.
    const odd = { ...makeRecord({ size: 2 }), epochs: [{ epoch: 'not a number' }], config: 'unchecked' };
    const failedThenDone = { ...makeRecord({ size: 3 }), status: 'failed' };
    writeFileSync(
      join(d, 'results.jsonl'),
      line(makeRecord({ size: 1 })) + line(odd) + line(failedThenDone) + line(makeRecord({ size: 3 })),
    );
    writeFileSync(join(d, 'results-shard-1-of-2.jsonl'), line(makeRecord({ size: 1 })));
    const index = await readRunIndex(d);
    expect(index.files).toHaveLength(2);
    expect([...index.runs.entries()].map(([id, e]) => [id, e.status, e.line])).toEqual([
      [makeRecord({ size: 1 }).runId, 'completed', 1],
      [odd.runId, 'completed', 2],
      [makeRecord({ size: 3 }).runId, 'completed', 4],
    ]);
    expect(index.duplicates.map((x) => [x.runId, x.again.line])).toEqual([
      [makeRecord({ size: 1 }).runId, 1],
    ]);
    await expect(collect(d)).rejects.toThrow(/results\.jsonl:2: not a RunRecord/);
  });

  it('keeps a failed run failed (resume retries it) and refuses a line without a runId', async () => {
    const d = dir();
    const file = join(d, 'results.jsonl');
    writeFileSync(file, line({ ...makeRecord(), status: 'failed' }));
    expect([...(await readRunIndex(d)).runs.values()].map((e) => e.status)).toEqual(['failed']);
    writeFileSync(file, `${line(makeRecord())}{"status":"completed"}\n`);
    await expect(readRunIndex(d)).rejects.toThrow(/results\.jsonl:2: not a RunRecord .*runId/);
    expect((await readRunIndex(join(d, 'absent'))).runs.size).toBe(0);
  });
});
