// MeasureError: wrong use of a measurement session (bad options, calls out of order, bad epoch input, no probe).

/**
 * Wrong use of a measurement session: bad options, calls out of order, an epoch without any accuracy, no probe, or
 * an explicitly requested probe that cannot run here (`E_MEASURE_PROBE_UNAVAILABLE`, before training).
 */
export class MeasureError extends Error {
  constructor(
    readonly code:
      | 'E_MEASURE_OPTIONS'
      | 'E_MEASURE_ORDER'
      | 'E_MEASURE_INPUT'
      | 'E_MEASURE_NO_PROBE'
      | 'E_MEASURE_PROBE_UNAVAILABLE',
    message: string,
    readonly value?: unknown,
  ) {
    super(message);
    this.name = 'MeasureError';
  }
}
