// PowermetricsParser at its edges, each with the exact block or message: headers with and without the elapsed time,
// spacing around values, zero watts, empty and repeated flushes, lines after Combined, and the refusal's quote.
import { describe, expect, it } from 'vitest';
import { ProbeParseError } from './errors.js';
import { PowermetricsParser } from './powermetrics.js';

const HEADER = '*** Sampled system activity (Thu Nov 30 11:52:07 2023 +0100) (1003.52ms elapsed) ***';

describe('PowermetricsParser (mutation tests)', () => {
  it('a header without the elapsed time gives a block without elapsedMs; an indented header is a header', () => {
    const p = new PowermetricsParser();
    expect(p.feed('  *** Sampled system activity (Thu Nov 30 11:52:07 2023 +0100) ***  ')).toBeNull();
    expect(p.feed('CPU Power: 250 mW')).toBeNull();
    expect(p.flush()).toStrictEqual({ powerW: { cpu: 0.25 } });
  });

  it('values with or without a space before the unit, around the colon, and 0 mW are read', () => {
    const p = new PowermetricsParser();
    p.feed(HEADER);
    p.feed('CPU Power:1500mW');
    p.feed('  GPU Power :  2 W  ');
    p.feed('ANE Power: 0 mW');
    expect(p.feed('Combined Power (CPU + GPU + ANE): 3500 mW')).toStrictEqual({
      powerW: { cpu: 1.5, gpu: 2, ane: 0 },
      elapsedMs: 1003.52,
    });
  });

  it('a block is returned once: flushing again, or before any header, or a block with no power line, is null', () => {
    const p = new PowermetricsParser();
    expect(p.flush()).toBeNull();
    p.feed(HEADER);
    expect(p.flush()).toBeNull();
    p.feed(HEADER);
    p.feed('CPU Power: 1 W');
    expect(p.flush()).toStrictEqual({ powerW: { cpu: 1 }, elapsedMs: 1003.52 });
    expect(p.flush()).toBeNull();
    expect(p.feed('CPU Power: 2 W')).toBeNull();
    expect(p.flush()).toBeNull();
  });

  it('a bad power line after Combined belongs to no block: the next block reads cleanly', () => {
    const p = new PowermetricsParser();
    p.feed(HEADER);
    p.feed('CPU Power: 1 W');
    expect(p.feed('Combined Power (CPU + GPU + ANE): 1000 mW')).toStrictEqual({
      powerW: { cpu: 1 },
      elapsedMs: 1003.52,
    });
    expect(p.feed('GPU Power: garbage')).toBeNull();
    expect(p.feed(HEADER)).toBeNull();
    p.feed('GPU Power: 3 W');
    expect(p.flush()).toStrictEqual({ powerW: { gpu: 3 }, elapsedMs: 1003.52 });
  });

  it('a bad value is refused at the block end quoting at most 60 characters, the line as its input', () => {
    const p = new PowermetricsParser();
    p.feed(HEADER);
    const line = `CPU Power: ${'9'.repeat(40)} kW ${'x'.repeat(40)}`;
    expect(p.feed(line)).toBeNull();
    let caught: unknown;
    try {
      p.feed(HEADER);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProbeParseError);
    expect((caught as Error).message).toBe(
      `powermetrics: "CPU Power" is ${JSON.stringify(line.slice('CPU Power: '.length).slice(0, 60))}, not "N mW"`,
    );
    expect((caught as ProbeParseError).input).toBe(line);
  });

  it('a value is the whole of "N.NN mW" or "N W": two decimals are read, text before or after is refused', () => {
    const p = new PowermetricsParser();
    p.feed(HEADER);
    p.feed('CPU Power: 1.25 W');
    expect(p.flush()).toStrictEqual({ powerW: { cpu: 1.25 }, elapsedMs: 1003.52 });
    for (const value of ['about 5 mW', '5 mWx']) {
      p.feed(HEADER);
      p.feed(`GPU Power: ${value}`);
      expect(() => p.flush()).toThrow(`powermetrics: "GPU Power" is ${JSON.stringify(value)}, not "N mW"`);
    }
  });
});
