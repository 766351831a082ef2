// Builds every package and packs it with pnpm (workspace:^ becomes a semver range) into one folder of tarballs.
//
// Usage: node scripts/pack-all.mjs [--out DIR]   (default DIR: dist-tarballs/ at the repository root)
// Prints one absolute tarball path per line on stdout; progress goes to stderr. Exits non-zero on any failure.
// Exported as packAll() for the checks and the install test, which pack into a folder of their own.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Directories (absolute) of the publishable packages: packages/* whose manifest is not private. */
export function packageDirs() {
  const base = join(repoRoot, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(base, e.name))
    .filter((dir) => {
      try {
        return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private !== true;
      } catch {
        return false;
      }
    })
    .sort();
}

/**
 * Removes build outputs under `dir`/dist whose source `dir`/src/<same path>.ts no longer exists (tsc -b never deletes
 * them: a file renamed or deleted on another branch would otherwise ship in the tarball). Returns what it removed.
 */
export function removeStaleOutputs(dir) {
  const removed = [];
  const dist = join(dir, 'dist');
  if (!existsSync(dist)) return removed;
  for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const m = /^(.*?)(\.d\.ts|\.js)(\.map)?$/.exec(entry.name);
    if (!m) continue;
    const rel = relative(dist, join(entry.parentPath ?? entry.path, m[1]));
    if (!existsSync(join(dir, 'src', `${rel}.ts`))) {
      rmSync(join(entry.parentPath ?? entry.path, entry.name));
      removed.push(join(entry.parentPath ?? entry.path, entry.name));
    }
  }
  return removed;
}

/**
 * The pnpm to pack with: the one running us when started as a pnpm script (npm_execpath), else pnpm 9 through
 * npx, as the README installs it. Only pnpm rewrites `workspace:` ranges when packing; npm pack would ship them.
 */
function pnpmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) return { file: process.execPath, args: [execPath] };
  return { file: 'npx', args: ['--yes', 'pnpm@9'] };
}

/**
 * Builds (tsc -b, incremental) and packs every publishable package into `outDir`, replacing eff tarballs left
 * there by an earlier run. Returns the tarballs' absolute paths, one per package, in package-directory order.
 * Throws (execFileSync's error, with the tool's stderr) when the build or a pack fails.
 */
export function packAll(
  outDir = join(repoRoot, 'dist-tarballs'),
  log = (msg) => process.stderr.write(`${msg}\n`),
) {
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (/^eff-.*\.tgz$/.test(f)) rmSync(join(out, f));
  log('building (tsc -b)');
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const pnpm = pnpmCommand();
  const tarballs = [];
  for (const dir of packageDirs()) {
    for (const stale of removeStaleOutputs(dir)) log(`removed stale build output ${stale}`);
    const before = new Set(readdirSync(out));
    execFileSync(pnpm.file, [...pnpm.args, 'pack', '--pack-destination', out], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const made = readdirSync(out).filter((f) => f.endsWith('.tgz') && !before.has(f));
    if (made.length !== 1)
      throw new Error(`pnpm pack in ${dir} made ${made.length} tarballs in ${out}, expected 1`);
    tarballs.push(join(out, made[0]));
    log(`packed ${made[0]}`);
  }
  return tarballs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? process.argv[i + 1] : undefined;
  for (const t of packAll(out)) process.stdout.write(`${t}\n`);
}
