// @ts-nocheck
// parseTolerantly: bad outputs are skipped and reported, a run of them is bounded, other errors pass through.
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ProbeError, ProbeParseError } from './errors.js';
import { type BadLineReport, parseTolerantly } from './tolerance.js';

const parseNumber = (line: string): number[] => {
  if (line === 'skip') return [];
  if (line === 'boom') throw new ProbeError('E_PROBE_READ', 'not a parse problem');
  if (!/^[0-9]+$/.test(line)) throw new ProbeParseError(`not a number: ${line}`, line);
  return [Number(line)];
};

describe('parseTolerantly', () => {
  it('skips and reports bad lines, resetting the run on any good line (even one with no value)', async () => {
    const bad: BadLineReport[] = [];
    const got = await lastValueFrom(
      from(['1', 'x', 'y', '2', 'z', 'skip', 'w', '3']).pipe(
        parseTolerantly('t', parseNumber, { maxConsecutiveBadLines: 2, onBadLine: (r) => bad.push(r) }),
        toArray(),
      ),
    );
    expect(got).toEqual([1, 2, 3]);
    expect(bad.map((b) => [b.error.input, b.consecutive, b.total])).toEqual([
      ['x', 1, 1],
      ['y', 2, 2],
      ['z', 1, 3],
      ['w', 1, 4],
    ]);
  });
  it('errors on the first bad line past the tolerance, after emitting what came before', async () => {
    const seen: number[] = [];
    const err = await lastValueFrom(
      from(['1', 'a', 'b', 'c', '2']).pipe(
        parseTolerantly('tool', parseNumber, { maxConsecutiveBadLines: 2 }),
      ),
    )
      .then(() => undefined)
      .catch((e) => e);
    expect(err).toBeInstanceOf(ProbeParseError);
    expect((err as ProbeParseError).input).toBe('c');
    expect((err as Error).message).toMatch(
      /^tool: 3 unparseable outputs in a row \(3 since start; 2 tolerated\)/,
    );
    await lastValueFrom(from(['1', 'a']).pipe(parseTolerantly('tool', parseNumber)), {
      defaultValue: 0,
    }).then((v) => seen.push(v));
    expect(seen).toEqual([1]);
  });
  it('0 is strict; other errors end the stream unchanged; a bad tolerance is a RangeError', async () => {
    const strict = await lastValueFrom(
      from(['a']).pipe(parseTolerantly('t', parseNumber, { maxConsecutiveBadLines: 0 })),
    ).catch((e) => e);
    expect((strict as ProbeParseError).code).toBe('E_PROBE_PARSE');
    const other = await lastValueFrom(from(['boom']).pipe(parseTolerantly('t', parseNumber))).catch((e) => e);
    expect((other as ProbeError).code).toBe('E_PROBE_READ');
    expect(() => parseTolerantly('t', parseNumber, { maxConsecutiveBadLines: -1 })).toThrow(RangeError);
  });
});
