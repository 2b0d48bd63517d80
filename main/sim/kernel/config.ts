import type { ParamSpec, Params } from '../params';
import { ms, ns, us, type Ns } from '../time';

/**
 * The kernel design switches and model costs every scenario shares. Costs that no document gives
 * (invalidation and entry-update latencies, fault handling) are model parameters with defaults
 * chosen to be plausible, not measured.
 */
export const KERNEL_PARAMS: readonly ParamSpec[] = [
  { key: 'mmExit', type: 'bool', default: false, group: 'design', doc: 'true: the mm_exit model (release() calls the driver\'s mm_exit, which stops DMA, then flushes the IOPF queue); false: the quiet-release model merged in v5.8' },
  { key: 'iopfPut', type: 'enum', default: 'mmput', values: ['mmput', 'mmput_async'], group: 'design', doc: 'how the I/O page fault handler drops its mm reference (mainline: mmput; SVA series v4: mmput_async)' },
  { key: 'iommu', type: 'enum', default: 'vt-d', values: ['vt-d', 'smmuv3'], group: 'design', doc: 'IOMMU hardware and driver: Intel VT-d (drivers/iommu/intel: PASID table, PRQ, pasid_mutex) or Arm SMMUv3 (arm-smmu-v3: per-master context descriptors, stall faults through the event queue, sva_lock)' },
  { key: 'faultHandler', type: 'enum', default: 'iopf_queue', values: ['iopf_queue', 'prq_event_thread'], group: 'design', doc: 'where VT-d page requests are handled: iopf_queue (io-pgfault.c work items: the SVA series v4, Intel from v5.14) or prq_event_thread (Intel v5.8 to v5.13: inside the PRQ thread, with mmput); SMMUv3 always uses the IOPF queue' },
  { key: 'pasidPerMm', type: 'bool', default: false, group: 'design', doc: '~v5.18 lifetime: one PASID per mm, freed at mmdrop when mm_count reaches 0 (false: freed at the last unbind)' },
  { key: 'dmaStopMs', type: 'number', default: 10, min: 0, max: 600_000, unit: 'ms', group: 'scenario', doc: 'time the device takes to stop DMA (the seed commit: up to several minutes)' },
  { key: 'lockedMemory', type: 'int', default: 1024, min: 0, max: 65_536, unit: 'MiB', group: 'scenario', doc: 'mlocked memory of the SVA-bound process: the OOM reaper cannot free it' },
  { key: 'reaperRetries', type: 'int', default: 10, min: 1, max: 100, group: 'cost', doc: 'oom_reaper attempts before giving up (MAX_OOM_REAP_RETRIES)' },
  { key: 'reaperIntervalMs', type: 'number', default: 100, min: 1, max: 10_000, unit: 'ms', group: 'cost', doc: 'sleep between oom_reaper attempts (HZ/10)' },
  { key: 'reaperDelayMs', type: 'number', default: 0, min: 0, max: 10_000, unit: 'ms', group: 'cost', doc: 'delay before the reaper starts (OOM_REAPER_DELAY = 2000 from ~v5.18; 0 in v5.8)' },
  { key: 'hungTaskTimeoutS', type: 'int', default: 120, min: 0, max: 3600, unit: 's', group: 'cost', doc: 'hung-task timeout (DEFAULT_HUNG_TASK_TIMEOUT); 0 disables khungtaskd' },
  { key: 'pasidBits', type: 'int', default: 20, min: 1, max: 20, group: 'cost', doc: 'PASID width: usable PASIDs are 1 .. 2^bits - 1 (0 is reserved)' },
  { key: 'prqDepth', type: 'int', default: 128, min: 1, max: 4096, group: 'cost', doc: 'page request queue entries (4 KiB of 32-byte descriptors = 128)' },
  { key: 'pasidEntryUs', type: 'number', default: 0.5, min: 0, max: 1000, unit: 'µs', group: 'cost', doc: 'cost of writing a PASID table entry' },
  { key: 'pasidCacheInvalUs', type: 'number', default: 2, min: 0, max: 1_000_000, unit: 'µs', group: 'cost', doc: 'PASID-cache invalidation, submitted and waited for' },
  { key: 'iotlbInvalUs', type: 'number', default: 2, min: 0, max: 10_000_000, unit: 'µs', group: 'cost', doc: 'IOTLB invalidation (SMMUv3: TLBI and its CMD_SYNC, which gives up after 1 s: ARM_SMMU_POLL_TIMEOUT_US)' },
  { key: 'devTlbInvalUs', type: 'number', default: 5, min: 0, max: 1_000_000, unit: 'µs', group: 'cost', doc: 'device TLB (ATC) invalidation round trip (VT-d; SMMUv3 stall masters have no ATC)' },
  { key: 'faultUs', type: 'number', default: 5, min: 0.1, max: 1_000_000, unit: 'µs', group: 'cost', doc: 'handle_mm_fault for one I/O page fault' },
  { key: 'prqHandleUs', type: 'number', default: 0.5, min: 0, max: 10_000, unit: 'µs', group: 'cost', doc: 'PRQ thread cost per descriptor (SMMUv3: the event-queue thread, per record)' },
  { key: 'dmaIntervalUs', type: 'number', default: 10, min: 0.1, max: 1_000_000, unit: 'µs', group: 'cost', doc: 'time between two DMA transactions of a running engine' },
  { key: 'atsUs', type: 'number', default: 1, min: 0, max: 10_000, unit: 'µs', group: 'cost', doc: 'ATS translation round trip: the device translates again this long after a successful page response (the first translation of a transaction is inside dmaIntervalUs)' },
  { key: 'unmapNsPerPage', type: 'number', default: 100, min: 0, max: 100_000, unit: 'ns', group: 'cost', doc: 'unmap and free cost per 4 KiB page (munlock doubles it for locked pages)' },
  { key: 'srcuGpUs', type: 'number', default: 100, min: 0, max: 1_000_000, unit: 'µs', group: 'cost', doc: 'SRCU grace-period machinery once readers are gone' },
  { key: 'lazyTlbHoldMs', type: 'number', default: 0, min: 0, max: 600_000, unit: 'ms', group: 'cost', doc: 'an idle CPU keeps a dead task\'s mm as its lazy-TLB active_mm (an mm_count reference) this long after the exit' },
  { key: 'allocRetryMs', type: 'number', default: 4, min: 0.1, max: 10_000, unit: 'ms', group: 'cost', doc: 'allocator slow-path retry period under pressure (reclaim attempt plus a tick at HZ=250)' },
];

/** The kernel configuration a scenario runs with, in simulator units. */
export interface KernelConfig {
  mmExit: boolean;
  iopfPut: 'mmput' | 'mmput_async';
  iommu: 'vt-d' | 'smmuv3';
  faultHandler: 'iopf_queue' | 'prq_event_thread';
  pasidPerMm: boolean;
  dmaStop: Ns;
  lockedMiB: number;
  reaperRetries: number;
  reaperInterval: Ns;
  reaperDelay: Ns;
  hungTaskTimeoutS: number;
  pasidBits: number;
  prqDepth: number;
  pasidEntry: Ns;
  pasidCacheInval: Ns;
  iotlbInval: Ns;
  devTlbInval: Ns;
  fault: Ns;
  prqHandle: Ns;
  dmaInterval: Ns;
  ats: Ns;
  unmapPerPage: Ns;
  srcuGp: Ns;
  allocRetry: Ns;
  lazyTlbHold: Ns;
}

export function kernelConfig(p: Params): KernelConfig {
  return {
    mmExit: p.mmExit as boolean,
    iopfPut: p.iopfPut as 'mmput' | 'mmput_async',
    iommu: (p.iommu ?? 'vt-d') as 'vt-d' | 'smmuv3',
    faultHandler: (p.faultHandler ?? 'iopf_queue') as 'iopf_queue' | 'prq_event_thread',
    pasidPerMm: p.pasidPerMm as boolean,
    dmaStop: ms(p.dmaStopMs as number),
    lockedMiB: p.lockedMemory as number,
    reaperRetries: p.reaperRetries as number,
    reaperInterval: ms(p.reaperIntervalMs as number),
    reaperDelay: ms(p.reaperDelayMs as number),
    hungTaskTimeoutS: p.hungTaskTimeoutS as number,
    pasidBits: p.pasidBits as number,
    prqDepth: p.prqDepth as number,
    pasidEntry: us(p.pasidEntryUs as number),
    pasidCacheInval: us(p.pasidCacheInvalUs as number),
    iotlbInval: us(p.iotlbInvalUs as number),
    devTlbInval: us(p.devTlbInvalUs as number),
    fault: us(p.faultUs as number),
    prqHandle: us(p.prqHandleUs as number),
    dmaInterval: Math.max(1, us(p.dmaIntervalUs as number)),
    ats: us(p.atsUs as number),
    unmapPerPage: ns(p.unmapNsPerPage as number),
    srcuGp: us(p.srcuGpUs as number),
    allocRetry: ms(p.allocRetryMs as number),
    lazyTlbHold: ms(p.lazyTlbHoldMs as number),
  };
}
