// `eff slurm submit` against stand-in sbatch/squeue executables on PATH: the script, resubmission, sbatch's errors.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandGrid } from '../grid/expand.js';
import { presetConfig } from '../grid/load.js';
import type { CliIo } from '../io.js';
import { runCli } from '../program.js';
import { shellQuote } from './batch-script.js';
import { estimateMemoryMB, estimateRunSeconds, estimateTaskMinutes, formatSlurmTime } from './resources.js';
import { compactIndices, effCommandLine, parseMemMB } from './submit.js';

// 2 × 2 = 4 runs; only GPU probes, so no --exclusive by default.
const GRID = {
  name: 'unit',
  datasets: ['mnist'],
  architectures: ['lenet', 'bcnn'],
  sizes: [1],
  criteria: [
    { name: 'fixedEpochs', params: { epochs: 2 } },
    { name: 'earlyStopping', params: { patience: 1 } },
  ],
  maxEpochs: 2,
  mnist: { trainSize: 300, testSize: 100 },
  probes: ['nvidia-smi'],
};

/**
 * A directory with a fake `sbatch` (records its arguments, cwd and the script; prints FAKE_SBATCH_OUT or fails with
 * FAKE_SBATCH_ERR, as sbatch(1) does) and a fake `squeue` printing FAKE_SQUEUE_OUT in eff's `%F|%K|%T|%r` format.
 */
function fakeSlurm(): { bin: string; log: string } {
  const bin = mkdtempSync(join(tmpdir(), 'eff-fake-slurm-'));
  const log = join(bin, 'sbatch.log');
  writeFileSync(
    join(bin, 'sbatch'),
    `#!/bin/bash
{ echo "cwd=$PWD"; echo "args=$*"; } >> ${shellQuote(log)}
if [[ -n "\${FAKE_SBATCH_ERR:-}" ]]; then echo "$FAKE_SBATCH_ERR" >&2; exit 1; fi
echo "\${FAKE_SBATCH_OUT:-42}"
`,
  );
  writeFileSync(join(bin, 'squeue'), '#!/bin/bash\nprintf "%b" "$FAKE_SQUEUE_OUT"\n');
  chmodSync(join(bin, 'sbatch'), 0o755);
  chmodSync(join(bin, 'squeue'), 0o755);
  return { bin, log };
}

function captureIo(cwd: string, env: NodeJS.ProcessEnv): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    env,
    cwd,
    out: () => out,
    err: () => err,
  };
}

async function setup(): Promise<{ work: string; bin: string; log: string; env: NodeJS.ProcessEnv }> {
  const work = mkdtempSync(join(tmpdir(), 'eff-submit-'));
  await writeFile(join(work, 'grid.json'), JSON.stringify(GRID));
  const { bin, log } = fakeSlurm();
  return { work, bin, log, env: { PATH: `${bin}:/usr/bin:/bin` } };
}

describe('eff slurm submit', () => {
  it('writes a commented array script, the grid and logs/ into DIR, submits it from the current directory and prints the job id', async () => {
    const { work, log, env } = await setup();
    const io = captureIo(work, { ...env, FAKE_SBATCH_OUT: '42;cluster-a' });
    const code = await runCli(
      [
        'slurm',
        'submit',
        '--config',
        'grid.json',
        '--out',
        'res',
        '--max-parallel',
        '2',
        '--',
        '--partition=gpu',
      ],
      io,
    );
    expect(code, io.err()).toBe(0);
    expect(io.out()).toMatch(
      /^Submitted array job 42: tasks 0-3%2 of 4 \(grid unit, 4 runs, at most 1 per task\)\./,
    );
    const dir = join(work, 'res');
    const script = readFileSync(join(dir, 'slurm-job.sh'), 'utf8');
    expect(script.split('\n').filter((l) => l.startsWith('#SBATCH'))).toEqual([
      '#SBATCH --job-name=eff-unit',
      '#SBATCH --array=0-3%2',
      `#SBATCH --output=${dir}/logs/%A_%a.out`,
      `#SBATCH --error=${dir}/logs/%A_%a.err`,
      '#SBATCH --cpus-per-task=2',
      '#SBATCH --mem=2048M',
      '#SBATCH --time=0-00:10:00',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --partition=gpu',
    ]);
    // Every directive comes before the first command (sbatch stops reading them there).
    expect(script.indexOf('set -euo pipefail')).toBeGreaterThan(script.lastIndexOf('#SBATCH'));
    expect(script).toContain('export EFF_NODE_EXCLUSIVE=0');
    expect(script).toMatch(
      new RegExp(`run --config ${dir}/grid.json --out ${dir} --shard "\\$\\{SLURM_ARRAY_TASK_ID\\}/4"\\n$`),
    );
    expect(JSON.parse(readFileSync(join(dir, 'grid.json'), 'utf8'))).toMatchObject({
      name: 'unit',
      backend: 'auto',
    });
    expect(existsSync(join(dir, 'logs'))).toBe(true);
    expect(readFileSync(log, 'utf8')).toBe(`cwd=${work}\nargs=--parsable ${dir}/slurm-job.sh\n`);
    expect(readFileSync(join(dir, 'slurm-jobs.txt'), 'utf8')).toMatch(/^42 4 \d{4}-/);
  });

  it('--exclusive by default when CPU/RAM energy is measured; --no-exclusive, --runs-per-task, --time, --mem', async () => {
    const { work, env } = await setup();
    await writeFile(join(work, 'cpu.json'), JSON.stringify({ ...GRID, probes: ['estimate'] }));
    const print = async (...extra: string[]) => {
      const io = captureIo(work, env);
      const code = await runCli(
        ['slurm', 'submit', '--config', 'cpu.json', '--out', 'r', '--print', ...extra],
        io,
      );
      expect(code, io.err()).toBe(0);
      return io.out();
    };
    const byDefault = await print();
    expect(byDefault).toMatch(/^#SBATCH --exclusive$/m);
    expect(byDefault).toContain('export EFF_NODE_EXCLUSIVE=1');
    expect(byDefault).not.toContain('--gres');
    const shared = await print('--no-exclusive', '--runs-per-task', '3', '--time', '1:30:00', '--mem', '3G');
    expect(shared).not.toMatch(/^#SBATCH --exclusive$/m);
    expect(shared).toContain('export EFF_NODE_EXCLUSIVE=0');
    expect(shared).toContain('#SBATCH --array=0-1\n'); // ceil(4 / 3) tasks, no throttle
    expect(shared).toContain(`--shard "\${SLURM_ARRAY_TASK_ID}/2"`);
    expect(shared).toContain('#SBATCH --time=1:30:00');
    expect(shared).toContain('#SBATCH --mem=3072M');
    // --print writes nothing.
    expect(existsSync(join(work, 'r'))).toBe(false);
  });

  it('resubmission leaves out shards that are done or still queued/running (squeue), and says so', async () => {
    const { work, env } = await setup();
    const dir = join(work, 'res');
    // First submission (job 41), then shard 1 is still running in it per squeue.
    const first = captureIo(work, { ...env, FAKE_SBATCH_OUT: '41' });
    expect(await runCli(['slurm', 'submit', '--config', 'grid.json', '--out', 'res'], first)).toBe(0);
    const io = captureIo(work, { ...env, FAKE_SBATCH_OUT: '43', FAKE_SQUEUE_OUT: '41|1|RUNNING|None\\n' });
    expect(await runCli(['slurm', 'submit', '--config', 'grid.json', '--out', 'res'], io), io.err()).toBe(0);
    expect(io.out()).toMatch(
      /^Submitted array job 43: tasks 0,2-3 of 4 .*not submitted: 1 still queued or running in array job 41\./,
    );
    expect(readFileSync(join(dir, 'slurm-job.sh'), 'utf8')).toContain('#SBATCH --array=0,2-3\n');

    // A different split while job 41 still runs would train some runs twice: refused, nothing submitted.
    const busy = captureIo(work, { ...env, FAKE_SQUEUE_OUT: '41|1|RUNNING|None\\n' });
    const code = await runCli(
      ['slurm', 'submit', '--config', 'grid.json', '--out', 'res', '--runs-per-task', '2'],
      busy,
    );
    expect(code).toBe(1);
    expect(busy.err()).toMatch(
      /array job 41 split this grid into 4 shards and still has task 1 running; .*\(scancel 41\)/,
    );
  });

  it('every run done: nothing submitted, exit 0', async () => {
    const { work, log, env } = await setup();
    const dir = join(work, 'res');
    await mkdir(dir);
    // Dry-run lists the runIds; records of them make every shard done.
    const dry = captureIo(work, env);
    expect(await runCli(['run', '--config', 'grid.json', '--out', 'res', '--dry-run'], dry)).toBe(0);
    const ids = [...dry.out().matchAll(/^todo\s+(\S+)/gm)].map((m) => m[1]!);
    expect(ids).toHaveLength(4);
    const done = ids.map((runId) => JSON.stringify({ runId, status: 'completed' })).join('\n');
    // readRunIndex reads only runId and status of each line.
    await writeFile(join(dir, 'results.jsonl'), `${done}\n`);
    const io = captureIo(work, env);
    expect(await runCli(['slurm', 'submit', '--config', 'grid.json', '--out', 'res'], io), io.err()).toBe(0);
    expect(io.out()).toBe('Nothing to submit: 4 of 4 tasks of grid unit have all their runs done.\n');
    expect(existsSync(log)).toBe(false);
  });

  it("sbatch missing or refusing: a typed error with sbatch's own message, exit 1", async () => {
    const { work, env } = await setup();
    const missing = captureIo(work, { PATH: mkdtempSync(join(tmpdir(), 'eff-empty-path-')) });
    expect(await runCli(['slurm', 'submit', '--config', 'grid.json', '--out', 'a'], missing)).toBe(1);
    expect(missing.err()).toMatch(/sbatch is not on PATH: .* or add --print/);
    const refused = captureIo(work, {
      ...env,
      FAKE_SBATCH_ERR:
        'sbatch: error: Batch job submission failed: Requested node configuration is not available',
    });
    expect(
      await runCli(['slurm', 'submit', '--config', 'grid.json', '--out', 'b', '--mem', '900G'], refused),
    ).toBe(1);
    expect(refused.err()).toMatch(
      /sbatch refused the job \(exit 1\): sbatch: error: Batch job submission failed: Requested node configuration is not available\n/,
    );
    expect(refused.err()).toMatch(/fix the option it names/);
    // sbatch itself cannot work here (no slurm.conf): no job option is at fault, and the advice says so.
    const unconfigured = captureIo(work, {
      ...env,
      FAKE_SBATCH_ERR: 'sbatch: fatal: Could not establish a configuration source',
    });
    expect(await runCli(['slurm', 'submit', '--config', 'grid.json', '--out', 'c'], unconfigured)).toBe(1);
    expect(unconfigured.err()).toMatch(/sbatch cannot reach a SLURM cluster from here \(check `sinfo`/);
    expect(unconfigured.err()).not.toMatch(/fix the option it names/);
  });

  it('bad options are usage errors (exit 2)', async () => {
    const { work, env } = await setup();
    for (const bad of [
      ['--runs-per-task', '0'],
      ['--mem', 'lots'],
      ['--time', 'soon'],
      ['--max-parallel', '-1'],
    ]) {
      const io = captureIo(work, env);
      expect(
        await runCli(['slurm', 'submit', '--config', 'grid.json', '--out', 'x', ...bad], io),
        bad.join(' '),
      ).toBe(2);
    }
    const io = captureIo(work, env);
    expect(await runCli(['slurm', 'submit', '--out', 'x'], io)).toBe(2);
    expect(io.err()).toMatch(/exactly one of --config FILE or --preset NAME/);
  });
});

describe('submit helpers', () => {
  it('compactIndices folds runs of consecutive ids (sbatch --array syntax)', () => {
    expect(compactIndices([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(compactIndices([3])).toBe('3');
  });
  it('parseMemMB reads sbatch sizes (default unit MB)', () => {
    expect(parseMemMB('4G')).toBe(4096);
    expect(parseMemMB('500M')).toBe(500);
    expect(parseMemMB('4000')).toBe(4000);
    expect(() => parseMemMB('0')).toThrow(/--mem expects/);
  });
  it('effCommandLine keeps the module loader flags and resolves the entry point', () => {
    expect(
      effCommandLine(
        '/n/node',
        ['--import', '/x/tsx.mjs', '--inspect', '--max-old-space-size=99'],
        '/no/such/bin.js',
      ),
    ).toEqual(['/n/node', '--import', '/x/tsx.mjs', '/no/such/bin.js']);
  });
});

describe('resource estimates (docs/cluster.md)', () => {
  it('a paper MNIST LeNet-1 run: 60 s + 100 epochs × (60,000 + 10,000/3) images / 3,000 img/s', () => {
    const plan = expandGrid(presetConfig('paper-mnist'));
    const lenet1 = plan.find(
      (r) => r.config.model === 'LeNet-1' && r.config.criterion.name === 'earlyStopping',
    )!;
    expect(estimateRunSeconds(lenet1.config)).toBeCloseTo(60 + (100 * (60_000 + 10_000 / 3)) / 3000, 6);
    // fixedEpochs 50 caps the epochs at 50; width 5 divides the throughput by 5^1.5.
    const bcnn5 = plan.find((r) => r.config.model === 'BCNN-5' && r.config.criterion.name === 'fixedEpochs')!;
    expect(estimateRunSeconds(bcnn5.config)).toBeCloseTo(
      60 + (50 * (60_000 + 10_000 / 3)) / (3000 / 5 ** 1.5),
      6,
    );
    // One run per task: the slowest run (a width-5 one at 100 epochs) + start-up, × 1.5, in minutes.
    const slowest = 60 + (100 * (60_000 + 10_000 / 3)) / (3000 / 5 ** 1.5);
    expect(
      estimateTaskMinutes(
        plan.map((r) => r.config),
        1,
      ),
    ).toBe(Math.ceil(((60 + slowest) * 1.5) / 60));
    expect(estimateMemoryMB(presetConfig('paper-mnist'))).toBe(2048);
    expect(estimateMemoryMB(presetConfig('paper-cifar'))).toBe(3072);
  });
  it('formatSlurmTime writes D-HH:MM:SS', () => {
    expect(formatSlurmTime(10)).toBe('0-00:10:00');
    expect(formatSlurmTime(1501)).toBe('1-01:01:00');
  });
});
