// `eff probes [--json]` end to end: fake tools first on PATH make those probes available; the real environment
// of a GPU-less, RAPL-less, battery-less VM leaves only the labelled estimate.
import { existsSync } from 'node:fs';
import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runEff } from '../../test/spawn-cli.js';
import { formatProbeTable, type ProbeRow } from '../measure/probes.js';

const PROBE_FAKES = fileURLToPath(new URL('../../../probes/test/fixtures/bin/', import.meta.url));

async function fakePath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eff-probes-path-'));
  for (const tool of ['nvidia-smi', 'rocm-smi', 'powerstat', 'powertop']) {
    await symlink(join(PROBE_FAKES, tool), join(dir, tool));
  }
  return `${dir}${delimiter}${process.env.PATH ?? ''}`;
}

const bareMachine =
  !existsSync('/sys/class/powercap') &&
  !existsSync('/dev/nvidia0') &&
  !existsSync('/dev/kfd') &&
  !existsSync('/sys/class/power_supply/BAT0') &&
  !existsSync('/sys/class/power_supply/BAT1');

describe('eff probes', () => {
  // one eff probes run starting every probe's check (eleven, several tools each a process): ~40 s on a loaded VM
  it('--json: the fake tools on PATH are available with their devices; the rest say why not', {
    timeout: 180_000,
  }, async () => {
    const r = await runEff(['probes', '--json'], { PATH: await fakePath() });
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as ProbeRow[];
    const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
    expect(Object.keys(byName).sort()).toEqual(
      [
        'amd-smi',
        'estimate',
        'hwmon',
        'ipmi',
        'nvidia-smi',
        'nvml',
        'powermetrics',
        'powerstat',
        'powertop',
        'rapl',
        'rocm-smi',
      ].sort(),
    );
    // every row says what the probe measures and what it needs (from the registry)
    expect(byName.ipmi).toMatchObject({
      available: false,
      components: ['system'],
      measures: expect.stringMatching(/whole node's power from the BMC/),
      needs: expect.stringMatching(/ipmitool/),
    });
    expect(byName.hwmon?.needs).toMatch(/\/sys\/class\/hwmon/);
    expect(byName['amd-smi']?.measures).toMatch(/ROCm 6/);
    expect(byName.powermetrics).toMatchObject({
      available: false,
      reason: expect.stringMatching(/only on macOS/),
    });
    expect(byName['nvidia-smi']).toMatchObject({
      name: 'nvidia-smi',
      components: ['gpu'],
      estimated: false,
      available: true,
      reason: null,
      devices: ['gpu0', 'gpu1'],
      selectedBy: 'all',
    });
    // Nothing narrows the choice here: every GPU (when the probe says where its choice came from).
    expect([undefined, 'all']).toContain(byName['nvidia-smi']?.selectedBy);
    expect(byName['nvidia-smi']?.unmeasurable).toBeUndefined();
    expect(byName['rocm-smi']?.devices).toEqual(['card0', 'card1']);
    expect(byName.powerstat?.devices).toEqual(['dram', 'pkg-0']);
    expect(byName.powerstat?.components).toEqual(['cpu', 'ram']);
    expect(byName.powertop).toMatchObject({ available: true, devices: ['battery'], components: ['system'] });
    expect(byName.estimate).toMatchObject({ available: true, estimated: true, devices: ['cpu', 'ram'] });
    for (const row of rows) {
      if (row.available) expect(row.reason).toBeNull();
      else expect(row.reason?.length, row.name).toBeGreaterThan(20);
    }
  });

  it.skipIf(!bareMachine)(
    'on this bare VM with the real Debian tools: only the estimate, and a reason for every other probe',
    { timeout: 240_000 }, // two eff probes runs, each starting every vendor tool: about a minute on a loaded VM
    async () => {
      const r = await runEff(['probes']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toMatch(/^probe\s+components\s+available\s+details$/);
      const row = (name: string) => lines.find((l) => l.startsWith(`${name} `)) ?? '';
      expect(row('estimate')).toMatch(/^estimate\s+cpu\+ram\s+yes\s+devices: cpu, ram; ESTIMATE/);
      expect(row('nvidia-smi')).toMatch(/\sno\s+`nvidia-smi` not found on PATH/);
      expect(row('nvml')).toMatch(/\sno\s+nvml: cannot load libnvidia-ml\.so\.1/);
      expect(row('rapl')).toMatch(/\sno\s+no RAPL zones under \/sys\/class\/powercap/);
      expect(row('rocm-smi')).toMatch(/\sno\s+rocm-smi (found no AMD GPU|: executable)/);
      expect(row('powerstat')).toMatch(/\sno\s+(powerstat -R cannot read RAPL|`powerstat` not found)/);
      expect(row('powertop')).toMatch(/\sno\s+(powertop|`powertop`)/);
      expect(row('amd-smi')).toMatch(/\sno\s+amd-smi: executable `amd-smi` not found; install ROCm 6\+/);
      expect(row('ipmi')).toMatch(
        /\sno\s+(ipmi: no BMC here \(no \/dev\/ipmi0|ipmi: executable `ipmitool` not found)/,
      );
      expect(row('hwmon')).toMatch(/\sno\s+hwmon: no power or energy sensor under \/sys\/class\/hwmon/);
      expect(row('powermetrics')).toMatch(
        /\sno\s+powermetrics: only on macOS \(Apple Silicon\); this is linux/,
      );
      expect(r.stdout).toContain(
        'No hardware power meter is readable here: eff will use the labelled estimate',
      );
      expect(r.stdout).toMatch(
        /What each probe measures and needs:\n(.*\n)* {2}ipmi +measures the whole node's power/,
      );

      const json = await runEff(['probes', '--json']);
      const rows = JSON.parse(json.stdout) as ProbeRow[];
      expect(rows.filter((x) => x.available).map((x) => x.name)).toEqual(['estimate']);
    },
  );
});

describe('eff probes table: device selection and devices that cannot be measured', () => {
  it('shows where the choice came from and each unmeasurable device with its reason', () => {
    const rows: ProbeRow[] = [
      {
        name: 'nvidia-smi',
        components: ['gpu'],
        estimated: false,
        available: true,
        reason: null,
        devices: ['gpu1'],
        selectedBy: 'CUDA_VISIBLE_DEVICES',
        unmeasurable: [{ deviceId: 'gpu2', reason: 'power is [N/A]: no power sensor' }],
      },
      {
        name: 'rocm-smi',
        components: ['gpu'],
        estimated: false,
        available: false,
        reason: 'no AMD GPU can be measured',
        devices: [],
        unmeasurable: [{ deviceId: 'card0', reason: 'power is N/A' }],
      },
    ];
    const lines = formatProbeTable(rows).split('\n');
    expect(lines[1]).toMatch(
      /^nvidia-smi\s+gpu\s+yes\s+devices: gpu1 \(selected by CUDA_VISIBLE_DEVICES\); not measurable: gpu2: power is \[N\/A\]: no power sensor$/,
    );
    expect(lines[2]).toMatch(/^rocm-smi\s+gpu\s+no\s+no AMD GPU can be measured; card0: power is N\/A$/);
  });
});

describe('eff probes table: what is measured by default', () => {
  it('names one available probe per kind of hardware, as eff measure would start them (no double counting)', () => {
    const row = (name: string, components: string[]): ProbeRow => ({
      name,
      components,
      estimated: false,
      available: true,
      reason: null,
      devices: ['x'],
    });
    const table = formatProbeTable([
      row('nvml', ['gpu']),
      row('nvidia-smi', ['gpu']),
      row('ipmi', ['system']),
      row('hwmon', ['gpu', 'cpu', 'system']),
      row('powertop', ['system']),
    ]);
    expect(table).toMatch(/\nMeasured by default: nvml, ipmi\n$/);
  });
});
