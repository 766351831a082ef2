// `eff slurm submit`: a grid as a SLURM job array (batch script kept with the results, submitted with sbatch).
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { PRESET_NAMES } from '../grid/presets.js';
import type { CommandContext } from '../program.js';
import type { SlurmSubmitOptions } from '../slurm/submit.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The submit command line as the user typed it (for the script's header), rebuilt from the parsed options. */
function commandLineOf(opts: SlurmSubmitOptions & { runsPerTask: string }, passThrough: string[]): string[] {
  const out: string[] = [];
  if (opts.config !== undefined) out.push('--config', opts.config);
  if (opts.preset !== undefined) out.push('--preset', opts.preset);
  out.push('--out', opts.out);
  if (opts.runsPerTask !== '1') out.push('--runs-per-task', opts.runsPerTask);
  const optional: Array<[string, string | undefined]> = [
    ['--max-parallel', opts.maxParallel],
    ['--cpus-per-task', opts.cpusPerTask],
    ['--mem', opts.mem],
    ['--time', opts.time],
    ['--gpus-per-task', opts.gpusPerTask],
  ];
  for (const [flag, value] of optional) if (value !== undefined) out.push(flag, value);
  if (opts.exclusive === true) out.push('--exclusive');
  if (opts.exclusive === false) out.push('--no-exclusive');
  for (const arg of opts.sbatchArg ?? []) out.push(`--sbatch-arg=${arg}`);
  if (passThrough.length > 0) out.push('--', ...passThrough);
  return out;
}

function submitCommand(ctx: CommandContext): Command {
  return new Command('submit')
    .description(
      'Write a job-array batch script for a grid into the results directory and submit it with sbatch: task I runs `eff run --shard I/T`. Run the same command again after a failure: only shards with runs missing are submitted.',
    )
    .option('-c, --config <file>', 'grid config, YAML or JSON (fields: the cli.md guide)')
    .option('-p, --preset <name>', `a built-in grid: ${PRESET_NAMES.join(', ')}`)
    .requiredOption(
      '-o, --out <dir>',
      'results directory (script, grid.json, logs/ and the results files go there)',
    )
    .option('--runs-per-task <K>', 'runs per array task (T = ceil(runs / K) tasks)', '1')
    .option('--max-parallel <M>', 'at most M tasks at a time (--array=…%M)')
    .option(
      '--cpus-per-task <N>',
      "CPUs per task (default: the grid's threads, else 2); training uses one thread per CPU",
    )
    .option(
      '--mem <size>',
      'memory per task as sbatch takes it (4G, 4000M); default estimated from the dataset',
    )
    .option(
      '--time <limit>',
      'time limit per task (90, 1:30:00, 2-00:00:00); default estimated from the grid',
    )
    .option(
      '--gpus-per-task <N>',
      'GPUs per task (--gres=gpu:N); default 1 when the grid trains on tfjs-node-gpu or measures with a GPU probe, else 0',
    )
    .option('--exclusive', 'ask for whole nodes (the default when CPU or RAM energy is measured)')
    .option('--no-exclusive', 'share nodes with other jobs (CPU/RAM energy is then marked as shared)')
    .option(
      '--sbatch-arg <option>',
      'an extra sbatch option, e.g. --sbatch-arg=--partition=gpu (repeatable)',
      collect,
    )
    .option('--print', 'print the batch script and submit nothing')
    .argument('[sbatch-options...]', 'extra sbatch options after --, e.g. -- --partition=gpu --account=abc')
    .addHelpText(
      'after',
      "\nExamples:\n  $ eff slurm submit --preset paper-mnist --out results/mnist --max-parallel 8\n  $ eff slurm submit --config grid.yaml --out results/mine --print\n  $ eff slurm submit --preset paper-cifar --out results/cifar -- --partition=gpu --account=abc\n\nGuide: cluster.md (in eff's docs/ folder), step by step with real output",
    )
    .action(async (passThrough: string[], opts: SlurmSubmitOptions & { runsPerTask: string }) => {
      const stray = passThrough.find((a) => !a.startsWith('-'));
      if (stray !== undefined && !passThrough.some((a) => a.startsWith('-'))) {
        throw new UsageError(
          `unexpected argument '${stray}'; extra sbatch options go after -- (e.g. -- --partition=gpu).`,
        );
      }
      const { slurmSubmitCommand } = await import('../slurm/submit.js');
      const sbatchArg = [...(opts.sbatchArg ?? []), ...passThrough];
      ctx.setExitCode(
        await slurmSubmitCommand(ctx.io, { ...opts, sbatchArg }, commandLineOf(opts, passThrough)),
      );
    });
}

export function slurmCommand(ctx: CommandContext): Command {
  const slurm = new Command('slurm')
    .description('Run a grid on a SLURM cluster as a job array (guide: cluster.md).')
    .addHelpText(
      'after',
      '\nExample:\n  $ eff slurm submit --preset paper-mnist --out results/mnist --max-parallel 8',
    );
  slurm.addCommand(submitCommand(ctx));
  return slurm;
}
