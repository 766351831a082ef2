// Builds the `eff` program (commander) and runs it, mapping every failure to a message and an exit code.
import { Command, CommanderError } from 'commander';
import { demoCommand } from './commands/demo.js';
import { measureCommand } from './commands/measure.js';
import { probesCommand } from './commands/probes.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { slurmCommand } from './commands/slurm.js';
import { statusCommand } from './commands/status.js';
import { EffCliError } from './errors.js';
import type { CliIo } from './io.js';

/** What a command action reports back: the exit code `eff` should end with. */
export interface CommandContext {
  io: CliIo;
  setExitCode(code: number): void;
}

const EXAMPLES = `
Examples:
  $ eff demo                                   LeNet-1 vs BCNN-1 on MNIST, five criteria, then the report
  $ eff run --preset quick --out results/      a small grid, resumable (rerun to continue)
  $ eff run --config grid.yaml --out results/  your own grid (JSON or YAML)
  $ eff status results/                        runs done / failed / not started, per shard
  $ eff report results/                        tables, figures and index.html in results/report/
  $ eff measure -- python train.py --epochs 3  energy of any command, per component
  $ eff probes                                 what this machine can measure, and why not the rest
  $ eff slurm submit --preset paper-mnist --out results/mnist   the grid as a SLURM job array

More: eff <command> --help. Guides ship with eff's source, in its docs/ folder: cli.md (every command and
config field), measure.md (measureEfficiency in your own code), report.md (reading the report), probes.md,
cluster.md (grids on a SLURM cluster).`;

export function createProgram(ctx: CommandContext): Command {
  const program = new Command('eff')
    .description('Measure the training efficiency (accuracy per joule) of neural architectures.')
    .version(CLI_VERSION, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError('(run eff --help for usage)')
    .addHelpText('after', EXAMPLES)
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    });
  for (const make of [
    demoCommand,
    runCommand,
    statusCommand,
    reportCommand,
    measureCommand,
    probesCommand,
    slurmCommand,
  ]) {
    program.addCommand(make(ctx));
  }
  // Every subcommand inherits the output routing and throws instead of calling process.exit.
  program.exitOverride();
  // Nested commands too (`eff slurm submit`).
  const subcommands = [...program.commands];
  for (const sub of subcommands) {
    subcommands.push(...sub.commands);
    sub.exitOverride().configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    });
  }
  return program;
}

export const CLI_VERSION = '0.1.0';

/** `eff: message`, unless the message already names eff (`eff measure: could not start …`): one prefix, not two. */
export function withProgramName(message: string): string {
  return /^eff[ :]/.test(message) ? message : `eff: ${message}`;
}

/** Runs `eff` with `argv` (without node and script) and resolves with the exit code. Never calls process.exit. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const ctx: CommandContext = {
    io,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  const program = createProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not failures; every other commander error is a usage error (exit 2).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) {
        return 0;
      }
      return 2;
    }
    if (err instanceof EffCliError) {
      io.stderr.write(`${withProgramName(err.message)}\n`);
      return err.exitCode;
    }
    // Typed errors of eff's packages (E_DATASET_*, E_PROBE_*, E_MEASURE_* ...) already say what to do: no stack.
    const code = (err as { code?: unknown } | null)?.code;
    if (err instanceof Error && typeof code === 'string' && code.startsWith('E_')) {
      io.stderr.write(`${withProgramName(err.message)} [${code}]\n`);
      return 1;
    }
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.stderr.write(`eff: unexpected error: ${message}\n`);
    return 1;
  }
}
