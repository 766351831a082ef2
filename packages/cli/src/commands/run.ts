// `eff run`: trains a grid (or one --shard of it) one run at a time, appending each run to its results file; reruns resume.
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { PRESET_NAMES } from '../grid/presets.js';
import { type MetricsCliOptions, metricsHostOption, metricsPortOption } from '../metrics/options.js';
import type { CommandContext } from '../program.js';
import { type CarbonCliOptions, carbonOptions } from './carbon-option.js';
import { gpusOption } from './gpus-option.js';
import { tdpOption } from './tdp-option.js';

export function runCommand(ctx: CommandContext): Command {
  const command = new Command('run')
    .description(
      'Run an experiment grid (architectures × sizes × criteria × datasets × folds), one training run at a time. Rerun the same command to resume: finished runs are skipped.',
    )
    .option('-c, --config <file>', 'grid config, YAML or JSON (fields: the cli.md guide)')
    .option('-p, --preset <name>', `a built-in grid: ${PRESET_NAMES.join(', ')}`)
    .option(
      '-o, --out <dir>',
      'results directory (results.jsonl, or one file per shard/job, is appended there)',
      'results',
    )
    .option(
      '--shard <I/N>',
      'run only shard I (0-based) of N: runs sorted by runId, dealt round-robin; each shard writes its own results file. Default under a SLURM array: I = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN, N = SLURM_ARRAY_TASK_COUNT',
    )
    .option('--dry-run', 'print the planned runs and which are already done, train nothing')
    .addOption(gpusOption())
    .addOption(tdpOption())
    .addOption(metricsPortOption())
    .addOption(metricsHostOption())
    .addHelpText(
      'after',
      '\nExamples:\n  $ eff run --preset quick --out results/quick\n  $ eff run --config grid.yaml --out results/mine\n  $ eff run --preset paper-mnist --dry-run\n  $ eff run --preset paper-mnist --out results/mnist --shard 0/4   (and 1/4, 2/4, 3/4 elsewhere)',
    )
    .action(
      async (
        opts: {
          config?: string;
          preset?: string;
          out: string;
          dryRun?: boolean;
          gpus?: string[];
          shard?: string;
          tdp?: number;
        } & MetricsCliOptions &
          CarbonCliOptions,
      ) => {
        if ((opts.config === undefined) === (opts.preset === undefined)) {
          throw new UsageError(
            `eff run needs exactly one of --config FILE or --preset NAME (presets: ${PRESET_NAMES.join(', ')}).`,
          );
        }
        const { runGridCommand } = await import('../runner/run-grid.js');
        const { withLiveMetrics } = await import('../metrics/options.js');
        // A dry run trains nothing: no endpoint.
        const metricsOpts = opts.dryRun ? {} : opts;
        ctx.setExitCode(
          await withLiveMetrics(ctx.io, 'run', metricsOpts, (metrics) =>
            runGridCommand(ctx.io, { ...opts, ...(metrics ? { metrics } : {}) }),
          ),
        );
      },
    );
  for (const o of carbonOptions()) command.addOption(o);
  return command;
}
