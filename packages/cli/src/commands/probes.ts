// `eff probes [--json]`: which power sources this machine can read, and why not the others.
import { Command } from 'commander';
import type { CommandContext } from '../program.js';

export function probesCommand(ctx: CommandContext): Command {
  return new Command('probes')
    .description('List the power probes this machine can use, and why the others are unavailable.')
    .option('--json', 'print a JSON array instead of a table (keys: docs/cli.md)')
    .addHelpText(
      'after',
      "\nExamples:\n  $ eff probes\n  $ eff probes --json | jq '.[] | select(.available)'",
    )
    .action(async (opts: { json?: boolean }) => {
      const { listProbes, formatProbeTable } = await import('../measure/probes.js');
      const rows = await listProbes();
      ctx.io.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : formatProbeTable(rows));
    });
}
