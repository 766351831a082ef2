// @ts-nocheck
// Where a command writes and what it knows about its terminal, so tests can run commands in-process.

export interface Output {
  write(text: string): unknown;
  /** True when this is an interactive terminal (progress bars); false for pipes, files and CI. */
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Progress bars only on a real terminal, and never in CI (many CI runners fake a TTY). */
export function wantsProgressBars(io: CliIo): boolean {
  return io.stderr.isTTY === true && !io.env.CI && io.env.TERM !== 'dumb';
}
