import { MMF_UNSTABLE, RESP_INVALID, RESP_SUCCESS } from '../events';
import { Mutex } from '../sync';
import type { Gen, Task } from '../task';
import { Work, Workqueue } from '../workqueue';
import type { IommuDevice, PageRequest } from './iommu';
import type { Kernel } from './kernel';
import { mmget_not_zero, mmput, mmput_async } from './mm';

/**
 * The I/O page fault queue (drivers/iommu/io-pgfault.c, the SVA series v4 and mainline from v5.13):
 * faults are queued as work items on one unbound workqueue (alloc_workqueue("iopf_queue/%s",
 * WQ_UNBOUND, 0)); iopf_queue_flush_dev() is flush_workqueue() on it.
 */
export class IopfQueue {
  readonly wq: Workqueue;
  handled = 0;
  /** Per device: dev->iommu (struct dev_iommu) ->lock and ->fault_param->lock (drivers/iommu/iommu.c). */
  private readonly params = new Map<IommuDevice, { lock: Mutex; faultLock: Mutex }>();

  constructor(private readonly k: Kernel) {
    // max_active 0 means WQ_DFL_ACTIVE (256).
    this.wq = new Workqueue(k.sim, 'iopf_queue', 256);
  }

  private param(dev: IommuDevice): { lock: Mutex; faultLock: Mutex } {
    let p = this.params.get(dev);
    if (!p) {
      // mutex_init(&param->lock) in dev_iommu_get; mutex_init(&param->fault_param->lock) in
      // iommu_register_device_fault_handler: lockdep names the classes after those expressions.
      p = { lock: new Mutex(this.k.sim, `dev_iommu ${dev.name} lock`, '&param->lock'), faultLock: new Mutex(this.k.sim, `dev_iommu ${dev.name} fault_param lock`, '&param->fault_param->lock') };
      this.params.set(dev, p);
    }
    return p;
  }

  /**
   * iommu_report_device_fault → iommu_queue_iopf (called by prq_event_thread on VT-d v5.14, by
   * arm_smmu_handle_evt on SMMUv3): under param->lock, a page request is added to
   * fault_param->faults under fault_param->lock (for iommu_page_response to find), then the handler
   * queues it. Every request the model sends is the last page of its group (LPIG), so each becomes a
   * group of one, queued at once.
   */
  *iommu_report_device_fault(t: Task, req: PageRequest): Gen {
    yield* this.k.sim.call(t, 'iommu_report_device_fault', this.report(t, req), { b: req.pasid });
  }

  private *report(t: Task, req: PageRequest): Gen {
    const p = this.param(req.dev);
    yield* p.lock.lock(t);
    yield* p.faultLock.lock(t);
    p.faultLock.unlock(t);
    this.wq.queue_work(new Work('iopf_handle_group', (w) => this.k.sim.call(w, 'iopf_handle_group', this.iopf_handle_group(w, req), { b: req.pasid })));
    p.lock.unlock(t);
  }

  /** iopf_handle_group: iopf_handle_single for each fault, then iopf_complete_group (the response). */
  private *iopf_handle_group(w: Task, req: PageRequest): Gen {
    const k = this.k;
    const r = yield* k.sim.call(w, 'iopf_handle_single', iopf_handle_single(k, w, req), faultOpts(k, req));
    this.handled++;
    yield* k.sim.call(w, 'iommu_page_response', this.iommu_page_response(w, req, r.code), { b: req.pasid });
  }

  /**
   * iommu_page_response (drivers/iommu/iommu.c): under fault_param->lock, find the pending fault
   * and call the driver's page_response. Intel's intel_svm_page_response takes pasid_mutex in
   * v5.14 (log 04's link #2); whether later kernels still do is not confirmed from source, so the
   * model takes it on the v5.14 line only.
   */
  private *iommu_page_response(w: Task, req: PageRequest, code: number): Gen {
    const k = this.k;
    const p = this.param(req.dev);
    yield* p.faultLock.lock(w);
    if (k.iommu.flavour === 'vt-d' && k.version === 514 && k.sva.impl === 'intel-svm') {
      const pasidMutex = k.sva.lock;
      yield* k.sim.call(w, 'intel_svm_page_response', (function* (): Gen {
        yield* pasidMutex.lock(w);
        k.iommu.page_response(req, code);
        pasidMutex.unlock(w);
      })(), { b: req.pasid });
    } else k.iommu.page_response(req, code);
    p.faultLock.unlock(w);
  }

  /**
   * iopf_queue_flush_dev (io-pgfault.c, v5.14): under param->lock, flush_workqueue on the device's
   * IOPF queue.
   */
  *iopf_queue_flush_dev(t: Task, dev: IommuDevice): Gen {
    const p = this.param(dev);
    yield* this.k.sim.call(t, 'iopf_queue_flush_dev', (function* (wq: Workqueue): Gen {
      yield* p.lock.lock(t);
      yield* wq.flush_workqueue(t);
      p.lock.unlock(t);
    })(this.wq));
  }
}

/** Which path answered a page request: reported as `branch` in the handler's fn_end. */
export type FaultBranch = 'handled' | 'no_mm' | 'mm_defunct' | 'no_vma' | 'access' | 'fault_error';

export type FaultResult = {
  code: number;
  branch: FaultBranch;
};

/** The traced call's options: the mm and PASID, and fn_end carrying the code and the branch. */
export function faultOpts(k: Kernel, req: PageRequest): { a: number; b: number; end: (x: FaultResult) => { args: FaultResult } } {
  return { a: k.sva.ioMmByPasid(req.pasid)?.mm.actor ?? 0, b: req.pasid, end: faultEnd };
}

/** Made once: a closure per fault is not free. */
function faultEnd(x: FaultResult): { args: FaultResult } {
  return { args: x };
}

/**
 * The fault handler proper: iopf_handle_single (io-pgfault.c, on the IOPF workqueue), also run as
 * the body of prq_event_thread's loop for Intel v5.8–v5.13 (traced there as
 * handle_single_prq_event, the helper that loop body was moved into before v5.14 removed it). In
 * kernel order:
 * - find the mm of the PASID (iommu_sva_find / ioasid_find): unbound meanwhile → INVALID;
 * - mmget_not_zero: the address space is gone → INVALID, nothing printed;
 * - mmap_read_lock, find_extend_vma: no VMA at the address → INVALID ("Unmapped area");
 * - the access check (request perms vs vma->vm_flags; every VMA the model maps is read-write, so
 *   it never fails here);
 * - handle_mm_fault: VM_FAULT_ERROR → INVALID; on an mm the OOM reaper has unmapped (MMF_UNSTABLE)
 *   the anonymous fault path's check_stable_address_space returns VM_FAULT_SIGBUS;
 * - mmap_read_unlock, then mmput (mainline) or mmput_async (SVA series v4): `iopfPut`.
 * Nothing is printed on any of these branches: userspace can trigger them at will (the seed commit).
 */
export function* iopf_handle_single(k: Kernel, t: Task, req: PageRequest): Gen<FaultResult> {
  const ioMm = k.sva.ioMmByPasid(req.pasid);
  if (!ioMm) return { code: RESP_INVALID, branch: 'no_mm' };
  const mm = ioMm.mm;
  if (!mmget_not_zero(k, mm)) return { code: RESP_INVALID, branch: 'mm_defunct' };
  yield* mm.mmapLock.down_read(t);
  let res: FaultResult;
  if (req.noVma) res = { code: RESP_INVALID, branch: 'no_vma' };
  else {
    yield k.cfg.fault; // handle_mm_fault
    if (mm.flags.has(MMF_UNSTABLE)) res = { code: RESP_INVALID, branch: 'fault_error' };
    else {
      req.missing = false; // the page is mapped now
      res = { code: RESP_SUCCESS, branch: 'handled' };
    }
  }
  mm.mmapLock.up_read(t);
  if (k.cfg.iopfPut === 'mmput_async') mmput_async(k, t, mm);
  else yield* mmput(k, t, mm);
  return res;
}
