// @ts-nocheck
// The typed error for bad power/energy input, shared by the integrator and the device tracks it is built from.

/** Bad power/energy input: NaN, negative or infinite values, time going backwards, no samples at all. */
export class EnergyInputError extends Error {
  readonly code = 'E_ENERGY_INPUT';
  constructor(
    message: string,
    /** The offending value, as found. */
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'EnergyInputError';
  }
}
