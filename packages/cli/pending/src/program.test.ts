// The program's surface: help with examples, and usage errors that exit with code 2 and say what to do.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { runCli } from './program.js';

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
    for (const cmd of ['demo', 'run', 'report', 'measure', 'probes']) expect(io.out()).toContain(cmd);
    expect(io.out()).toContain('$ eff measure -- python train.py');
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
  it('eff run needs exactly one of --config and --preset', async () => {
    const io = captureIo();
    expect(await runCli(['run'], io)).toBe(2);
    expect(io.err()).toMatch(/exactly one of --config FILE or --preset NAME \(presets: paper-mnist/);
    const both = captureIo();
    expect(await runCli(['run', '--preset', 'quick', '--config', 'x.yaml'], both)).toBe(2);
  });
  it('an unknown preset names the known ones (exit 2)', async () => {
    const io = captureIo();
    expect(await runCli(['run', '--preset', 'paper', '--dry-run'], io)).toBe(2);
    expect(io.err()).toMatch(/unknown preset 'paper'; expected one of: paper-mnist, paper-cifar, quick/);
  });
  it('a bad --interval is rejected before anything runs (exit 2)', async () => {
    const io = captureIo();
    expect(await runCli(['measure', '--interval', 'fast', '--', 'true'], io)).toBe(2);
    expect(io.err()).toMatch(/expected a positive integer \(ms\), got 'fast'/);
  });
  it('eff measure without a command is a usage error', async () => {
    const io = captureIo();
    expect(await runCli(['measure'], io)).toBe(2);
    expect(io.err()).toMatch(/missing required argument 'command'/);
  });
  it('a config with a wrong field names it, exits 2 and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-cli-'));
    const config = join(dir, 'grid.yaml');
    await writeFile(
      config,
      'datasets: [mnist]\narchitectures: [lenet]\nsizes: [1]\ncriteria: [{ name: fixedEpochs }]\nbatch_size: 32\n',
    );
    const io = captureIo();
    const out = join(dir, 'results');
    expect(await runCli(['run', '--config', config, '--out', out], io)).toBe(2);
    expect(io.err()).toMatch(/batch_size: unknown field/);
    expect(io.err()).toMatch(/nothing was run or written/);
    expect(existsSync(out)).toBe(false);
  });
});
