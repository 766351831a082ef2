// The strict fakes of ipmitool, amd-smi and powermetrics hold probes to the real tools' contracts: what they refuse
// (with the real tool's words and exit code) and how a flag changes the output.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const run = (tool: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(join(here, tool), args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 10_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('strict fake ipmitool', () => {
  it('answers `dcmi power reading` in the 1.8.19 layout (timestamp and sampling period on one line)', () => {
    const r = run('ipmi-bin/ipmitool', ['dcmi', 'power', 'reading'], { FAKE_IPMI_WATTS: '250' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\n {4}Instantaneous power reading: {14} {5}250 Watts\n/);
    expect(r.out).toMatch(/IPMI timestamp: .* UTC {4}Sampling period: +00000001 Seconds\.\n/);
  });
  it('refuses an unknown option as getopt does (exit 1, usage on stderr) and any other command', () => {
    expect(run('ipmi-bin/ipmitool', ['-Q', 'dcmi', 'power', 'reading'])).toMatchObject({
      code: 1,
      out: '',
      err: expect.stringMatching(
        /^ipmitool: invalid option -- 'Q'\nipmitool version 1\.8\.19\n\nusage: ipmitool/,
      ),
    });
    expect(run('ipmi-bin/ipmitool', ['-I'])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/option requires an argument -- 'I'/),
    });
    expect(run('ipmi-bin/ipmitool', ['dcmi', 'power', 'reading', '7_sec']).code).toBe(1);
    expect(run('ipmi-bin/ipmitool', ['sdr', 'list']).code).toBe(1);
  });
  it("fails to open the device as Debian's ipmitool does on a machine without a BMC", () => {
    expect(run('ipmi-bin/ipmitool', ['dcmi', 'power', 'reading'], { FAKE_IPMI_MODE: 'nobmc' })).toEqual({
      code: 1,
      out: '',
      err: 'Could not open device at /dev/ipmi0 or /dev/ipmi/0 or /dev/ipmidev/0: No such file or directory\n',
    });
  });
});

describe('strict fake amd-smi', () => {
  it('prints only the fields its flags ask for, as JSON only with --json', () => {
    const power = JSON.parse(run('amd-smi-bin/amd-smi', ['metric', '--power', '--json']).out);
    expect(power.map((g: Record<string, unknown>) => Object.keys(g))).toEqual([
      ['gpu', 'power'],
      ['gpu', 'power'],
    ]);
    const both = JSON.parse(run('amd-smi-bin/amd-smi', ['metric', '-p', '-E', '--json', '-g', '1']).out);
    expect(both).toHaveLength(1);
    expect(both[0]).toMatchObject({ gpu: 1, power: { socket_power: { value: 95, unit: 'W' } } });
    expect(both[0].energy.total_energy_consumption.unit).toBe('J');
    expect(run('amd-smi-bin/amd-smi', ['metric', '--power']).out).not.toMatch(/^\[/);
  });
  it("refuses an unknown argument as argparse does (exit 2, amd-smi's usage)", () => {
    expect(run('amd-smi-bin/amd-smi', ['metric', '--watts', '--json'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^usage: amd-smi .*\namd-smi: error: unrecognized arguments: --watts\n$/),
    });
  });
});

describe('strict fake powermetrics', () => {
  it('prints CPU/GPU/ANE power only for the samplers asked, at the -i given, -n samples', () => {
    const r = run('powermetrics-bin/powermetrics', ['--samplers', 'cpu_power', '-i', '50', '-n', '2']);
    expect(r.code).toBe(0);
    expect(r.out.match(/\*\*\* Sampled system activity/g)).toHaveLength(2);
    expect(r.out).toMatch(/CPU Power: 1234 mW/);
    expect(r.out).not.toMatch(/ANE Power/);
  });
  it('refuses an unknown option or sampler, and without root says it needs the superuser', () => {
    expect(run('powermetrics-bin/powermetrics', ['--watts'])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/unrecognized option/),
    });
    expect(run('powermetrics-bin/powermetrics', ['-s', 'watts', '-n', '1'])).toMatchObject({ code: 1 });
    expect(run('powermetrics-bin/powermetrics', ['-n', '1'], { FAKE_PM_MODE: 'noroot' })).toMatchObject({
      code: 1,
      err: 'powermetrics must be invoked as the superuser\n',
    });
  });
});
