/* Fake libnvidia-ml.so.1 for tests: the NVML entry points the nvml probe uses, with deterministic values.
 * gpu0: energy counter (mJ) = 1000000 + 1000 * call number, power 150000 mW.
 * gpu1: energy counter NOT_SUPPORTED (pre-Volta), power 75500 mW (the fallback path).
 * FAKE_NVML_INIT=fail makes nvmlInit_v2 return NVML_ERROR_DRIVER_NOT_LOADED (9). */
#include <stdlib.h>
#include <string.h>

typedef struct { int index; } fake_device;
static fake_device devices[2] = {{0}, {1}};
static unsigned long long calls = 0;

int nvmlInit_v2(void) {
  const char *mode = getenv("FAKE_NVML_INIT");
  if (mode && strcmp(mode, "fail") == 0) return 9;
  return 0;
}
int nvmlShutdown(void) { return 0; }
const char *nvmlErrorString(int result) {
  switch (result) {
    case 0: return "Success";
    case 3: return "Not Supported";
    case 9: return "Driver Not Loaded";
    default: return "Unknown Error";
  }
}
int nvmlDeviceGetCount_v2(unsigned int *count) { *count = 2; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, fake_device **device) {
  if (index >= 2) return 2; /* INVALID_ARGUMENT */
  *device = &devices[index];
  return 0;
}
int nvmlDeviceGetTotalEnergyConsumption(fake_device *device, unsigned long long *energyMj) {
  if (device->index == 1) return 3;
  calls += 1;
  *energyMj = 1000000ULL + 1000ULL * calls;
  return 0;
}
int nvmlDeviceGetPowerUsage(fake_device *device, unsigned int *powerMw) {
  *powerMw = device->index == 0 ? 150000u : 75500u;
  return 0;
}
