// `eff demo`: LeNet-1 vs BCNN-1 on real MNIST under the four criteria and diminishing returns, scaled to finish in minutes, then the report.
import { Command } from 'commander';
import type { CommandContext } from '../program.js';
import { type CarbonCliOptions, carbonOptions } from './carbon-option.js';

export function demoCommand(ctx: CommandContext): Command {
  const command = new Command('demo')
    .description(
      'LeNet-1 vs BCNN-1 on real MNIST under all four stopping criteria and diminishing returns, scaled to finish in under 10 minutes on 2 cores, then the report.',
    )
    .option('-o, --out <dir>', 'results directory', 'eff-demo')
    .addHelpText(
      'after',
      '\nCarbon: the demo assumes no grid intensity (it depends on where the machine runs), so it reports none unless\none of --carbon-intensity, --carbon-country or --carbon-zone is given.\n\nExamples:\n  $ eff demo\n  $ eff demo --out /tmp/demo\n  $ eff demo --carbon-country DEU',
    )
    .action(async (opts: { out: string } & CarbonCliOptions) => {
      const { runDemo } = await import('../runner/demo.js');
      ctx.setExitCode(await runDemo(ctx.io, opts.out, opts));
    });
  for (const o of carbonOptions()) command.addOption(o);
  return command;
}
