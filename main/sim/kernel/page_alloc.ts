import { KIND } from '../events';
import type { Gen, Task } from '../task';
import type { Kernel } from './kernel';

/** MAX_RECLAIM_RETRIES: reclaim rounds without progress before the OOM killer is invoked. */
export const MAX_RECLAIM_RETRIES = 16;

/**
 * __alloc_pages_slowpath (mm/page_alloc.c), reduced to what decides OOM kills: each round of direct reclaim frees
 * nothing here (all memory is anonymous, there is no swap) and takes `allocRetry`; progress is
 * memory that came back meanwhile. After MAX_RECLAIM_RETRIES rounds without progress,
 * __alloc_pages_may_oom: trylock oom_lock (else sleep a tick), re-check free memory under the lock,
 * then out_of_memory(). A kill or a pending victim counts as progress and restarts the count.
 * Returns false if the allocation failed (the caller was killed, or nothing was left to kill).
 */
export function* alloc_pages(k: Kernel, t: Task, pages: number): Gen<boolean> {
  if (k.freePages >= pages) {
    take(k, pages);
    return true;
  }
  return yield* k.sim.call(t, '__alloc_pages_slowpath', slowpath(k, t, pages), { args: { pages }, end: (ok) => ({ args: { pages, ok } }) });
}

function* slowpath(k: Kernel, t: Task, pages: number): Gen<boolean> {
  const stall = k.sim.emit(KIND.alloc_stall, t.actor, pages, k.freePages);
  // causes.ts: each out_of_memory of this allocation names the one before (a retry) or the stall.
  let firstOom = 0;
  let prevOom = 0;
  let retries = 0;
  let noProgress = 0;
  let lastFree = k.freePages;
  for (;;) {
    if (t.sigkill) return false;
    if (k.freePages >= pages) {
      take(k, pages);
      k.sim.emit(KIND.alloc_done, t.actor, pages);
      return true;
    }
    yield k.cfg.allocRetry; // direct reclaim: CPU time scanning LRUs, the task stays R
    if (k.freePages > lastFree) noProgress = 0;
    else noProgress++;
    lastFree = k.freePages;
    if (noProgress <= MAX_RECLAIM_RETRIES) continue;
    // __alloc_pages_may_oom
    if (!k.oom.oom_lock.trylock(t)) {
      yield* k.sim.sleep(t, k.cfg.allocRetry, 'schedule_timeout_uninterruptible(1)', false);
      continue;
    }
    if (k.freePages >= pages) {
      k.oom.oom_lock.unlock(t);
      continue;
    }
    const progress = yield* k.oom.out_of_memory(t);
    const inv = k.oom.lastInvokeSeq;
    if (prevOom === 0) {
      firstOom = inv;
      k.sim.edge(inv, stall, 'because_of', { rounds: MAX_RECLAIM_RETRIES + 1, pages });
    } else k.sim.edge(inv, prevOom, 'because_of', { retry: retries, first: firstOom });
    prevOom = inv;
    retries++;
    k.oom.oom_lock.unlock(t);
    if (!progress) return false;
    noProgress = 0;
  }
}

function take(k: Kernel, pages: number): void {
  k.freePages -= pages;
  k.sim.emit(KIND.mem_free, k.memActor, k.freePages);
}
