// `eff demo`: LeNet-1 vs BCNN-1 on real MNIST under the four criteria and diminishing returns, scaled to finish in minutes, then the report.
import { Command } from 'commander';
import type { CommandContext } from '../program.js';

export function demoCommand(ctx: CommandContext): Command {
  return new Command('demo')
    .description(
      'LeNet-1 vs BCNN-1 on real MNIST under all four stopping criteria and diminishing returns, scaled to finish in under 10 minutes on 2 cores, then the report.',
    )
    .option('-o, --out <dir>', 'results directory', 'eff-demo')
    .addHelpText('after', '\nExamples:\n  $ eff demo\n  $ eff demo --out /tmp/demo')
    .action(async (opts: { out: string }) => {
      const { runDemo } = await import('../runner/demo.js');
      ctx.setExitCode(await runDemo(ctx.io, opts.out));
    });
}
