// parseIpmiDcmiPowerReading at its edges, each with the exact reading or message: 0 W, the state's spellings and
// absence, an average that is negative, zero or missing, and the refusals' quotes.
import { describe, expect, it } from 'vitest';
import { ProbeParseError } from './errors.js';
import { parseIpmiDcmiPowerReading } from './ipmi.js';

/** `ipmitool dcmi power reading` as 1.8.18 prints it, with the given instantaneous, average and state lines. */
function reading(instant: string, average?: string, state?: string): string {
  return [
    '',
    `    Instantaneous power reading:              ${instant} Watts`,
    ...(average === undefined ? [] : [`    Average power reading over sample period: ${average} Watts`]),
    '    IPMI timestamp:                           Thu Jan 28 11:29:07 2016',
    '    Sampling period:                          00000001 Seconds.',
    ...(state === undefined ? [] : [`    Power reading state is:                   ${state}`]),
    '',
  ].join('\n');
}

function refusal(text: string): string {
  try {
    parseIpmiDcmiPowerReading(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ProbeParseError);
    expect((err as ProbeParseError).input).toBe(text);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseIpmiDcmiPowerReading (mutation tests)', () => {
  it('0 W is a reading; an average of 0 W is kept, a negative one left out, a missing one absent', () => {
    expect(parseIpmiDcmiPowerReading(reading('       0', '       0', 'activated'))).toStrictEqual({
      powerW: 0,
      activated: true,
      averageW: 0,
    });
    expect(parseIpmiDcmiPowerReading(reading('     250', '      -3', 'activated'))).toStrictEqual({
      powerW: 250,
      activated: true,
    });
    expect(parseIpmiDcmiPowerReading(reading('     250'))).toStrictEqual({ powerW: 250, activated: true });
  });

  it('the state in any case: Deactivated is deactivated; no state line is activated', () => {
    expect(parseIpmiDcmiPowerReading(reading('100', '90', 'Deactivated')).activated).toBe(false);
    expect(parseIpmiDcmiPowerReading(reading('100', '90', 'DEACTIVATED')).activated).toBe(false);
    expect(parseIpmiDcmiPowerReading(reading('100', '90', 'Activated')).activated).toBe(true);
    expect(parseIpmiDcmiPowerReading(reading('100', '90')).activated).toBe(true);
  });

  it('no instantaneous reading is refused, quoting the text on one line, at most 200 characters', () => {
    expect(refusal('Could not open device at /dev/ipmi0\nError: x')).toBe(
      'ipmitool: expected "Instantaneous power reading: N Watts" but found "Could not open device at /dev/ipmi0 | Error: x"',
    );
    const long = `Error: ${'y'.repeat(300)}`;
    expect(refusal(long)).toBe(
      `ipmitool: expected "Instantaneous power reading: N Watts" but found ${JSON.stringify(long.slice(0, 200))}`,
    );
  });

  it('a negative instantaneous reading is refused, naming it', () => {
    expect(refusal(reading('      -5', '10', 'activated'))).toBe(
      'ipmitool: instantaneous power -5 W is not a power',
    );
  });
});
