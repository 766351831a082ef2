// The one tfjs instance the bench shares with @eff/models (the root package has no tfjs of its own).
import { createRequire } from 'node:module';
// A type-only path: erased at run time, and a tsconfig `paths` entry would also redirect tsx's require.
import type * as TF from '../packages/models/node_modules/@tensorflow/tfjs/dist/index.js';

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
