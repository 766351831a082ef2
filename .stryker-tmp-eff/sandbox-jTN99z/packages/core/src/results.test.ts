// @ts-nocheck
// Tests for result files: JSON Lines round trip and errors, fsynced append, CSV, config hash.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../test/make-record.js';
import { appendJsonl, configHash, epochsToCsv, ResultsFormatError, readJsonl, runsToCsv } from './results.js';

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
    expect((err as ResultsFormatError).message).toMatch(/crash/);
  });

  it('refuses to append an invalid record', async () => {
    const file = join(dir(), 'r.jsonl');
    const bad = { ...makeRecord(), runId: '' };
    await expect(appendJsonl(file, bad)).rejects.toThrow(/runId/);
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
