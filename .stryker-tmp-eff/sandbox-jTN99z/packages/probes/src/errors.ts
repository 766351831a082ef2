// @ts-nocheck
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

/** A tool printed something that is not in its documented format; the offending text is in the message. */
export class ProbeParseError extends ProbeError {
  readonly input: string;
  constructor(message: string, input: string, options?: { cause?: unknown }) {
    super('E_PROBE_PARSE', message, options);
    this.name = 'ProbeParseError';
    this.input = input;
  }
}

/** The sampling tool exited (or was killed) while samples were still wanted. */
export class ProbeExitedError extends ProbeError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The tool's last words (end of stderr, else of stdout), when it said anything. */
  readonly lastWords: string | undefined;
  constructor(
    message: string,
    exitCode: number | null,
    signal: string | null,
    options?: { cause?: unknown; lastWords?: string },
  ) {
    super('E_PROBE_EXITED', message, options);
    this.name = 'ProbeExitedError';
    this.exitCode = exitCode;
    this.signal = signal;
    this.lastWords = options?.lastWords;
  }
}

/** The sampling tool stayed silent for longer than the stall limit (N x interval). */
export class ProbeStalledError extends ProbeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_PROBE_STALLED', message, options);
    this.name = 'ProbeStalledError';
  }
}
