// @ts-nocheck
// Shared by every fake tool: parse argv exactly as the real tool does, or answer with the real tool's usage error.
'use strict';

/**
 * A fake is only worth something if it refuses what the real tool refuses: a probe that passes a flag the tool
 * does not know, or a value in a form it does not take, must fail against the fake as it would on a real machine.
 *
 * spec = {
 *   tool: 'nvidia-smi',
 *   options: { id: ['-i <v>', '--id=<v>'], help: ['-h', '--help'], ... }   // every accepted spelling
 *   unknown: (arg) => ({ message, code, stream? })        // the real tool's reply to an unrecognised argument
 *   missingValue: (arg) => ({ message, code, stream? })   // ... to an option given without its value
 *   positionals: false                                    // whether bare words are accepted
 * }
 * Forms: `-x` / `--xx` (a switch), `-x <v>` (value in the next argument), `--xx=<v>` (value after `=`).
 * Returns { values: { name: string | true }, positionals: string[] }; on a bad argument it prints the tool's
 * message (stdout unless stream is 'stderr') and exits with its code.
 */
function parseStrict(spec, argv) {
  const values = {};
  const positionals = [];
  const forms = [];
  for (const [name, spellings] of Object.entries(spec.options)) {
    for (const spelling of spellings) {
      const [flag, value] = spelling.split(' ');
      if (flag.endsWith('=<v>')) forms.push({ name, flag: flag.slice(0, -'<v>'.length), kind: 'equals' });
      else if (value === '<v>') forms.push({ name, flag, kind: 'next' });
      else forms.push({ name, flag, kind: 'switch' });
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const equals = forms.find((f) => f.kind === 'equals' && arg.startsWith(f.flag));
    if (equals) {
      const value = arg.slice(equals.flag.length);
      if (value === '') fail(spec.missingValue(arg));
      values[equals.name] = value;
      continue;
    }
    const exact = forms.find((f) => f.kind !== 'equals' && f.flag === arg);
    if (exact?.kind === 'switch') {
      values[exact.name] = true;
      continue;
    }
    if (exact?.kind === 'next') {
      const value = argv[i + 1];
      if (value === undefined) fail(spec.missingValue(arg));
      values[exact.name] = value;
      i += 1;
      continue;
    }
    // `--id` alone where only `--id=<v>` exists is a missing value, as the real tools say
    if (forms.some((f) => f.kind === 'equals' && f.flag === `${arg}=`)) fail(spec.missingValue(arg));
    if (!arg.startsWith('-') && spec.positionals) {
      positionals.push(arg);
      continue;
    }
    fail(spec.unknown(arg));
  }
  return { values, positionals };
}

/** Prints a reply the way the real tool does and exits with its code. */
function fail({ message, code, stream }) {
  (stream === 'stderr' ? process.stderr : process.stdout).write(`${message}\n`);
  process.exit(code);
}

module.exports = { parseStrict, fail };
