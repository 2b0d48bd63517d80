import { KIND, PE_CLEARED, PE_PRESENT, PE_QUIET, RESP_INVALID, RESP_SUCCESS } from '../events';
import { Completion, WaitQueue } from '../sync';
import type { Gen, Task } from '../task';
import type { DmaEngine } from './device';
import { faultOpts, iopf_handle_single } from './iopf';
import { FAULT_INVALID_PASID, FAULT_NOT_PRESENT, type Iommu, type IommuDevice, type IommuHw, type PageRequest } from './iommu';
import type { Kernel } from './kernel';
import type { MmStruct } from './mm';
import { KERN_ERR, KERN_INFO, type RateLimit } from './printk';

/** Scalable-mode fault reason 0x59 (dma_remap_sm_fault_reasons[], drivers/iommu/intel/dmar.c). */
const SM_PASID_ENTRY_NOT_PRESENT = 0x59;

const hex = (v: number, width = 0): string => v.toString(16).padStart(width, '0');

/**
 * Intel VT-d in scalable mode, as drivers/iommu/intel/{pasid,svm,dmar}.c of v5.8–v5.14 do it
 * (read from the v5.11 sources): per-device PASID tables, queued invalidation, the page request
 * queue with its threaded IRQ handler, the unbind drain, and DMAR fault records.
 */
export class IntelIommu implements IommuHw {
  readonly sendsAts = true;
  readonly prq: PageRequestQueue;
  /**
   * What the drain waits with: wait_for_completion (v5.8 as merged), wait_for_completion_timeout
   * (the v5.7-rc1 test kernel of log 05).
   */
  drainWait = 'wait_for_completion';
  /** dmar_fault()'s one ratelimit state (DEFAULT_RATELIMIT_INTERVAL/BURST), shared by both its lines. */
  private readonly faultRl: RateLimit;

  constructor(
    private readonly k: Kernel,
    private readonly iommu: Iommu,
  ) {
    this.prq = new PageRequestQueue(k, iommu);
    this.faultRl = k.log.ratelimit('dmar_fault');
  }

  start(): void {
    this.prq.start();
  }

  /**
   * intel_pasid_setup_first_level (drivers/iommu/intel/pasid.c): write a PRESENT entry of this
   * device's table pointing at mm's pgd, then pasid_flush_caches (PASID-cache invalidation).
   * intel_svm_bind_mm calls it for every device newly bound to the PASID ("Binding a new device
   * with existing PASID, need to setup the PASID entry"): the tables are per device.
   */
  *setup(t: Task, dev: IommuDevice, pasid: number, mm: MmStruct): Gen {
    yield* this.k.sim.call(t, 'intel_pasid_setup_first_level', this.setupBody(dev, pasid, mm), { a: mm.actor, b: pasid, args: { dev: dev.name } });
  }

  private *setupBody(dev: IommuDevice, pasid: number, mm: MmStruct): Gen {
    const c = this.k.cfg;
    if (c.pasidEntry > 0) yield c.pasidEntry;
    this.iommu.setEntry(dev, pasid, PE_PRESENT, mm);
    yield* this.iommu.inval(pasid, 1, c.pasidCacheInval);
  }

  /** intel_mm_release's per-device call: intel_pasid_tear_down_entry(iommu, dev, pasid, true). */
  *quiet(t: Task, dev: IommuDevice, pasid: number): Gen {
    yield* this.tear_down(t, dev, pasid, true);
  }

  /** intel_svm_unbind_mm's call: intel_pasid_tear_down_entry(iommu, dev, pasid, false). */
  *clear(t: Task, dev: IommuDevice, pasid: number): Gen {
    yield* this.tear_down(t, dev, pasid, false);
  }

  /**
   * intel_pasid_tear_down_entry (drivers/iommu/intel/pasid.c): clear the entry (fault_ignore:
   * leave it not present with Fault Processing Disable, so requests are answered and nothing is
   * recorded), then PASID-cache, IOTLB and device-TLB invalidations, in that order. The device's
   * ATC is clean once the device-TLB invalidation completes; qi_submit_sync waits for it (the
   * hardware's invalidation time-out, ITE, is not modelled: the wait is the full round trip).
   */
  private *tear_down(t: Task, dev: IommuDevice, pasid: number, faultIgnore: boolean): Gen {
    const mm = this.iommu.entry(dev, pasid).mm;
    yield* this.k.sim.call(t, 'intel_pasid_tear_down_entry', this.tearDownBody(dev, pasid, faultIgnore), {
      a: mm?.actor ?? 0,
      b: pasid,
      args: { dev: dev.name, fault_ignore: faultIgnore },
    });
  }

  private *tearDownBody(dev: IommuDevice, pasid: number, faultIgnore: boolean): Gen {
    const c = this.k.cfg;
    const iommu = this.iommu;
    if (c.pasidEntry > 0) yield c.pasidEntry;
    const mm = iommu.entry(dev, pasid).mm;
    iommu.setEntry(dev, pasid, faultIgnore ? PE_QUIET : PE_CLEARED, faultIgnore ? mm : null);
    yield* iommu.inval(pasid, 1, c.pasidCacheInval);
    yield* iommu.inval(pasid, 2, c.iotlbInval);
    yield* iommu.inval(pasid, 3, c.devTlbInval);
    iommu.atcInvalidated(dev, pasid);
  }

  /**
   * intel_invalidate_range → intel_flush_svm_range_dev (drivers/iommu/intel/svm.c): a PASID-based
   * IOTLB invalidation (qi_flush_piotlb) and, with ATS, a PASID-based device-TLB invalidation
   * (qi_flush_dev_iotlb_pasid) of the range, both waited for. The model's ATC has no per-range
   * entries: the invalidation drops all of the device's translations for the PASID.
   */
  *invalidate(t: Task, dev: IommuDevice, pasid: number, start: number, end: number): Gen {
    yield* this.k.sim.call(t, 'intel_flush_svm_range_dev', this.invalidateBody(dev, pasid), { b: pasid, args: { dev: dev.name, start, end } });
  }

  private *invalidateBody(dev: IommuDevice, pasid: number): Gen {
    const c = this.k.cfg;
    yield* this.iommu.inval(pasid, 2, c.iotlbInval);
    yield* this.iommu.inval(pasid, 3, c.devTlbInval);
    this.iommu.atcInvalidated(dev, pasid);
  }

  /**
   * intel_svm_drain_prq (drivers/iommu/intel/svm.c): nothing to do if PRI is off
   * (`if (!info->pri_enabled) return;`); else wait until no request for `pasid` is left in the PRQ
   * (retrying after each pass of the PRQ thread), flush the IOPF queue (iopf_queue_flush_dev, only
   * since faults go through io-pgfault: v5.14), then submit a drain invalidation (qi_submit_sync
   * with QI_OPT_WAIT_DRAIN: fence, PASID IOTLB and device-TLB) and retry while the overflow bit is
   * set. No timeout.
   */
  *drain(t: Task, dev: IommuDevice, pasid: number): Gen<number> {
    return yield* this.k.sim.call(t, 'intel_svm_drain_prq', this.drainBody(t, dev, pasid), {
      b: pasid,
      end: (r) => ({ a: r, args: { retries: r, ...(dev.priEnabled ? {} : { pri: 'off' }) } }),
    });
  }

  private *drainBody(t: Task, dev: IommuDevice, pasid: number): Gen<number> {
    if (!dev.priEnabled) return 0;
    const prq = this.prq;
    const c = this.k.cfg;
    let retries = 0;
    for (;;) {
      prq.complete.reinit();
      if (!prq.holds(pasid)) break;
      retries++;
      yield* prq.complete.wait_for_completion(t, this.drainWait);
    }
    // iopf_queue_flush_dev(dev): flush_workqueue on the IOPF queue (v5.14; before it, the PRQ
    // thread handled the faults itself and the wait above covered them).
    if (c.faultHandler === 'iopf_queue') yield* this.iommu.iopf.iopf_queue_flush_dev(t, dev);
    for (;;) {
      prq.complete.reinit();
      yield* this.iommu.inval(pasid, 4, c.iotlbInval + c.devTlbInval);
      if (!prq.overflow) break;
      retries++;
      yield* prq.complete.wait_for_completion(t, this.drainWait);
    }
    return retries;
  }

  page_request(req: PageRequest): void {
    this.prq.push(req);
  }

  /**
   * A translation request hit a cleared PASID entry: a non-recoverable fault record, printed by
   * dmar_fault() (drivers/iommu/intel/dmar.c) as "DRHD: handling fault status reg" followed by
   * dmar_fault_do_one's line, both through one ratelimit state. The line is v5.8's format
   * ("[%s] Request device [%02x:%02x.%d] PASID %x fault addr %llx [fault reason %02d] %s", as in
   * kernel-logs/02 of v5.6.7); commit 719a19335692 later split it into "[%s NO_PASID]" and
   * "[%s PASID 0x%x]" forms. A request with a PASID never prints NO_PASID.
   */
  bad_entry(eng: DmaEngine, u: number, write: boolean): void {
    const iommu = this.iommu;
    iommu.reportedErrors++;
    this.k.sim.emit(KIND.dmar_fault, iommu.actor, eng.pasid, FAULT_NOT_PRESENT);
    // Fault status: PPF (primary pending fault) set.
    if (!this.faultRl.print(KERN_ERR, 'DMAR: DRHD: handling fault status reg 2', 'fault')) return;
    this.faultRl.print(
      KERN_ERR,
      `DMAR: [${write ? 'DMA Write' : 'DMA Read'}] Request device [${eng.dev.bdf}] PASID ${hex(eng.pasid)} fault addr ${hex(iommu.faultAddr(eng, u))} [fault reason ${SM_PASID_ENTRY_NOT_PRESENT}] SM: Present bit in PASID Table Entry is clear`,
      'fault',
    );
  }
}

/**
 * The page request queue: a ring of `prqDepth` descriptors (4 KiB / 32 B = 128) filled by hardware
 * and emptied by the PRQ thread, which moves the head only after a whole pass. When the ring is
 * full the hardware drops the request, sets the overflow bit (PRO) and answers the request itself
 * with a successful page response; nothing has been mapped, so the device's retried translation gets
 * R=W=0 again and it sends a new page request (DOMAIN.md; the auto-response code is from the VT-d
 * spec as the lab's sources describe it, not from kernel code).
 */
export class PageRequestQueue {
  readonly actor: number;
  private readonly ring: PageRequest[] = [];
  overflow = false;
  readonly complete: Completion;
  private thread: Task | null = null;
  private readonly irq: WaitQueue;
  /** pr_info_ratelimited has one state per call site: one for "detected", one for "cleared". */
  private readonly detectedRl: RateLimit;
  private readonly clearedRl: RateLimit;
  overflows = 0;
  peak = 0;

  constructor(
    private readonly k: Kernel,
    private readonly iommu: Iommu,
  ) {
    this.actor = k.sim.actor('prq dmar0', 'queue');
    this.complete = new Completion(k.sim, 'completion prq_complete', () => (this.thread ? [this.thread] : []));
    this.irq = new WaitQueue(k.sim, 'prq irq (idle)');
    this.detectedRl = k.log.ratelimit('prq_event_thread');
    this.clearedRl = k.log.ratelimit('prq_event_thread');
  }

  get depth(): number {
    return this.ring.length;
  }

  start(): void {
    this.thread = this.k.kthread('irq/dmar0-prq', (t) => this.thread_fn(t));
  }

  holds(pasid: number): boolean {
    return this.ring.some((r) => r.pasid === pasid);
  }

  /** Hardware appends a page request; a full ring drops it (PRO) and auto-responds. */
  push(req: PageRequest): boolean {
    const sim = this.k.sim;
    if (this.ring.length >= this.k.cfg.prqDepth) {
      this.overflows++;
      if (!this.overflow) {
        this.overflow = true;
        sim.emit(KIND.prq_depth, this.actor, this.ring.length, 1);
      }
      sim.emit(KIND.prq_overflow, this.actor, req.pasid);
      this.iommu.page_response(req, RESP_SUCCESS);
      return false;
    }
    this.ring.push(req);
    if (this.ring.length > this.peak) this.peak = this.ring.length;
    sim.emit(KIND.prq_depth, this.actor, this.ring.length, this.overflow ? 1 : 0);
    this.irq.wake_up();
    return true;
  }

  /** The IRQ thread: one prq_event_thread call per interrupt (pass). */
  private *thread_fn(t: Task): Gen {
    const sim = this.k.sim;
    for (;;) {
      yield* this.irq.wait_event(t, () => this.ring.length > 0 || this.overflow, true);
      yield* sim.call(t, 'prq_event_thread', this.prq_event_thread(t));
    }
  }

  /**
   * prq_event_thread (drivers/iommu/intel/svm.c): handle every descriptor between head and tail,
   * write the head, then, if PRO is set, print "PRQ overflow detected" (ratelimited) and clear PRO
   * only if the queue is empty ("Clear PRQ overflow only when PRQ is empty", v5.10.y/v5.11+), and
   * complete prq_complete for drainers. (v5.8/v5.9 cleared PRO unconditionally and printed nothing.)
   */
  private *prq_event_thread(t: Task): Gen {
    const k = this.k;
    const batch = this.ring.length;
    for (let i = 0; i < batch; i++) {
      if (k.cfg.prqHandle > 0) yield k.cfg.prqHandle;
      const req = this.ring[i];
      if (!k.sva.ioMmByPasid(req.pasid)) this.invalid_pasid(req);
      else if (k.cfg.faultHandler === 'prq_event_thread') {
        // v5.8–v5.13: the fault is handled right here, in the PRQ thread.
        const r = yield* k.sim.call(t, 'handle_single_prq_event', iopf_handle_single(k, t, req), faultOpts(k, req));
        this.iommu.page_response(req, r.code);
      } else yield* this.iommu.iopf.iommu_report_device_fault(t, req);
    }
    this.ring.splice(0, batch);
    if (this.overflow) {
      this.detectedRl.print(KERN_INFO, 'IOMMU: dmar0: PRQ overflow detected');
      if (this.ring.length === 0) {
        this.overflow = false;
        this.clearedRl.print(KERN_INFO, 'IOMMU: dmar0: PRQ overflow cleared');
      }
    }
    k.sim.emit(KIND.prq_depth, this.actor, this.ring.length, this.overflow ? 1 : 0);
    if (!this.complete.completion_done()) this.complete.complete();
  }

  /**
   * A descriptor whose PASID is unknown (ioasid_find fails: unbound): printed with pr_err and
   * answered INVALID (`result = QI_RESP_INVALID`, then `goto no_pasid`). Any other descriptor is a
   * fault: v5.8–v5.13 handle it inside this thread (mmget_not_zero, find_extend_vma, access_error,
   * handle_mm_fault, mmput); v5.14 hands it to the IOPF queue through iommu_report_device_fault
   * (`faultHandler`).
   */
  private invalid_pasid(req: PageRequest): void {
    const k = this.k;
    this.iommu.reportedErrors++;
    k.sim.emit(KIND.dmar_fault, this.iommu.actor, req.pasid, FAULT_INVALID_PASID);
    // The descriptor's two quadwords: qw0 = type 1 | PASID present | rid << 16 | pasid << 32;
    // qw1 = address | lpig << 2 | wr << 1 | rd.
    const eng = req.dev.engines.find((e) => e.pasid === req.pasid);
    const addr = eng ? this.iommu.faultAddr(eng, req.u) : 0;
    const qw0 = `${hex(req.pasid)}${hex(req.dev.rid, 4)}0101`;
    const qw1 = `${hex(Math.floor(addr / 4096))}00${req.write ? 6 : 5}`;
    this.iommu.logFault(`dmar0: Page request for invalid PASID ${req.pasid}: ${qw0.padStart(8, '0')} ${qw1.padStart(8, '0')}`);
    this.iommu.page_response(req, RESP_INVALID, true);
  }
}
