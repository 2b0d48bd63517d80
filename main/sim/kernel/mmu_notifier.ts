import { KIND } from '../events';
import type { Gen, Task } from '../task';
import type { Kernel } from './kernel';
import { mmdrop, mmgrab, type MmStruct } from './mm';

/** A subscription (struct mmu_notifier) with its release() op. */
export interface MmuNotifierSub {
  readonly name: string;
  /** The PASID this subscription stands for, for the trace (0 if none). */
  pasid(): number;
  release(t: Task, mm: MmStruct): Gen;
  /**
   * mmu_notifier_ops.invalidate_range: pages [start, end) (page indices) are unmapped and about to be
   * freed; a secondary TLB (the IOMMU's, the device's ATC) must drop them first.
   */
  invalidate_range?(t: Task, mm: MmStruct, start: number, end: number): Gen;
  /** Still on mm's list: release() has not run yet. */
  linked: boolean;
}

/**
 * mmu_notifier_register: the subscription holds an mmgrab only, never an mm_users reference, so a
 * bound device does not keep the address space alive.
 */
export function* mmu_notifier_register(k: Kernel, t: Task, sub: MmuNotifierSub, mm: MmStruct): Gen {
  yield* mm.mmapLock.down_write(t);
  mmgrab(k, mm, 'mmu_notifier');
  sub.linked = true;
  mm.subscriptions.push(sub);
  mm.mmapLock.up_write(t);
}

/**
 * __mmu_notifier_release (mm/mmu_notifier.c), called by exit_mmap: each release() runs inside an
 * SRCU read-side section, the subscriptions are unlinked, and synchronize_srcu() waits for every
 * other reader of the (global) notifier SRCU, so one slow release() delays every exit_mmap and
 * unregister that synchronizes meanwhile.
 */
export function* __mmu_notifier_release(k: Kernel, t: Task, mm: MmStruct): Gen {
  const srcu = k.notifierSrcu;
  const tok = srcu.srcu_read_lock(t);
  for (const sub of [...mm.subscriptions]) yield* callRelease(k, t, sub, mm);
  for (const sub of mm.subscriptions.splice(0)) sub.linked = false;
  srcu.srcu_read_unlock(t, tok);
  yield* srcu.synchronize_srcu(t);
}

function* callRelease(k: Kernel, t: Task, sub: MmuNotifierSub, mm: MmStruct): Gen {
  k.sim.emit(KIND.release_begin, t.actor, mm.actor, sub.pasid(), { fn: `${sub.name}.release` });
  yield* sub.release(t, mm);
  k.sim.emit(KIND.release_end, t.actor, mm.actor, sub.pasid(), { fn: `${sub.name}.release` });
}

/**
 * mmu_notifier_unregister: if exit_mmap has not run release() yet, run it here; then
 * synchronize_srcu() (which waits for a release() still running in exit_mmap) and mmdrop.
 */
export function* mmu_notifier_unregister(k: Kernel, t: Task, sub: MmuNotifierSub, mm: MmStruct): Gen {
  const srcu = k.notifierSrcu;
  if (sub.linked) {
    const tok = srcu.srcu_read_lock(t);
    yield* callRelease(k, t, sub, mm);
    srcu.srcu_read_unlock(t, tok);
    const i = mm.subscriptions.indexOf(sub);
    if (i >= 0) mm.subscriptions.splice(i, 1);
    sub.linked = false;
  }
  yield* srcu.synchronize_srcu(t);
  mmdrop(k, mm, 'mmu_notifier');
}

/**
 * mmu_notifier_invalidate_range (mm/mmu_notifier.c, __mmu_notifier_invalidate_range): every
 * subscription still on the mm's list gets invalidate_range(), inside an SRCU read-side section. The
 * unmap paths call it after clearing the page tables and before freeing the pages (the OOM reaper:
 * unmap_page_range then mmu_notifier_invalidate_range_end, then tlb_finish_mmu frees).
 *
 * After __mmu_notifier_release the list is empty, so exit_mmap's own unmap (and the reap it does for
 * an OOM victim) reaches no notifier. That is safe because release() has already taken the device
 * off the address space for good:
 * - quiet model (intel_mm_release, arm_smmu_mm_release): every bound device's entry is made quiet
 *   (VT-d not present with FPD, SMMUv3 a CD with translation disabled), so no walk reaches the page
 *   tables again, and the PASID cache, IOTLB and ATC are invalidated for the whole PASID, so no
 *   cached translation survives;
 * - mm_exit model (io_mm_release): mm_exit() has stopped the device and every bond is detached
 *   (entry cleared, caches invalidated) before release() returns.
 * A close before exit is the same: unbind clears the entry and invalidates before it unregisters.
 */
export function* mmu_notifier_invalidate_range(k: Kernel, t: Task, mm: MmStruct, start: number, end: number): Gen {
  if (mm.subscriptions.length === 0) return;
  const srcu = k.notifierSrcu;
  const tok = srcu.srcu_read_lock(t);
  for (const sub of [...mm.subscriptions]) if (sub.invalidate_range) yield* sub.invalidate_range(t, mm, start, end);
  srcu.srcu_read_unlock(t, tok);
}
