// `eff measure` end to end with fake executables: exit codes, signal forwarding, stdout routing, JSON keys.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { finished, runEff, spawnEff } from '../../test/spawn-cli.js';
import type { CliIo } from '../io.js';
import { runCli } from '../program.js';
import type { MeasureResult } from './report.js';

const BIN = fileURLToPath(new URL('../../test/fixtures/bin/', import.meta.url));

describe('eff measure', () => {
  it('exits with the command exit code and reports energy, duration and samples as JSON', async () => {
    const r = await runEff([
      'measure',
      '--probe',
      'estimate',
      '--interval',
      '50',
      '--json',
      '--',
      `${BIN}sleep-exit`,
      '1',
      '3',
    ]);
    expect(r.code, r.stderr).toBe(3);
    const result = JSON.parse(r.stdout) as MeasureResult;
    // The command's own stdout went to stderr, so stdout is exactly one JSON object.
    expect(r.stderr).toContain('fake-train: done');
    expect(result.command).toEqual([`${BIN}sleep-exit`, '1', '3']);
    expect(result.exitCode).toBe(3);
    expect(result.signal).toBeNull();
    expect(result.durationMs).toBeGreaterThanOrEqual(1000);
    expect(result.durationMs).toBeLessThan(3000);
    expect(result.intervalMs).toBe(50);
    expect(result.estimated).toBe(true);
    const probe = result.probes.find((p) => p.name === 'estimate');
    expect(probe).toBeDefined();
    // ~20 samples at 50 ms over 1 s; allow for start-up and timer slack.
    expect(probe!.sampleCount).toBeGreaterThanOrEqual(10);
    expect(probe!.devices).toEqual(['cpu', 'ram']);
    expect(probe!.energyJ.total).toBeCloseTo(result.energyJ.total, 9);
    expect(result.energyJ.total).toBeGreaterThan(0);
    expect(result.energyJ.total).toBeCloseTo((result.energyJ.cpu ?? 0) + (result.energyJ.ram ?? 0), 9);
    expect(result.degraded).toBe(false);
    expect(probe!.gaps).toEqual([]);
    expect(result.averagePowerW.total).toBeCloseTo(result.energyJ.total / (result.durationMs / 1000), 6);
  });

  it('prints a human summary on stderr and leaves the command stdout on stdout', async () => {
    const r = await runEff(['measure', '--probe', 'estimate', '--', `${BIN}sleep-exit`, '0.3', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('fake-train: started\nfake-train: done\n');
    expect(r.stderr).toMatch(/eff measure: .*sleep-exit 0\.3 0 {2}\(exit code 0/);
    expect(r.stderr).toMatch(/total\s+\d/);
    expect(r.stderr).toMatch(/ESTIMATED/);
  });

  it('a command that ends before any sample inside it: energy kept, marked degraded and extrapolated, not a lower bound', async () => {
    // Sampled every 2 s, a command of ~0 s has no sample inside it: its joules come from the readings around it.
    const r = await runEff(['measure', '--probe', 'estimate', '--interval', '2000', '--json', '--', 'true']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as MeasureResult;
    const probe = result.probes.find((p) => p.name === 'estimate');
    expect(probe?.sampleCount).toBe(0);
    expect(result.energyJ.total).toBeGreaterThan(0);
    expect(result.degraded).toBe(true);
    expect(probe?.degraded).toBe(true);
    expect(probe?.notes.join('\n')).toMatch(
      /no estimate sample fell inside the command \(\d+ ms long, sampled every 2000 ms\).*lower --interval/,
    );
    expect(r.stderr).toMatch(/energy is EXTRAPOLATED from the readings around it/);
    expect(r.stderr).not.toMatch(/LOWER BOUND/);
    expect(r.stderr).toMatch(/ 0 samples/);
  });

  it('forwards SIGTERM to the command and exits with its code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eff-measure-'));
    const marker = join(dir, 'signal.txt');
    const child = spawnEff(['measure', '--probe', 'estimate', '--', `${BIN}trap-signals`, marker]);
    const done = finished(child);
    const ready = new Promise<void>((resolve) => {
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
    });
    await Promise.race([ready, done]);
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code, r.stderr).toBe(42);
    expect((await readFile(marker, 'utf8')).trim()).toBe('TERM');
    expect(r.stderr).toMatch(/exit code 42/);
  });

  it('a command that does not exist exits 127 with a clear message', async () => {
    const r = await runEff(['measure', '--probe', 'estimate', '--', 'definitely-not-a-command-eff']);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/^eff measure: could not start 'definitely-not-a-command-eff' \(ENOENT\)/m);
    expect(r.stderr).not.toContain('eff: eff measure');
  });

  it('an unknown probe name is a usage error naming the known probes', async () => {
    const r = await runEff(['measure', '--probe', 'wattmeter', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/wattmeter/);
  });

  it('a probe that crashes while the command runs: exit code kept, result degraded with the error and the gap', async () => {
    const r = await runEff(
      ['measure', '--probe', 'nvidia-smi', '--interval', '50', '--json', '--', `${BIN}sleep-exit`, '1', '0'],
      { PATH: `${BIN}:${process.env.PATH}`, FAKE_NVSMI_EXIT_AFTER_MS: '400', FAKE_NVSMI_POWER_W: '200' },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as MeasureResult;
    expect(result.degraded).toBe(true);
    expect(result.estimated).toBe(false);
    const gpu = result.probes[0]!;
    expect(gpu.name).toBe('nvidia-smi');
    expect(gpu.errors[0]).toMatch(/nvidia-smi exited \(code 3.*GPU is lost/);
    expect(gpu.gaps).toHaveLength(1);
    // It sampled ~0.4 s of the ~1 s command: the energy is that part, and the rest is reported as a gap.
    expect(gpu.gaps[0]!.durationMs).toBeGreaterThan(400);
    const measuredS = (gpu.gaps[0]!.startMs - Date.parse(result.startedAt)) / 1000;
    expect(result.energyJ.gpu).toBeCloseTo(200 * measuredS, 0);
    expect(r.stderr).toMatch(/DEGRADED/);
    expect(r.stderr).toMatch(/LOWER BOUND/);
  });

  it('a named probe that cannot run here is a usage error giving the reason', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'eff-nopath-'));
    const r = await runEff(['measure', '--probe', 'nvidia-smi', '--', 'true'], { PATH: empty });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/probe 'nvidia-smi' cannot run on this machine: `nvidia-smi` not found on PATH/);
  });

  it('usage errors are caught before anything runs (exit 2)', async () => {
    const io = captureIo();
    expect(await runCli(['measure', '--interval', 'fast', '--', 'true'], io)).toBe(2);
    expect(io.err()).toMatch(/expected a positive integer \(ms\) up to 3600000 \(one hour\), got 'fast'/);
    const none = captureIo();
    expect(await runCli(['measure'], none)).toBe(2);
    expect(none.err()).toMatch(/missing required argument 'command'/);
  });
});

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
