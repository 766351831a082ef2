// parseRocmSmiJson at its edges, each with the exact reading or message: zero and negative numbers, overflowing
// strings, card entries that are not objects, the power cap at 0, unique ids, card keys, and the refusals' quotes.
import { describe, expect, it } from 'vitest';
import { ProbeParseError } from './errors.js';
import { parseRocmSmiJson } from './rocm-smi.js';

const AVG = 'Average Graphics Package Power (W)';
const CUR = 'Current Socket Graphics Package Power (W)';

/** rocm-smi's JSON for the given cards (key -> fields). */
const json = (cards: Record<string, unknown>): string => JSON.stringify(cards);

function refusal(text: string): ProbeParseError {
  try {
    parseRocmSmiJson(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ProbeParseError);
    expect((err as ProbeParseError).input).toBe(text);
    return err as ProbeParseError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseRocmSmiJson (mutation tests)', () => {
  it('an unquoted 0 W is a reading; an unquoted negative number is a problem', () => {
    expect(parseRocmSmiJson(json({ card0: { [AVG]: 0 }, card1: { [AVG]: -5 } }))).toStrictEqual([
      { card: 'card0', powerW: 0, problems: [] },
      { card: 'card1', problems: [`"${AVG}" is -5, not a number`] },
    ]);
  });

  it('a quoted number with spaces around it is read; one too large for a double, or with text after it, is not', () => {
    expect(
      parseRocmSmiJson(
        json({ card0: { [AVG]: ' 12.25 ' }, card1: { [AVG]: '1e999' }, card2: { [AVG]: '7.5x' } }),
      ),
    ).toStrictEqual([
      { card: 'card0', powerW: 12.25, problems: [] },
      { card: 'card1', problems: [`"${AVG}" is "1e999", not a number`] },
      { card: 'card2', problems: [`"${AVG}" is "7.5x", not a number`] },
    ]);
  });

  it('every unusable power key is a problem of its own, in key order; N/A is quoted as printed', () => {
    expect(parseRocmSmiJson(json({ card0: { [CUR]: 'N/A', [AVG]: 'x' } }))).toStrictEqual([
      { card: 'card0', problems: [`"${CUR}" is N/A`, `"${AVG}" is "x", not a number`] },
    ]);
  });

  it('a card entry that is null or an array is a problem of that card', () => {
    expect(parseRocmSmiJson(json({ card0: null, card1: [1, 2], card2: { [AVG]: '3.0' } }))).toStrictEqual([
      { card: 'card0', problems: ['its entry is null, not an object of fields'] },
      { card: 'card1', problems: ['its entry is [1,2], not an object of fields'] },
      { card: 'card2', powerW: 3, problems: [] },
    ]);
  });

  it('energy from µJ; a power cap of 0 W is no cap; an unusable cap or count adds no problem', () => {
    expect(
      parseRocmSmiJson(
        json({
          card0: { 'Accumulated Energy (uJ)': '2500000', 'Max Graphics Package Power (W)': '0' },
          card1: { 'Max Graphics Package Power (W)': 'N/A', 'Energy counter': 'N/A' },
          card2: { 'Max Graphics Package Power (W)': '0.5', 'Energy counter': '2000' },
        }),
      ),
    ).toStrictEqual([
      { card: 'card0', energyJ: 2.5, problems: [] },
      { card: 'card1', problems: [] },
      // 2000 ticks × 15.3 µJ = 0.0306 J
      { card: 'card2', energyJ: (2000 * 15.3) / 1e6, maxPowerW: 0.5, problems: [] },
    ]);
  });

  it('a unique id is 0x and hex digits, trimmed and lower-cased; anything else is left out', () => {
    const ids = ['  0xABCdef12 ', '0x', 'ABCDEF', '0xabcg', 'x0xab', 42];
    const readings = parseRocmSmiJson(
      json(Object.fromEntries(ids.map((id, i) => [`card${i}`, { 'Unique ID': id }]))),
    );
    expect(readings.map((r) => r.uniqueId)).toEqual([
      '0xabcdef12',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('only card<N> keys are cards, N of any length', () => {
    const readings = parseRocmSmiJson(
      json({ card: {}, card12: {}, xcard0: {}, card0x: {}, system: {}, Card1: {} }),
    );
    expect(readings.map((r) => r.card)).toEqual(['card12']);
  });

  it('JSON at the very start is read; log lines before it are skipped', () => {
    expect(parseRocmSmiJson('{"card0": {}}')).toStrictEqual([{ card: 'card0', problems: [] }]);
    expect(parseRocmSmiJson('x{"card0": {}}')).toStrictEqual([{ card: 'card0', problems: [] }]);
  });

  it('no JSON, or JSON that is not an object of cards, is refused quoting at most 200 characters', () => {
    const noJson = `ERROR: ${'x'.repeat(300)}`;
    expect(refusal(noJson).message).toBe(
      `rocm-smi: expected a JSON object of cards but found ${JSON.stringify(noJson.slice(0, 200))}`,
    );
    const broken = `{"card0": ${'['.repeat(300)}`;
    const err = refusal(broken);
    expect(err.message).toBe(`rocm-smi: expected JSON but found ${JSON.stringify(broken.slice(0, 200))}`);
    expect(err.cause).toBeInstanceOf(SyntaxError);
    expect(refusal('[1, 2]').message).toBe('rocm-smi: expected a JSON object of cards but found "[1, 2]"');
    expect(refusal('null').message).toBe('rocm-smi: expected a JSON object of cards but found "null"');
  });
});
