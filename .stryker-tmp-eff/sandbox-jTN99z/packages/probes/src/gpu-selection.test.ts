// @ts-nocheck
// selectGpus: every variable, their precedence, CUDA's parsing rules and bad values, table by table.
import { describe, expect, it } from 'vitest';
import { GpuSelectionError, type ListedGpu, selectGpus } from './gpu-selection.js';

const A100 = 'NVIDIA A100-SXM4-40GB';
const T4 = 'Tesla T4';
const gpu = (index: number, uuid: string, name = A100, migIds?: string[]): ListedGpu => ({
  index,
  uuid,
  deviceId: `gpu${index}`,
  name,
  ...(migIds ? { migIds } : {}),
});
// four identical boards, UUIDs chosen so that `GPU-aa` is an ambiguous prefix and `GPU-aa1` a unique one
const same = [
  gpu(0, 'GPU-aa1f0000-0000-4000-8000-000000000000'),
  gpu(1, 'GPU-aa2f0000-0000-4000-8000-000000000001', A100, ['MIG-11111111-2222-4333-8444-555555555555']),
  gpu(2, 'GPU-bb3f0000-0000-4000-8000-000000000002'),
  gpu(3, 'GPU-cc4f0000-0000-4000-8000-000000000003'),
];
const mixed = [
  gpu(0, 'GPU-t4000000-0000-4000-8000-000000000000', T4),
  gpu(1, 'GPU-a1000000-0000-4000-8000-000000000001'),
];
const ids = (r: { devices: ListedGpu[] }) => r.devices.map((d) => d.deviceId);

describe('selectGpus, NVIDIA: CUDA_VISIBLE_DEVICES', () => {
  const cases: Array<[string, string, string[]]> = [
    ['one index', '1', ['gpu1']],
    ['indices in any order come back in tool order', '3,0', ['gpu0', 'gpu3']],
    ['spaces around entries', ' 2 , 1 ', ['gpu1', 'gpu2']],
    ['a full UUID', 'GPU-bb3f0000-0000-4000-8000-000000000002', ['gpu2']],
    ['a unique UUID prefix (CUDA accepts one)', 'GPU-aa1', ['gpu0']],
    ['UUIDs are matched without regard to case', 'gpu-CC4F', ['gpu3']],
    ['a MIG id maps to its parent GPU', 'MIG-11111111-2222-4333-8444-555555555555', ['gpu1']],
    ['an old-style MIG id names its parent', 'MIG-GPU-cc4f0000-0000-4000-8000-000000000003/1/0', ['gpu3']],
    ['parsing stops at the first invalid entry', '0,-1,2', ['gpu0']],
    ['parsing stops at a word', '2,foo,3', ['gpu2']],
    ['-1 means no GPU', '-1', []],
    ['an empty value means no GPU', '', []],
    [
      'two MIGs of one GPU are one device',
      'MIG-GPU-cc4f0000-0000-4000-8000-000000000003/1/0,MIG-GPU-cc4f0000-0000-4000-8000-000000000003/2/0',
      ['gpu3'],
    ],
  ];
  for (const [what, value, expected] of cases) {
    it(`${what}: ${JSON.stringify(value)} -> ${JSON.stringify(expected)}`, () => {
      const r = selectGpus('nvidia', same, { env: { CUDA_VISIBLE_DEVICES: value } });
      expect(ids(r)).toEqual(expected);
      expect(r.selectedBy).toBe('CUDA_VISIBLE_DEVICES');
    });
  }

  it('notes what CUDA ignored and that a MIG instance is measured through its whole GPU', () => {
    expect(selectGpus('nvidia', same, { env: { CUDA_VISIBLE_DEVICES: '0,-1,2' } }).notes).toEqual([
      'CUDA_VISIBLE_DEVICES=0,-1,2: the runtime stops at "-1", so "-1,2" is ignored',
    ]);
    expect(selectGpus('nvidia', same, { env: { CUDA_VISIBLE_DEVICES: '-1' } }).notes[0]).toMatch(/no GPU/);
    const mig = selectGpus('nvidia', same, {
      env: { CUDA_VISIBLE_DEVICES: 'MIG-11111111-2222-4333-8444-555555555555' },
    });
    expect(mig.notes).toHaveLength(1);
    expect(mig.notes[0]).toMatch(/MIG instance of gpu1 .*cannot be measured apart from its GPU/);
  });

  it('a nonexistent index, UUID or MIG id is E_GPU_SELECTION naming it and listing what exists', () => {
    for (const value of ['7', '0,7', 'GPU-ffff', 'MIG-99999999-0000-4000-8000-000000000000']) {
      const err = catchError(() => selectGpus('nvidia', same, { env: { CUDA_VISIBLE_DEVICES: value } }));
      expect(err).toBeInstanceOf(GpuSelectionError);
      expect(err.code).toBe('E_GPU_SELECTION');
      expect(err.selectedBy).toBe('CUDA_VISIBLE_DEVICES');
      const entry = value.split(',').pop() ?? '';
      expect(err.message).toContain(`"${entry}", which is not a GPU of this machine`);
      expect(err.message).toContain(
        'gpu3 (index 3, GPU-cc4f0000-0000-4000-8000-000000000003, NVIDIA A100-SXM4-40GB)',
      );
    }
  });

  it('an ambiguous UUID prefix is an error listing the candidates', () => {
    const err = catchError(() => selectGpus('nvidia', same, { env: { CUDA_VISIBLE_DEVICES: 'GPU-aa' } }));
    expect(err.message).toMatch(/prefix of 2 GPU UUIDs \(GPU-aa1f.*, GPU-aa2f.*\)/);
  });

  it('indices on a machine of mixed models are ambiguous unless CUDA_DEVICE_ORDER=PCI_BUS_ID', () => {
    const err = catchError(() => selectGpus('nvidia', mixed, { env: { CUDA_VISIBLE_DEVICES: '1' } }));
    expect(err).toBeInstanceOf(GpuSelectionError);
    expect(err.message).toMatch(/CUDA_DEVICE_ORDER=PCI_BUS_ID/);
    expect(err.message).toMatch(/gpu0 Tesla T4, gpu1 NVIDIA A100/);
    const pci = selectGpus('nvidia', mixed, {
      env: { CUDA_VISIBLE_DEVICES: '1', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' },
    });
    expect(ids(pci)).toEqual(['gpu1']);
    // FASTEST_FIRST spelled out is the default, still ambiguous
    expect(() =>
      selectGpus('nvidia', mixed, { env: { CUDA_VISIBLE_DEVICES: '0', CUDA_DEVICE_ORDER: 'FASTEST_FIRST' } }),
    ).toThrow(GpuSelectionError);
    // UUIDs need no order
    const byUuid = selectGpus('nvidia', mixed, { env: { CUDA_VISIBLE_DEVICES: 'GPU-t4' } });
    expect(ids(byUuid)).toEqual(['gpu0']);
  });

  it('models the tool did not name: PCI order assumed, and said so', () => {
    const unnamed = same.slice(0, 2).map(({ name: _name, ...g }) => g);
    const r = selectGpus('nvidia', unnamed, { env: { CUDA_VISIBLE_DEVICES: '1' } });
    expect(ids(r)).toEqual(['gpu1']);
    expect(r.notes.join(' ')).toMatch(/assumed to be the PCI order/);
  });
});

describe('selectGpus, NVIDIA: NVIDIA_VISIBLE_DEVICES', () => {
  const cases: Array<[string, string, string[]]> = [
    ['all', 'all', ['gpu0', 'gpu1', 'gpu2', 'gpu3']],
    ['none', 'none', []],
    ['void', 'void', []],
    ['empty', '', []],
    ['indices are the tool (PCI) order', '2,3', ['gpu2', 'gpu3']],
    ['a UUID', 'GPU-cc4f0000-0000-4000-8000-000000000003', ['gpu3']],
    ['a MIG as <gpu>:<mig>', '1:0', ['gpu1']],
  ];
  for (const [what, value, expected] of cases) {
    it(`${what}: ${JSON.stringify(value)} -> ${JSON.stringify(expected)}`, () => {
      const r = selectGpus('nvidia', same, { env: { NVIDIA_VISIBLE_DEVICES: value } });
      expect(ids(r)).toEqual(expected);
      expect(r.selectedBy).toBe('NVIDIA_VISIBLE_DEVICES');
    });
  }
  it('inside the container the runtime already renumbered the granted GPUs: all listed are measured', () => {
    const inside = [
      gpu(0, 'GPU-bb3f0000-0000-4000-8000-000000000002'),
      gpu(1, 'GPU-cc4f0000-0000-4000-8000-000000000003'),
    ];
    const r = selectGpus('nvidia', inside, { env: { NVIDIA_VISIBLE_DEVICES: '2,3' } });
    expect(ids(r)).toEqual(['gpu0', 'gpu1']);
    expect(r.notes[0]).toMatch(/already applied the list/);
  });
  it('an index that exists neither way is an error', () => {
    const err = catchError(() => selectGpus('nvidia', same, { env: { NVIDIA_VISIBLE_DEVICES: '1,9' } }));
    expect(err.message).toMatch(/NVIDIA_VISIBLE_DEVICES=1,9 names "9", not GPU\(s\) of this machine/);
  });
});

describe('selectGpus, AMD: ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, CUDA_VISIBLE_DEVICES', () => {
  const mi = [0, 1, 2, 3].map((i) => gpu(i, `GPU-${i}a5b6c7d8e9f0a1b`, 'AMD Instinct MI250X'));
  const cases: Array<[string, NodeJS.ProcessEnv, string[], string]> = [
    ['ROCR alone', { ROCR_VISIBLE_DEVICES: '1,3' }, ['gpu1', 'gpu3'], 'ROCR_VISIBLE_DEVICES'],
    ['ROCR by UUID', { ROCR_VISIBLE_DEVICES: 'GPU-2a5b' }, ['gpu2'], 'ROCR_VISIBLE_DEVICES'],
    ['HIP alone', { HIP_VISIBLE_DEVICES: '2' }, ['gpu2'], 'HIP_VISIBLE_DEVICES'],
    // HIP's 1 is the second ROCR-visible device: gpu3
    [
      'HIP indexes into the ROCR-visible list',
      { ROCR_VISIBLE_DEVICES: '1,3', HIP_VISIBLE_DEVICES: '1' },
      ['gpu3'],
      'ROCR_VISIBLE_DEVICES+HIP_VISIBLE_DEVICES',
    ],
    [
      'HIP honours CUDA_VISIBLE_DEVICES too',
      { ROCR_VISIBLE_DEVICES: '2,3', CUDA_VISIBLE_DEVICES: '0' },
      ['gpu2'],
      'ROCR_VISIBLE_DEVICES+CUDA_VISIBLE_DEVICES',
    ],
    [
      'HIP_VISIBLE_DEVICES wins over CUDA_VISIBLE_DEVICES',
      { HIP_VISIBLE_DEVICES: '3', CUDA_VISIBLE_DEVICES: '0' },
      ['gpu3'],
      'HIP_VISIBLE_DEVICES',
    ],
    ['ROCR -1: no GPU', { ROCR_VISIBLE_DEVICES: '-1' }, [], 'ROCR_VISIBLE_DEVICES'],
    [
      'NVIDIA_VISIBLE_DEVICES is not an AMD variable',
      { NVIDIA_VISIBLE_DEVICES: '1' },
      ['gpu0', 'gpu1', 'gpu2', 'gpu3'],
      'all',
    ],
  ];
  for (const [what, env, expected, selectedBy] of cases) {
    it(`${what} -> ${JSON.stringify(expected)} by ${selectedBy}`, () => {
      const r = selectGpus('amd', mi, { env });
      expect(ids(r)).toEqual(expected);
      expect(r.selectedBy).toBe(selectedBy);
    });
  }
  it('HIP naming a device outside the ROCR-visible list is an error', () => {
    const err = catchError(() =>
      selectGpus('amd', mi, { env: { ROCR_VISIBLE_DEVICES: '1,3', HIP_VISIBLE_DEVICES: '2' } }),
    );
    expect(err.selectedBy).toBe('HIP_VISIBLE_DEVICES');
    expect(err.message).toMatch(/HIP_VISIBLE_DEVICES=2 names "2"/);
    // indices are mixed-model-safe on AMD: no CUDA ordering rule there
    const mixedAmd = [gpu(0, 'GPU-0', 'AMD Radeon RX 7900'), gpu(1, 'GPU-1', 'AMD Instinct MI210')];
    expect(ids(selectGpus('amd', mixedAmd, { env: { HIP_VISIBLE_DEVICES: '1' } }))).toEqual(['gpu1']);
  });
});

describe('selectGpus: SLURM and precedence', () => {
  for (const variable of ['SLURM_JOB_GPUS', 'GPU_DEVICE_ORDINAL', 'SLURM_STEP_GPUS']) {
    it(`${variable} alone selects`, () => {
      const r = selectGpus('nvidia', same, { env: { [variable]: '0,2' } });
      expect(ids(r)).toEqual(['gpu0', 'gpu2']);
      expect(r.selectedBy).toBe(variable);
    });
  }
  it('SLURM ids renumbered by the device cgroup: all listed, noted', () => {
    const r = selectGpus('nvidia', same.slice(0, 2), { env: { SLURM_JOB_GPUS: '5,6' } });
    expect(ids(r)).toEqual(['gpu0', 'gpu1']);
    expect(r.notes[0]).toMatch(/SLURM_JOB_GPUS=5,6: this process sees 2 GPU/);
  });

  const everything: NodeJS.ProcessEnv = {
    CUDA_VISIBLE_DEVICES: '1',
    NVIDIA_VISIBLE_DEVICES: '2',
    SLURM_JOB_GPUS: '3',
    GPU_DEVICE_ORDINAL: '0',
    SLURM_STEP_GPUS: '2',
  };
  const without = (...names: string[]) =>
    Object.fromEntries(Object.entries(everything).filter(([k]) => !names.includes(k)));
  const ladder: Array<[NodeJS.ProcessEnv, string, string[]]> = [
    [everything, 'CUDA_VISIBLE_DEVICES', ['gpu1']],
    [without('CUDA_VISIBLE_DEVICES'), 'NVIDIA_VISIBLE_DEVICES', ['gpu2']],
    [without('CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES'), 'SLURM_JOB_GPUS', ['gpu3']],
    [
      without('CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES', 'SLURM_JOB_GPUS'),
      'GPU_DEVICE_ORDINAL',
      ['gpu0'],
    ],
    [{ SLURM_STEP_GPUS: '2' }, 'SLURM_STEP_GPUS', ['gpu2']],
    [{}, 'all', ['gpu0', 'gpu1', 'gpu2', 'gpu3']],
  ];
  for (const [env, selectedBy, expected] of ladder) {
    it(`with ${Object.keys(env).join(', ') || 'nothing'} set, ${selectedBy} decides`, () => {
      const r = selectGpus('nvidia', same, { env });
      expect(r.selectedBy).toBe(selectedBy);
      expect(ids(r)).toEqual(expected);
    });
  }
  it('the explicit option wins over every variable (even an empty CUDA_VISIBLE_DEVICES)', () => {
    const r = selectGpus('nvidia', same, {
      gpus: [3, 'GPU-aa1'],
      env: { ...everything, CUDA_VISIBLE_DEVICES: '' },
    });
    expect(ids(r)).toEqual(['gpu0', 'gpu3']);
    expect(r.selectedBy).toBe('option');
    // option indices are the tool's own, so mixed models are no problem for them
    expect(ids(selectGpus('nvidia', mixed, { gpus: ['1'], env: {} }))).toEqual(['gpu1']);
  });
  it('an option naming a GPU that does not exist is E_GPU_SELECTION', () => {
    for (const bad of [4, '-1', 'GPU-ffff', 'fast']) {
      const err = catchError(() => selectGpus('nvidia', same, { gpus: [0, bad], env: {} }));
      expect(err.selectedBy).toBe('option');
      expect(err.message).toContain(`gpus option: ${JSON.stringify(String(bad))} is not a GPU index`);
      expect(err.message).toContain('this machine has: gpu0 (index 0');
    }
  });
  it('reads process.env when no env is given', () => {
    const saved = process.env.CUDA_VISIBLE_DEVICES;
    process.env.CUDA_VISIBLE_DEVICES = '2';
    try {
      expect(ids(selectGpus('nvidia', same))).toEqual(['gpu2']);
    } finally {
      if (saved === undefined) delete process.env.CUDA_VISIBLE_DEVICES;
      else process.env.CUDA_VISIBLE_DEVICES = saved;
    }
  });
  it('a listing with no GPU: any selection names what is missing', () => {
    expect(catchError(() => selectGpus('nvidia', [], { gpus: [0] })).message).toMatch(
      /the tool lists no GPU/,
    );
    expect(selectGpus('nvidia', [], { env: {} })).toEqual({ devices: [], selectedBy: 'all', notes: [] });
  });
});

function catchError(f: () => unknown): GpuSelectionError {
  try {
    f();
  } catch (err) {
    if (err instanceof GpuSelectionError) return err;
    throw err;
  }
  throw new Error('expected a GpuSelectionError, nothing was thrown');
}
