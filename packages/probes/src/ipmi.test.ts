// ipmi probe: the DCMI text parser (both ipmitool layouts, properties), the fake BMC's readings and failures through a
// fake ipmitool first on PATH, and Debian's real ipmitool on this BMC-less machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf } from '../test/processes.js';
import { type ProbeError, ProbeParseError, ProbePermissionError, ProbeUnavailableError } from './errors.js';
import { IPMI_MIN_INTERVAL_MS, ipmiProbe, parseIpmiDcmiPowerReading } from './ipmi.js';
import type { ProbeEvent } from './sample.js';
import type { BadLineReport } from './tolerance.js';

const fakeDir = join(import.meta.dirname, '..', 'test', 'fake-tools', 'ipmi-bin');
const realPath = process.env.PATH ?? '';
// The fake is found by name, first on PATH, as a user's ipmitool is; `realPath` still finds Debian's.
process.env.PATH = `${fakeDir}${delimiter}${realPath}`;

const FAKE_ENV = [
  'FAKE_IPMI_MODE',
  'FAKE_IPMI_WATTS',
  'FAKE_IPMI_STATE',
  'FAKE_IPMI_LAYOUT',
  'FAKE_IPMI_ARGS_LOG',
];
afterEach(() => {
  for (const name of FAKE_ENV) delete process.env[name];
});

/** A /dev with nothing IPMI in it (so a failure to open is "no BMC"), or with the device node (then: permission). */
function devDir(withNode: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'eff-ipmi-dev-'));
  if (withNode) writeFileSync(join(dir, 'ipmi0'), '');
  return dir;
}

function pollCounter(): string {
  return join(mkdtempSync(join(tmpdir(), 'eff-ipmi-')), 'poll');
}

function show(e: ProbeEvent): string {
  if (e.kind === 'device') return `${e.deviceId} ${e.state}`;
  return `${e.deviceId} ${e.component} ${e.kind} ${e.kind === 'power' ? e.powerW : e.energyJ}`;
}

// ipmitool 1.8.19 prints the timestamp without a newline (lib/ipmi_dcmi.c, `ipmi_timestamp_numeric`), 1.8.18 with.
const V1_8_19 = [
  '',
  '    Instantaneous power reading:                   312 Watts',
  '    Minimum during sampling period:                 56 Watts',
  '    Maximum during sampling period:                376 Watts',
  '    Average power reading over sample period:      220 Watts',
  '    IPMI timestamp:                           05/05/24 13:06:44 UTC    Sampling period:                          00000001 Seconds.',
  '    Power reading state is:                   activated',
  '',
].join('\n');
const V1_8_18 = V1_8_19.replace(
  '05/05/24 13:06:44 UTC    Sampling',
  'Thu Jan 28 11:29:07 2016\n    Sampling',
);

describe('parseIpmiDcmiPowerReading', () => {
  it('reads the instantaneous and average power and the state from both layouts', () => {
    expect(parseIpmiDcmiPowerReading(V1_8_19)).toEqual({ powerW: 312, averageW: 220, activated: true });
    expect(parseIpmiDcmiPowerReading(V1_8_18)).toEqual({ powerW: 312, averageW: 220, activated: true });
    expect(parseIpmiDcmiPowerReading(V1_8_19.replace('activated', 'deactivated'))).toMatchObject({
      activated: false,
    });
  });
  it('refuses text without a reading, and a negative one', () => {
    expect(() => parseIpmiDcmiPowerReading('Could not open device at /dev/ipmi0')).toThrow(ProbeParseError);
    expect(() => parseIpmiDcmiPowerReading(V1_8_19.replace('312 Watts', '-5 Watts'))).toThrow(
      ProbeParseError,
    );
  });
  it('never throws anything but ProbeParseError on arbitrary text; a well-formed reading is always read', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const r = parseIpmiDcmiPowerReading(text);
          expect(r.powerW).toBeGreaterThanOrEqual(0);
        } catch (err) {
          expect(err).toBeInstanceOf(ProbeParseError);
        }
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.boolean(), (watts, old) => {
        const text = (old ? V1_8_18 : V1_8_19).replace(
          '     312 Watts',
          `${String(watts).padStart(8)} Watts`,
        );
        expect(parseIpmiDcmiPowerReading(text).powerW).toBe(watts);
      }),
    );
  });
});

describe('ipmiProbe against a fake ipmitool', () => {
  it('reads the BMC as one whole-node device `bmc` of component system, at the watts the BMC prints', async () => {
    process.env.FAKE_IPMI_WATTS = '431';
    process.env.FAKE_IPMI_LAYOUT = '1.8.18';
    const probe = ipmiProbe({ devDir: devDir(true) });
    expect(probe.components).toEqual(['system']);
    expect(await probe.check()).toEqual({ available: true, devices: ['bmc'] });
    const events = await lastValueFrom(probe.samples().pipe(take(3), toArray()));
    expect(events.map(show)).toEqual(['bmc present', 'bmc system power 431', 'bmc system power 431']);
    expect(childrenOf(process.pid)).toEqual([]);
  });
  it('passes interfaceArgs before the command (a remote BMC), and raises a short interval to 1 s', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'eff-ipmi-')), 'args');
    process.env.FAKE_IPMI_ARGS_LOG = log;
    const probe = ipmiProbe({ interfaceArgs: ['-I', 'lanplus', '-H', 'bmc.example', '-U', 'admin', '-E'] });
    expect(probe.minIntervalMs).toBe(IPMI_MIN_INTERVAL_MS);
    const events = await lastValueFrom(probe.samples({ intervalMs: 100 }).pipe(take(3), toArray()));
    const samples = events.filter((e) => e.kind === 'power');
    expect(samples).toHaveLength(2);
    // Polls start one second apart; a reading is stamped when its poll's output arrives, so the gap is 1000 ms +
    // (second poll's duration − first's), and a cold first spawn on a loaded machine is slower. Half the minimum
    // keeps clear of that and far above the ~100 ms a probe that did not raise the interval would show.
    expect((samples[1]?.tMs ?? 0) - (samples[0]?.tMs ?? 0)).toBeGreaterThan(IPMI_MIN_INTERVAL_MS / 2);
    expect(readFileSync(log, 'utf8').trim().split('\n')[0]).toBe(
      '-I lanplus -H bmc.example -U admin -E dcmi power reading',
    );
  });

  it.each([
    [
      'nobmc',
      false,
      ProbeUnavailableError,
      /^ipmi: no BMC here \(no .*ipmi0; ipmitool said: Could not open device/,
    ],
    [
      'eacces',
      true,
      ProbePermissionError,
      /^ipmi: no permission to open the BMC's device .*ipmi0 .*run eff as root/,
    ],
    ['nodcmi', true, ProbeUnavailableError, /does not support DCMI power readings .*Invalid command \(c1\)/],
    ['deactivated', true, ProbeUnavailableError, /power reading as deactivated/],
  ] as const)(
    '%s: a distinct reason in check() and the same typed error on the stream',
    async (mode, node, type, reason) => {
      process.env.FAKE_IPMI_MODE = mode;
      const probe = ipmiProbe({ devDir: devDir(node) });
      const check = await probe.check();
      expect(check.available).toBe(false);
      expect(check.reason).toMatch(reason);
      const err = await firstValueFrom(probe.samples()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(reason);
    },
  );

  it('a garbled poll is skipped and reported (a gap), the next reads again', async () => {
    process.env.FAKE_IPMI_MODE = 'glitch';
    process.env.FAKE_IPMI_STATE = pollCounter();
    const bad: BadLineReport[] = [];
    const events = await lastValueFrom(
      ipmiProbe()
        .samples({ intervalMs: 1000, onBadLine: (b) => bad.push(b) })
        .pipe(take(3), toArray()),
    );
    expect(events.map(show)).toEqual(['bmc present', 'bmc system power 214', 'bmc system power 214']);
    expect(bad).toHaveLength(1);
    expect(bad[0]?.error.input).toMatch(/<garbled>/);
  });
  it('a BMC that stops answering after a first reading gives bad readings, then is lost (not a 0 W reading)', async () => {
    process.env.FAKE_IPMI_MODE = 'fail-after-1';
    process.env.FAKE_IPMI_STATE = pollCounter();
    const events = await lastValueFrom(ipmiProbe().samples().pipe(take(6), toArray()));
    expect(events.map(show)).toEqual([
      'bmc present',
      'bmc system power 214',
      'bmc bad-reading',
      'bmc bad-reading',
      'bmc bad-reading',
      'bmc lost',
    ]);
    const lost = events.at(-1);
    expect(lost?.kind === 'device' && lost.reason).toMatch(/3 unusable readings in a row .*DCMI/);
  }, 15_000);
  it('a missing ipmitool is unavailable with the install hint', async () => {
    const check = await ipmiProbe({ binary: 'ipmitool-not-installed' }).check();
    expect(check).toEqual({ available: false, reason: expect.stringMatching(/not found; install ipmitool/) });
  });
});

const real = spawnSync('sh', ['-c', 'command -v ipmitool'], { env: { ...process.env, PATH: realPath } })
  .stdout.toString()
  .trim();
const hasBmc = spawnSync('sh', ['-c', 'ls /dev/ipmi0 /dev/ipmi/0 /dev/ipmidev/0']).status === 0;
// .ci/run installs Debian's ipmitool; without it (a bare checkout) this is skipped, as the rocm-smi one is.
describe.skipIf(!real || hasBmc)('the real ipmitool (Debian) on a machine without a BMC', () => {
  it('says "no BMC" as its reason and errors the stream with ProbeUnavailableError; no ipmitool is left', async () => {
    const probe = ipmiProbe({ binary: real });
    const check = await probe.check();
    expect(check.available).toBe(false);
    expect(check.reason).toMatch(
      /^ipmi: no BMC here \(no \/dev\/ipmi0; ipmitool said: Could not open device at \/dev\/ipmi0 or \/dev\/ipmi\/0 or \/dev\/ipmidev\/0: No such file or directory\)/,
    );
    const err = await firstValueFrom(probe.samples()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeUnavailableError);
    expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
    expect(childrenOf(process.pid)).toEqual([]);
  });
});
