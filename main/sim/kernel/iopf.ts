import { fnArgs, KIND, RESP_INVALID, RESP_SUCCESS } from '../events';
import type { Gen, Task } from '../task';
import { Work, Workqueue } from '../workqueue';
import type { PageRequest } from './iommu';
import type { Kernel } from './kernel';
import { mmget_not_zero, mmput, mmput_async } from './mm';

/**
 * The I/O page fault queue (io-pgfault.c): faults are queued as work items on one unbound
 * workqueue; iopf_queue_flush_dev() is flush_workqueue() on it.
 */
export class IopfQueue {
  readonly wq: Workqueue;
  handled = 0;

  constructor(private readonly k: Kernel) {
    // alloc_workqueue("iopf_queue/%s", WQ_UNBOUND, 0): max_active defaults to WQ_DFL_ACTIVE (256).
    this.wq = new Workqueue(k.sim, 'iopf_queue', 256);
  }

  /** iommu_report_device_fault: each request is a group of one (last page in group). */
  report(req: PageRequest): void {
    this.wq.queue_work(new Work('iopf_handle_group', (w) => this.iopf_handle_group(w, req)));
  }

  private *iopf_handle_group(t: Task, req: PageRequest): Gen {
    const code = yield* iopf_handle_single(this.k, t, req.pasid);
    this.handled++;
    this.k.iommu.page_response(req, code);
  }
}

/**
 * iopf_handle_single: find the mm of the PASID, mmget_not_zero (failure: INVALID, nothing
 * printed), handle the fault under mmap_lock, drop the reference with mmput (mainline) or
 * mmput_async (SVA series v4), answer SUCCESS.
 */
export function* iopf_handle_single(k: Kernel, t: Task, pasid: number): Gen<number> {
  const ioMm = k.sva.ioMmByPasid(pasid);
  if (!ioMm) {
    // Unbound between the PRQ thread's lookup and this work item (iommu_sva_find fails).
    k.sim.emit(KIND.fn_end, t.actor, 0, pasid, { fn: 'iopf_handle_single', code: RESP_INVALID, branch: 'no_mm' });
    return RESP_INVALID;
  }
  const mm = ioMm.mm;
  k.sim.emitJson(KIND.fn_begin, t.actor, mm.actor, pasid, fnArgs('iopf_handle_single'));
  let code = RESP_INVALID;
  let branch = 'mm_defunct';
  if (mmget_not_zero(k, mm)) {
    branch = 'handled';
    yield* mm.mmapLock.down_read(t);
    yield k.cfg.fault; // handle_mm_fault
    mm.mmapLock.up_read(t);
    code = RESP_SUCCESS;
    if (k.cfg.iopfPut === 'mmput_async') mmput_async(k, t, mm);
    else yield* mmput(k, t, mm);
  }
  k.sim.emit(KIND.fn_end, t.actor, mm.actor, pasid, { fn: 'iopf_handle_single', code, branch });
  return code;
}
