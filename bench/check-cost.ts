// `pnpm bench:check`: cost of the per-batch energy-budget check (Meter.estimateEnergyUntil) after 1k and 1M readings
// per device, on 2 and 9 devices; interleaved repetitions, medians in µs per check.

import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { createEnergyMeter, type EnergyMeter, type Meter, startMeter } from '@eff/core';
import type { Probe, ProbeEvent } from '@eff/probes';
// Types only; at run time rxjs comes from @eff/core's own dependencies (the root package has none).
import type * as Rx from '../packages/core/node_modules/rxjs/dist/types/index.js';
import { describeMachine } from './machine.js';
import { median, quantile } from './stats.js';

const { Subject }: typeof Rx = createRequire(new URL('../packages/core/package.json', import.meta.url))(
  'rxjs',
);
type Subject<T> = Rx.Subject<T>;

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '15' },
    checks: { type: 'string', default: '20000' },
    sizes: { type: 'string', default: '1000,1000000' },
    devices: { type: 'string', default: '2,9' },
    /** Also time the check as it was before readings were folded: a full energyBetween over every reading. */
    contrast: { type: 'boolean', default: false },
  },
});
const REPS = Number(args.reps);
const CHECKS = Number(args.checks);
const SIZES = String(args.sizes).split(',').map(Number);
const DEVICES = String(args.devices).split(',').map(Number);
/** Readings every 10 ms per device; an epoch mark (and a release, as measureEfficiency does) every 10,000 readings. */
const INTERVAL_MS = 10;
const EPOCH_READINGS = 10_000;

interface Config {
  label: string;
  readingsPerDevice: number;
  devices: number;
  released: boolean;
  /** Times `checks` checks, returns the sum of their results (so that none is optimised away). */
  check: (checks: number) => number;
  checks: number;
  retained: () => number;
  meter?: Meter;
  t0: number;
  lastMs: number;
  usPerCheck: number[];
}

/** A probe fed by the bench: the meter's real path (claim, validation, per-device tracks), no child process. */
function fedProbe(events: Subject<ProbeEvent>): Probe {
  return {
    name: 'bench',
    components: ['gpu'],
    estimated: false,
    check: async () => ({ available: true }),
    samples: () => events.asObservable(),
  };
}

function build(readingsPerDevice: number, devices: number, released: boolean): Config {
  const events = new Subject<ProbeEvent>();
  const meter = startMeter([fedProbe(events)], { intervalMs: INTERVAL_MS });
  const t0 = meter.startedAtMs;
  meter.anchor(t0);
  let t = t0;
  for (let i = 0; i < readingsPerDevice; i++) {
    t = t0 + i * INTERVAL_MS;
    for (let d = 0; d < devices; d++) {
      events.next({
        kind: 'power',
        tMs: t + d * 0.1,
        deviceId: `gpu${d}`,
        component: 'gpu',
        source: 'bench',
        estimated: false,
        powerW: 100 + ((i * 7 + d) % 50),
      });
    }
    if (released && i > 0 && i % EPOCH_READINGS === 0) meter.releaseBefore(t);
  }
  const lastMs = t;
  return {
    label: `${devices} devices, ${readingsPerDevice.toLocaleString('en')} readings each${released ? '' : ', never released'}`,
    readingsPerDevice,
    devices,
    released,
    check: (checks) => {
      let sink = 0;
      for (let i = 0; i < checks; i++) sink += meter.estimateEnergyUntil(t0, lastMs + (i % 10)).total;
      return sink;
    },
    checks: CHECKS,
    retained: () => meter.retainedSampleCount,
    meter,
    t0,
    lastMs: t,
    usPerCheck: [],
  };
}

/**
 * The check as it was before this bench existed: the whole energyBetween (gaps, counts, paper-sum over every reading
 * since t0) of an energy meter that keeps every reading. Only for contrast (`--contrast`).
 */
function buildBefore(readingsPerDevice: number, devices: number): Config {
  const meter: EnergyMeter = createEnergyMeter({ gapThresholdMs: 5000 });
  const t0 = 1_000_000;
  let t = t0;
  for (let i = 0; i < readingsPerDevice; i++) {
    t = t0 + i * INTERVAL_MS;
    for (let d = 0; d < devices; d++) {
      const s = { tMs: t + d * 0.1, deviceId: `gpu${d}`, component: 'gpu' as const, source: 'bench' };
      meter.push({ ...s, kind: 'power', estimated: false, powerW: 100 + ((i * 7 + d) % 50) });
    }
  }
  const lastMs = t;
  const checks = Math.max(10, Math.round(CHECKS / (readingsPerDevice >= 100_000 ? 2000 : 20)));
  return {
    label: `${devices} devices, ${readingsPerDevice.toLocaleString('en')} readings each: full window, as before`,
    readingsPerDevice,
    devices,
    released: false,
    check: (n) => {
      let sink = 0;
      for (let i = 0; i < n; i++)
        sink += meter.energyBetween(t0, lastMs + (i % 10), { holdTailMs: 5000 }).energyJ.total;
      return sink;
    },
    checks,
    retained: () => meter.retainedSampleCount,
    t0,
    lastMs,
    usPerCheck: [],
  };
}

/** Times a block of checks at batch ends just after the last reading (as during training), µs per check. */
function timeChecks(c: Config): number {
  const start = process.hrtime.bigint();
  const sink = c.check(c.checks);
  const ns = Number(process.hrtime.bigint() - start);
  if (!(sink > 0)) throw new Error('the check returned no energy: the bench measured nothing');
  return ns / 1000 / c.checks;
}

const machine = describeMachine();
const configs: Config[] = [];
for (const released of [true, false]) {
  for (const devices of DEVICES) {
    for (const size of SIZES) {
      // Never-released meters hold every reading: only the 2-device case, to keep the bench's memory small.
      if (!released && devices !== Math.min(...DEVICES)) continue;
      const t = Date.now();
      configs.push(build(size, devices, released));
      console.error(`built ${configs.at(-1)?.label} in ${Date.now() - t} ms`);
    }
  }
}
if (args.contrast) for (const size of SIZES) configs.push(buildBefore(size, Math.min(...DEVICES)));
// Warm-up round (JIT), then repetitions interleaved: repetition r of every config before repetition r + 1.
for (const c of configs) timeChecks(c);
for (let r = 0; r < REPS; r++) {
  const order = r % 2 === 0 ? configs : [...configs].reverse();
  for (const c of order) c.usPerCheck.push(timeChecks(c));
}
const fmt = (x: number) => x.toFixed(3);
const lines = [
  `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGB} GB, ${machine.os}, Node ${machine.node}, load average ${machine.loadAverage1mAtStart.toFixed(2)} at start.`,
  `Method: ${REPS} interleaved repetitions of a block of checks each (${CHECKS.toLocaleString('en')} for Meter.estimateEnergyUntil), after a warm-up round; µs per check.`,
  '',
  '| meter | retained readings | median µs/check | q1–q3 | range |',
  '|---|---:|---:|---:|---:|',
  ...configs.map(
    (c) =>
      `| ${c.label} | ${c.retained().toLocaleString('en')} | ${fmt(median(c.usPerCheck))} | ${fmt(quantile(c.usPerCheck, 0.25))}–${fmt(quantile(c.usPerCheck, 0.75))} | ${fmt(Math.min(...c.usPerCheck))}–${fmt(Math.max(...c.usPerCheck))} |`,
  ),
];
console.log(lines.join('\n'));
for (const c of configs) await c.meter?.stop();
process.exit(0);
