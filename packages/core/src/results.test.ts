// Tests for result files: JSON Lines round trip and errors, fsynced append, torn-tail repair, CSV, config hash.
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import {
  appendJsonl,
  configHash,
  epochsToCsv,
  findTornTail,
  ResultsFormatError,
  readJsonl,
  readJsonlKeepingTail,
  repairTornTail,
  runsToCsv,
  tornTailPath,
} from './results.js';

const dir = () => mkdtempSync(join(tmpdir(), 'eff-results-'));

describe('JSON Lines', () => {
  it('appends one line per record and reads them back', async () => {
    const file = join(dir(), 'results.jsonl');
    const a = makeRecord({ size: 1 });
    const b = makeRecord({ size: 2, curve: [[0.5, 10]] });
    await appendJsonl(file, a);
    await appendJsonl(file, b);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
    expect(await readJsonl(file)).toEqual([a, b]);
  });

  it('names line and field of a bad record, and a cut last line', async () => {
    const file = join(dir(), 'bad.jsonl');
    const good = JSON.stringify(makeRecord());
    const bad = JSON.parse(good);
    bad.final.accuracy = 1.5;
    writeFileSync(file, `${good}\n\n${JSON.stringify(bad)}\n`);
    await expect(readJsonl(file)).rejects.toThrow(/bad\.jsonl:3: .*final\.accuracy/);
    writeFileSync(file, `${good}\n${good.slice(0, 40)}`);
    const err = await readJsonl(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultsFormatError);
    expect((err as ResultsFormatError).line).toBe(2);
    // The way out it names is eff run's repair, not an edit by hand.
    expect((err as ResultsFormatError).message).toMatch(
      /crash cut it: run `eff run` with the same --out again/,
    );
    expect((err as ResultsFormatError).message).not.toMatch(/delete that line/);
  });

  it('refuses to append an invalid record', async () => {
    const file = join(dir(), 'r.jsonl');
    const bad = { ...makeRecord(), runId: '' };
    await expect(appendJsonl(file, bad)).rejects.toThrow(/runId/);
  });
});

describe('a last line cut by a crash', () => {
  const a = makeRecord({ size: 1 });
  const b = makeRecord({ size: 2, curve: [[0.5, 10]] });
  const c = makeRecord({ size: 3 });

  /** Two complete records, then the third cut `keepBytes` bytes into its line, as a crash mid-append leaves it. */
  async function tornFile(keepBytes: number): Promise<{ file: string; wholeSize: number; cut: Buffer }> {
    const file = join(dir(), 'results.jsonl');
    for (const r of [a, b, c]) await appendJsonl(file, r);
    const whole = readFileSync(file);
    const thirdStart = whole.length - Buffer.byteLength(`${JSON.stringify(c)}\n`);
    truncateSync(file, thirdStart + keepBytes);
    return { file, wholeSize: whole.length, cut: whole.subarray(thirdStart, thirdStart + keepBytes) };
  }

  it('is found with its line, offset and size; complete files and blank tails have none', async () => {
    const { file, cut } = await tornFile(57);
    const torn = findTornTail(readFileSync(file));
    expect(torn).toMatchObject({ line: 3, bytes: 57, text: cut.toString('utf8') });
    expect(torn?.byteOffset).toBe(readFileSync(file).length - 57);
    expect(findTornTail(`${JSON.stringify(a)}\n`)).toBeNull();
    expect(findTornTail(`${JSON.stringify(a)}\n  `)).toBeNull();
    expect(findTornTail(JSON.stringify(a))).toBeNull(); // complete, only its newline lost
    expect(findTornTail('{"schemaVer')).toMatchObject({ line: 1, byteOffset: 0, bytes: 11 });
  });

  it('is left out by readJsonlKeepingTail, which reads every complete record and changes nothing', async () => {
    const { file } = await tornFile(200);
    const before = readFileSync(file);
    const { records, tornTail } = await readJsonlKeepingTail(file);
    expect(records).toEqual([a, b]);
    expect(tornTail?.line).toBe(3);
    expect(readFileSync(file).equals(before)).toBe(true);
    await expect(readJsonl(file)).rejects.toThrow(/results\.jsonl:3: not valid JSON/);
  });

  it('is moved to a side file by repairTornTail, byte for byte, and appending resumes on a clean line', async () => {
    const { file, cut } = await tornFile(123);
    const at = new Date('2026-11-30T09:30:00.000Z');
    const repair = await repairTornTail(file, at);
    expect(repair).toMatchObject({ line: 3, bytes: 123, movedTo: `${file}.torn-2026-11-30T09-30-00.000Z` });
    expect(repair?.movedTo).toBe(tornTailPath(file, at));
    expect(readFileSync(repair!.movedTo).equals(cut)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(a)}\n${JSON.stringify(b)}\n`);
    expect(await repairTornTail(file, at)).toBeNull(); // nothing left to repair
    await appendJsonl(file, c);
    expect(await readJsonl(file)).toEqual([a, b, c]);
  });

  it('never overwrites an earlier side file', async () => {
    const { file } = await tornFile(10);
    const at = new Date('2026-11-30T09:30:00.000Z');
    const first = await repairTornTail(file, at);
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"cut":`);
    const second = await repairTornTail(file, at);
    expect(second?.movedTo).toBe(`${first?.movedTo}-2`);
    expect(readFileSync(first!.movedTo, 'utf8')).toBe(JSON.stringify(c).slice(0, 10));
    expect(readFileSync(second!.movedTo, 'utf8')).toBe('{"cut":');
    expect(readdirSync(join(file, '..')).filter((n) => n.includes('.torn-'))).toHaveLength(2);
  });

  it('a complete last record that only lost its newline is kept and gets its newline back', async () => {
    const file = join(dir(), 'results.jsonl');
    writeFileSync(file, `${JSON.stringify(a)}\n${JSON.stringify(b)}`);
    expect(await repairTornTail(file)).toBeNull();
    await appendJsonl(file, c);
    expect(await readJsonl(file)).toEqual([a, b, c]);
  });

  it('a torn line in the middle stays an error naming file and line', async () => {
    const file = join(dir(), 'results.jsonl');
    writeFileSync(file, `${JSON.stringify(a)}\n${JSON.stringify(b).slice(0, 80)}\n${JSON.stringify(c)}\n`);
    expect(await repairTornTail(file)).toBeNull();
    const err = await readJsonlKeepingTail(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResultsFormatError);
    expect(err).toMatchObject({ file, line: 2 });
    expect((err as Error).message).toMatch(/results\.jsonl:2: not valid JSON.*cut by an earlier crash/);
  });

  it('appending to a file whose repair was skipped starts a new line instead of gluing onto the torn bytes', async () => {
    const { file } = await tornFile(30);
    await appendJsonl(file, c);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[3]!)).toEqual(c);
    await expect(readJsonl(file)).rejects.toMatchObject({ line: 3 });
  });
});

/** Splits one CSV line (RFC 4180 quotes, no embedded newlines). */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted && ch === '"' && line[i + 1] === '"') {
      cur += '"';
      i++;
    } else if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

describe('CSV', () => {
  it('one row per run and per epoch, quoted where needed', () => {
    const r = makeRecord({
      criterionLabel: 'accuracy ≥ 0.99, train',
      curve: [
        [0.5, 10],
        [0.8, 30],
      ],
    });
    const runs = runsToCsv([r]).trim().split('\n');
    expect(runs).toHaveLength(2);
    expect(runs[1]).toContain('"accuracy ≥ 0.99, train"');
    const header = runs[0]?.split(',') ?? [];
    expect(cells(runs[1] ?? '')[header.indexOf('energyJ')]).toBe('100');
    const epochs = epochsToCsv([r]).trim().split('\n');
    expect(epochs).toHaveLength(3);
    const eh = epochs[0]?.split(',') ?? [];
    const row = cells(epochs[2] ?? '');
    expect(row[eh.indexOf('cumulativeEnergyJ')]).toBe('30');
    expect(row[eh.indexOf('energyJ')]).toBe('20');
    expect(row[eh.indexOf('criterion')]).toBe('accuracy ≥ 0.99, train');
    expect(row[eh.indexOf('nonFinite')]).toBe('');
  });
  it("a diverged epoch's non-finite values are kept as text in the nonFinite column", () => {
    const r = makeRecord({ curve: [[0.3, 10]] });
    const diverged = {
      ...r,
      status: 'diverged' as const,
      epochs: r.epochs.map((e) => ({
        ...e,
        trainLoss: null,
        validationLoss: null,
        nonFinite: { trainLoss: 'Infinity', validationLoss: 'NaN' },
      })),
    };
    const lines = epochsToCsv([diverged]).trim().split('\n');
    const eh = lines[0]?.split(',') ?? [];
    const row = cells(lines[1] ?? '');
    expect(row[eh.indexOf('trainLoss')]).toBe('');
    expect(row[eh.indexOf('nonFinite')]).toBe('trainLoss=Infinity;validationLoss=NaN');
    expect(runsToCsv([diverged])).toMatch(/,diverged,/);
  });
});

describe('configHash', () => {
  it('ignores key order and omitted defaults, changes with any value', () => {
    const base = {
      architecture: 'lenet',
      size: 1,
      dataset: 'mnist',
      criterion: { name: 'fixedEpochs' },
      maxEpochs: 5,
    };
    const h = configHash(base);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(
      configHash({
        maxEpochs: 5,
        dataset: 'mnist',
        criterion: { params: {}, name: 'fixedEpochs' },
        size: 1,
        architecture: 'lenet',
        fold: null,
      }),
    ).toBe(h);
    expect(configHash({ ...base, size: 2 })).not.toBe(h);
    expect(() => configHash({ ...base, size: 0 })).toThrow(/size/);
  });
});
