// A strict fake nvidia-smi: prints what the real one prints for the arguments eff uses, and refuses the rest.
'use strict';
const { appendFileSync } = require('node:fs');
const { parseStrict, fail } = require('./strict-args.cjs');

/*
 * Behaviour copied from the real tool (nvidia-smi(1), `nvidia-smi -h`, and its replies quoted in public bug reports):
 * - `--query-gpu=<fields> --format=csv[,noheader][,nounits]`: one CSV row per GPU, fields joined by ", ".
 *   Without `noheader` a header line comes first (`index, uuid, power.draw [W]`: units stay in the header even
 *   with nounits); without `nounits` values carry their unit (`71.23 W`). Missing values print as `[N/A]`,
 *   `[Not Supported]`, `[Unknown Error]`, ... with no unit.
 * - `-i, --id=`: comma-separated indices, UUIDs or PCI bus ids; one that matches no GPU -> "No devices were found",
 *   exit 6 (a query to find an object was unsuccessful).
 * - `-l, --loop=` seconds / `-lms, --loop-ms=` ms: repeat the query until killed; without them print once, exit 0.
 * - An unknown field: `Field "x" is not a valid field to query.` and a blank line on stdout, exit 2.
 * - `--query-gpu` without `--format`: `"--format=" switch is missing. Please run 'nvidia-smi -h' for help.`, exit 2.
 * - An unknown option: `ERROR: Option -x is not recognized. Please run 'nvidia-smi -h' for help.`, exit 2; an
 *   option without its value: `ERROR: Option -i is missing its value. Please run 'nvidia-smi -h' for help.`, exit 2.
 * - A GPU whose handle cannot be obtained any more prints, in place of its row,
 *   `Unable to determine the device handle for GPU<bus id>: GPU is lost.  Reboot the system to recover this GPU`.
 *
 * The machine:
 * {
 *   instantPower: true,          // driver >= 535: --help-query-gpu lists power.draw.instant
 *   helpDelayMs: 0,              // a slow --help-query-gpu (teardown tests)
 *   gpus: [{ uuid, name, busId, powerLimitW, power: [...], migs: ['MIG-…'] }],   // migs: MIG instances, listed by -L
 *   exitAfterReadings, exitCode, stallAfterReadings,   // the loop exits / goes silent after that many readings
 *   lines: { "<reading>": ["raw line", ...] },          // raw output replacing that reading's rows (garbage)
 *   rowGapMs: 0,                 // rows of one reading this many ms apart (GPUs read one after another)
 *   unknownFields: [],           // fields this driver does not know (an old one), refused like any unknown field
 * }
 * `power[k]` is GPU's value at reading k (the last one holds on): a number (W), a string printed as is
 * (`[N/A]`, `[Unknown Error]`, `7#.1`), `{ "lost": true }` (the "Unable to determine the device handle" line
 * instead of its row) or `{ "gone": true }` (no row: the GPU dropped out of the enumeration).
 * A one-shot query shows reading 0. FAKE_NVSMI_PIDFILE: append this process's pid to that file.
 */

const FIELDS = {
  index: { unit: '', value: (g) => String(g.index) },
  uuid: { unit: '', value: (g) => g.uuid },
  gpu_uuid: { unit: '', value: (g) => g.uuid },
  name: { unit: '', value: (g) => g.name },
  gpu_name: { unit: '', value: (g) => g.name },
  'pci.bus_id': { unit: '', value: (g) => g.busId },
  gpu_bus_id: { unit: '', value: (g) => g.busId },
  count: { unit: '', value: (_g, m) => String(m.gpus.length) },
  driver_version: { unit: '', value: () => '550.54.15' },
  'power.draw': { unit: 'W', value: (g, _m, k) => powerAt(g, k) },
  'power.draw.average': { unit: 'W', value: (g, _m, k) => powerAt(g, k), instantOnly: true },
  'power.draw.instant': { unit: 'W', value: (g, _m, k) => powerAt(g, k), instantOnly: true },
  'power.limit': { unit: 'W', value: (g) => watts(g.powerLimitW) },
  'enforced.power.limit': { unit: 'W', value: (g) => watts(g.powerLimitW) },
  'power.default_limit': { unit: 'W', value: (g) => watts(g.powerLimitW) },
};

const USAGE = "Please run 'nvidia-smi -h' for help.";
const SPEC = {
  tool: 'nvidia-smi',
  options: {
    help: ['-h', '--help'],
    helpQueryGpu: ['--help-query-gpu'],
    list: ['-L', '--list-gpus'],
    id: ['-i <v>', '--id=<v>'],
    queryGpu: ['--query-gpu=<v>'],
    format: ['--format=<v>'],
    loop: ['-l <v>', '--loop=<v>'],
    loopMs: ['-lms <v>', '--loop-ms=<v>'],
  },
  unknown: (arg) => ({ message: `ERROR: Option ${arg} is not recognized. ${USAGE}`, code: 2 }),
  missingValue: (arg) => ({ message: `ERROR: Option ${arg} is missing its value. ${USAGE}`, code: 2 }),
  positionals: false,
};

function watts(w) {
  return w === null || w === undefined ? '[N/A]' : Number(w).toFixed(2);
}

function readingOf(g, k) {
  return g.power[Math.min(k, g.power.length - 1)];
}

function powerAt(g, k) {
  const r = readingOf(g, k);
  return typeof r === 'number' ? r.toFixed(2) : String(r);
}

/** Runs the fake on process.argv with `machine` (see above). Never returns while looping. */
function runFakeNvidiaSmi(machine) {
  if (process.env.FAKE_NVSMI_PIDFILE) appendFileSync(process.env.FAKE_NVSMI_PIDFILE, `${process.pid}\n`);
  const gpus = machine.gpus.map((g, index) => ({
    index,
    name: 'NVIDIA A100-SXM4-40GB',
    busId: `00000000:${(0x3b + index).toString(16).toUpperCase()}:00.0`,
    powerLimitW: 400,
    ...g,
  }));
  const m = { ...machine, gpus };
  const { values } = parseStrict(SPEC, process.argv.slice(2));

  if (values.help) {
    process.stdout.write('NVIDIA System Management Interface -- v550.54.15 (fake)\n');
    process.exit(0);
  }
  if (values.helpQueryGpu) {
    const text =
      'List of valid properties to query for the switch "--query-gpu=":\n\n' +
      Object.keys(FIELDS)
        .filter((f) => m.instantPower !== false || !FIELDS[f].instantOnly)
        .map((f) => `"${f}"\nfake description of ${f}.\n`)
        .join('\n');
    setTimeout(() => {
      process.stdout.write(text);
      process.exit(0);
    }, m.helpDelayMs ?? 0);
    return;
  }
  const selected = selectIds(gpus, values.id);
  if (values.list) {
    // -L prints each GPU, then its MIG instances indented under it
    for (const g of selected) {
      process.stdout.write(`GPU ${g.index}: ${g.name} (UUID: ${g.uuid})\n`);
      (g.migs ?? []).forEach((mig, j) => {
        process.stdout.write(`  MIG 1g.5gb     Device  ${j}: (UUID: ${mig})\n`);
      });
    }
    process.exit(0);
  }
  if (values.queryGpu === undefined) {
    // the real tool prints its status table here; eff never asks for it
    fail({ message: `fake nvidia-smi: only --query-gpu, --help-query-gpu and -L are faked`, code: 2 });
  }
  if (values.format === undefined) fail({ message: `"--format=" switch is missing. ${USAGE}`, code: 2 });
  const format = values.format.split(',');
  const known = ['csv', 'noheader', 'nounits'];
  const badFormat = format.find((f) => !known.includes(f));
  if (!format.includes('csv') || badFormat !== undefined) {
    fail({ message: `"${badFormat ?? values.format}" is not a valid format. ${USAGE}`, code: 2 });
  }
  const fields = values.queryGpu.split(',').map((f) => f.trim());
  for (const f of fields) {
    if (!FIELDS[f] || (m.instantPower === false && FIELDS[f].instantOnly) || m.unknownFields?.includes(f)) {
      fail({ message: `Field "${f}" is not a valid field to query.\n`, code: 2 });
    }
  }
  const header = fields.map((f) => (FIELDS[f].unit ? `${f} [${FIELDS[f].unit}]` : f)).join(', ');
  const row = (g, k) =>
    fields
      .map((f) => {
        const v = FIELDS[f].value(g, m, k);
        const unit = FIELDS[f].unit;
        return unit && !format.includes('nounits') && /^[0-9.]+$/.test(v) ? `${v} ${unit}` : v;
      })
      .join(', ');
  const linesOf = (k) => {
    if (m.lines?.[k]) return m.lines[k];
    const out = [];
    for (const g of selected) {
      const r = readingOf(g, k);
      if (r && typeof r === 'object' && r.gone) continue;
      if (r && typeof r === 'object' && r.lost) {
        out.push(
          `Unable to determine the device handle for GPU${g.busId}: GPU is lost.  Reboot the system to recover this GPU`,
        );
      } else out.push(row(g, k));
    }
    return out;
  };
  const loopMs =
    values.loopMs !== undefined
      ? Number(values.loopMs)
      : values.loop !== undefined
        ? 1000 * Number(values.loop)
        : undefined;
  if (loopMs !== undefined && !(Number.isInteger(loopMs) && loopMs > 0)) {
    fail({ message: `ERROR: Invalid value for loop interval. ${USAGE}`, code: 2 });
  }
  const noheader = format.includes('noheader');
  if (loopMs === undefined) {
    const lines = linesOf(0);
    process.stdout.write(`${noheader ? '' : `${header}\n`}${lines.map((l) => `${l}\n`).join('')}`);
    process.exit(lines.some((l) => l.startsWith('Unable to determine')) ? 15 : 0);
  }
  if (!noheader) process.stdout.write(`${header}\n`);
  let k = 0;
  const tick = () => {
    if (m.exitAfterReadings !== undefined && k >= m.exitAfterReadings) process.exit(m.exitCode ?? 3);
    if (m.stallAfterReadings !== undefined && k >= m.stallAfterReadings) return;
    const lines = linesOf(k);
    const gap = m.rowGapMs ?? 0;
    if (!gap) process.stdout.write(lines.map((l) => `${l}\n`).join(''));
    else {
      lines.forEach((l, j) => {
        setTimeout(() => process.stdout.write(`${l}\n`), j * gap);
      });
    }
    k += 1;
  };
  tick();
  setInterval(tick, loopMs);
}

/** `-i` as the real tool reads it: indices, UUIDs or PCI bus ids, comma-separated; all must exist. */
function selectIds(gpus, ids) {
  if (ids === undefined) return gpus;
  const picked = [];
  for (const id of ids.split(',').map((s) => s.trim())) {
    const g = gpus.find(
      (x) =>
        String(x.index) === id ||
        x.uuid === id ||
        x.busId.toLowerCase().endsWith(id.toLowerCase().replace(/^0000:/, '')),
    );
    if (!g || id === '') fail({ message: 'No devices were found', code: 6 });
    if (!picked.includes(g)) picked.push(g);
  }
  return gpus.filter((g) => picked.includes(g));
}

module.exports = { runFakeNvidiaSmi };
