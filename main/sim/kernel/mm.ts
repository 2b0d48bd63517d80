import { fnArgs, KIND, MMF_OOM_SKIP, MMF_OOM_VICTIM, MMF_UNSTABLE } from '../events';
import { RwSem } from '../sync';
import type { Gen, Task } from '../task';
import { Work } from '../workqueue';
import type { File, Kernel, Proc } from './kernel';
import { __mmu_notifier_release, mmu_notifier_invalidate_range, type MmuNotifierSub } from './mmu_notifier';

/** Pages unmapped per step while tearing down: memory comes back progressively, 32 MiB at a time. */
export const UNMAP_BATCH_PAGES = 8192;

/**
 * struct mm_struct, with the state the model needs: the two reference counts, the MMF flags, the
 * resident pages (anon ones the reaper can free, mlocked ones it cannot), mmap_lock, the notifier
 * subscriptions and the file-backed VMAs (a mapped device queue holds a file reference).
 */
export class MmStruct {
  readonly actor: number;
  /** mm_users: address-space users (threads, get_task_mm, mmget_not_zero in fault handlers). */
  users: number;
  /** mm_count: references to the struct itself (mmgrab): mm_users as one, notifiers, lazy TLB, signal->oom_mm. */
  count = 1;
  readonly flags = new Set<number>();
  anonPages: number;
  lockedPages: number;
  readonly mmapLock: RwSem;
  readonly subscriptions: MmuNotifierSub[] = [];
  readonly vmaFiles: File[] = [];
  readonly asyncPutWork: Work;
  /** Anonymous pages the reaper has unmapped and not freed yet: its invalidate_range is in flight. */
  unmapPending = 0;
  /** ~v5.18: the mm's PASID, kept for its lifetime (0: none). */
  pasid = 0;
  owner: Proc | null = null;
  /** exit_mmap has returned all of the memory. */
  memoryFreed = false;
  structFreed = false;
  /** Seq of mm_new, and of the mm_flag event that set each flag (causes.ts). */
  newSeq = 0;
  readonly flagSeq = new Map<number, number>();
  /** The task running exit_mmap and the seq of its fn_begin (causes.ts: since when memory is pinned). */
  teardownTask: Task | null = null;
  teardownSeq = 0;
  /** Who holds mm_count, for the state panel. */
  readonly grabs = new Map<string, number>();

  constructor(
    private readonly k: Kernel,
    readonly comm: string,
    readonly ownerPid: number,
    anonPages: number,
    lockedPages: number,
    users: number,
  ) {
    this.actor = k.sim.actor(`mm ${comm}:${ownerPid}`, 'mm');
    this.users = users;
    this.anonPages = anonPages;
    this.lockedPages = lockedPages;
    // lockdep class: mm_init_lock → init_rwsem(&mm->mmap_lock) (v5.8+; &mm->mmap_sem before).
    this.mmapLock = new RwSem(k.sim, `mmap_lock ${comm}:${ownerPid}`, k.version >= 508 ? '&mm->mmap_lock' : '&mm->mmap_sem');
    // kernel/fork.c mmput_async_fn: the work item that runs __mmput for mmput_async.
    this.asyncPutWork = new Work(`mmput_async_fn ${comm}:${ownerPid}`, (w) => k.sim.call(w, 'mmput_async_fn', __mmput(k, w, this), { a: this.actor }));
    this.grabs.set('mm_users', 1);
    k.mms.push(this);
    this.newSeq = k.sim.emit(KIND.mm_new, this.actor, ownerPid, 0, { rssPages: anonPages + lockedPages, lockedPages });
    k.sim.emit(KIND.mm_users, this.actor, users, users);
    k.sim.emit(KIND.mm_count, this.actor, 1, 1, { by: 'mm_users' });
    this.emitPages();
  }

  get rssPages(): number {
    return this.anonPages + this.lockedPages;
  }

  emitPages(): void {
    this.k.sim.emit(KIND.mm_pages, this.actor, this.rssPages, this.lockedPages);
  }

  /** Set an MMF flag; returns the seq of its mm_flag event (0 if it was set already). */
  setFlag(flag: number): number {
    if (this.flags.has(flag)) return 0;
    this.flags.add(flag);
    const seq = this.k.sim.emit(KIND.mm_flag, this.actor, flag);
    this.flagSeq.set(flag, seq);
    return seq;
  }

  /**
   * The event since which this mm's memory is pinned, for an allocation it starves (causes.ts):
   * the teardown's wait if exit_mmap is blocked, its exit_mmap if running, else the OOM kill or
   * the mm's creation (nothing has started to free it).
   */
  pinnedSince(): number {
    const t = this.teardownTask;
    if (t && !t.exited) return (t.blockedOn || t.sleepLabel) && t.blockSeq > 0 ? t.blockSeq : this.teardownSeq;
    // Not torn down yet: a thread of its owner stuck on the way (exit_mm waiting for mmap_lock...).
    const stuck = this.owner?.threads.find((x) => !x.exited && x.blockedOn !== null && x.blockSeq > 0);
    if (stuck) return stuck.blockSeq;
    return this.owner?.oomKillSeq || this.newSeq;
  }
}

// ------------------------------------------------------------------ mm_users

export function mmget(k: Kernel, mm: MmStruct, fn = 'mmget'): void {
  if (mm.users <= 0) k.sim.invariant(`mmget on ${mm.comm} with mm_users ${mm.users}`);
  mm.users++;
  k.sim.emitJson(KIND.mm_users, mm.actor, mm.users, 1, fnArgs(fn));
}

/** mmget_not_zero: fails once the address space is gone (mm_users reached 0). */
export function mmget_not_zero(k: Kernel, mm: MmStruct): boolean {
  if (mm.users === 0) {
    k.sim.emit(KIND.mmget_not_zero_fail, mm.actor);
    return false;
  }
  mm.users++;
  k.sim.emitJson(KIND.mm_users, mm.actor, mm.users, 1, fnArgs('mmget_not_zero'));
  return true;
}

function dropUser(k: Kernel, mm: MmStruct, fn: string): boolean {
  if (mm.users <= 0) k.sim.invariant(`${fn} on ${mm.comm} with mm_users ${mm.users}`);
  mm.users--;
  k.sim.emitJson(KIND.mm_users, mm.actor, mm.users, -1, fnArgs(fn));
  return mm.users === 0;
}

/** mmput (kernel/fork.c): the last user tears the address space down, synchronously, in the caller's context. */
export function* mmput(k: Kernel, t: Task, mm: MmStruct): Gen {
  if (dropUser(k, mm, 'mmput')) yield* __mmput(k, t, mm);
}

/** mmput_async (kernel/fork.c): the last user hands __mmput to a kworker on system_wq and returns at once. */
export function mmput_async(k: Kernel, _t: Task, mm: MmStruct): void {
  if (dropUser(k, mm, 'mmput_async')) k.systemWq.queue_work(mm.asyncPutWork);
}

// ------------------------------------------------------------------ mm_count

export function mmgrab(k: Kernel, mm: MmStruct, by: string): void {
  if (mm.count <= 0) k.sim.invariant(`mmgrab on freed mm ${mm.comm}`);
  mm.count++;
  mm.grabs.set(by, (mm.grabs.get(by) ?? 0) + 1);
  k.sim.emit(KIND.mm_count, mm.actor, mm.count, 1, { by });
}

export function mmdrop(k: Kernel, mm: MmStruct, by: string): void {
  if (mm.count <= 0) k.sim.invariant(`mmdrop on ${mm.comm} with mm_count ${mm.count}`);
  const held = mm.grabs.get(by) ?? 0;
  if (held <= 0) k.sim.invariant(`mmdrop by '${by}' on ${mm.comm}, which holds no reference`);
  if (held === 1) mm.grabs.delete(by);
  else mm.grabs.set(by, held - 1);
  mm.count--;
  k.sim.emit(KIND.mm_count, mm.actor, mm.count, -1, { by });
  if (mm.count === 0) __mmdrop(k, mm);
}

/** __mmdrop: the struct is freed. From ~v5.18 this is where the mm's PASID is released. */
function __mmdrop(k: Kernel, mm: MmStruct): void {
  mm.structFreed = true;
  k.sim.emit(KIND.mm_free, mm.actor);
  if (mm.pasid !== 0) {
    k.iommu.pasids.free(mm.pasid, mm.actor);
    mm.pasid = 0;
  }
}

// ------------------------------------------------------------------ teardown

/** __mmput (kernel/fork.c): exit_mmap, then drop the mm_users share of mm_count. */
export function __mmput(k: Kernel, t: Task, mm: MmStruct): Gen {
  return k.sim.call(t, '__mmput', mmput_body(k, t, mm), { a: mm.actor });
}

function* mmput_body(k: Kernel, t: Task, mm: MmStruct): Gen {
  yield* exit_mmap(k, t, mm);
  mmdrop(k, mm, 'mm_users');
}

/**
 * exit_mmap (mm/mmap.c, v5.7 order): mmu_notifier_release; for an OOM victim reap what can be
 * reaped and set MMF_OOM_SKIP (then down_write/up_write mmap_lock to fence the reaper); munlock;
 * unmap and free everything; remove_vma, which drops the file references of mapped files.
 */
export function exit_mmap(k: Kernel, t: Task, mm: MmStruct): Gen {
  return k.sim.call(t, 'exit_mmap', exit_mmap_body(k, t, mm), { a: mm.actor });
}

function* exit_mmap_body(k: Kernel, t: Task, mm: MmStruct): Gen {
  // sim.call has just emitted exit_mmap's fn_begin.
  mm.teardownTask = t;
  mm.teardownSeq = k.sim.seq;
  t.longestBlockNs = 0;
  if (mm.subscriptions.length > 0) yield* __mmu_notifier_release(k, t, mm);

  if (mm.flags.has(MMF_OOM_VICTIM)) {
    // "Manually reap the mm to free as much memory as possible" (exit_mmap, v5.7).
    yield* k.sim.call(t, '__oom_reap_task_mm', __oom_reap_task_mm(k, t, mm), { a: mm.actor });
    mm.setFlag(MMF_OOM_SKIP);
    yield* mm.mmapLock.down_write(t);
    mm.mmapLock.up_write(t);
  }

  // munlock_vma_pages_all then unmap_vmas + free_pgtables: locked pages cost twice.
  const freed = mm.rssPages;
  while (mm.lockedPages > 0) {
    const n = Math.min(UNMAP_BATCH_PAGES, mm.lockedPages);
    yield n * k.cfg.unmapPerPage * 2;
    mm.lockedPages -= n;
    mm.emitPages();
    k.returnPages(n);
  }
  while (mm.anonPages > 0) {
    const n = Math.min(UNMAP_BATCH_PAGES, mm.anonPages);
    yield n * k.cfg.unmapPerPage;
    mm.anonPages -= n;
    mm.emitPages();
    k.returnPages(n);
  }
  mm.memoryFreed = true;
  const done = k.sim.emit(KIND.mm_freed, mm.actor, freed);
  // Why the memory came back only now: the longest wait of its teardown (release() waiting for a device...).
  if (t.longestBlockNs > 0) k.sim.edge(done, t.longestBlockSeq, 'because_of', { waitedNs: t.longestBlockNs });
  // remove_vma: fput(vma->vm_file) for each mapped file, e.g. the device queue's MMIO region.
  for (const f of mm.vmaFiles.splice(0)) k.fput(t, f);
}

/**
 * __oom_reap_task_mm (mm/oom_kill.c): unmap what can be unmapped. VM_LOCKED, VM_HUGETLB and
 * VM_PFNMAP mappings are skipped (can_madv_lru_vma), yet the call still reports success. The SVA
 * notifiers do not refuse a non-blocking invalidate, so no failure comes from them.
 * Each range is unmapped inside mmu_notifier_invalidate_range_start/end: unmap_page_range clears the
 * page tables, invalidate_range_end reaches the SVA notifier's invalidate_range (IOTLB and ATC), and
 * only then does tlb_finish_mmu free the pages. So no device transaction can complete into a reaped
 * page (the dmaAfterFree metric counts any that would).
 * Returns the pages reaped.
 */
export function* __oom_reap_task_mm(k: Kernel, t: Task, mm: MmStruct): Gen<number> {
  mm.setFlag(MMF_UNSTABLE);
  let reaped = 0;
  while (mm.anonPages > 0) {
    const n = Math.min(UNMAP_BATCH_PAGES, mm.anonPages);
    yield n * k.cfg.unmapPerPage;
    // Another reaper (exit_mmap or oom_reaper) may have taken some meanwhile.
    const m = Math.min(n, mm.anonPages);
    if (m === 0) break;
    // unmap_page_range: the pages [end - m, end) of the anonymous region are no longer mapped.
    const end = mm.lockedPages + mm.anonPages;
    mm.anonPages -= m;
    mm.unmapPending += m;
    mm.emitPages();
    yield* mmu_notifier_invalidate_range(k, t, mm, end - m, end);
    // tlb_finish_mmu: the pages are freed.
    mm.unmapPending -= m;
    reaped += m;
    k.returnPages(m);
  }
  return reaped;
}
