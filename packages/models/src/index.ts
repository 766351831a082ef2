// Public surface of @eff/models.

export {
  BackendUnavailableError,
  UnknownBackendError,
  type UseBackendOptions,
  useBackend,
} from './backend/use-backend.js';
export { registerWasmTrainingKernels } from './backend/wasm-training-kernels.js';
export {
  DatasetDownloadError,
  DatasetError,
  DatasetFormatError,
  DatasetMissingError,
  DatasetSplitError,
} from './data/errors.js';
export { type IdxFile, parseIdx } from './data/idx.js';
export { type LoadMnistArgs, loadMnist, loadMnistDataset } from './data/mnist.js';
export { toSplit } from './data/split.js';
export type { BackendChoice, BackendInfo } from './types.js';
