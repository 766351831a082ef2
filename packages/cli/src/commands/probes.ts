// `eff probes [--json]`: which power sources this machine can read, and why not the others.
import { Command } from 'commander';
import type { CommandContext } from '../program.js';
import { gpusOption } from './gpus-option.js';
import { tdpOption } from './tdp-option.js';

export function probesCommand(ctx: CommandContext): Command {
  return new Command('probes')
    .description('List the power probes this machine can use, and why the others are unavailable.')
    .option('--json', 'print a JSON array instead of a table (keys: docs/cli.md)')
    .addOption(gpusOption())
    .addOption(tdpOption())
    .addHelpText(
      'after',
      "\nExamples:\n  $ eff probes\n  $ eff probes --json | jq '.[] | select(.available)'\n  $ eff probes --gpus 1                        # what --gpus 1 would measure\n  $ eff probes --tdp 35                        # the estimate with a 35 W CPU",
    )
    .action(async (opts: { json?: boolean; gpus?: string[]; tdp?: number }) => {
      const { listProbes, formatProbeTable } = await import('../measure/probes.js');
      const rows = await listProbes({
        ...(opts.gpus ? { gpus: opts.gpus } : {}),
        ...(opts.tdp !== undefined ? { tdpW: opts.tdp } : {}),
      });
      ctx.io.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : formatProbeTable(rows));
    });
}
