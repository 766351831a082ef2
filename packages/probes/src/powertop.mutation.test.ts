// parsePowertopCsv's refusals, each with its message (Stryker found them uncovered): no banner, no section, an
// overflowing or contradictory discharge rate; a rate printed twice alike is one rate.
import { describe, expect, it } from 'vitest';
import { ProbeParseError } from './errors.js';
import { parsePowertopCsv } from './powertop.js';

const banner = 'P o w e r T O P\n\n* * *   System Information   * * *\n';
const rate = (w: string) => `The battery reports a discharge rate of:  ${w} W;\n`;

function parseError(text: string): ProbeParseError {
  try {
    parsePowertopCsv(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ProbeParseError);
    return err as ProbeParseError;
  }
  throw new Error('expected a ProbeParseError');
}

describe('parsePowertopCsv (refusals, mutation tests)', () => {
  it('a rate too large for a double is unreadable, not Infinity watts', () => {
    const line = `The battery reports a discharge rate of:  ${'9'.repeat(400)} W;`;
    const err = parseError(`${banner}${line}\n`);
    expect(err.message).toBe(`powertop: unreadable discharge rate in ${JSON.stringify(line)}`);
    expect(err.input).toBe(`${banner}${line}\n`);
  });

  it('two different rates in one report are an error naming both; the same rate twice is that rate', () => {
    expect(parseError(`${banner}${rate('11.4')}${rate('900 m')}`).message).toBe(
      'powertop: two different discharge rates in one report (11.4, 0.9)',
    );
    expect(parsePowertopCsv(`${banner}${rate('11.4')}${rate('11.4')}`)).toStrictEqual({
      sections: ['System Information'],
      dischargeW: 11.4,
    });
  });

  it('a banner without any section is an error; without a rate there is no dischargeW key', () => {
    expect(parseError('P o w e r T O P\nno sections here\n').message).toBe(
      'powertop: report has no sections',
    );
    expect(parsePowertopCsv(banner)).toStrictEqual({ sections: ['System Information'] });
  });

  it('a rate without a prefix is watts; k is 1000', () => {
    expect(parsePowertopCsv(`${banner}${rate('7')}`).dischargeW).toBe(7);
    expect(parsePowertopCsv(`${banner}${rate('1.5 k')}`).dischargeW).toBe(1500);
  });
});

describe('parsePowertopCsv (banner and line endings, mutation tests)', () => {
  it('a report without the banner is refused, quoting at most its first 120 characters', () => {
    const text = `* * *   System Information   * * *\n${rate('11.4')}${'x'.repeat(200)}\n`;
    const err = parseError(text);
    expect(err.message).toBe(
      `powertop: expected a CSV report starting with the "P o w e r T O P" banner but found ${JSON.stringify(text.slice(0, 120))}`,
    );
    expect(err.input).toBe(text);
  });

  it('a report with CRLF line endings reads as with LF', () => {
    const text = `${banner}${rate('11.4')}`.replaceAll('\n', '\r\n');
    expect(parsePowertopCsv(text)).toStrictEqual({ sections: ['System Information'], dischargeW: 11.4 });
  });
});
