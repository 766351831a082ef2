// PowerstatParser's refusals with their messages (Stryker found the heading check uncovered).
import { describe, expect, it } from 'vitest';
import { ProbeParseError } from './errors.js';
import { PowerstatParser, powerstatComponent } from './powerstat.js';

describe('PowerstatParser (refusals, mutation tests)', () => {
  it('a heading without a Watts column is a ProbeParseError quoting it', () => {
    const heading = '  Time    User  Nice   Sys  Idle    IO  Run Ctxt/s  IRQ/s  Fork  Exec  Exit';
    let caught: unknown;
    try {
      new PowerstatParser().feed(heading);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProbeParseError);
    expect((caught as Error).message).toBe(
      `powerstat: heading without a Watts column: ${JSON.stringify(heading.trim())}`,
    );
    expect((caught as ProbeParseError).input).toBe(heading);
  });

  it('a row after a heading with Watts last has no domains', () => {
    const p = new PowerstatParser();
    expect(p.feed('Time User Watts')).toBeNull();
    expect(p.feed('12:00:01 1.0 3.25')).toStrictEqual({ domainsW: {}, inaccurate: false });
    expect(p.rowCount).toBe(1);
  });
});

describe('PowerstatParser domains: powerstatComponent (mutation tests)', () => {
  it('package and dram columns, as powerstat names them, and nothing else', () => {
    const table: Array<[string, string | undefined]> = [
      ['pkg', 'cpu'],
      ['pkg-0', 'cpu'],
      ['pkg-12', 'cpu'],
      ['package', 'cpu'],
      ['package1', 'cpu'],
      ['xpkg-0', undefined],
      ['pkg-0x', undefined],
      ['dram', 'ram'],
      ['dram-0', 'ram'],
      ['dram12', 'ram'],
      ['dram-12', 'ram'],
      ['dram#2', 'ram'],
      ['dram#12', 'ram'],
      ['dram-1#2', 'ram'],
      ['xdram', undefined],
      ['dram-x', undefined],
      ['dramx', undefined],
      ['core', undefined],
      ['uncore', undefined],
      ['psys', undefined],
      ['gpu', undefined],
    ];
    expect(table.map(([d]) => [d, powerstatComponent(d)])).toEqual(table);
  });
});

/** The message of the ProbeParseError `feed(line)` throws (its input must be the line as given). */
function refusal(parser: PowerstatParser, line: string): string {
  try {
    parser.feed(line);
  } catch (err) {
    expect(err).toBeInstanceOf(ProbeParseError);
    expect((err as ProbeParseError).input).toBe(line);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(line)} to be refused`);
}

describe('PowerstatParser messages (mutation tests)', () => {
  it('a data line before any heading is refused quoting at most 200 characters of it', () => {
    const line = `  10:00:00 ${'1.0 '.repeat(80)}`;
    expect(refusal(new PowerstatParser(), line)).toBe(
      `powerstat: data line before the heading: ${JSON.stringify(line.trim().slice(0, 200))}`,
    );
  });

  it('a long heading without Watts is quoted to 200 characters', () => {
    const heading = `Time ${'User '.repeat(60)}`;
    expect(refusal(new PowerstatParser(), heading)).toBe(
      `powerstat: heading without a Watts column: ${JSON.stringify(heading.trim().slice(0, 200))}`,
    );
  });

  it('a line with Time after other text is not a heading', () => {
    const p = new PowerstatParser();
    expect(p.feed('Summary: Time  User  Watts  pkg-0')).toBeNull();
    expect(refusal(p, '10:00:00 1.0 3.0 2.5')).toBe(
      'powerstat: data line before the heading: "10:00:00 1.0 3.0 2.5"',
    );
  });

  it('a row that does not fit the heading names the columns, space-separated, and the count it found', () => {
    const p = new PowerstatParser();
    p.feed('  Time    User  Watts  pkg-0');
    expect(refusal(p, '10:00:00 1.0 3.0')).toBe(
      'powerstat: expected 4 columns (Time User Watts pkg-0) but found 3 in "10:00:00 1.0 3.0"',
    );
    const long = `10:00:00 ${'7 '.repeat(150)}`;
    expect(refusal(p, long)).toBe(
      `powerstat: expected 4 columns (Time User Watts pkg-0) but found 151 in ${JSON.stringify(long.trim().slice(0, 200))}`,
    );
  });

  it('a Watts total that is no number is quoted to 50 characters; so is a domain cell that is none', () => {
    const p = new PowerstatParser();
    p.feed('  Time    User  Watts  pkg-0');
    const total = 'x'.repeat(80);
    expect(refusal(p, `10:00:00 1.0 ${total} 2.5`)).toBe(
      `powerstat: expected the Watts total (e.g. 12.34 or 12.34E) but found ${JSON.stringify('x'.repeat(50))}`,
    );
    const cell = 'n'.repeat(80);
    expect(p.feed(`10:00:00 1.0 3.0 ${cell}`)).toStrictEqual({
      domainsW: {},
      inaccurate: false,
      unreadable: { 'pkg-0': `powerstat printed ${JSON.stringify('n'.repeat(50))} for pkg-0, not watts` },
    });
  });
});
