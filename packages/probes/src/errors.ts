// Typed errors that probes put on their sample streams, each with a stable `code` and an actionable message.

/** Base of every probe failure; `code` is stable and machine-readable. */
export class ProbeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProbeError';
    this.code = code;
  }
}

/** A counter or device exists but this user may not read it (RAPL is root-only since CVE-2020-8694). */
export class ProbePermissionError extends ProbeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_PROBE_PERMISSION', message, options);
    this.name = 'ProbePermissionError';
  }
}

/** The probe cannot run on this machine at all (no device, no zones, no tool). */
export class ProbeUnavailableError extends ProbeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_PROBE_UNAVAILABLE', message, options);
    this.name = 'ProbeUnavailableError';
  }
}
