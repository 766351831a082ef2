// The program's surface: help with examples, and usage errors that exit with code 2 and say what to do.
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { runCli, withProgramName } from './program.js';

function captureIo(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    env: {},
    cwd: process.cwd(),
    out: () => out,
    err: () => err,
  };
}

describe('eff program', () => {
  it('--help lists every command and examples, exit 0', async () => {
    const io = captureIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out()).toContain('report');
    expect(io.out()).toContain('$ eff report results/');
    // it names the guides, not a path inside a repository checkout the user may not have
    expect(io.out()).toContain('cli.md');
    expect(io.out()).not.toMatch(/docs\/\w+\.md/);
  });
  it('prefixes an error with eff once, not `eff: eff measure:`', () => {
    expect(withProgramName("eff measure: could not start 'x'")).toBe("eff measure: could not start 'x'");
    expect(withProgramName('results directory r does not exist')).toBe(
      'eff: results directory r does not exist',
    );
    expect(withProgramName('effort needed')).toBe('eff: effort needed');
  });
  it('no arguments prints help and exits 2', async () => {
    const io = captureIo();
    expect(await runCli([], io)).toBe(2);
    expect(io.out()).toContain('Usage: eff');
  });
  it('an unknown command is a usage error (exit 2)', async () => {
    const io = captureIo();
    expect(await runCli(['trian'], io)).toBe(2);
    expect(io.err()).toMatch(/unknown command 'trian'/);
  });
});
