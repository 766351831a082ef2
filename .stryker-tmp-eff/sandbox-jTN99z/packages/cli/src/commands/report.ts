// @ts-nocheck
// `eff report <results-dir>`: tables, figures and index.html from results.jsonl, written to <results-dir>/report/.
import { Command } from 'commander';
import type { CommandContext } from '../program.js';

export function reportCommand(ctx: CommandContext): Command {
  return new Command('report')
    .description(
      "Write the paper's tables (Markdown, CSV), figures (SVG, PNG) and index.html from a results directory.",
    )
    .argument('<results-dir>', 'directory holding results.jsonl (as written by eff run)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ eff report results/quick\n  $ xdg-open results/quick/report/index.html',
    )
    .action(async (resultsDir: string) => {
      const { runReport } = await import('../runner/report.js');
      ctx.setExitCode(await runReport(ctx.io, resultsDir));
    });
}
