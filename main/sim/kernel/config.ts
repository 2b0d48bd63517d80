import type { ParamSpec, Params, ParamValue } from '../params';
import { ms, ns, us, type Ns } from '../time';

/**
 * The kernel design switches and model costs every scenario shares. Costs that no document gives
 * (invalidation and entry-update latencies, fault handling) are model parameters with defaults
 * chosen to be plausible, not measured.
 *
 * Each design's defaults follow the kernel series it models: the mm_exit model is the v4 SVA series
 * (Feb 2020, never merged: iommu-sva.c io_mm_release, io-pgfault.c iopf_handle_single with
 * mmput_async), the quiet model is mainline v5.8 (plain mmput in the fault handler). The ~v5.18
 * settings (per-mm PASID, OOM_REAPER_DELAY) are opt-in. `byDesign` gives the default of a switch
 * for each design, so flipping only mmExit keeps a run coherent; a combination no kernel shipped
 * stays possible when asked for (the seed's deadlock needs mm_exit with plain mmput), and the
 * summary's `warnings` name it (`kernelWarnings`).
 */
export const KERNEL_PARAMS: readonly ParamSpec[] = [
  { key: 'mmExit', type: 'bool', default: false, group: 'design', doc: 'true: the mm_exit model, the v4 SVA series (release() calls the driver\'s mm_exit, which stops DMA, then flushes the IOPF queue and frees the PASID); false: the quiet-release model merged in v5.8' },
  { key: 'iopfPut', type: 'enum', default: 'mmput', values: ['mmput', 'mmput_async'], byDesign: { mm_exit: 'mmput_async', quiet: 'mmput' }, group: 'design', doc: 'how the I/O page fault handler drops its mm reference (SVA series v4: mmput_async; mainline v5.8+: mmput)' },
  { key: 'iommu', type: 'enum', default: 'vt-d', values: ['vt-d', 'smmuv3'], group: 'design', doc: 'IOMMU hardware and driver: Intel VT-d (drivers/iommu/intel: PASID table, PRQ, pasid_mutex) or Arm SMMUv3 (arm-smmu-v3: per-master context descriptors, stall faults through the event queue, sva_lock)' },
  { key: 'faultHandler', type: 'enum', default: 'iopf_queue', values: ['iopf_queue', 'prq_event_thread'], group: 'design', doc: 'where VT-d page requests are handled: iopf_queue (io-pgfault.c work items: the SVA series v4, Intel from v5.14) or prq_event_thread (Intel v5.8 to v5.13: inside the PRQ thread, with mmput); SMMUv3 always uses the IOPF queue' },
  { key: 'pasidPerMm', type: 'bool', default: false, byDesign: { mm_exit: false, quiet: false }, group: 'design', doc: '~v5.18 lifetime: one PASID per mm, freed at mmdrop when mm_count reaches 0 (false: freed at the last unbind, or by release() in the mm_exit model)' },
  { key: 'dmaStopMs', type: 'number', default: 10, min: 0, max: 600_000, unit: 'ms', group: 'scenario', doc: 'time the device takes to stop DMA (the seed commit: up to several minutes)' },
  { key: 'lockedMemory', type: 'int', default: 1024, min: 0, max: 65_536, unit: 'MiB', group: 'scenario', doc: 'mlocked memory of the SVA-bound process: the OOM reaper cannot free it' },
  { key: 'reaperRetries', type: 'int', default: 10, min: 1, max: 100, group: 'cost', doc: 'oom_reaper attempts before giving up (MAX_OOM_REAP_RETRIES)' },
  { key: 'reaperIntervalMs', type: 'number', default: 100, min: 1, max: 10_000, unit: 'ms', group: 'cost', doc: 'sleep between oom_reaper attempts (HZ/10)' },
  { key: 'reaperDelayMs', type: 'number', default: 0, min: 0, max: 10_000, unit: 'ms', byDesign: { mm_exit: 0, quiet: 0 }, group: 'cost', doc: 'delay before the reaper starts (OOM_REAPER_DELAY = 2000 from ~v5.18; 0 before, and in the v4 series)' },
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

/**
 * The kernel lines a setting can come from: the v4 SVA series (Feb 2020), mainline v5.8–v5.13
 * (Intel handles page requests in prq_event_thread), v5.14–v5.17 (Intel moves to the IOPF queue)
 * and ~v5.18+ (per-mm PASID, OOM_REAPER_DELAY).
 */
type Era = 'v4' | 'v5.8' | 'v5.14' | 'v5.18';
const MAINLINE: readonly Era[] = ['v5.8', 'v5.14', 'v5.18'];

interface Origin {
  eras: readonly Era[];
  /** Where the setting comes from, in words. */
  from: string;
}

/** Where each value of a design-defining setting comes from (the eras are coarse: v4 series, v5.8–v5.17, ~v5.18+). */
function origin(key: string, v: ParamValue): Origin | null {
  switch (key) {
    case 'mmExit':
      return v
        ? { eras: ['v4'], from: 'the v4 SVA series (Feb 2020, never merged: iommu-sva.c io_mm_release)' }
        : { eras: MAINLINE, from: 'mainline v5.8+ (release() no longer calls mm_exit)' };
    case 'iopfPut':
      return v === 'mmput_async'
        ? { eras: ['v4'], from: 'the v4 SVA series (io-pgfault.c iopf_handle_single)' }
        : { eras: MAINLINE, from: 'mainline (v5.8 prq_event_thread, v5.13+ io-pgfault.c iopf_handle_single)' };
    case 'pasidPerMm':
      return v
        ? { eras: ['v5.18'], from: '~v5.18 (mm->pasid, dropped at __mmdrop)' }
        : { eras: ['v4', 'v5.8', 'v5.14'], from: 'v5.17 and earlier, and the v4 series (the PASID goes with the last bond)' };
    case 'reaperDelayMs':
      return (v as number) > 0
        ? { eras: ['v5.18'], from: '~v5.18 (OOM_REAPER_DELAY, 2 s)' }
        : { eras: ['v4', 'v5.8', 'v5.14'], from: 'v5.17 and earlier, and the v4 series (the reaper starts at once)' };
    case 'faultHandler':
      return v === 'prq_event_thread'
        ? { eras: ['v5.8'], from: 'Intel v5.8 to v5.13 (svm.c prq_event_thread handles the fault itself)' }
        : { eras: ['v4', 'v5.14', 'v5.18'], from: 'the v4 series and Intel v5.14+ (io-pgfault.c work items)' };
    default:
      return null;
  }
}

/**
 * Warnings for a combination of settings no kernel shipped, naming the kernel each setting comes
 * from. Empty when the settings fit one kernel line. The run goes ahead either way: such
 * combinations are how the seed's arguments are shown (mm_exit with plain mmput deadlocks).
 */
export function kernelWarnings(p: Params, opts: { oom?: boolean } = {}): string[] {
  const settings: { key: string; v: ParamValue; o: Origin }[] = [];
  // The reaper's delay only matters to a run that invokes the OOM killer.
  const keys = opts.oom === false ? ['mmExit', 'iopfPut', 'pasidPerMm'] : ['mmExit', 'iopfPut', 'pasidPerMm', 'reaperDelayMs'];
  // Where VT-d handles page requests; SMMUv3 always goes through the IOPF queue, so there it says nothing.
  if (p.iommu !== 'smmuv3') keys.push('faultHandler');
  for (const key of keys) {
    if (!(key in p)) continue;
    const o = origin(key, p[key]);
    if (o) settings.push({ key, v: p[key], o });
  }
  let common: readonly Era[] = ['v4', ...MAINLINE];
  for (const s of settings) common = common.filter((e) => s.o.eras.includes(e));
  if (common.length > 0) return [];
  // Name the settings that no kernel had together with some other one, each with its kernel.
  const disjoint = (a: Origin, b: Origin) => !a.eras.some((e) => b.eras.includes(e));
  const odd = settings.filter((s) => settings.some((t) => t !== s && disjoint(s.o, t.o)));
  const listed = odd.length > 0 ? odd : settings;
  return [`No kernel shipped this combination: ${listed.map((s) => `${s.key}=${String(s.v)} is ${s.o.from}`).join('; ')}.`];
}

/**
 * The `uname -r` and build number the kernel log prints for this configuration (the hung-task
 * line's second line): the modelled kernel line, not a documented build.
 */
export function kernelRelease(c: KernelConfig): string {
  if (c.mmExit) return '5.6.0-rc3-sva-v4+ #1';
  return c.pasidPerMm || c.reaperDelay > 0 ? '5.18.0 #1' : '5.8.0 #1';
}
