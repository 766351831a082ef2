// PowerstatParser's refusals with their messages (Stryker found the heading check uncovered).
import { describe, expect, it } from 'vitest';
import { ProbeParseError } from './errors.js';
import { PowerstatParser } from './powerstat.js';

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
