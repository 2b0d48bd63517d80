import { KIND, PE_CLEARED, PE_PRESENT, PE_QUIET } from '../events';
import { Completion, WaitQueue } from '../sync';
import type { Gen, Task } from '../task';
import { sec } from '../time';
import type { DmaEngine } from './device';
import type { Iommu, IommuDevice, IommuHw, PageRequest } from './iommu';
import type { Kernel } from './kernel';
import type { MmStruct } from './mm';
import { KERN_ERR, KERN_INFO, type RateLimit } from './printk';

/** ARM_SMMU_POLL_TIMEOUT_US (arm-smmu-v3.h): how long a CMD_SYNC is polled for. */
export const ARM_SMMU_POLL_TIMEOUT = sec(1);

/** Event record IDs (arm-smmu-v3.h). */
export const EVT_ID_TRANSLATION_FAULT = 0x10;
export const EVT_ID_BAD_CD_CONFIG = 0x0a;

const DEV = 'arm-smmu-v3 arm-smmu-v3.0.auto:';
const hex = (v: number, width: number): string => v.toString(16).padStart(width, '0');

interface EvtRecord {
  id: number;
  pasid: number;
  dev: IommuDevice;
  /** The stalled transaction (EVTQ_1_STALL set), answered by CMD_RESUME; null for other records. */
  stall: PageRequest | null;
}

/**
 * Arm SMMUv3 with SVA, as drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3{,-sva}.c do it in v5.13–v5.15
 * (SVA since v5.10, stall faults through io-pgfault since v5.13). Differences from VT-d, each
 * modelled here:
 * - The PASID (SubstreamID) table is the master's context-descriptor table: per device, like VT-d's.
 * - Release writes a quiet CD (arm_smmu_mm_release: "Keep the cd valid to avoid C_BAD_CD events, but
 *   disable translation") under sva_lock, then TLBI by ASID and ATC invalidation. The lock is taken
 *   by sva.ts; this file provides the hardware operations.
 * - No PRQ. Mainline SMMUv3 does not support PCIe PRI for SVA (arm_smmu_handle_ppr only prints
 *   "unexpected PRI request received" and denies); SVA masters use the stall model: the faulting
 *   transaction is held in the SMMU, an F_TRANSLATION record with STALL goes to the event queue, the
 *   evtq thread passes it to iommu_report_device_fault (the IOPF queue), and the page response
 *   becomes CMD_RESUME (retry on success, abort otherwise). The model keeps a per-device limit on
 *   stalled transactions (the `priCredits` parameter) and an event queue that never overflows (its
 *   default size is far above the stalls in flight). Stall masters send no ATS requests: the cache a
 *   stale translation can hide in is the SMMU's TLB, which the model keeps in the same place as an
 *   ATC (DmaEngine.atc*), invalidated by TLBI + CMD_SYNC (the `iotlbInvalUs` cost; `devTlbInvalUs`
 *   is unused on SMMUv3).
 * - A cleared CD (after unbind) gives C_BAD_CD records, which arm_smmu_handle_evt does not handle:
 *   arm_smmu_evtq_thread prints them raw, ratelimited per record ("event 0x%02x received:" and four
 *   "\t0x%016llx" lines: the v5.x format of kernel-logs/11; the decoded "event: F_TRANSLATION client:"
 *   lines of kernel-logs/13 came much later).
 * - Every CMD_SYNC is polled for ARM_SMMU_POLL_TIMEOUT_US (1 s) at most; then "CMD_SYNC timeout at
 *   ..." is printed (dev_err_ratelimited) and the driver goes on as if it had completed: if the TLBI
 *   takes longer than that, the stale translations outlive release() and the kernel frees the pages
 *   under them (dmaAfterFree counts the transactions that then hit freed pages).
 */
export class ArmSmmu implements IommuHw {
  readonly sendsAts = false;
  readonly evtq: EventQueue;
  private readonly syncRl: RateLimit;
  /** The command queue's producer index, for the timeout line. */
  private cmdqProd = 0;

  constructor(
    private readonly k: Kernel,
    private readonly iommu: Iommu,
  ) {
    this.evtq = new EventQueue(k, iommu);
    this.syncRl = k.log.ratelimit('arm_smmu_cmdq_issue_cmdlist');
  }

  start(): void {
    this.evtq.start();
  }

  /**
   * Submit commands and a CMD_SYNC, and poll (arm_smmu_cmdq_issue_cmdlist →
   * arm_smmu_cmdq_poll_until_sync). `cost` is the time the commands take; `done` runs when they
   * really complete, which is after the timeout if they take longer than ARM_SMMU_POLL_TIMEOUT.
   */
  private *cmdq_sync(pasid: number, type: number, cost: number, done?: () => void): Gen {
    const sim = this.k.sim;
    this.cmdqProd += 2;
    if (cost <= ARM_SMMU_POLL_TIMEOUT) {
      yield* this.iommu.inval(pasid, type, cost);
      done?.();
      return;
    }
    sim.after(cost, () => {
      sim.emit(KIND.inval, this.iommu.actor, pasid, type);
      done?.();
    });
    yield ARM_SMMU_POLL_TIMEOUT;
    const prod = this.cmdqProd & 0xfffff;
    this.syncRl.print(KERN_ERR, `${DEV} CMD_SYNC timeout at 0x${hex(prod, 8)} [hwprod 0x${hex(prod, 8)}, hwcons 0x${hex(prod - 1, 8)}]`, 'fault');
  }

  /** arm_smmu_write_ctx_desc: write the CD, then CMD_CFGI_CD + CMD_SYNC (arm_smmu_sync_cd). */
  private *write_ctx_desc(t: Task, dev: IommuDevice, pasid: number, state: number, mm: MmStruct | null, what: string): Gen {
    yield* this.k.sim.call(t, 'arm_smmu_write_ctx_desc', this.writeCdBody(dev, pasid, state, mm), {
      a: mm?.actor ?? 0,
      b: pasid,
      args: { dev: dev.name, cd: what },
    });
  }

  private *writeCdBody(dev: IommuDevice, pasid: number, state: number, mm: MmStruct | null): Gen {
    const c = this.k.cfg;
    if (c.pasidEntry > 0) yield c.pasidEntry;
    this.iommu.setEntry(dev, pasid, state, mm);
    yield* this.cmdq_sync(pasid, 1, c.pasidCacheInval);
  }

  /**
   * arm_smmu_tlb_inv_asid + arm_smmu_atc_inv_domain: TLBI by ASID with a CMD_SYNC; the stall
   * master's cached translations live in the SMMU's TLB, so they are gone when the TLBI completes.
   * arm_smmu_atc_inv_domain returns at once ("if (!atomic_read(&smmu_domain->nr_ats_masters))"):
   * stall masters do not use ATS.
   */
  private *invalidate_all(t: Task, dev: IommuDevice, pasid: number): Gen {
    const c = this.k.cfg;
    yield* this.k.sim.call(t, 'arm_smmu_tlb_inv_asid', this.cmdq_sync(pasid, 2, c.iotlbInval, () => this.iommu.atcInvalidated(dev, pasid)), { b: pasid });
  }

  /** arm_smmu_mmu_notifier_get → arm_smmu_write_ctx_desc(master, mm->pasid, cd). */
  *setup(t: Task, dev: IommuDevice, pasid: number, mm: MmStruct): Gen {
    yield* this.write_ctx_desc(t, dev, pasid, PE_PRESENT, mm, 'cd');
  }

  /** arm_smmu_mm_release's hardware part: the quiet CD, TLBI by ASID, ATC invalidation. */
  *quiet(t: Task, dev: IommuDevice, pasid: number): Gen {
    const mm = this.iommu.entry(dev, pasid).mm;
    yield* this.write_ctx_desc(t, dev, pasid, PE_QUIET, mm, 'quiet_cd');
    yield* this.invalidate_all(t, dev, pasid);
  }

  /**
   * arm_smmu_mmu_notifier_put: write a NULL CD (V=0), then invalidate unless release already did
   * ("If we went through clear(), we've already invalidated, and no new TLB entry can have been
   * formed").
   */
  *clear(t: Task, dev: IommuDevice, pasid: number): Gen {
    const cleared = this.iommu.entry(dev, pasid).state === PE_QUIET;
    yield* this.write_ctx_desc(t, dev, pasid, PE_CLEARED, null, 'NULL');
    if (!cleared) yield* this.invalidate_all(t, dev, pasid);
  }

  /**
   * Unbind's drain: wait until the event queue holds no stall of the device (arm_smmu_flush_evtq),
   * then iopf_queue_flush_dev. Taken from the SVA/IOPF series (arm_smmu_sva_unbind: "if
   * (master->stall_enabled) arm_smmu_flush_evtq(master->smmu); iopf_queue_flush_dev(...)"); where the
   * merged v5.13 code does the flush was not confirmed. Not intel_svm_drain_prq: drainNs and
   * drainRetries stay VT-d metrics.
   */
  *drain(t: Task, dev: IommuDevice, pasid: number): Gen<number> {
    yield* this.k.sim.call(t, 'arm_smmu_flush_evtq', this.evtq.flush(t, dev), { b: pasid });
    yield* this.iommu.iopf.wq.flush_workqueue(t);
    return 0;
  }

  /**
   * arm_smmu_mm_invalidate_range: TLBI by VA range for the ASID (then arm_smmu_atc_inv_domain, a
   * no-op without ATS masters). The model drops all of the master's cached translations.
   */
  *invalidate(t: Task, dev: IommuDevice, pasid: number, start: number, end: number): Gen {
    const c = this.k.cfg;
    yield* this.k.sim.call(t, 'arm_smmu_tlb_inv_range_asid', this.cmdq_sync(pasid, 2, c.iotlbInval, () => this.iommu.atcInvalidated(dev, pasid)), { b: pasid, args: { start, end } });
  }

  /** A translation fault with stall: an F_TRANSLATION record for the event queue. */
  page_request(req: PageRequest): void {
    this.evtq.push({ id: EVT_ID_TRANSLATION_FAULT, pasid: req.pasid, dev: req.dev, stall: req });
  }

  /** A transaction hit a CD with V=0: terminated, and a C_BAD_CD record. */
  bad_entry(eng: DmaEngine, _u: number, _write: boolean): void {
    this.evtq.push({ id: EVT_ID_BAD_CD_CONFIG, pasid: eng.pasid, dev: eng.dev, stall: null });
  }
}

/**
 * The SMMUv3 event queue and its threaded IRQ handler (arm_smmu_evtq_thread, "arm-smmu-v3-evtq").
 * Each record costs `prqHandleUs` to handle.
 */
export class EventQueue {
  readonly actor: number;
  private readonly ring: EvtRecord[] = [];
  private thread: Task | null = null;
  private readonly irq: WaitQueue;
  /** Completed at the end of each pass of the thread (the flush waits on it). */
  private readonly pass: Completion;
  /** arm_smmu_evtq_thread's static ratelimit state: one check per printed record. */
  private readonly rl: RateLimit;

  constructor(
    private readonly k: Kernel,
    private readonly iommu: Iommu,
  ) {
    this.actor = k.sim.actor('evtq arm-smmu-v3.0.auto', 'queue');
    this.irq = new WaitQueue(k.sim, 'evtq irq (idle)');
    this.pass = new Completion(k.sim, 'completion evtq batch', () => (this.thread ? [this.thread] : []));
    this.rl = k.log.ratelimit('arm_smmu_evtq_thread');
  }

  start(): void {
    this.thread = this.k.kthread('irq/arm-smmu-v3-evtq', (t) => this.thread_fn(t));
  }

  push(rec: EvtRecord): void {
    this.ring.push(rec);
    this.irq.wake_up();
  }

  *flush(t: Task, dev: IommuDevice): Gen {
    for (;;) {
      this.pass.reinit();
      if (!this.ring.some((r) => r.dev === dev)) return;
      yield* this.pass.wait_for_completion(t);
    }
  }

  private *thread_fn(t: Task): Gen {
    for (;;) {
      yield* this.irq.wait_event(t, () => this.ring.length > 0, true);
      yield* this.k.sim.call(t, 'arm_smmu_evtq_thread', this.arm_smmu_evtq_thread(t));
    }
  }

  /**
   * arm_smmu_evtq_thread: for each record, arm_smmu_handle_evt; a stall fault is reported to the
   * IOPF queue (ret 0: nothing printed); anything it does not handle (C_BAD_CD: -EOPNOTSUPP) is
   * printed raw if `__ratelimit(&rs)` allows.
   */
  private *arm_smmu_evtq_thread(t: Task): Gen {
    const k = this.k;
    while (this.ring.length > 0) {
      const rec = this.ring.shift() as EvtRecord;
      if (k.cfg.prqHandle > 0) yield k.cfg.prqHandle;
      const handled = rec.stall !== null;
      k.sim.emit(KIND.smmu_evt, this.actor, rec.pasid, handled ? 0 : 1, { id: `0x${hex(rec.id, 2)}` });
      if (rec.stall) {
        yield* this.iommu.iopf.iommu_report_device_fault(t, rec.stall);
        continue;
      }
      this.iommu.reportedErrors++;
      if (!this.rl.print(KERN_INFO, `${DEV} event 0x${hex(rec.id, 2)} received:`, 'fault')) continue;
      // evt[0]: ID [7:0], SSV [11], SSID [31:12], SID [63:32]; the other words are zero here.
      const w0 = `${hex(rec.dev.rid, 8)}${hex(((rec.pasid << 12) | (1 << 11) | rec.id) >>> 0, 8)}`;
      for (const w of [w0, '0'.repeat(16), '0'.repeat(16), '0'.repeat(16)]) k.log.printk(KERN_INFO, `${DEV} \t0x${w}`, 0, 'fault');
    }
    this.pass.complete_all();
  }
}
