// `eff measure -- <command>`: the energy a command used while it ran, per component.
import { DEFAULT_INTERVAL_MS, MAX_INTERVAL_MS } from '@eff/probes';
import { Command, InvalidArgumentError, Option } from 'commander';
import { type MetricsCliOptions, metricsHostOption, metricsPortOption } from '../metrics/options.js';
import type { CommandContext } from '../program.js';
import { type CarbonCliOptions, carbonFromCli, carbonOptions } from './carbon-option.js';
import { gpusOption } from './gpus-option.js';
import { tdpOption } from './tdp-option.js';

function collect(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > MAX_INTERVAL_MS)
    throw new InvalidArgumentError(
      `expected a positive integer (ms) up to ${MAX_INTERVAL_MS} (one hour), got '${value}'.`,
    );
  return n;
}

export function measureCommand(ctx: CommandContext): Command {
  const command = new Command('measure')
    .description(
      "Run a command, sample the power probes while it runs, and print its energy per component. Exits with the command's exit code.",
    )
    .usage('[options] -- <command> [args...]')
    .argument('<command>', 'the program to run (put it after --)')
    .argument('[args...]', 'its arguments')
    .addOption(
      new Option('--probe <name>', 'probe to use; repeat or comma-separate (see eff probes)')
        .argParser(collect)
        .default([], 'every available hardware probe, else the estimate'),
    )
    .addOption(gpusOption())
    .addOption(tdpOption())
    .option('--interval <ms>', 'sampling interval in ms', positiveInt, DEFAULT_INTERVAL_MS)
    .option('--json', "print one JSON object on stdout (the command's own stdout goes to stderr)")
    .addOption(metricsPortOption())
    .addOption(metricsHostOption())
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExamples:\n  $ eff measure -- python train.py --epochs 3\n  $ eff measure --probe rapl --probe nvidia-smi --interval 50 -- ./train.sh\n  $ eff measure --json -- node train.js > energy.json\n  $ eff measure --gpus 1 -- python train.py   # only GPU 1, whatever CUDA_VISIBLE_DEVICES says',
    )
    .action(
      async (
        command: string,
        args: string[],
        opts: {
          probe: string[];
          interval: number;
          json?: boolean;
          gpus?: string[];
          tdp?: number;
        } & MetricsCliOptions &
          CarbonCliOptions,
      ) => {
        // Resolved before the command runs: an unknown country fails at once.
        const carbon = await carbonFromCli(opts, ctx.io.env);
        const { measureCommandRun } = await import('../measure/measure.js');
        const { withLiveMetrics } = await import('../metrics/options.js');
        const code = await withLiveMetrics(ctx.io, 'measure', opts, (metrics) =>
          measureCommandRun(ctx.io, command, args, {
            probeNames: opts.probe,
            intervalMs: opts.interval,
            json: opts.json === true,
            ...(opts.gpus ? { gpus: opts.gpus } : {}),
            ...(opts.tdp !== undefined ? { tdpW: opts.tdp } : {}),
            ...(metrics ? { metrics } : {}),
            ...(carbon ? { carbon } : {}),
          }),
        );
        ctx.setExitCode(code);
      },
    );
  for (const o of carbonOptions()) command.addOption(o);
  return command;
}
