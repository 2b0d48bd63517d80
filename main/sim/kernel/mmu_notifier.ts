import { KIND } from '../events';
import type { Gen, Task } from '../task';
import { Work } from '../workqueue';
import type { Kernel } from './kernel';
import { mmdrop, mmgrab, type MmStruct } from './mm';

/**
 * A subscription (struct mmu_notifier) with its ops (mm/mmu_notifier.c, include/linux/mmu_notifier.h).
 * Registered with mmu_notifier_register (one owner, dropped with mmu_notifier_unregister) or found
 * and shared with mmu_notifier_get (counted `users`, dropped with mmu_notifier_put).
 */
export interface MmuNotifierSub {
  /** The ops table (iommu_mmu_notifier_ops, intel_mmuops, arm_smmu_mmu_notifier_ops): mmu_notifier_get looks a subscription up by it. */
  readonly ops: string;
  /** The kernel name of ops->release, for the trace (io_mm_release, intel_mm_release, arm_smmu_mm_release). */
  readonly releaseFn: string;
  /** The PASID this subscription stands for, for the trace (0 if none). */
  pasid(): number;
  release(t: Task, mm: MmStruct): Gen;
  /**
   * mmu_notifier_ops.invalidate_range: pages [start, end) (page indices) are unmapped and about to be
   * freed; a secondary TLB (the IOMMU's, the device's ATC) must drop them first.
   */
  invalidate_range?(t: Task, mm: MmStruct, start: number, end: number): Gen;
  /** Still on mm's list: neither exit_mmap's release nor an unregister/put has unlinked it. */
  linked: boolean;
  /** subscription->users: mmu_notifier_get references (1 for a registered subscription). */
  users: number;
  /** ops->free_notifier: run by the SRCU callback of the last mmu_notifier_put (it cannot sleep). */
  free_notifier?(t: Task): void;
}

/**
 * mmu_notifier_register: the subscription holds an mmgrab only, never an mm_users reference, so a
 * bound device does not keep the address space alive.
 */
export function* mmu_notifier_register(k: Kernel, t: Task, sub: MmuNotifierSub, mm: MmStruct): Gen {
  yield* k.sim.call(t, 'mmu_notifier_register', register(k, t, sub, mm), { a: mm.actor, b: sub.pasid() });
}

function* register(k: Kernel, t: Task, sub: MmuNotifierSub, mm: MmStruct): Gen {
  yield* mm.mmapLock.down_write(t);
  __mmu_notifier_register(k, sub, mm);
  mm.mmapLock.up_write(t);
}

/** __mmu_notifier_register, with mmap_lock held for write: mmgrab and link. */
function __mmu_notifier_register(k: Kernel, sub: MmuNotifierSub, mm: MmStruct): void {
  mmgrab(k, mm, 'mmu_notifier');
  sub.linked = true;
  sub.users = 1;
  mm.subscriptions.push(sub);
}

/**
 * mmu_notifier_get: under mmap_lock for write, find this ops' subscription on mm and take a users
 * reference, or allocate one (ops->alloc_notifier, here `alloc`, which may fail: null) and
 * register it. Paired with mmu_notifier_put.
 */
export function* mmu_notifier_get<S extends MmuNotifierSub>(k: Kernel, t: Task, ops: string, mm: MmStruct, alloc: () => S | null): Gen<S | null> {
  return yield* k.sim.call(t, 'mmu_notifier_get', get(k, t, ops, mm, alloc), { a: mm.actor, end: (s) => ({ b: s?.pasid() ?? 0 }) });
}

function* get<S extends MmuNotifierSub>(k: Kernel, t: Task, ops: string, mm: MmStruct, alloc: () => S | null): Gen<S | null> {
  yield* mm.mmapLock.down_write(t);
  // mmu_notifier_get_locked: an existing subscription of these ops gets one more user.
  const found = mm.subscriptions.find((s) => s.ops === ops && s.linked) as S | undefined;
  if (found) {
    found.users++;
    mm.mmapLock.up_write(t);
    return found;
  }
  const sub = alloc();
  if (sub) __mmu_notifier_register(k, sub, mm);
  mm.mmapLock.up_write(t);
  return sub;
}

/**
 * mmu_notifier_put: drop a mmu_notifier_get reference. The last one unlinks the subscription and
 * frees it asynchronously: call_srcu → mmu_notifier_free_rcu → ops->free_notifier, then mmdrop.
 * Unlike mmu_notifier_unregister it never calls release(), and it may be called from release()
 * itself (mm/mmu_notifier.c says so): that is how the v4 series' io_mm_release drops its io_mm.
 */
export function mmu_notifier_put(k: Kernel, sub: MmuNotifierSub, mm: MmStruct): void {
  if (sub.users <= 0) k.sim.invariant(`mmu_notifier_put on ${sub.ops} of ${mm.comm} with no users`);
  if (--sub.users > 0) return;
  unlink(sub, mm);
  // srcu_invoke_callbacks runs the callback from a work item on rcu_gp_wq.
  k.notifierSrcu.call_srcu(() => {
    k.rcuGpWq.queue_work(new Work('srcu_invoke_callbacks', (w) => srcu_invoke_callbacks(k, w, sub, mm)));
  });
}

// The callback runs inside the work item and does not sleep.
// eslint-disable-next-line require-yield
function* srcu_invoke_callbacks(k: Kernel, w: Task, sub: MmuNotifierSub, mm: MmStruct): Gen {
  k.sim.callNow(w, 'mmu_notifier_free_rcu', () => {
    sub.free_notifier?.(w);
    // Pairs with the mmgrab in __mmu_notifier_register.
    mmdrop(k, mm, 'mmu_notifier');
  }, { a: mm.actor, b: sub.pasid() });
}

function unlink(sub: MmuNotifierSub, mm: MmStruct): void {
  const i = mm.subscriptions.indexOf(sub);
  if (i >= 0) mm.subscriptions.splice(i, 1);
  sub.linked = false;
}

/**
 * __mmu_notifier_release (mm/mmu_notifier.c), called by exit_mmap: each release() runs inside an
 * SRCU read-side section, the subscriptions are unlinked, and synchronize_srcu() waits for every
 * other reader of the (global) notifier SRCU, so one slow release() delays every exit_mmap and
 * unregister that synchronizes meanwhile.
 */
export function* __mmu_notifier_release(k: Kernel, t: Task, mm: MmStruct): Gen {
  yield* k.sim.call(t, '__mmu_notifier_release', notifier_release(k, t, mm), { a: mm.actor });
}

function* notifier_release(k: Kernel, t: Task, mm: MmStruct): Gen {
  const srcu = k.notifierSrcu;
  const tok = srcu.srcu_read_lock(t);
  // A release() may unlink its own subscription (mmu_notifier_put): walk a copy of the list.
  for (const sub of [...mm.subscriptions]) yield* callRelease(k, t, sub, mm);
  for (const sub of mm.subscriptions.splice(0)) sub.linked = false;
  srcu.srcu_read_unlock(t, tok);
  yield* srcu.synchronize_srcu(t);
}

function* callRelease(k: Kernel, t: Task, sub: MmuNotifierSub, mm: MmStruct): Gen {
  k.sim.emit(KIND.release_begin, t.actor, mm.actor, sub.pasid(), { fn: sub.releaseFn });
  yield* k.sim.call(t, sub.releaseFn, sub.release(t, mm), { a: mm.actor, b: sub.pasid() });
  k.sim.emit(KIND.release_end, t.actor, mm.actor, sub.pasid(), { fn: sub.releaseFn });
}

/**
 * mmu_notifier_unregister: if exit_mmap has not run release() yet, run it here; then
 * synchronize_srcu() (which waits for a release() still running in exit_mmap) and mmdrop.
 */
export function* mmu_notifier_unregister(k: Kernel, t: Task, sub: MmuNotifierSub, mm: MmStruct): Gen {
  yield* k.sim.call(t, 'mmu_notifier_unregister', unregister(k, t, sub, mm), { a: mm.actor, b: sub.pasid() });
}

function* unregister(k: Kernel, t: Task, sub: MmuNotifierSub, mm: MmStruct): Gen {
  const srcu = k.notifierSrcu;
  if (sub.linked) {
    const tok = srcu.srcu_read_lock(t);
    yield* callRelease(k, t, sub, mm);
    srcu.srcu_read_unlock(t, tok);
    unlink(sub, mm);
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
