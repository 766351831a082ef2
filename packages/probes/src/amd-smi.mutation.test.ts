// parseAmdSmiMetricJson at its edges, each with the exact readings or message: units and their factors, bare and
// string numbers, 0 and negative values, entries and indices that are not what amd-smi prints, duplicates, refusals.
import { describe, expect, it } from 'vitest';
import { parseAmdSmiMetricJson } from './amd-smi.js';
import { ProbeParseError } from './errors.js';

const v = (value: unknown, unit?: unknown) => (unit === undefined ? { value } : { value, unit });
const parse = (gpus: unknown[]) => parseAmdSmiMetricJson(JSON.stringify(gpus));

function refusal(text: string): ProbeParseError {
  try {
    parseAmdSmiMetricJson(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ProbeParseError);
    expect((err as ProbeParseError).input).toBe(text);
    return err as ProbeParseError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseAmdSmiMetricJson (mutation tests)', () => {
  it('each unit by its factor: uW, mJ, kJ; a {value} without unit is W or J as is', () => {
    expect(
      parse([
        {
          gpu: 0,
          power: { socket_power: v(5_000_000, 'uW') },
          energy: { total_energy_consumption: v(2500, 'mJ') },
        },
        { gpu: 1, power: { socket_power: v(42) }, energy: { total_energy_consumption: v(1.5, 'kJ') } },
      ]),
    ).toStrictEqual([
      { gpu: 0, deviceId: 'gpu0', problems: [], powerW: 5, energyJ: 2.5 },
      { gpu: 1, deviceId: 'gpu1', problems: [], powerW: 42, energyJ: 1500 },
    ]);
  });

  it('string numbers are read, 0 is a value; text, negatives, a unit that is no string, and overflow are problems', () => {
    expect(
      parse([
        { gpu: 0, power: { socket_power: '12.5' }, energy: { total_energy_consumption: '1e3' } },
        { gpu: 1, power: { socket_power: 0 }, energy: { total_energy_consumption: v(0, 'J') } },
        { gpu: 2, power: { socket_power: '12 W' }, energy: { total_energy_consumption: -1 } },
        {
          gpu: 3,
          power: { socket_power: v(5, 7) },
          energy: { total_energy_consumption: v(1e306, 'kJ') },
        },
      ]),
    ).toStrictEqual([
      { gpu: 0, deviceId: 'gpu0', problems: [], powerW: 12.5, energyJ: 1000 },
      { gpu: 1, deviceId: 'gpu1', problems: [], powerW: 0, energyJ: 0 },
      {
        gpu: 2,
        deviceId: 'gpu2',
        problems: [
          'power.socket_power is "12 W", not a non-negative number',
          'energy.total_energy_consumption is -1, not a non-negative number',
        ],
      },
      {
        gpu: 3,
        deviceId: 'gpu3',
        problems: [
          'power.socket_power is in unit 7, not one of W, mW, uW',
          'energy.total_energy_consumption is {"value":1e+306,"unit":"kJ"}, not a non-negative number',
        ],
      },
    ]);
  });

  it('socket_power wins over current_power; a bad socket_power with a good current_power leaves no power problem', () => {
    expect(
      parse([
        { gpu: 0, power: { socket_power: 10, current_power: 20 } },
        { gpu: 1, power: { socket_power: 'N/A', current_power: 30 }, energy: 'N/A' },
        { gpu: 2, power: { socket_power: 'N/A (x)', current_power: 'N/A' } },
      ]),
    ).toStrictEqual([
      { gpu: 0, deviceId: 'gpu0', problems: [], powerW: 10 },
      { gpu: 1, deviceId: 'gpu1', problems: ['energy is N/A'], powerW: 30 },
      { gpu: 2, deviceId: 'gpu2', problems: ['power.socket_power is N/A (x)', 'power.current_power is N/A'] },
    ]);
  });

  it('a power limit of 0 W, or an unusable one, is no limit and no problem; no power or energy at all is no problem', () => {
    expect(
      parse([
        { gpu: 0, power: { socket_power: 100, power_limit: 0 } },
        { gpu: 1, power: { socket_power: 100, power_limit: 'N/A' } },
        { gpu: 2, power: { socket_power: 100, power_limit: v(250500, 'mW') } },
        { gpu: 3, power: null, energy: {} },
        { gpu: 4, power: 'N/A' },
      ]),
    ).toStrictEqual([
      { gpu: 0, deviceId: 'gpu0', problems: [], powerW: 100 },
      { gpu: 1, deviceId: 'gpu1', problems: [], powerW: 100 },
      { gpu: 2, deviceId: 'gpu2', problems: [], powerW: 100, powerLimitW: 250.5 },
      { gpu: 3, deviceId: 'gpu3', problems: [] },
      { gpu: 4, deviceId: 'gpu4', problems: ['power is N/A'] },
    ]);
  });

  it('an index that is no whole non-negative number takes the position; 0 is an index; null or a list is no entry', () => {
    expect(
      parse([{ gpu: 1.5 }, { gpu: -1 }, { gpu: '7' }, null, [1, 2], { gpu: 0 }]).map((r) => [
        r.gpu,
        r.deviceId,
        r.problems,
      ]),
    ).toEqual([
      [0, 'gpu0', []],
      [1, 'gpu1', []],
      [2, 'gpu2', []],
      [3, 'gpu3', ['its entry is null, not an object']],
      [4, 'gpu4', ['its entry is [1,2], not an object']],
    ]);
  });

  it('two entries with one index: the first is kept', () => {
    expect(
      parse([
        { gpu: 2, power: { socket_power: 1 } },
        { gpu: 2, power: { socket_power: 2 } },
      ]),
    ).toStrictEqual([{ gpu: 2, deviceId: 'gpu2', problems: [], powerW: 1 }]);
  });

  it('JSON at the very start is read; no list, or broken JSON, is refused quoting at most 200 characters', () => {
    expect(parseAmdSmiMetricJson('[]')).toStrictEqual([]);
    expect(parseAmdSmiMetricJson('{"gpu_data": []}')).toStrictEqual([]);
    const noList = `{"gpu_data": "${'n'.repeat(300)}"}`;
    expect(refusal(noList).message).toBe(
      `amd-smi: expected a JSON list of GPUs but found ${JSON.stringify(noList.slice(0, 200))}`,
    );
    expect(refusal('null').message).toBe('amd-smi: expected a JSON list of GPUs but found "null"');
    const broken = `[${'{'.repeat(300)}`;
    const err = refusal(broken);
    expect(err.message).toBe(`amd-smi: expected JSON but found ${JSON.stringify(broken.slice(0, 200))}`);
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it('only a number or a plain decimal string is a value: padded, empty, boolean and null values are problems', () => {
    const power = (socket_power: unknown) => ({ gpu: 0, power: { socket_power } });
    const problemOf = (x: unknown) => parse([power(x)])[0]?.problems;
    expect(problemOf(' 12')).toEqual(['power.socket_power is " 12", not a non-negative number']);
    expect(problemOf('12 ')).toEqual(['power.socket_power is "12 ", not a non-negative number']);
    expect(problemOf('')).toEqual(['power.socket_power is "", not a non-negative number']);
    expect(problemOf(true)).toEqual(['power.socket_power is true, not a non-negative number']);
    expect(problemOf(null)).toEqual(['power.socket_power is null, not a non-negative number']);
    // a list whose text is a number (`String([5])` is '5', `Number([5])` is 5) is no number either
    expect(problemOf([5])).toEqual(['power.socket_power is [5], not a non-negative number']);
    expect(problemOf(v(5, ['W']))).toEqual(['power.socket_power is in unit ["W"], not one of W, mW, uW']);
    expect(parse([power(7), power('7.25')].map((p, i) => ({ ...p, gpu: i })))).toStrictEqual([
      { gpu: 0, deviceId: 'gpu0', problems: [], powerW: 7 },
      { gpu: 1, deviceId: 'gpu1', problems: [], powerW: 7.25 },
    ]);
  });
});
