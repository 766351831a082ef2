// selectGpus keeps the order a ROCR_VISIBLE_DEVICES list gives, which HIP's indices count in.
import { describe, expect, it } from 'vitest';
import { type ListedGpu, selectGpus } from './gpu-selection.js';

const gpu = (index: number, uuid: string): ListedGpu => ({
  index,
  uuid,
  deviceId: `gpu${index}`,
  name: 'AMD Instinct MI250X',
});
const four = [
  gpu(0, 'GPU-0a5b000000000000'),
  gpu(1, 'GPU-1a5b000000000000'),
  gpu(2, 'GPU-2a5b000000000000'),
  gpu(3, 'GPU-3a5b000000000000'),
];

describe("selectGpus, AMD: HIP indexes into ROCr's list in the order ROCR_VISIBLE_DEVICES gives", () => {
  // ROCr enumerates the agents in the order the variable lists them (like CUDA_VISIBLE_DEVICES=2,1 makes CUDA
  // device 0 the physical GPU 2); selectGpus sorts ROCr's picks into rocm-smi's order before HIP indexes into
  // them, so HIP_VISIBLE_DEVICES=0 lands on gpu1, another job's GPU, while the job runs on gpu2
  it('ROCR_VISIBLE_DEVICES=2,1 and HIP_VISIBLE_DEVICES=0 measure gpu2 (ROCr device 0), not gpu1', () => {
    const r = selectGpus('amd', four, { env: { ROCR_VISIBLE_DEVICES: '2,1', HIP_VISIBLE_DEVICES: '0' } });
    expect(r.devices.map((d) => d.deviceId)).toEqual(['gpu2']);
  });

  it('ROCR_VISIBLE_DEVICES=3,0 and CUDA_VISIBLE_DEVICES=1 (which HIP honours) measure gpu0', () => {
    const r = selectGpus('amd', four, { env: { ROCR_VISIBLE_DEVICES: '3,0', CUDA_VISIBLE_DEVICES: '1' } });
    expect(r.devices.map((d) => d.deviceId)).toEqual(['gpu0']);
  });
});
