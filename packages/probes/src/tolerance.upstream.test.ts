// parseTolerantly passes the tool's own failure through, and its give-up error says what to do (Stryker survivors).
import { concat, lastValueFrom, of, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ProbeExitedError, ProbeParseError } from './errors.js';
import { parseTolerantly } from './tolerance.js';

const parse = (line: string): number[] => {
  if (!/^[0-9]+$/.test(line)) throw new ProbeParseError(`not a number: ${line}`, line);
  return [Number(line)];
};

describe('parseTolerantly around the tool', () => {
  it('an error of the source (the tool exited) ends the stream with that error', async () => {
    const exited = new ProbeExitedError('tool exited (exit 3)', 3, null);
    const out = lastValueFrom(
      concat(
        of('1'),
        throwError(() => exited),
      ).pipe(parseTolerantly('t', parse), toArray()),
    );
    await expect(out).rejects.toBe(exited);
  });

  it('the give-up error names the count, the tolerance and what to check, and keeps the cause', async () => {
    const err = await lastValueFrom(
      of('x', 'y').pipe(parseTolerantly('tool', parse, { maxConsecutiveBadLines: 1 })),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeParseError);
    expect((err as Error).message).toBe(
      "tool: 2 unparseable outputs in a row (2 since start; 1 tolerated): not a number: y. The tool's output " +
        'format is not the documented one: check its version, or run it by hand to see what it prints',
    );
    expect(((err as Error).cause as ProbeParseError).input).toBe('y');
    expect(() => parseTolerantly('tool', parse, { maxConsecutiveBadLines: 1.5 })).toThrow(
      'tool: maxConsecutiveBadLines must be an integer >= 0, got 1.5',
    );
  });
});
