// rocm-smi probe: the JSON parser (examples and properties), per-card faults through a fake rocm-smi first on PATH,
// the minimum interval, teardown, and the real Debian rocm-smi failing on this GPU-less machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, take, tap, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenOf, gone } from '../test/processes.js';
import { NoMeasurableDeviceError } from './device-state.js';
import { ProbeError, ProbeParseError } from './errors.js';
import { parseRocmSmiJson, ROCM_SMI_MIN_INTERVAL_MS, rocmSmiProbe } from './rocm-smi.js';
import type { DeviceEvent, ProbeEvent } from './sample.js';
import type { BadLineReport } from './tolerance.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const fakeBin = join(fixtures, 'bin', 'rocm-smi');
// The fake is found the way users' tools are, by name, first on PATH; `realPath` still finds the real tool.
const realPath = process.env.PATH ?? '';
process.env.PATH = `${dirname(fakeBin)}${delimiter}${realPath}`;

const FAKE_ENV = [
  'FAKE_ROCM_MODE',
  'FAKE_ROCM_STATE',
  'FAKE_ROCM_REPLIES',
  'FAKE_ROCM_REJECT',
  'FAKE_ROCM_ARGS_LOG',
];
afterEach(() => {
  for (const name of FAKE_ENV) delete process.env[name];
});

/** Makes the fake print `replies[N-1]` on its N-th poll (the last one from then on). */
function replay(replies: unknown[]): void {
  const file = join(mkdtempSync(join(tmpdir(), 'eff-rocm-')), 'replies.json');
  writeFileSync(file, JSON.stringify(replies));
  process.env.FAKE_ROCM_REPLIES = file;
}

/** Logs each fake rocm-smi run; returns a reader of [the fake's start time in ms, its arguments] per run. */
function logRuns(): () => Array<[number, string]> {
  const file = join(mkdtempSync(join(tmpdir(), 'eff-rocm-')), 'args');
  process.env.FAKE_ROCM_ARGS_LOG = file;
  return () =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => [Number(line.slice(0, line.indexOf(' '))), line.slice(line.indexOf(' ') + 1)]);
}

/** A compact view of events: `card0 energy 1.5`, `card0 power 35`, `card1 lost`. */
function show(e: ProbeEvent): string {
  if (e.kind === 'device') return `${e.deviceId} ${e.state}`;
  return `${e.deviceId} ${e.kind} ${e.kind === 'energy' ? e.energyJ : e.powerW}`;
}

const P = 'Average Graphics Package Power (W)';
const E = 'Accumulated Energy (uJ)';

describe('parseRocmSmiJson', () => {
  it('reads both power key spellings, the energy accumulator (uJ -> J), the power cap and the unique id', () => {
    const text = readFileSync(join(fixtures, 'rocm-smi-power-energy.json'), 'utf8');
    expect(parseRocmSmiJson(text)).toEqual([
      {
        card: 'card0',
        powerW: 35,
        energyJ: 36930978.2 / 1e6,
        maxPowerW: 300,
        uniqueId: '0x18a3b2c4d5e6f708',
        problems: [],
      },
      { card: 'card1', powerW: 412, energyJ: 0.1511118, maxPowerW: 750, problems: [] },
    ]);
  });
  it('skips log lines before the JSON; a bad value spoils only its own card', () => {
    expect(
      parseRocmSmiJson(
        'WARNING: x\n{"card2": {"Average Graphics Package Power (W)": "7.5"}, "card3": {"Average Graphics Package Power (W)": "-1"},' +
          ' "card4": "Unknown Error", "system": {"Driver version": "6.1"}}',
      ),
    ).toEqual([
      { card: 'card2', powerW: 7.5, problems: [] },
      { card: 'card3', problems: ['"Average Graphics Package Power (W)" is "-1", not a number'] },
      { card: 'card4', problems: ['its entry is "Unknown Error", not an object of fields'] },
    ]);
    expect(() => parseRocmSmiJson('ERROR: Driver not initialized')).toThrow(ProbeParseError);
    expect(() => parseRocmSmiJson('{"card0": {')).toThrow(ProbeParseError);
  });
  it('reads Python float spellings, unquoted numbers, N/A (e.g. the secondary die of an MI250)', () => {
    expect(
      parseRocmSmiJson(
        '{"card0": {"Average Graphics Package Power (W)": "5e-06", "Accumulated Energy (uJ)": "1.5e+16"},' +
          ' "card1": {"Average Graphics Package Power (W)": "N/A (Secondary die)"},' +
          ' "card2": {"Current Socket Graphics Package Power (W)": 550}}',
      ),
    ).toEqual([
      { card: 'card0', powerW: 5e-6, energyJ: 1.5e10, problems: [] },
      { card: 'card1', problems: ['"Average Graphics Package Power (W)" is N/A (Secondary die)'] },
      { card: 'card2', powerW: 550, problems: [] },
    ]);
  });
  it('falls back from an N/A current power to the average, and from µJ to counter ticks × 15.3 µJ', () => {
    expect(
      parseRocmSmiJson(
        '{"card0": {"Current Socket Graphics Package Power (W)": "N/A", "Average Graphics Package Power (W)": "99.0",' +
          ' "Energy counter": "1000000"}}',
      ),
    ).toEqual([{ card: 'card0', powerW: 99, energyJ: 15.3, problems: [] }]);
    // found by the property below: a count whose × 15.3 µJ overflows to Infinity is not a reading
    expect(parseRocmSmiJson('{"card0":{"Energy counter":"1.1749628332433438e+307"}}')).toEqual([
      { card: 'card0', problems: ['"Energy counter" is 1.1749628332433438e+307, too large to be a count'] },
    ]);
  });

  const anyValue = fc.oneof(
    fc.string(),
    fc.double().map(String),
    fc.double(),
    fc.integer(),
    fc.constant(null),
    fc.constant('N/A'),
    fc.json(),
  );
  it('property: arbitrary output is a ProbeParseError or readings of finite non-negative numbers', () => {
    const cardJson = fc
      .dictionary(
        fc.constantFrom('card0', 'card1', 'system', 'x'),
        fc.oneof(
          fc.dictionary(
            fc.constantFrom(P, E, 'Energy counter', 'Max Graphics Package Power (W)', 'Other'),
            anyValue,
          ),
          anyValue,
        ),
      )
      .map((o) => JSON.stringify(o));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          cardJson,
          fc.json(),
          fc.string().map((s) => `{${s}`),
        ),
        (s) => {
          try {
            for (const r of parseRocmSmiJson(s)) {
              for (const v of [r.powerW, r.energyJ, r.maxPowerW]) {
                if (v !== undefined) expect(Number.isFinite(v) && v >= 0).toBe(true);
              }
            }
          } catch (err) {
            expect(err).toBeInstanceOf(ProbeParseError);
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });
  it('property: well-formed output for N cards yields N readings with the printed values, bad ones per card', () => {
    const value = fc.oneof(
      fc.double({ min: 0, max: 1e6, noNaN: true }).map((w) => ({ ok: w, text: String(w) })),
      fc
        .constantFrom('N/A', 'N/A (Secondary die)', 'Unknown Error', '')
        .map((t) => ({ ok: undefined, text: t })),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ power: value, energy: value }), { minLength: 1, maxLength: 16 }),
        fc.string(),
        (cards, logLine) => {
          const json = Object.fromEntries(
            cards.map((c, i) => [`card${i}`, { [P]: c.power.text, [E]: c.energy.text }]),
          );
          const got = parseRocmSmiJson(`${logLine.replaceAll('{', '')}\n${JSON.stringify(json)}`);
          expect(got.map((r) => r.card)).toEqual(cards.map((_, i) => `card${i}`));
          got.forEach((r, i) => {
            expect(r.powerW).toBe(cards[i]!.power.ok);
            expect(r.energyJ).toBe(
              cards[i]!.energy.ok === undefined ? undefined : cards[i]!.energy.ok! / 1e6,
            );
            expect(r.problems).toHaveLength(
              Number(cards[i]!.power.ok === undefined) + Number(cards[i]!.energy.ok === undefined),
            );
          });
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('rocmSmiProbe', () => {
  it('declares its measured minimum interval', () => {
    expect(rocmSmiProbe().minIntervalMs).toBe(ROCM_SMI_MIN_INTERVAL_MS);
    expect(ROCM_SMI_MIN_INTERVAL_MS).toBe(1000);
  });

  it('announces each card (cap, unique id), then gives its counter AND its power every poll', async () => {
    const probe = rocmSmiProbe({});
    expect(await probe.check()).toEqual({ available: true, devices: ['card0', 'card1'], selectedBy: 'all' });
    const runs = logRuns();
    const got = await lastValueFrom(probe.samples({ intervalMs: 1000 }).pipe(take(10), toArray()));
    expect(got.map(show)).toEqual([
      'card0 present',
      'card1 present',
      `card0 energy ${36930978.2 / 1e6}`,
      'card0 power 35',
      'card1 energy 0.1511118',
      'card1 power 412',
      `card0 energy ${36930978.2 / 1e6}`,
      'card0 power 35',
      'card1 energy 0.1511118',
      'card1 power 412',
    ]);
    expect(got[0]).toEqual({
      kind: 'device',
      tMs: got[0]!.tMs,
      deviceId: 'card0',
      component: 'gpu',
      source: 'rocm-smi',
      state: 'present',
      uuid: 'GPU-18a3b2c4d5e6f708', // ROCr's form of rocm-smi's Unique ID 0x18A3B2C4D5E6F708
      powerLimitW: 300,
      selectedBy: 'all',
    });
    expect((got[1] as DeviceEvent).powerLimitW).toBe(750);
    expect((got[1] as DeviceEvent).uuid).toBeUndefined(); // 'N/A'
    // The cap and id are asked for once, in the first poll only.
    expect(runs().map(([, args]) => args)).toEqual([
      '--showpower --showenergycounter --showmaxpower --showuniqueid --json',
      '--showpower --showenergycounter --json',
    ]);
  });

  it('an older rocm-smi that rejects --showmaxpower/--showuniqueid is still measured, without cap and id', async () => {
    process.env.FAKE_ROCM_REJECT = '--showuniqueid';
    const got = await lastValueFrom(rocmSmiProbe({}).samples().pipe(take(4), toArray()));
    expect(got.map(show)).toEqual([
      'card0 present',
      'card1 present',
      `card0 energy ${36930978.2 / 1e6}`,
      'card0 power 35',
    ]);
    expect(got[0]).not.toHaveProperty('uuid');
    expect(got[0]).not.toHaveProperty('powerLimitW');
  });

  describe('device selection: only the cards the job may use', () => {
    /** The cards announced (present) on the first poll, and where the choice came from. */
    async function chosen(
      options: Parameters<typeof rocmSmiProbe>[0],
    ): Promise<[string[], string | undefined]> {
      const events = await lastValueFrom(rocmSmiProbe(options).samples().pipe(take(4), toArray()));
      const present = events.filter((e): e is DeviceEvent => e.kind === 'device' && e.state === 'present');
      // no sample of a card outside the selection
      const ids = present.map((p) => p.deviceId);
      expect(events.filter((e) => e.kind !== 'device').every((e) => ids.includes(e.deviceId))).toBe(true);
      return [present.map((p) => p.deviceId), present[0]?.selectedBy];
    }
    for (const [env, cards, by] of [
      [{}, ['card0', 'card1'], 'all'],
      [{ ROCR_VISIBLE_DEVICES: '1' }, ['card1'], 'ROCR_VISIBLE_DEVICES'],
      [{ ROCR_VISIBLE_DEVICES: 'GPU-18a3' }, ['card0'], 'ROCR_VISIBLE_DEVICES'],
      [{ HIP_VISIBLE_DEVICES: '1' }, ['card1'], 'HIP_VISIBLE_DEVICES'],
      [{ CUDA_VISIBLE_DEVICES: '1' }, ['card1'], 'CUDA_VISIBLE_DEVICES'],
      // HIP numbers what ROCr left visible: index 0 of [card1] is card1
      [
        { ROCR_VISIBLE_DEVICES: '1', HIP_VISIBLE_DEVICES: '0' },
        ['card1'],
        'ROCR_VISIBLE_DEVICES+HIP_VISIBLE_DEVICES',
      ],
      [{ SLURM_JOB_GPUS: '1' }, ['card1'], 'SLURM_JOB_GPUS'],
      [{ GPU_DEVICE_ORDINAL: '0' }, ['card0'], 'GPU_DEVICE_ORDINAL'],
      [{ ROCR_VISIBLE_DEVICES: '0', SLURM_JOB_GPUS: '1' }, ['card0'], 'ROCR_VISIBLE_DEVICES'],
    ] as const) {
      it(`${JSON.stringify(env)} -> ${cards.join(', ')} (selectedBy ${by})`, async () => {
        expect(await chosen({ env })).toEqual([cards, by]);
      });
    }
    it('the gpus option wins over every variable', async () => {
      expect(await chosen({ gpus: [1], env: { ROCR_VISIBLE_DEVICES: '0', SLURM_JOB_GPUS: '0' } })).toEqual([
        ['card1'],
        'option',
      ]);
    });
    it('reads process.env by default', async () => {
      process.env.ROCR_VISIBLE_DEVICES = '1';
      try {
        expect(await chosen({})).toEqual([['card1'], 'ROCR_VISIBLE_DEVICES']);
        expect(await rocmSmiProbe({}).check()).toEqual({
          available: true,
          devices: ['card1'],
          selectedBy: 'ROCR_VISIBLE_DEVICES',
        });
      } finally {
        delete process.env.ROCR_VISIBLE_DEVICES;
      }
    });
    it('a selection naming a card that is not there is E_GPU_SELECTION before any sample, and check() says so', async () => {
      const probe = rocmSmiProbe({ env: { ROCR_VISIBLE_DEVICES: '5' } });
      const events: ProbeEvent[] = [];
      const err = await lastValueFrom(probe.samples().pipe(tap((e) => events.push(e)))).catch((e) => e);
      expect(events).toEqual([]);
      expect((err as ProbeError).code).toBe('E_GPU_SELECTION');
      expect((err as Error).message).toMatch(
        /ROCR_VISIBLE_DEVICES=5 names "5".*card0 \(index 0, GPU-18a3b2c4d5e6f708\); card1/,
      );
      const check = await probe.check();
      expect(check.available).toBe(false);
      expect(check.reason).toMatch(/ROCR_VISIBLE_DEVICES=5/);
    });
    it('a selection that grants no GPU (ROCR_VISIBLE_DEVICES=-1) is E_PROBE_UNAVAILABLE, not 0 J', async () => {
      const err = await lastValueFrom(rocmSmiProbe({ env: { ROCR_VISIBLE_DEVICES: '-1' } }).samples()).catch(
        (e) => e,
      );
      expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
      expect((err as Error).message).toMatch(/ROCR_VISIBLE_DEVICES leaves the job no GPU/);
    });
    it('an unmeasurable card outside the selection is not reported at all', async () => {
      replay([{ card0: { [P]: '120.0' }, card1: { [P]: 'N/A' } }]);
      const events = await lastValueFrom(
        rocmSmiProbe({ env: { ROCR_VISIBLE_DEVICES: '0' } })
          .samples()
          .pipe(take(3), toArray()),
      );
      expect(events.map(show)).toEqual(['card0 present', 'card0 power 120', 'card0 power 120']);
    });
  });

  it('power only when the energy counter is off', async () => {
    const got = await lastValueFrom(
      rocmSmiProbe({ energyCounter: false }).samples().pipe(take(4), toArray()),
    );
    expect(got.map(show)).toEqual(['card0 present', 'card1 present', 'card0 power 35', 'card1 power 412']);
  });

  describe('per-card faults: the healthy card keeps being measured', () => {
    const healthy = { [P]: '120.0', [E]: '5000000.0' };
    const healthyLines = ['card0 energy 5', 'card0 power 120'];

    it('a card with no power sensor from the start is unsupported (announced, then never a sample)', async () => {
      replay([{ card0: healthy, card1: { [P]: 'N/A' } }]);
      const probe = rocmSmiProbe({});
      expect(await probe.check()).toEqual({
        available: true,
        devices: ['card0'],
        selectedBy: 'all',
        unmeasurable: [
          {
            deviceId: 'card1',
            reason: expect.stringMatching(
              /^card1: "Average Graphics Package Power \(W\)" is N\/A; the driver/,
            ),
          },
        ],
      });
      const got = await lastValueFrom(probe.samples().pipe(take(7), toArray()));
      expect(got.map(show)).toEqual([
        'card0 present',
        'card1 present',
        'card1 unsupported',
        ...healthyLines,
        ...healthyLines,
      ]);
      expect((got[2] as DeviceEvent).reason).toMatch(/is N\/A/);
    });

    it('a secondary die (N/A (Secondary die)) is unsupported with a reason that says where its power is', async () => {
      replay([{ card0: healthy, card1: { [P]: 'N/A (Secondary die)' } }]);
      const got = await lastValueFrom(rocmSmiProbe({}).samples().pipe(take(5), toArray()));
      expect(got.map(show)).toEqual(['card0 present', 'card1 present', 'card1 unsupported', ...healthyLines]);
      expect((got[2] as DeviceEvent).reason).toMatch(/primary die/);
    });

    for (const [how, bad] of [
      ['reads N/A', { [P]: 'N/A', [E]: 'N/A' }],
      ['reads a non-numeric value', { [P]: 'Unknown Error', [E]: '12abc' }],
      ['has no fields left', {}],
      ['is not an object', 'Unknown Error'],
    ] as const) {
      it(`a card that ${how} after good readings is a bad-reading for that poll, then measured again`, async () => {
        const good = { [P]: '80.0', [E]: '2000000.0' };
        replay([
          { card0: healthy, card1: good },
          { card0: healthy, card1: bad },
          { card0: healthy, card1: good },
        ]);
        const got = await lastValueFrom(rocmSmiProbe({}).samples().pipe(take(13), toArray()));
        expect(got.map(show)).toEqual([
          'card0 present',
          'card1 present',
          ...healthyLines,
          'card1 energy 2',
          'card1 power 80',
          ...healthyLines,
          'card1 bad-reading',
          ...healthyLines,
          'card1 energy 2',
          'card1 power 80',
        ]);
        expect((got[8] as DeviceEvent).reason).toMatch(
          /(is N\/A|not a number|no power and no energy|not an object).*; this poll's reading of the card is skipped$/,
        );
      });
    }

    it('three unusable readings in a row make a card lost (once), its next good reading brings it back', async () => {
      const good = { [P]: '80.0', [E]: '2000000.0' };
      const bad = { [P]: 'N/A', [E]: 'N/A' };
      replay([
        { card0: healthy, card1: good },
        { card0: healthy, card1: bad },
        { card0: healthy, card1: bad },
        { card0: healthy, card1: bad },
        { card0: healthy, card1: bad },
        { card0: healthy, card1: good },
      ]);
      const got = await lastValueFrom(rocmSmiProbe({}).samples().pipe(take(22), toArray()));
      expect(got.filter((e) => e.deviceId === 'card1').map(show)).toEqual([
        'card1 present',
        'card1 energy 2',
        'card1 power 80',
        'card1 bad-reading',
        'card1 bad-reading',
        'card1 bad-reading',
        'card1 lost',
        'card1 energy 2',
        'card1 power 80',
      ]);
      expect(got.filter((e) => e.deviceId === 'card0' && e.kind === 'power')).toHaveLength(6);
    });

    it('a card missing from later polls is lost once, at that poll, and back with its next sample', async () => {
      const good = { [P]: '80.0', [E]: '2000000.0' };
      replay([
        { card0: healthy, card1: good },
        { card0: healthy },
        { card0: healthy },
        { card0: healthy, card1: good },
      ]);
      const got = await lastValueFrom(rocmSmiProbe({}).samples().pipe(take(15), toArray()));
      expect(got.map(show)).toEqual([
        'card0 present',
        'card1 present',
        ...healthyLines,
        'card1 energy 2',
        'card1 power 80',
        ...healthyLines,
        'card1 lost',
        ...healthyLines,
        ...healthyLines,
        'card1 energy 2',
        'card1 power 80',
      ]);
      const lost = got[8] as DeviceEvent;
      expect(lost.reason).toMatch(/^card1 is missing from rocm-smi's output/);
      // stamped with the poll that missed it (poll 2, beside card0's samples of that poll), not the first one
      expect(lost.tMs).toBe(got[6]!.tMs);
      expect(lost.tMs).toBeGreaterThan(got[2]!.tMs);
    });

    it('no card measurable -> unsupported events, then E_PROBE_UNAVAILABLE naming each card', async () => {
      replay([{ card0: { [P]: 'N/A' }, card1: {} }]);
      const events: ProbeEvent[] = [];
      const err = await lastValueFrom(
        rocmSmiProbe({})
          .samples()
          .pipe(tap((e) => events.push(e))),
      ).catch((e) => e);
      expect(events.map(show)).toEqual([
        'card0 present',
        'card1 present',
        'card0 unsupported',
        'card1 unsupported',
      ]);
      expect(err).toBeInstanceOf(NoMeasurableDeviceError);
      expect((err as ProbeError).code).toBe('E_PROBE_UNAVAILABLE');
      expect((err as Error).message).toMatch(
        /^rocm-smi: none of the selected devices can be measured: card0: .*; card1: rocm-smi prints no power/,
      );
      const check = await rocmSmiProbe({}).check();
      expect(check.available).toBe(false);
      expect(check.unmeasurable?.map((u) => u.deviceId)).toEqual(['card0', 'card1']);
    });
  });

  it('a frozen energy counter is delivered WITH the power reading each poll (core decides which to trust)', async () => {
    replay([{ card0: { [P]: '152.0', 'Energy counter': '5310442', [E]: '81249762.6' } }]);
    const got = await lastValueFrom(rocmSmiProbe({}).samples().pipe(take(7), toArray()));
    expect(got.map(show)).toEqual([
      'card0 present',
      'card0 energy 81.2497626',
      'card0 power 152',
      'card0 energy 81.2497626',
      'card0 power 152',
      'card0 energy 81.2497626',
      'card0 power 152',
    ]);
  });

  it('an advancing counter and the power agree (J between polls ≈ W × s, within 10 %)', async () => {
    replay([{ card0: { [P]: '250.0', __watts: '250' } }]);
    const got = await lastValueFrom(rocmSmiProbe({}).samples().pipe(take(7), toArray()));
    const energy = got.filter((e) => e.kind === 'energy');
    const first = energy[0]!;
    const last = energy.at(-1)!;
    const watts = (last.energyJ - first.energyJ) / ((last.tMs - first.tMs) / 1000);
    expect(Math.abs(watts - 250) / 250).toBeLessThan(0.1);
    expect(got.filter((e) => e.kind === 'power').every((e) => e.powerW === 250)).toBe(true);
  });

  it('an interval below the minimum is raised to it: samples arrive, a minimum apart, never an error', async () => {
    const starts: number[] = [];
    const probe = rocmSmiProbe({ onSpawn: () => starts.push(performance.now()) });
    const got = await lastValueFrom(probe.samples({ intervalMs: 100 }).pipe(take(11), toArray()));
    const polls = [...new Set(got.filter((e) => e.kind !== 'device').map((e) => e.tMs))];
    expect(polls).toHaveLength(3); // poll 1: 2 present + 4 samples, poll 2: 4 samples, poll 3: 1
    expect(starts).toHaveLength(3);
    for (let i = 1; i < starts.length; i++) {
      // spawn times jitter by tens of ms on a loaded machine: one interval apart within 100 ms
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(ROCM_SMI_MIN_INTERVAL_MS - 100);
    }
    const zero = await lastValueFrom(rocmSmiProbe({}).samples({ intervalMs: 0 }).pipe(take(3), toArray()));
    expect(zero.map(show)).toEqual(['card0 present', 'card1 present', `card0 energy ${36930978.2 / 1e6}`]);
  });

  for (const [mode, code] of [
    ['fail', 'E_PROBE_UNAVAILABLE'],
    ['garbage', 'E_PROBE_PARSE'],
  ] as const) {
    it(`fake mode ${mode} -> ${code}`, async () => {
      process.env.FAKE_ROCM_MODE = mode;
      const err = await firstValueFrom(rocmSmiProbe({}).samples({ maxConsecutiveBadLines: 0 })).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(ProbeError);
      expect((err as ProbeError).code).toBe(code);
    });
  }
  it('unsubscribing while a (slow) poll is in flight kills that rocm-smi at once', async () => {
    process.env.FAKE_ROCM_MODE = 'slow';
    const pids: number[] = [];
    const sub = rocmSmiProbe({ onSpawn: (c) => c.pid && pids.push(c.pid) })
      .samples()
      .subscribe({ error: () => {} });
    await new Promise((r) => setTimeout(r, 300));
    expect(pids).toHaveLength(1);
    const t0 = Date.now();
    sub.unsubscribe();
    expect(await gone(pids[0]!, 1000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(childrenOf(process.pid)).toEqual([]);
  });
  it('a poll that hangs is killed at its timeout and the stream errors with E_PROBE_STALLED', async () => {
    process.env.FAKE_ROCM_MODE = 'slow';
    const pids: number[] = [];
    const err = await firstValueFrom(
      rocmSmiProbe({ pollTimeoutMs: 600, onSpawn: (c) => c.pid && pids.push(c.pid) }).samples(),
    ).catch((e) => e);
    expect((err as ProbeError).code).toBe('E_PROBE_STALLED');
    expect((err as Error).message).toMatch(/did not finish within 600 ms/);
    expect(await gone(pids[0]!, 1000)).toBe(true);
  });
  it('one garbage poll is skipped and reported; the polls after it still give samples', async () => {
    process.env.FAKE_ROCM_MODE = 'glitch';
    process.env.FAKE_ROCM_STATE = join(mkdtempSync(join(tmpdir(), 'eff-rocm-')), 'polls');
    const bad: BadLineReport[] = [];
    const got = await lastValueFrom(
      rocmSmiProbe({})
        .samples({ onBadLine: (r) => bad.push(r) })
        .pipe(take(10), toArray()),
    );
    expect(got.filter((e) => e.kind === 'energy').map((s) => s.deviceId)).toEqual([
      'card0',
      'card1',
      'card0',
      'card1',
    ]);
    // poll 2 was skipped: the second pair comes from poll 3, two intervals after poll 1 (less the poll's own
    // duration, as a reading is stamped when its rocm-smi ends); without the glitch it would be one interval
    expect(got[6]!.tMs - got[2]!.tMs).toBeGreaterThan(1500);
    expect(bad.map((b) => [b.probe, b.consecutive, b.total, b.error.code])).toEqual([
      ['rocm-smi', 1, 1, 'E_PROBE_PARSE'],
    ]);
    expect(bad[0]!.error.message).toMatch(/lots/);
  });
  it('garbage on every poll errors after 3 skipped polls, saying how many', async () => {
    process.env.FAKE_ROCM_MODE = 'garbage';
    const bad: BadLineReport[] = [];
    const err = await lastValueFrom(rocmSmiProbe({}).samples({ onBadLine: (r) => bad.push(r) })).catch(
      (e) => e,
    );
    expect((err as ProbeError).code).toBe('E_PROBE_PARSE');
    expect((err as Error).message).toMatch(/4 unparseable outputs in a row \(4 since start; 3 tolerated\)/);
    expect(bad.map((b) => b.consecutive)).toEqual([1, 2, 3, 4]);
  });
  const real = spawnSync('sh', ['-c', 'command -v rocm-smi'], { env: { ...process.env, PATH: realPath } })
    .stdout.toString()
    .trim();
  it.skipIf(!real)('the real rocm-smi on a machine without amdgpu fails with a typed error', async () => {
    const pids: number[] = [];
    const probe = rocmSmiProbe({ binary: real, onSpawn: (c) => c.pid && pids.push(c.pid) });
    const check = await probe.check();
    expect(check.available).toBe(false);
    expect(check.reason).toMatch(/rocm-smi/);
    const err = await firstValueFrom(probe.samples()).catch((e) => e);
    expect(err).toBeInstanceOf(ProbeError);
    // every rocm-smi this probe started has ended (other processes on a shared machine may run rocm-smi too)
    expect(pids.length).toBeGreaterThanOrEqual(2);
    for (const pid of pids) expect(await gone(pid, 2000)).toBe(true);
    expect(childrenOf(process.pid)).toEqual([]);
  });
});
