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
