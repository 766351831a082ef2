// Publish-readiness of every package's tarball: publint (strict) and arethetypeswrong (ESM-only profile).
//
// Usage: node scripts/check-packages.mjs [--tarballs DIR]
// Without --tarballs it packs first (scripts/pack-all.mjs into dist-tarballs/). Exits 1 when any check fails.
// The packages are ESM-only by design ("type": "module", one "default" export condition), so attw's
// esm-only profile: a CommonJS `require` of them is not a supported use, every ESM and bundler resolution is.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packAll, repoRoot } from './pack-all.mjs';

const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);

/**
 * Runs publint and attw on each tarball. Returns one entry per (tarball, tool): `ok` is the tool's exit status
 * being 0, `output` its stdout and stderr. Both tools are devDependencies of the repository root.
 */
export function checkTarballs(tarballs) {
  const results = [];
  for (const tarball of tarballs) {
    const runs = [
      { tool: 'publint', args: ['run', '--strict', tarball] },
      {
        tool: 'attw',
        args: [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-emoji', '--no-color'],
      },
    ];
    for (const { tool, args } of runs) {
      const r = spawnSync(bin(tool), args, { encoding: 'utf8', cwd: repoRoot });
      results.push({
        tarball,
        tool,
        ok: r.status === 0,
        output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ?? ''}`,
      });
    }
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--tarballs');
  const tarballs =
    i > 0
      ? readdirSync(resolve(process.argv[i + 1]))
          .filter((f) => /^eff-.*\.tgz$/.test(f))
          .map((f) => join(resolve(process.argv[i + 1]), f))
      : packAll();
  if (tarballs.length === 0) {
    process.stderr.write('check-packages: no eff-*.tgz tarballs to check\n');
    process.exit(1);
  }
  let failed = 0;
  for (const r of checkTarballs(tarballs)) {
    const name = r.tarball.split(/[\\/]/).pop();
    process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.tool} ${name}\n`);
    if (!r.ok) {
      failed++;
      process.stdout.write(`${r.output.trim()}\n\n`);
    }
  }
  process.exit(failed === 0 ? 0 : 1);
}
