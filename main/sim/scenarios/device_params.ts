import type { ParamSpec } from '../params';

/** Device-side parameters shared by the device scenarios (sigkill-during-dma, exit-during-fault...). */
export const DEVICE_OWN = {
  unmappedRate: (def = 0): ParamSpec => ({
    key: 'unmappedRate',
    type: 'number',
    default: def,
    min: 0,
    max: 1,
    group: 'scenario',
    doc: 'probability that a transaction targets an address with no VMA (DMA on an unmapped buffer): find_extend_vma fails, the page request is answered INVALID and nothing is printed (the seed commit, step 1)',
  }),
  devicePri: (def = true): ParamSpec => ({
    key: 'devicePri',
    type: 'bool',
    default: def,
    group: 'scenario',
    doc: 'the device has PRI enabled (SMMUv3: stall); false: its faults cannot be resolved and abort, and intel_svm_drain_prq returns at once',
  }),
};
