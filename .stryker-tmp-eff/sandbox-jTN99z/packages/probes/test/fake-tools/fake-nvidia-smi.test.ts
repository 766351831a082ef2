// @ts-nocheck
// The strict fake nvidia-smi holds probes to the real tool's contract: what it refuses, and how flags change output.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const fake = join(import.meta.dirname, '..', 'fixtures', 'bin', 'nvidia-smi');
const run = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(fake, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 5000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const UUID0 = 'GPU-3f2c6e4a-1b2d-4c5e-8f90-a1b2c3d4e5f6';
const UUID1 = 'GPU-9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d';

describe('strict fake nvidia-smi', () => {
  it('--format: a header unless noheader (units stay in it), units on values unless nounits', () => {
    const q = '--query-gpu=index,uuid,power.draw.instant,power.limit';
    expect(run([q, '--format=csv']).out).toBe(
      `index, uuid, power.draw.instant [W], power.limit [W]\n0, ${UUID0}, 71.23 W, 400.00 W\n1, ${UUID1}, 254.80 W, 400.00 W\n`,
    );
    expect(run([q, '--format=csv,nounits']).out.split('\n')[0]).toBe(
      'index, uuid, power.draw.instant [W], power.limit [W]',
    );
    expect(run([q, '--format=csv,noheader,nounits']).out).toBe(
      `0, ${UUID0}, 71.23, 400.00\n1, ${UUID1}, 254.80, 400.00\n`,
    );
    expect(run([q, '--format=csv,noheader']).out.split('\n')[0]).toBe(`0, ${UUID0}, 71.23 W, 400.00 W`);
  });

  it('-i/--id selects by index or UUID; a device that is not there is "No devices were found", exit 6', () => {
    const q = ['--query-gpu=index', '--format=csv,noheader'];
    expect(run(['-i', '1', ...q]).out).toBe('1\n');
    expect(run([`--id=${UUID0}`, ...q]).out).toBe('0\n');
    expect(run(['-i', `${UUID1},0`, ...q]).out).toBe('0\n1\n');
    expect(run(['-i', '2', ...q])).toEqual({ code: 6, out: 'No devices were found\n', err: '' });
  });

  it("refuses what the real tool refuses, with the real tool's message and exit code 2", () => {
    const usage = "Please run 'nvidia-smi -h' for help.";
    expect(run(['--query-gpu=index'])).toMatchObject({
      code: 2,
      out: `"--format=" switch is missing. ${usage}\n`,
    });
    expect(run(['--query-gpu=index,bogus', '--format=csv'])).toMatchObject({
      code: 2,
      out: 'Field "bogus" is not a valid field to query.\n\n',
    });
    expect(run(['--bogus'])).toMatchObject({
      code: 2,
      out: `ERROR: Option --bogus is not recognized. ${usage}\n`,
    });
    expect(run(['-lms100', '--query-gpu=index', '--format=csv'])).toMatchObject({ code: 2 });
    expect(run(['--query-gpu=index', '--format=csv', '-i'])).toMatchObject({
      code: 2,
      out: `ERROR: Option -i is missing its value. ${usage}\n`,
    });
    expect(run(['--query-gpu=index', '--format=json'])).toMatchObject({ code: 2 });
    // a driver before 535 has no power.draw.instant
    expect(
      run(['--query-gpu=power.draw.instant', '--format=csv'], { FAKE_NVSMI_MODE: 'oldDriver' }),
    ).toMatchObject({
      code: 2,
      out: 'Field "power.draw.instant" is not a valid field to query.\n\n',
    });
    expect(run(['--help-query-gpu'], { FAKE_NVSMI_MODE: 'oldDriver' }).out).not.toContain(
      '"power.draw.instant"',
    );
    expect(run(['--help-query-gpu']).out).toContain('"power.draw.instant"');
  });

  it('-lms repeats the query at that interval until killed; without it the query prints once and exits 0', () => {
    const once = run(['--query-gpu=index', '--format=csv,noheader']);
    expect(once).toEqual({ code: 0, out: '0\n1\n', err: '' });
    const looped = spawnSync(fake, ['--query-gpu=index', '--format=csv,noheader', '-lms', '50'], {
      encoding: 'utf8',
      timeout: 1500,
      killSignal: 'SIGKILL',
    });
    expect(looped.signal).toBe('SIGKILL');
    const lines = looped.stdout.trim().split('\n');
    // ~25 readings in 1.5 s on an idle machine; a loaded one starts node late, so two readings prove the loop
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines.length % 2).toBe(0);
  });

  it('faults per GPU from FAKE_NVSMI_MACHINE: [N/A], lost (the real message in place of the row), gone', () => {
    const machine = {
      gpus: [
        { uuid: 'GPU-a', power: ['[N/A]'] },
        { uuid: 'GPU-b', power: [{ lost: true }] },
        { uuid: 'GPU-c', power: [{ gone: true }] },
        { uuid: 'GPU-d', power: [12.5] },
      ],
    };
    const r = run(['--query-gpu=index,power.draw', '--format=csv,noheader'], {
      FAKE_NVSMI_MACHINE: JSON.stringify(machine),
    });
    expect(r.out).toBe(
      '0, [N/A]\nUnable to determine the device handle for GPU00000000:3C:00.0: GPU is lost.  Reboot the system to recover this GPU\n3, 12.50 W\n',
    );
    expect(r.code).toBe(15);
  });
});
