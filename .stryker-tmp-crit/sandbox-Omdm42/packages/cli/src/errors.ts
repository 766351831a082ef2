// @ts-nocheck
// Typed errors of the `eff` program; each carries a code and the exit status the process should end with.

/** Base class: `code` is stable for scripts, `exitCode` is what `eff` exits with. */
export class EffCliError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** The command line itself is wrong (unknown option, missing argument, bad value). Exit code 2. */
export class UsageError extends EffCliError {
  constructor(message: string) {
    super('E_USAGE', message, 2);
  }
}

/** A grid config file or preset is invalid. Exit code 2; nothing has been written. */
export class ConfigError extends EffCliError {
  constructor(message: string) {
    super('E_CONFIG', message, 2);
  }
}

/** A results directory or file cannot be used as asked (not writable, not a directory, corrupt line). */
export class ResultsError extends EffCliError {
  constructor(message: string) {
    super('E_RESULTS', message, 1);
  }
}

/** The command given to `eff measure` could not be started (not found, not executable). Exit code 127 like a shell. */
export class CommandNotFoundError extends EffCliError {
  constructor(command: string, cause: string) {
    super(
      'E_COMMAND_NOT_FOUND',
      `eff measure: could not start '${command}' (${cause}); check the name and that it is on PATH or give a path.`,
      127,
    );
  }
}

/** The user interrupted (Ctrl-C / SIGTERM). Exit code 130 like a shell. */
export class InterruptedError extends EffCliError {
  constructor(message: string) {
    super('E_INTERRUPTED', message, 130);
  }
}
