// The two typed errors of core keep their name, code and offending value (what callers switch on and print).
import { describe, expect, it } from 'vitest';
import { EnergyInputError } from './energy-input-error.js';
import { MeasureError } from './measure-error.js';

describe('typed errors (mutation tests)', () => {
  it('EnergyInputError: name, code, message and value', () => {
    const err = new EnergyInputError('tMs must be a finite number', Number.NaN);
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.code, err.message, err.value]).toEqual([
      'EnergyInputError',
      'E_ENERGY_INPUT',
      'tMs must be a finite number',
      Number.NaN,
    ]);
  });

  it('MeasureError: name, the code given, message and value', () => {
    const err = new MeasureError('E_MEASURE_ORDER', 'epochEnd before start', 3);
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.code, err.message, err.value]).toEqual([
      'MeasureError',
      'E_MEASURE_ORDER',
      'epochEnd before start',
      3,
    ]);
  });
});
