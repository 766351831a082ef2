// @ts-nocheck
// The one tfjs instance the bench shares with @eff/models (the root package has no tfjs of its own).
import { createRequire } from 'node:module';
// Types only, through pnpm's hidden hoisting directory (there tfjs's d.ts finds tfjs-core and tfjs-layers; through
// packages/models' symlink TypeScript does not). Erased at run time; a tsconfig `paths` entry would redirect tsx too.
import type * as TF from '../node_modules/.pnpm/node_modules/@tensorflow/tfjs/dist/index.js';

// Resolving from the models package gives the same file, hence the same module instance, as its own imports:
// one engine, one backend registry, the kernels useBackend registers.
const requireFromModels = createRequire(new URL('../packages/models/package.json', import.meta.url));

export const tf: typeof TF = requireFromModels('@tensorflow/tfjs');

/** Version of a package as @eff/models resolves it, or undefined when it is not installed. */
export function packageVersion(name: string): string | undefined {
  try {
    return (requireFromModels(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}
