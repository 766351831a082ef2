// Issue 16's first Must-show: eff packs, installs with plain npm into a fresh project outside this repository, and
// the README's own training file runs there: one tfjs copy, the wasm backend, honest labels, a built report.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const minutes = (n: number) => n * 60_000;

/** The code blocks of the README's "Use eff in your own project" section, in order, with their language. */
function installSectionBlocks(): { lang: string; code: string }[] {
  const start = readme.indexOf('## Use eff in your own project');
  if (start < 0) throw new Error('README.md has no "## Use eff in your own project" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

/**
 * The environment a user's shell would have: none of the variables pnpm and vitest set for this run, and no
 * node_modules/.bin of this repository on PATH (npx must find eff, tsx and tsc in the new project or nowhere).
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const userNpmSetting = /^npm_config_(registry|cache|userconfig)$/i.test(k);
    if (!userNpmSetting && /^(npm_|pnpm_|PNPM_|VITEST|NODE_OPTIONS$|NODE_PATH$|INIT_CWD$|TSX_)/i.test(k))
      continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p !== '' && !p.includes(`node_modules${sep}.bin`) && !p.startsWith(repoRoot))
    .join(delimiter);
  env.NO_COLOR = '1';
  env.npm_config_audit = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_update_notifier = 'false';
  return env;
}

interface Ran {
  code: number | null;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
  stdout: string;
}

/** Runs a command to its end (killed after `timeoutMs`), collecting its output; never rejects on a non-zero exit. */
function run(file: string, args: string[], cwd: string, timeoutMs: number, env = userEnv()): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d;
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout });
    });
  });
}

/** Every installed copy of `name` under `dir`'s node_modules trees (nested ones included), as directories. */
function installedCopies(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (nodeModules: string) => {
    if (!existsSync(nodeModules)) return;
    if (existsSync(join(nodeModules, name, 'package.json'))) found.push(join(nodeModules, name));
    for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === '.bin') continue;
      const pkgs = entry.name.startsWith('@')
        ? readdirSync(join(nodeModules, entry.name)).map((n) => join(nodeModules, entry.name, n))
        : [join(nodeModules, entry.name)];
      for (const pkg of pkgs) walk(join(pkg, 'node_modules'));
    }
  };
  walk(join(dir, 'node_modules'));
  return found;
}

function tarballManifest(tarball: string, cwd: string): Promise<Ran> {
  return run('tar', ['-xzOf', tarball, 'package/package.json'], cwd, 60_000, process.env);
}

describe('eff installed from its tarballs into a fresh npm project (README "Use eff in your own project")', () => {
  const blocks = installSectionBlocks();
  let root = '';
  let tarballDir = '';
  let tarballs: string[] = [];
  let project = '';
  /** What `npx tsx train.ts` printed. */
  let trainOutput = '';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'eff-install-'));
    tarballDir = join(root, 'tarballs');
    // What `pnpm pack:all` runs (asserted below), into a folder of this test's own instead of dist-tarballs/.
    const packed = await run(
      process.execPath,
      ['scripts/pack-all.mjs', '--out', tarballDir],
      repoRoot,
      minutes(10),
      process.env,
    );
    expect(packed.code, packed.output).toBe(0);
    tarballs = packed.stdout.trim().split('\n');
  }, minutes(11));

  // A few hundred MB of node_modules: removing them takes more than the default hook timeout on a loaded machine.
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  }, minutes(5));

  it('the README section is what this test runs: pack:all, the npm commands, a train.ts, tsx then eff report', () => {
    expect(blocks.map((b) => b.lang)).toEqual(['sh', 'sh', 'ts', 'sh']);
    expect(blocks[0]!.code).toContain('npx --yes pnpm@9 pack:all');
    const scripts = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts;
    expect(scripts['pack:all']).toBe('node scripts/pack-all.mjs');
    expect(blocks[1]!.code).toContain('../eff/dist-tarballs/*.tgz');
    expect(blocks[3]!.code.trim().split('\n')).toEqual(['npx tsx train.ts', 'npx eff report results']);
    expect(readme).toContain('`npx tsc --init`');
    expect(readme).toContain('`npx tsc --noEmit`');
  });

  it('packs every package, with no workspace: range left and tfjs as a peer dependency only', async () => {
    const names = readdirSync(join(repoRoot, 'packages'))
      .map((d) => join(repoRoot, 'packages', d, 'package.json'))
      .filter((p) => existsSync(p))
      .map((p) => JSON.parse(readFileSync(p, 'utf8')) as { name: string; private?: boolean })
      .filter((m) => m.private !== true)
      .map((m) => m.name)
      .sort();
    expect(names).toEqual(['@eff/cli', '@eff/core', '@eff/models', '@eff/probes']);
    const manifests: Record<string, Record<string, Record<string, string> | string>> = {};
    for (const tarball of tarballs) {
      const read = await tarballManifest(tarball, root);
      expect(read.code, read.output).toBe(0);
      expect(read.stdout).not.toContain('workspace:');
      const m = JSON.parse(read.stdout);
      manifests[m.name] = m;
      // tfjs (and its wasm backend) come from the user's project, never from a dependency of ours.
      for (const dep of Object.keys(m.dependencies ?? {})) expect(dep).not.toMatch(/^@tensorflow\//);
    }
    expect(Object.keys(manifests).sort()).toEqual(names);
    expect(manifests['@eff/core']!.dependencies).toMatchObject({ '@eff/probes': '^0.1.0' });
    expect(manifests['@eff/cli']!.dependencies).toMatchObject({
      '@eff/core': '^0.1.0',
      '@eff/models': '^0.1.0',
      '@eff/probes': '^0.1.0',
    });
    for (const name of ['@eff/models', '@eff/cli']) {
      expect(manifests[name]!.peerDependencies).toMatchObject({
        '@tensorflow/tfjs': expect.stringMatching(/^\^4\./),
        '@tensorflow/tfjs-backend-wasm': expect.stringMatching(/^\^4\./),
      });
    }
    expect(manifests['@eff/cli']!.bin).toEqual({ eff: './dist/bin.js' });
  });

  it(
    'publint and arethetypeswrong pass on every tarball (pnpm check:packages)',
    async () => {
      const checked = await run(
        process.execPath,
        ['scripts/check-packages.mjs', '--tarballs', tarballDir],
        repoRoot,
        minutes(5),
        process.env,
      );
      expect(checked.code, checked.output).toBe(0);
      const oks = checked.stdout.split('\n').filter((l) => /^ok {3}(publint|attw) eff-/.test(l));
      expect(oks).toHaveLength(tarballs.length * 2);
    },
    minutes(6),
  );

  it(
    'installs with plain npm: one copy of tfjs-core and of the wasm backend, eff on the bin path',
    async () => {
      const script = blocks[1]!.code.replaceAll('../eff/dist-tarballs', tarballDir);
      const installed = await run('bash', ['-euo', 'pipefail', '-c', script], root, minutes(15));
      expect(installed.code, installed.output).toBe(0);
      project = join(root, 'my-project');
      expect(installed.output).not.toMatch(/EBADENGINE|ERESOLVE|EUNSUPPORTEDPROTOCOL/);

      for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) {
        expect(installedCopies(project, name), name).toEqual([join(project, 'node_modules', name)]);
      }
      const ls = await run('npm', ['ls', '@tensorflow/tfjs-core', '--all', '--json'], project, minutes(2));
      expect(ls.code, ls.output).toBe(0);
      const versions = new Set<string>();
      const collect = (node: { version?: string; dependencies?: Record<string, unknown> }, name?: string) => {
        if (name === '@tensorflow/tfjs-core' && node.version) versions.add(node.version);
        for (const [n, child] of Object.entries(node.dependencies ?? {})) collect(child as typeof node, n);
      };
      collect(JSON.parse(ls.stdout));
      expect([...versions]).toHaveLength(1);
      expect(existsSync(join(project, 'node_modules', '.bin', 'eff'))).toBe(true);
      // The wasm binaries useBackend loads, found from the installed @eff/models (resolved beside it, not in this repo).
      expect(
        existsSync(
          join(project, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'),
        ),
      ).toBe(true);
    },
    minutes(16),
  );

  it(
    "the README's train.ts type-checks against the installed packages' types",
    async () => {
      expect(project, 'the install step ran').not.toBe('');
      writeFileSync(join(project, 'train.ts'), blocks[2]!.code);
      // As the README says: TypeScript's default config (module nodenext, skipLibCheck: tfjs's .d.ts fail a lib check).
      const init = await run('npx', ['tsc', '--init'], project, minutes(2));
      expect(init.code, init.output).toBe(0);
      const tsc = await run('npx', ['tsc', '--noEmit'], project, minutes(5));
      expect(tsc.code, tsc.output).toBe(0);
    },
    minutes(6),
  );

  it(
    'trains on the wasm backend and records honest labels (npx tsx train.ts)',
    async () => {
      expect(project, 'the install step ran').not.toBe('');
      writeFileSync(join(project, 'train.ts'), blocks[2]!.code);
      const trained = await run('npx', ['tsx', 'train.ts'], project, minutes(8));
      trainOutput = trained.output;
      expect(trained.code, trained.output).toBe(0);
      // A second tfjs copy re-registers every kernel and says so, once per kernel.
      expect(trained.output).not.toMatch(/already registered/i);
      expect(trained.output).toMatch(/^done .*my-cnn/m); // formatRecord's line for a completed run

      const lines = readFileSync(join(project, 'results', 'results.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(lines).toHaveLength(1);
      const record = JSON.parse(lines[0]!);
      expect(record.status).toBe('completed');
      // useBackend('auto') without tfjs-node installed: wasm, its binaries found from the installed package.
      expect(record.environment.backend).toBe('wasm');
      const tfjsVersion = JSON.parse(
        readFileSync(join(project, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8'),
      ).version;
      expect(record.environment.versions['@tensorflow/tfjs']).toBe(tfjsVersion);
      expect(record.final.epochs).toBe(2);
      expect(record.final.accuracyOn).toBe('test');
      // The task is easy (a half-image brightness shift): two epochs end far above chance (0.5).
      expect(record.final.accuracy).toBeGreaterThan(0.8);
      expect(record.final.accuracy).toBeLessThanOrEqual(1);
      expect(record.final.energyJ.total).toBeGreaterThan(0);
      // Estimated exactly when a probe estimated; a machine without power meters (CI's) measures with the estimate.
      const probes = record.probes as { name: string; estimated: boolean }[];
      expect(probes.length).toBeGreaterThan(0);
      expect(record.final.estimated).toBe(probes.some((p) => p.estimated));
      if (probes.every((p) => p.name === 'estimate')) expect(record.final.estimated).toBe(true);
    },
    minutes(9),
  );

  it(
    'builds the report from the saved results (npx eff report results)',
    async () => {
      expect(trainOutput, 'the training step ran').not.toBe('');
      const reported = await run('npx', ['eff', 'report', 'results'], project, minutes(5));
      expect(reported.code, reported.output).toBe(0);
      const index = join(project, 'results', 'report', 'index.html');
      expect(reported.output).toContain(index);
      const html = readFileSync(index, 'utf8');
      expect(html).toContain('my-cnn');
    },
    minutes(6),
  );
});
