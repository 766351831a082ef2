// `pnpm prediction:docs`: runs (or reuses) the quick and demo grids (in-sample seed 1, held-out seed 2) on real MNIST and writes docs/prediction.md: how well eff predicts a run's total energy after epochs 1-3, against the baseline, and how often its interval holds the truth.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ENERGY_CV_PRIOR,
  INTERVAL_QUANTILES,
  PRIOR_C,
  PRIOR_C_RANGE,
  type PredictorEpoch,
  predictRemaining,
  type RunRecord,
  readRunRecords,
} from '@eff/core';
import { PRESETS } from '../packages/cli/src/grid/presets.js';
import { DEMO_GRID } from '../packages/cli/src/runner/demo.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
/** The epochs after which the error is reported (the issue's Must-show). */
const AFTER = [1, 2, 3] as const;

/**
 * The grids the page reports. `in-sample`: seen while the predictor was designed (the first version on 2026-11-30,
 * and the changes listed on the page); `held-out`: the same grids with another seed, run after the predictor was
 * fixed and read only to write the page.
 */
const GRIDS = [
  { name: 'quick', kind: 'quick', seed: 1, set: 'in-sample', dir: 'bench/results/prediction/quick' },
  { name: 'demo', kind: 'demo', seed: 1, set: 'in-sample', dir: 'bench/results/prediction/demo' },
  { name: 'demo-seed2', kind: 'demo', seed: 2, set: 'held-out', dir: 'bench/results/prediction/demo-seed2' },
  {
    name: 'quick-seed2',
    kind: 'quick',
    seed: 2,
    set: 'held-out',
    dir: 'bench/results/prediction/quick-seed2',
  },
] as const;
type GridSpec = (typeof GRIDS)[number];
const SETS = ['in-sample', 'held-out'] as const;

const USAGE = `usage: tsx bench/prediction.ts [--grid NAME=DIR ...] [--no-run] [--out FILE]
  --grid NAME=DIR  read (and run) grid NAME in DIR instead of its default; NAME: ${GRIDS.map((g) => g.name).join(', ')}
  --no-run         only read the directories (do not start or resume the grids)
  --out FILE       the page to write (default docs/prediction.md)
Grids (in this order; seed 1 in-sample, seed 2 held-out):
${GRIDS.map((g) => `  ${g.name.padEnd(12)} ${g.kind} grid, seed ${g.seed}, ${g.set}: ${g.dir}`).join('\n')}
Without --no-run, each grid is run into its directory first, one at a time; eff resumes, so finished runs are reused.`;

interface Row {
  grid: string;
  set: GridSpec['set'];
  runId: string;
  model: string;
  criterion: string;
  criterionName: string;
  stoppedBy: string;
  epochs: number;
  actualJ: number;
  /** k → [eff's predicted total, baseline's predicted total, interval low, interval high] (J). */
  after: Map<number, { effJ: number; baseJ: number; lowJ: number; highJ: number; method: string }>;
}

/** The epochs of a record as the predictor sees them (the same inputs measureEfficiency gives it). */
function historyOf(r: RunRecord): PredictorEpoch[] {
  return r.epochs.map((e) => ({
    epoch: e.epoch,
    energyJ: e.energyJ.total,
    durationMs: e.durationMs,
    trainAccuracy: e.trainAccuracy,
    validationAccuracy: e.validationAccuracy,
    testAccuracy: e.testAccuracy,
  }));
}

function validationCount(r: RunRecord): { validationCount?: number } {
  const n = r.config.extra.trainSize;
  const split = r.config.extra.validationSplit;
  return typeof n === 'number' && typeof split === 'number' ? { validationCount: Math.round(n * split) } : {};
}

/** Predictions kept in records (runs made with this predictor) against the replay: they must agree. */
const replay = { checked: 0, differ: 0 };

/** Replays the predictor after epochs 1-3 of a completed run (those before its last epoch). */
function rowOf(grid: GridSpec, r: RunRecord): Row {
  const history = historyOf(r);
  const after: Row['after'] = new Map();
  for (const k of AFTER) {
    if (k >= r.epochs.length) continue; // the run ended at epoch k: nothing left to predict
    const p = predictRemaining(r.config.criterion, history.slice(0, k), {
      maxEpochs: r.config.maxEpochs,
      ...validationCount(r),
    });
    if (!p) continue;
    const kept = r.predictions?.find((q) => q.afterEpoch === k);
    if (kept) replay.checked++;
    if (kept && Math.abs(kept.totalEnergyJ - p.totalEnergyJ) > 1e-6 * Math.max(1, p.totalEnergyJ))
      replay.differ++;
    const soFar = p.totalEnergyJ - p.remainingEnergyJ;
    after.set(k, {
      effJ: p.totalEnergyJ,
      baseJ: p.baselineTotalEnergyJ,
      lowJ: soFar + p.remainingEnergyLowJ,
      highJ: soFar + p.remainingEnergyHighJ,
      method: p.method,
    });
  }
  return {
    grid: grid.name,
    set: grid.set,
    runId: r.runId,
    model: r.config.model ?? `${r.config.architecture}-${r.config.size}`,
    criterion: r.config.criterion.label ?? r.config.criterion.name,
    criterionName: r.config.criterion.name,
    stoppedBy: r.final.stoppedBy.criterion,
    epochs: r.final.epochs,
    actualJ: r.final.energyJ.total,
    after,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

const ape = (predicted: number, actual: number) => (100 * Math.abs(predicted - actual)) / actual;
const fmtPct = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));
const kJ = (j: number) => (j / 1000).toFixed(2);

/** "eff % / baseline % (n)" for the rows with a prediction after epoch k; "–" when none. */
function cell(rows: Row[], k: number): { text: string; eff?: number; base?: number } {
  const have = rows.filter((r) => r.after.has(k) && r.actualJ > 0);
  if (have.length === 0) return { text: '–' };
  const eff = median(have.map((r) => ape(r.after.get(k)?.effJ ?? 0, r.actualJ)));
  const base = median(have.map((r) => ape(r.after.get(k)?.baseJ ?? 0, r.actualJ)));
  return { text: `${fmtPct(eff)} / ${fmtPct(base)} (${have.length})`, eff, base };
}

function groupBy(rows: Row[], key: (r: Row) => string): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
  return m;
}

function table(rows: Row[], key: (r: Row) => string, head: string): string {
  const lines = [
    `| ${head} | runs | after epoch 1 | after epoch 2 | after epoch 3 |`,
    '|---|---:|---:|---:|---:|',
  ];
  for (const [name, rs] of groupBy(rows, key)) {
    lines.push(`| ${name} | ${rs.length} | ${AFTER.map((k) => cell(rs, k).text).join(' | ')} |`);
  }
  const all = AFTER.map((k) => cell(rows, k).text);
  lines.push(`| **all runs** | ${rows.length} | ${all.join(' | ')} |`);
  return lines.join('\n');
}

function runGrid(grid: GridSpec, dir: string): void {
  // Through `eff run` with the grid as a config file (the demo's grid gives the same runs and run ids as `eff demo`,
  // without its report in DIR); the seed makes the held-out runs new runs.
  const config = grid.kind === 'demo' ? DEMO_GRID : PRESETS.quick?.config;
  if (!config) throw new Error('the quick preset is missing from packages/cli/src/grid/presets.ts');
  const file = join(mkdtempSync(join(tmpdir(), 'eff-prediction-')), `${grid.name}.json`);
  writeFileSync(file, JSON.stringify({ ...config, seeds: [grid.seed] }));
  const args = ['run', '--config', file, '--out', dir];
  process.stderr.write(`prediction: node ${relative(ROOT, BIN)} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [BIN, ...args], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) {
    throw new Error(`eff ${args.join(' ')} exited with ${r.status ?? r.signal}; rerun to resume`);
  }
}

async function records(dir: string): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  if (!existsSync(dir)) return out;
  for await (const { record } of readRunRecords(dir)) if (record.status === 'completed') out.push(record);
  return out;
}

/** "covered of n (%)" of the rows' intervals after epoch k (all of k = 1-3 when k is undefined); "–" when none. */
function coverage(rows: Row[], k?: number): string {
  const inside = rows.flatMap((r) =>
    [...r.after.entries()]
      .filter(([j]) => k === undefined || j === k)
      .map(([, a]) => a.lowJ <= r.actualJ && r.actualJ <= a.highJ),
  );
  if (inside.length === 0) return '–';
  const covered = inside.filter(Boolean).length;
  return `${covered} of ${inside.length} (${((100 * covered) / inside.length).toFixed(0)}%)`;
}

function coverageTable(groups: [string, Row[]][]): string {
  return [
    '| runs | after epoch 1 | after epoch 2 | after epoch 3 | all |',
    '|---|---:|---:|---:|---:|',
    ...groups.map(
      ([name, rs]) => `| ${name} | ${AFTER.map((k) => coverage(rs, k)).join(' | ')} | ${coverage(rs)} |`,
    ),
  ].join('\n');
}

/** The goal's lines for `rows`: eff's median error against half the baseline's, after each k. */
function goalLines(rows: Row[]): string {
  const goal = rows.filter((r) => r.stoppedBy === 'accuracyTarget' || r.stoppedBy === 'earlyStopping');
  const lines = AFTER.map((k) => {
    const c = cell(goal, k);
    if (c.eff === undefined || c.base === undefined) return `after epoch ${k}: no such run`;
    const ok = c.eff <= c.base / 2;
    return `after epoch ${k}: ${fmtPct(c.eff)}% vs ${fmtPct(c.base)}% (${ok ? 'met' : 'NOT met'}: ${c.base > 0 ? (c.eff / c.base).toFixed(2) : '–'} × the baseline's error; ${cell(goal, k).text.replace(/.*\(/, '').replace(')', '')} runs)`;
  });
  return `${goal.length} runs.\n\n- ${lines.join('\n- ')}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      grid: { type: 'string', multiple: true, default: [] },
      'no-run': { type: 'boolean', default: false },
      out: { type: 'string', default: 'docs/prediction.md' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const dirs = new Map<string, string>(GRIDS.map((g) => [g.name, resolve(ROOT, g.dir)]));
  for (const spec of values.grid) {
    const [name, dir] = spec.split('=');
    if (!name || !dir || !dirs.has(name)) {
      throw new Error(`--grid ${spec}: expected NAME=DIR with NAME one of ${[...dirs.keys()].join(', ')}`);
    }
    dirs.set(name, resolve(ROOT, dir));
  }
  const dirOf = (g: GridSpec) => dirs.get(g.name) as string;
  if (!values['no-run']) {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm build (tsc -b) first`);
    for (const g of GRIDS) runGrid(g, dirOf(g));
  }
  const rows: Row[] = [];
  const counts: string[] = [];
  let estimated = false;
  for (const g of GRIDS) {
    const recs = await records(dirOf(g));
    estimated ||= recs.some((r) => r.final.estimated);
    counts.push(
      `${g.name} (${g.kind} grid, seed ${g.seed}, **${g.set}**): ${recs.length} completed runs (\`${relative(ROOT, dirOf(g)) || dirOf(g)}/results.jsonl\`)`,
    );
    for (const r of recs) rows.push(rowOf(g, r));
  }
  if (rows.length === 0) throw new Error(`no completed runs in ${[...dirs.values()].join(', ')}`);
  const bySet = (set: GridSpec['set']) => rows.filter((r) => r.set === set);
  const detail = [
    '| grid | model | criterion | stopped by | epochs | actual kJ | after 1: eff [interval] / baseline kJ | after 2 | after 3 |',
    '|---|---|---|---|---:|---:|---|---|---|',
    ...rows.map((r) => {
      const at = AFTER.map((k) => {
        const a = r.after.get(k);
        return a ? `${kJ(a.effJ)} [${kJ(a.lowJ)}–${kJ(a.highJ)}] / ${kJ(a.baseJ)}` : '–';
      });
      return `| ${r.grid} | ${r.model} | ${r.criterion} | ${r.stoppedBy} | ${r.epochs} | ${kJ(r.actualJ)} | ${at.join(' | ')} |`;
    }),
  ].join('\n');
  const pct = INTERVAL_QUANTILES.map((q) => q * 100).join('–');
  const perSet = (f: (set: GridSpec['set'], rs: Row[]) => string) =>
    SETS.filter((set) => bySet(set).length > 0)
      .map(
        (set) =>
          `### ${set === 'held-out' ? 'Held-out grids (seed 2)' : 'In-sample grids (seed 1)'}\n\n${f(set, bySet(set))}`,
      )
      .join('\n\n');
  const page = `# Energy-to-finish prediction: how good is it?

<!-- GENERATED by bench/prediction.ts (pnpm prediction:docs) on ${new Date().toISOString().slice(0, 10)}; edit the script, not this page. -->

After every epoch, eff predicts the energy (J) and time a run will still spend until its stopping criterion
stops it (\`EpochRecord.prediction\`, \`RunRecord.predictions\`, and \`eff run\`'s progress line:
\`≈ 1.20 kJ to go (0.90 kJ–1.60 kJ), ~2m10s\`). How it predicts is in
[methodology.md](methodology.md#energy-to-finish-prediction). This page measures it on real MNIST runs.

## What was run

- ${counts.join('\n- ')}
- Machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')} when this page was written (the machine was shared with other jobs while the grids ran).
- Energy: ${estimated ? "**estimated** (no hardware power meter here: utilisation × TDP, see probes.md), so the per-epoch energy follows the machine's load as well as the training" : 'measured by the hardware probes'}.

Each completed run is replayed through the same predictor \`measureEfficiency\` calls (\`predictRemaining\` over
the run's first k epochs) and its predicted total energy (energy so far + predicted remaining) is compared with
the run's actual total (\`final.energyJ.total\`). The **baseline** is the method the issue names: mean energy per
epoch so far × the epochs the criterion will run (its count for fixed epochs, the budget ÷ the mean for an energy
budget, the \`maxEpochs\` cap when unknown: accuracy target, early stopping, diminishing returns). A run that
ended at epoch k has no prediction after epoch k (nothing is left to predict), so later columns have fewer runs.
${replay.checked > 0 ? `Runs carry the predictions made while they ran (\`RunRecord.predictions\`): ${replay.checked - replay.differ} of ${replay.checked} equal the replay (the others were made by the predictor before the changes below).` : 'None of these runs was recorded with the predictor in place (their records carry no predictions), so all numbers come from the replay.'}

## In-sample and held-out: what was changed after seeing data

The **in-sample** grids (seed 1) were run to evaluate the first predictor, and the predictor was then changed
after looking at them: their numbers are not a test. The **held-out** grids (the same two grids with seed 2: other
initial weights, other shuffles, another stretch of machine load) were started before the changes below, and are
the test. One lapse: while this script was being extended, an intermediate version's numbers on the first five
held-out demo runs were printed once (by reading all grids). Two changes came after that (the third and fourth
below); both answered in-sample misses, but the held-out demo grid was not entirely unseen when they were made. Of
the held-out quick grid only one progress line was seen before the page was written (change 5).

Changed after seeing the in-sample grids (the first version: c = 0.5 over 0.25–1; an interval from a bootstrap over
the observed epochs, zero-width after epoch 1; early stopping on the noise-free curve's gain per epoch):

1. The prior exponent of the learning curve: c = ${PRIOR_C.toFixed(2)} (1/√2) over ${PRIOR_C_RANGE.join('–')}, the range of
   stochastic gradient descent's classical rates (error ∝ t^−½ convex, t^−1 strongly convex), instead of 0.5 over
   0.25–1. Seen: every in-sample MNIST curve was faster than c = 0.5 after its first epoch.
2. The interval draws every uncertainty the predictor knows (methodology.md): each future epoch's energy
   (ln-normal, σ pooled from a prior CV of ${ENERGY_CV_PRIOR} and the run's own residuals), the curve's parameters, and the
   noise on the accuracies the run will measure, with the criterion's own rule applied to them (so early stopping
   and the target fall on whole epochs, early or late). The prior CV ${ENERGY_CV_PRIOR} comes from the throughput bench
   (repeated identical training slices), not from these grids.
3. The future's energy level varies by σ, not by its standard error σ/√k: the in-sample coverage after epochs 2
   and 3 was 55% with σ/√k (the load shifts for minutes, so epochs are not independent draws).
4. Early stopping's point prediction applies the run's own rule (its state, then a gain counts when it beats the
   best by more than the noise) instead of stopping \`patience\` epochs after the first gain below the noise, which
   ignored a best that the curve never reaches again.
5. The energy of a simulated future is the trend × its level, slope-error and epoch factors (the slope's standard
   error of a regression line), no longer a Theil–Sen line refitted to the epochs resampled with replacement. Seen on
   the progress line of a held-out quick run while it ran (\`≈ 2.08 kJ to go (0.0 J–15.37 kJ)\` after epoch 3): two
   resampled points of three extrapolate to 0 J or to several times the trend. A defect, not a fit to numbers, but
   made after a held-out run was seen; the slope factor was added when the in-sample coverage after epoch 3 fell
   from 69% to 44% without the refitted line.

Nothing else (the curve's form, the fit, the trend, the baseline, the ${pct}% quantiles) was changed.

## Median absolute percentage error of the predicted total energy

Each cell: **eff's error / the baseline's error (runs)**, median over runs of |predicted − actual| / actual, in %.

${perSet((_, rs) => `${table(rs, (r) => `${r.grid}: ${r.criterion}`, 'criterion')}\n\nBy what actually stopped the run:\n\n${table(rs, (r) => r.stoppedBy, 'stopped by')}`)}

## The goal: runs stopped by the accuracy target or early stopping

Goal: eff's error at most half the baseline's.

${perSet((_, rs) => goalLines(rs))}

## Does the ${pct}% interval hold the actual total?

A nominal ${pct}% interval should contain the actual total in about 80% of the predictions. Counted over the
predictions after epochs 1–3 (one run gives up to three):

${coverageTable([
  ...GRIDS.map((g): [string, Row[]] => [`${g.name} (${g.set})`, rows.filter((r) => r.grid === g.name)]),
  ...SETS.map((set): [string, Row[]] => [`**all ${set}**`, bySet(set)]),
])}

By what stopped the run (both sets):

${coverageTable([...groupBy(rows, (r) => r.stoppedBy)].map(([name, rs]): [string, Row[]] => [name, rs]))}

## Reading the numbers

- After epoch 1 the learning curve has one point: its shape is the prior (a = 1, c = ${PRIOR_C.toFixed(2)}), not data.
  When the prior puts the target or the plateau beyond the cap, eff predicts the cap, exactly as the baseline does,
  and the two errors are equal. A run still at chance after epoch 1 (some BCNN runs: 11.2% = the share of the
  most frequent digit) gives the prior nothing to go on.
- Runs that ran to the cap (\`maxEpochs\` in the "stopped by" tables) are the baseline's best case: it always
  predicts the cap for these criteria, so any other prediction can only do worse there. The goal is stated for the
  runs the accuracy target or early stopping actually stopped.
- Energy per epoch here follows the shared machine's load (the estimate is utilisation × TDP), so even a fixed number
  of epochs is predicted with an error of several percent; eff and the baseline then differ only by the trend line.
- From three epochs the per-epoch energy follows a Theil–Sen line, clamped at 0 J. When the machine's load falls
  during the first epochs, the line extrapolates the fall and predicts later epochs nearly free (in the table below,
  after epoch 3, an interval far under the actual total); the line's slope error in the interval cannot reach a
  trend that is itself wrong. This is the main remaining error after epoch 3, and it was left alone because changing
  it now could only be tested on grids already seen.
- An energy budget's interval is the budget alone, but the runs spend 5–10% more (the batch in flight and the
  evaluation after the stop), which the predictor does not model: those predictions fall outside their interval.
- Few runs per cell: a median over 1–4 runs moves a lot with one run. Read the cells as indications; the same
  holds for coverage, where 20–40 predictions per set give a 95% margin of about ±12–18 points around 80%.

## Every run

${detail}

## Reproduce

\`\`\`sh
pnpm prediction:docs                              # runs (or resumes) the four grids one at a time, writes this page
pnpm prediction:docs --no-run                     # only reads bench/results/prediction/*
pnpm prediction:docs --no-run --grid demo=DIR     # another directory for one grid (names: ${GRIDS.map((g) => g.name).join(', ')})
\`\`\`
`;
  const out = resolve(ROOT, values.out);
  writeFileSync(out, page);
  process.stderr.write(`prediction: wrote ${relative(ROOT, out)} (${rows.length} runs)\n`);
}

main().catch((err) => {
  process.stderr.write(`prediction: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(1);
});
