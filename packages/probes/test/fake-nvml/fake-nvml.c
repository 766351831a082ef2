/* Fake libnvidia-ml.so.1 for tests: the NVML entry points the nvml probe uses, deterministic values, faults per GPU.
 * Defaults (two GPUs, the same model, PCI order = index):
 *   gpu0 GPU-fa4e0000-0000-4000-8000-000000000000: energy counter (mJ) = 1000000 + 1000 * call number, power 150000 mW,
 *        enforced power limit 400000 mW;
 *   gpu1 GPU-fa4e0000-0000-4000-8000-000000000001: energy counter NOT_SUPPORTED (pre-Volta), power 75500 mW, limit
 *        70000 mW.
 * Environment (read at every call, so a test can change it between runs; <i> is the GPU index):
 *   FAKE_NVML_INIT=fail          nvmlInit_v2 returns NVML_ERROR_DRIVER_NOT_LOADED (9)
 *   FAKE_NVML_COUNT=<n>          number of GPUs (at most 8; gpu2.. behave like gpu0)
 *   FAKE_NVML_NAME_<i>=<text>    the GPU's model name
 *   FAKE_NVML_POWER_<i>=<code>   nvmlDeviceGetPowerUsage returns NVML error <code> (3 NOT_SUPPORTED, 15 GPU_IS_LOST,
 *                                999 UNKNOWN, 4 NO_PERMISSION) for calls number FROM <= n < TO of that GPU:
 *   FAKE_NVML_POWER_FROM_<i>, FAKE_NVML_POWER_TO_<i>   (call numbers from 0; default 0 and forever)
 *   FAKE_NVML_ENERGY_<i>=<code>, FAKE_NVML_ENERGY_FROM_<i>, FAKE_NVML_ENERGY_TO_<i>   the same for the energy counter
 *   FAKE_NVML_HANDLE_<i>=<code>  nvmlDeviceGetHandleByIndex_v2 fails for that GPU
 *   FAKE_NVML_MIGS_<i>=<n>       the GPU is in MIG mode with n instances, UUIDs MIG-fa4e0000-0000-4000-8000-0000000000<i><j> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GPUS 8
typedef struct { int index; int mig; } fake_device; /* mig: -1 for a GPU, else the MIG instance number */
static fake_device devices[MAX_GPUS] = {{0, -1}, {1, -1}, {2, -1}, {3, -1}, {4, -1}, {5, -1}, {6, -1}, {7, -1}};
static fake_device mig_devices[MAX_GPUS][7];
static unsigned long long energy_calls[MAX_GPUS];
static unsigned long long power_calls[MAX_GPUS];

static const char *env_i(const char *name, int index) {
  char key[64];
  snprintf(key, sizeof key, "%s_%d", name, index);
  return getenv(key);
}

static long env_long(const char *name, int index, long fallback) {
  const char *v = env_i(name, index);
  return v ? strtol(v, NULL, 10) : fallback;
}

/* The injected error for call number `call` of `what` (POWER / ENERGY) on GPU `index`, or 0. */
static int fault(const char *what, int index, unsigned long long call) {
  char key[32];
  const char *code = env_i(what, index);
  if (!code) return 0;
  snprintf(key, sizeof key, "%s_FROM", what);
  long from = env_long(key, index, 0);
  snprintf(key, sizeof key, "%s_TO", what);
  long to = env_long(key, index, -1);
  if ((long long)call < from || (to >= 0 && (long long)call >= to)) return 0;
  return atoi(code);
}

static unsigned int count(void) {
  const char *n = getenv("FAKE_NVML_COUNT");
  unsigned int c = n ? (unsigned int)atoi(n) : 2;
  return c > MAX_GPUS ? MAX_GPUS : c;
}

int nvmlInit_v2(void) {
  const char *mode = getenv("FAKE_NVML_INIT");
  if (mode && strcmp(mode, "fail") == 0) return 9;
  memset(energy_calls, 0, sizeof energy_calls);
  memset(power_calls, 0, sizeof power_calls);
  return 0;
}
int nvmlShutdown(void) { return 0; }
const char *nvmlErrorString(int result) {
  switch (result) {
    case 0: return "Success";
    case 2: return "Invalid Argument";
    case 3: return "Not Supported";
    case 4: return "Insufficient Permissions";
    case 9: return "Driver Not Loaded";
    case 15: return "GPU is lost";
    default: return "Unknown Error";
  }
}
int nvmlDeviceGetCount_v2(unsigned int *n) { *n = count(); return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, fake_device **device) {
  if (index >= count()) return 2; /* INVALID_ARGUMENT */
  const char *code = env_i("FAKE_NVML_HANDLE", (int)index);
  if (code) return atoi(code);
  *device = &devices[index];
  return 0;
}
int nvmlDeviceGetUUID(fake_device *device, char *uuid, unsigned int length) {
  if (device->mig >= 0) snprintf(uuid, length, "MIG-fa4e0000-0000-4000-8000-0000000000%d%d", device->index, device->mig);
  else snprintf(uuid, length, "GPU-fa4e0000-0000-4000-8000-00000000000%d", device->index);
  return 0;
}
int nvmlDeviceGetMaxMigDeviceCount(fake_device *device, unsigned int *n) {
  long migs = env_long("FAKE_NVML_MIGS", device->index, -1);
  if (migs < 0) return 3; /* not a MIG-capable GPU: NOT_SUPPORTED */
  *n = (unsigned int)migs;
  return 0;
}
int nvmlDeviceGetMigDeviceHandleByIndex(fake_device *device, unsigned int index, fake_device **mig) {
  long migs = env_long("FAKE_NVML_MIGS", device->index, -1);
  if (migs < 0) return 3;
  if ((long)index >= migs || index >= 7) return 13; /* NOT_FOUND */
  mig_devices[device->index][index].index = device->index;
  mig_devices[device->index][index].mig = (int)index;
  *mig = &mig_devices[device->index][index];
  return 0;
}
int nvmlDeviceGetName(fake_device *device, char *name, unsigned int length) {
  const char *custom = env_i("FAKE_NVML_NAME", device->index);
  snprintf(name, length, "%s", custom ? custom : "NVIDIA A100-SXM4-40GB");
  return 0;
}
int nvmlDeviceGetEnforcedPowerLimit(fake_device *device, unsigned int *limitMw) {
  *limitMw = device->index == 1 ? 70000u : 400000u;
  return 0;
}
int nvmlDeviceGetTotalEnergyConsumption(fake_device *device, unsigned long long *energyMj) {
  int i = device->index;
  unsigned long long call = energy_calls[i]++;
  if (i == 1 && !env_i("FAKE_NVML_ENERGY", 1)) return 3;
  int rc = fault("FAKE_NVML_ENERGY", i, call);
  if (rc) return rc;
  *energyMj = 1000000ULL + 1000ULL * (call + 1);
  return 0;
}
int nvmlDeviceGetPowerUsage(fake_device *device, unsigned int *powerMw) {
  int i = device->index;
  int rc = fault("FAKE_NVML_POWER", i, power_calls[i]++);
  if (rc) return rc;
  *powerMw = i == 1 ? 75500u : 150000u;
  return 0;
}
