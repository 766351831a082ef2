// `eff report <results-dir>`: tables, figures and index.html from results.jsonl, written to <results-dir>/report/.
import { Command, InvalidArgumentError } from 'commander';
import type { CommandContext } from '../program.js';
import { type CarbonCliOptions, carbonOptions } from './carbon-option.js';

/**
 * `0.9,0.95`: accuracies in (0, 1], ascending and without repeats (a repeated one gave the energy/time-to-accuracy
 * table two identical columns). Throws commander's InvalidArgumentError (exit 2) for anything else.
 */
export function thresholdList(value: string): number[] {
  const ts = value.split(',').map((v) => Number(v.trim()));
  if (ts.length === 0 || ts.some((t) => !(t > 0 && t <= 1)))
    throw new InvalidArgumentError(
      `expected comma-separated accuracies in (0, 1], e.g. 0.9,0.95,0.99; got '${value}'.`,
    );
  return [...new Set(ts)].sort((a, b) => a - b);
}

export function reportCommand(ctx: CommandContext): Command {
  const command = new Command('report')
    .description(
      "Write the paper's tables (Markdown, CSV), figures (SVG, PNG) and index.html from a results directory.",
    )
    .argument('<results-dir>', 'directory holding results.jsonl (as written by eff run)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ eff report results/quick\n  $ eff report --thresholds 0.95,0.99 --carbon-country DEU results/quick\n  $ xdg-open results/quick/report/index.html',
    )
    .option(
      '--thresholds <list>',
      'accuracies for the energy/time-to-accuracy table, comma-separated (default 0.9,0.95,0.98,0.99)',
      thresholdList,
    )
    .action(async (resultsDir: string, opts: { thresholds?: number[] } & CarbonCliOptions) => {
      const { runReport } = await import('../runner/report.js');
      ctx.setExitCode(await runReport(ctx.io, resultsDir, opts));
    });
  for (const o of carbonOptions()) command.addOption(o);
  return command;
}
