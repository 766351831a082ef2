// Public surface of @eff/models.

export {
  BackendUnavailableError,
  UnknownBackendError,
  type UseBackendOptions,
  useBackend,
} from './backend/use-backend.js';
export { registerWasmTrainingKernels } from './backend/wasm-training-kernels.js';
export {
  CIFAR10_URL,
  type DownloadCifar10Args,
  defaultCifar10CacheDir,
  downloadCifar10,
  type LoadCifar10Args,
  loadCifar10Dataset,
} from './data/cifar10.js';
export {
  DatasetDownloadError,
  DatasetError,
  DatasetFormatError,
  DatasetMissingError,
  DatasetOptionsError,
  DatasetSplitError,
} from './data/errors.js';
export { type IdxFile, parseIdx } from './data/idx.js';
export { type FoldIndices, type KFold, type KFoldArgs, kFold } from './data/kfold.js';
export { type LoadMnistArgs, loadMnist, loadMnistDataset } from './data/mnist.js';
export { toSplit } from './data/split.js';
export type { BackendChoice, BackendInfo, Dataset, Split, Splits } from './types.js';
