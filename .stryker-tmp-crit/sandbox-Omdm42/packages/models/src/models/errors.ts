// @ts-nocheck
// Typed errors of the model builders, training helpers and model files, each with a stable `code`.

/** A model option is out of range or does not fit the model asked for; names the option and the value. */
export class ModelConfigError extends Error {
  readonly code = 'E_MODEL_CONFIG';
  constructor(
    /** Name of the offending option, e.g. `width`. */
    readonly option: string,
    /** What the option accepts. */
    readonly expected: string,
    /** The value that was passed. */
    readonly found: unknown,
  ) {
    super(`model option '${option}': expected ${expected}, found ${formatValue(found)}.`);
    this.name = 'ModelConfigError';
  }
}

/** A saved model directory is missing a file or holds something that is not a tfjs layers model. */
export class ModelFileError extends Error {
  readonly code = 'E_MODEL_FILE';
  constructor(
    /** The file that could not be read or understood. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
    this.name = 'ModelFileError';
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}
