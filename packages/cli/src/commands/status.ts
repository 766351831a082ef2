// `eff status DIR`: how far a (sharded) grid is — runs done / diverged / failed / not started per shard, SLURM tasks.
import { Command } from 'commander';
import { PRESET_NAMES } from '../grid/presets.js';
import type { CommandContext } from '../program.js';

export function statusCommand(ctx: CommandContext): Command {
  return new Command('status')
    .description(
      'Show how far a grid is: runs done, diverged, failed and not started, per shard, read from every results file of the directory; with squeue on PATH, which SLURM array tasks are pending or running.',
    )
    .argument('<results-dir>', 'the --out directory of eff run / eff slurm submit')
    .option('-c, --config <file>', 'the grid (default: the grid-<name>.json eff run stored in the directory)')
    .option('-p, --preset <name>', `a built-in grid: ${PRESET_NAMES.join(', ')}`)
    .option(
      '--shards <N>',
      'count per shard of N (default: the last submission, else the shards the runs recorded)',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 every run done (completed or diverged), 3 runs remain (failed or not started),\n  1 the results cannot be read, 2 bad options or no grid.\n\nExamples:\n  $ eff status results/mnist\n  $ eff status results/mnist --preset paper-mnist --shards 8',
    )
    .action(async (dir: string, opts: { config?: string; preset?: string; shards?: string }) => {
      const { runStatusCommand } = await import('../runner/status.js');
      ctx.setExitCode(await runStatusCommand(ctx.io, dir, opts));
    });
}
