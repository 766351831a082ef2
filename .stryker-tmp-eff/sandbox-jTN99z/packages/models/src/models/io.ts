// @ts-nocheck
// Saving and loading layers models as model.json + weights.bin in a directory with node:fs (no tfjs-node needed).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelFileError } from './errors.js';
// Registers the variational layers so tf.loadLayersModel can rebuild Bayes-by-Backprop models.
import './variational.js';

/** File names `saveModel` writes, the same as tfjs's `file://` handler. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** What `saveModel` wrote. */
export interface SavedModelFiles {
  modelJsonPath: string;
  weightsPath: string;
  weightBytes: number;
}

/**
 * Writes `model.json` (topology + weights manifest, the tfjs format) and `weights.bin` into `dir`, creating it.
 * The architecture and all weights are saved (for Bayes-by-Backprop: μ and ρ); the optimiser state and the
 * compile settings are not — compile a loaded model again with `compileModel`.
 * Files are written under temporary names and renamed, so a crash never leaves a half-written model.json.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<SavedModelFiles> {
  await mkdir(dir, { recursive: true });
  const modelJsonPath = join(dir, MODEL_JSON);
  const weightsPath = join(dir, WEIGHTS_BIN);
  let weightBytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(
        artifacts.weightData === undefined
          ? new ArrayBuffer(0)
          : tf.io.concatenateArrayBuffers(artifacts.weightData),
      );
      weightBytes = weights.byteLength;
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      const json = JSON.stringify(modelJson);
      await writeFile(`${weightsPath}.tmp`, weights);
      await writeFile(`${modelJsonPath}.tmp`, json);
      await rename(`${weightsPath}.tmp`, weightsPath);
      await rename(`${modelJsonPath}.tmp`, modelJsonPath);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    }),
  );
  return { modelJsonPath, weightsPath, weightBytes };
}

/**
 * Loads a model saved by `saveModel` (or any tfjs layers model.json whose weight files sit beside it).
 * Throws ModelFileError naming the file when model.json or a weight file is missing, unreadable or inconsistent.
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const modelJsonPath = join(dir, MODEL_JSON);
  let text: string;
  try {
    text = await readFile(modelJsonPath, 'utf8');
  } catch (err) {
    throw new ModelFileError(
      modelJsonPath,
      `cannot read it (${(err as Error).message}); save the model with saveModel(model, dir) first.`,
      {
        cause: err,
      },
    );
  }
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(text) as tf.io.ModelJSON;
  } catch (err) {
    throw new ModelFileError(modelJsonPath, `is not valid JSON (${(err as Error).message}).`, { cause: err });
  }
  if (
    modelJson === null ||
    typeof modelJson !== 'object' ||
    modelJson.modelTopology == null ||
    !Array.isArray(modelJson.weightsManifest)
  ) {
    throw new ModelFileError(
      modelJsonPath,
      'expected a tfjs layers model.json with modelTopology and weightsManifest.',
    );
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of modelJson.weightsManifest) {
    specs.push(...group.weights);
    for (const path of group.paths) {
      const file = join(dir, path);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (err) {
        throw new ModelFileError(
          file,
          `cannot read this weight file named in ${MODEL_JSON} (${(err as Error).message}).`,
          {
            cause: err,
          },
        );
      }
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  const weightData = tf.io.concatenateArrayBuffers(buffers);
  const expectedBytes = specs.reduce(
    (sum, spec) => sum + spec.shape.reduce((n, d) => n * d, 1) * bytesPerElement(spec, modelJsonPath),
    0,
  );
  if (weightData.byteLength !== expectedBytes) {
    throw new ModelFileError(
      join(dir, modelJson.weightsManifest[0]?.paths[0] ?? WEIGHTS_BIN),
      `holds ${weightData.byteLength} bytes but ${MODEL_JSON} describes ${expectedBytes}; the files do not belong together or are truncated.`,
    );
  }
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: specs,
        weightData,
        format: modelJson.format,
      }),
    );
  } catch (err) {
    throw new ModelFileError(modelJsonPath, `tfjs could not rebuild the model: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function bytesPerElement(spec: tf.io.WeightsManifestEntry, file: string): number {
  if (spec.quantization !== undefined) {
    throw new ModelFileError(
      file,
      `weight '${spec.name}' is quantized; loadModel reads unquantized weights only.`,
    );
  }
  if (spec.dtype === 'float32' || spec.dtype === 'int32') return 4;
  if (spec.dtype === 'bool') return 1;
  throw new ModelFileError(
    file,
    `weight '${spec.name}' has dtype '${spec.dtype}'; expected float32, int32 or bool.`,
  );
}
