import { ATS_OK, ATS_RW0, ATS_UR, KIND, PE_CLEARED, PE_PRESENT, PE_QUIET, RESP_FAILURE } from '../events';
import { PRIO_HW } from '../engine';
import { Completion, WaitQueue } from '../sync';
import type { Gen, Task } from '../task';
import { us } from '../time';
import type { DmaEngine } from './device';
import { IopfQueue } from './iopf';
import type { Kernel } from './kernel';
import type { MmStruct } from './mm';
import { PasidAllocator } from './pasid';
import { KERN_ERR, KERN_INFO, type RateLimit } from './printk';

/** One PASID table entry (shared by the devices bound to that PASID). */
export interface PasidEntry {
  state: number;
  mm: MmStruct | null;
  readonly actor: number;
}

/** A PRI page request descriptor as it sits in the PRQ. */
export interface PageRequest {
  pasid: number;
  /** The device engine that sent it, answered by `respond`. */
  respond: (code: number) => void;
  sentAt: number;
}

export const FAULT_NOT_PRESENT = 1;
export const FAULT_INVALID_PASID = 2;

/**
 * The IOMMU: PASID space and table, invalidations, ATS translation, the page request queue (PRQ)
 * with its handling thread and drain, and fault reporting. Costs are model parameters.
 */
export class Iommu {
  readonly actor: number;
  /** Which IOMMU this is (simB makes it the `iommu` parameter; until then VT-d). */
  readonly flavour: 'vt-d' | 'smmuv3' = 'vt-d';
  readonly pasids: PasidAllocator;
  readonly entries = new Map<number, PasidEntry>();
  /** Device engines, whose ATC a device-TLB invalidation clears. */
  readonly engines: DmaEngine[] = [];
  readonly prq: PageRequestQueue;
  readonly iopf: IopfQueue;
  /** Faults reported (DMAR fault records, invalid-PASID page requests). */
  reportedErrors = 0;
  private readonly faultRl: RateLimit;

  constructor(private readonly k: Kernel) {
    this.actor = k.sim.actor('iommu dmar0', 'iommu');
    this.pasids = new PasidAllocator(k.sim, this.actor, k.cfg.pasidBits);
    this.prq = new PageRequestQueue(k, this);
    this.iopf = new IopfQueue(k);
    this.faultRl = k.log.ratelimit('dmar_fault');
  }

  start(): void {
    this.prq.start();
  }

  entry(pasid: number): PasidEntry {
    let e = this.entries.get(pasid);
    if (!e) {
      e = { state: PE_CLEARED, mm: null, actor: this.k.sim.actor(`pasid ${pasid}`, 'pasid') };
      this.entries.set(pasid, e);
    }
    return e;
  }

  private setEntry(pasid: number, state: number, mm: MmStruct | null): PasidEntry {
    const e = this.entry(pasid);
    e.state = state;
    e.mm = mm;
    this.k.sim.emit(KIND.pasid_entry, e.actor, state, mm?.actor ?? 0);
    return e;
  }

  private *inval(pasid: number, type: number, cost: number): Gen {
    if (cost > 0) yield cost;
    this.k.sim.emit(KIND.inval, this.actor, pasid, type);
  }

  /** intel_pasid_setup_first_level: write a PRESENT entry pointing at mm's pgd, flush the PASID cache. */
  *setup_entry(pasid: number, mm: MmStruct): Gen {
    const c = this.k.cfg;
    if (c.pasidEntry > 0) yield c.pasidEntry;
    this.setEntry(pasid, PE_PRESENT, mm);
    yield* this.inval(pasid, 1, c.pasidCacheInval);
  }

  /**
   * intel_pasid_tear_down_entry: clear the entry, then PASID-cache, IOTLB and device-TLB
   * invalidations, in that order. `faultIgnore` (exit_mmap's quiet teardown) leaves the entry
   * not-present with Fault Processing Disable, like SMMUv3's quiet context descriptor: the device is
   * answered, nothing is reported. Without it (unbind) the entry is cleared and faults are reported.
   */
  *tear_down_entry(pasid: number, faultIgnore: boolean): Gen {
    const c = this.k.cfg;
    if (c.pasidEntry > 0) yield c.pasidEntry;
    const mm = this.entry(pasid).mm;
    this.setEntry(pasid, faultIgnore ? PE_QUIET : PE_CLEARED, faultIgnore ? mm : null);
    yield* this.inval(pasid, 1, c.pasidCacheInval);
    yield* this.inval(pasid, 2, c.iotlbInval);
    yield* this.inval(pasid, 3, c.devTlbInval);
    for (const e of this.engines) if (e.pasid === pasid) e.invalidateAtc();
  }

  /**
   * An ATS translation request. PRESENT: translated, or R=W=0 if the page is not present (the
   * device then sends a page request). Not present with FPD: R=W=0, silently. Cleared: an
   * Unsupported Request completion and a reported fault.
   */
  ats_translate(pasid: number, pageMissing: boolean): number {
    const e = this.entries.get(pasid);
    if (!e || e.state === PE_CLEARED) {
      this.reportFault(pasid, FAULT_NOT_PRESENT);
      return ATS_UR;
    }
    if (e.state === PE_QUIET) return ATS_RW0;
    return pageMissing ? ATS_RW0 : ATS_OK;
  }

  /** dmar_fault: a fault record; the log line is ratelimited (pr_err_ratelimited). */
  reportFault(pasid: number, reason: number): void {
    this.reportedErrors++;
    this.k.sim.emit(KIND.dmar_fault, this.actor, pasid, reason);
    if (reason === FAULT_NOT_PRESENT) {
      this.faultRl.print(KERN_ERR, `DMAR: [DMA Read NO_PASID] Request device [00:02.0] PASID ${pasid} fault addr 0x7f0000000000 [fault reason 0x59] SM: Present bit in PASID table entry is clear`, 'fault');
    }
  }

  /** Send a page response to the device after the PCIe round trip. */
  page_response(req: PageRequest, code: number): void {
    this.k.sim.after(us(1), () => req.respond(code), PRIO_HW);
  }

  logFault(msg: string): void {
    this.k.log.printk(KERN_ERR, msg, 0, 'fault');
  }

  logInfo(msg: string): void {
    this.k.log.printk(KERN_INFO, msg);
  }

  /**
   * intel_svm_drain_prq: wait until no request for `pasid` is left in the PRQ (retrying after each
   * pass of the PRQ thread), flush the fault workqueue (io-pgfault, v5.13+), then submit a drain
   * invalidation and retry while the overflow bit is set. No timeout.
   */
  *drain_prq(t: Task, pasid: number): Gen<number> {
    const prq = this.prq;
    const c = this.k.cfg;
    let retries = 0;
    this.k.sim.emit(KIND.fn_begin, t.actor, 0, pasid, { fn: 'intel_svm_drain_prq' });
    for (;;) {
      prq.complete.reinit();
      if (!prq.holds(pasid)) break;
      retries++;
      yield* prq.complete.wait_for_completion(t);
    }
    yield* this.iopf.wq.flush_workqueue(t);
    for (;;) {
      prq.complete.reinit();
      // qi_submit_sync with QI_OPT_WAIT_DRAIN: fence, IOTLB and device-TLB invalidation.
      yield* this.inval(pasid, 4, c.iotlbInval + c.devTlbInval);
      if (!prq.overflow) break;
      retries++;
      yield* prq.complete.wait_for_completion(t);
    }
    this.k.sim.emit(KIND.fn_end, t.actor, retries, pasid, { fn: 'intel_svm_drain_prq', retries });
    return retries;
  }
}

/**
 * The page request queue: a ring of `prqDepth` descriptors (4 KiB / 32 B = 128) filled by hardware
 * and emptied by the PRQ thread. When full, a request is dropped and the overflow bit (PRO) set.
 * Model departure, not verified in the spec text: the dropped request is answered with an automatic
 * SUCCESS so that the device retries its translation.
 */
export class PageRequestQueue {
  readonly actor: number;
  private readonly ring: PageRequest[] = [];
  overflow = false;
  readonly complete: Completion;
  private thread: Task | null = null;
  private readonly irq: WaitQueue;
  overflows = 0;
  peak = 0;

  constructor(
    private readonly k: Kernel,
    private readonly iommu: Iommu,
  ) {
    this.actor = k.sim.actor('prq dmar0', 'queue');
    this.complete = new Completion(k.sim, 'completion prq_complete', () => (this.thread ? [this.thread] : []));
    this.irq = new WaitQueue(k.sim, 'prq irq (idle)');
  }

  get depth(): number {
    return this.ring.length;
  }

  start(): void {
    this.thread = this.k.kthread('irq/dmar0-prq', (t) => this.prq_event_thread(t));
  }

  holds(pasid: number): boolean {
    return this.ring.some((r) => r.pasid === pasid);
  }

  /** Hardware appends a page request. */
  push(req: PageRequest): boolean {
    if (this.ring.length >= this.k.cfg.prqDepth) {
      this.overflows++;
      if (!this.overflow) {
        this.overflow = true;
        this.k.sim.emit(KIND.prq_depth, this.actor, this.ring.length, 1);
      }
      this.k.sim.emit(KIND.prq_overflow, this.actor, req.pasid);
      this.iommu.page_response(req, 0);
      return false;
    }
    this.ring.push(req);
    this.peak = Math.max(this.peak, this.ring.length);
    this.k.sim.emit(KIND.prq_depth, this.actor, this.ring.length, this.overflow ? 1 : 0);
    this.irq.wake_up();
    return true;
  }

  /**
   * prq_event_thread: handle every descriptor between head and tail, move head, then clear PRO if
   * the queue is empty and complete prq_complete for drainers.
   */
  private *prq_event_thread(t: Task): Gen {
    const k = this.k;
    for (;;) {
      yield* this.irq.wait_event(t, () => this.ring.length > 0 || this.overflow, true);
      const batch = this.ring.length;
      for (let i = 0; i < batch; i++) {
        const req = this.ring[i];
        if (k.cfg.prqHandle > 0) yield k.cfg.prqHandle;
        this.handle(req);
      }
      this.ring.splice(0, batch);
      if (this.overflow && this.ring.length === 0) {
        this.overflow = false;
        this.iommu.logInfo('IOMMU: dmar0: PRQ overflow cleared');
      }
      k.sim.emit(KIND.prq_depth, this.actor, this.ring.length, this.overflow ? 1 : 0);
      if (!this.complete.completion_done()) this.complete.complete();
    }
  }

  private handle(req: PageRequest): void {
    const k = this.k;
    if (!k.sva.ioMmByPasid(req.pasid)) {
      // The PASID is not (or no longer) bound: printed, answered with a failure.
      this.iommu.reportFault(req.pasid, FAULT_INVALID_PASID);
      this.iommu.logFault(`DMAR: dmar0: Page request for invalid PASID ${req.pasid}: 0x${(req.pasid << 12).toString(16)} 0x0`);
      this.iommu.page_response(req, RESP_FAILURE);
      return;
    }
    this.iommu.iopf.report(req);
  }
}
