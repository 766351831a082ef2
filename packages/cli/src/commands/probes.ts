// `eff probes [--json]`: which power sources this machine can read, what each measures and needs, and why not the others.
import { Command } from 'commander';
import type { CommandContext } from '../program.js';
import { gpusOption } from './gpus-option.js';

export function probesCommand(ctx: CommandContext): Command {
  return new Command('probes')
    .description(
      'List the power probes this machine can use, what each measures and needs, and why the others are unavailable.',
    )
    .option('--json', 'print a JSON array instead of a table (keys: the cli.md guide)')
    .addOption(gpusOption())
    .addHelpText(
      'after',
      "\nExamples:\n  $ eff probes\n  $ eff probes --json | jq '.[] | select(.available)'\n  $ eff probes --gpus 1                        # what --gpus 1 would measure",
    )
    .action(async (opts: { json?: boolean; gpus?: string[] }) => {
      const { listProbes, formatProbeTable } = await import('../measure/probes.js');
      const { describeProbe } = await import('@eff/probes');
      const rows = await listProbes(opts.gpus ? { gpus: opts.gpus } : {});
      if (opts.json) {
        const described = rows.map((row) => ({ ...row, ...describeProbe(row.name) }));
        ctx.io.stdout.write(`${JSON.stringify(described, null, 2)}\n`);
        return;
      }
      // the registry's sentences, after the table: a newcomer learns what to install or enable for each probe
      const width = Math.max(...rows.map((r) => r.name.length));
      const about = rows.map((r) => {
        const d = describeProbe(r.name);
        return `  ${r.name.padEnd(width)}  measures ${d.measures}; needs ${d.needs}`;
      });
      ctx.io.stdout.write(
        `${formatProbeTable(rows)}\nWhat each probe measures and needs:\n${about.join('\n')}\n`,
      );
    });
}
