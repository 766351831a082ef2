// Reads a grid config (YAML or JSON file, or a preset name) and validates it, naming every wrong field.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { criteria } from '@eff/core';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { type GridConfig, GridConfigSchema } from './config.js';
import { PRESET_NAMES, PRESETS } from './presets.js';

/** One line per problem: `criteria[1].params.patience: expected number, received string`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, key) =>
          typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
        '',
      );
      const where = path || '(top level)';
      if (issue.code === 'unrecognized_keys') {
        return `  ${issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(', ')}: unknown field (check the spelling; see docs/cli.md for the fields)`;
      }
      return `  ${where}: ${issue.message}`;
    })
    .join('\n');
}

/**
 * `seed: [1, 2]` is what people write first for replicates; it means `seeds: [1, 2]`, so it is read as that
 * (when `seeds` is not also given) instead of being refused.
 */
function seedListAsSeeds(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const { seed, ...rest } = raw as Record<string, unknown>;
  if (!Array.isArray(seed) || 'seeds' in rest) return raw;
  return { ...rest, seeds: seed, ...(typeof seed[0] === 'number' ? { seed: seed[0] } : {}) };
}

export function validateGridConfig(raw: unknown, source: string): GridConfig {
  const parsed = GridConfigSchema.safeParse(seedListAsSeeds(raw));
  if (!parsed.success) {
    throw new ConfigError(
      `invalid grid config in ${source}; nothing was run or written:\n${formatIssues(parsed.error)}`,
    );
  }
  // Criterion params are checked by core's own factories, so a wrong param is named before anything runs.
  parsed.data.criteria.forEach((c, i) => {
    try {
      criteria.fromConfig(c);
    } catch (err) {
      throw new ConfigError(
        `invalid grid config in ${source}; nothing was run or written:\n  criteria[${i}]: ${(err as Error).message}`,
      );
    }
  });
  return parsed.data;
}

export async function loadGridConfigFile(path: string): Promise<GridConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  return validateGridConfig(raw, path);
}

export function presetConfig(name: string): GridConfig {
  const preset = PRESETS[name];
  if (!preset) {
    throw new ConfigError(`unknown preset '${name}'; expected one of: ${PRESET_NAMES.join(', ')}`);
  }
  return validateGridConfig(preset.config, `preset ${name}`);
}
