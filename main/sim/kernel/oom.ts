import { KIND, MMF_OOM_SKIP, MMF_OOM_VICTIM, REAP_BUSY, REAP_REAPED, REAP_SKIPPED } from '../events';
import type { Sim } from '../engine';
import { Mutex, WaitQueue } from '../sync';
import { NS_PER_S } from '../time';
import type { Gen, Task } from '../task';
import type { Kernel, Proc } from './kernel';
import { __oom_reap_task_mm, mmdrop, mmgrab, type MmStruct } from './mm';
import { KERN_ERR, KERN_INFO, KERN_WARNING } from './printk';

export const OOM_SCORE_ADJ_MIN = -1000;
/** The uid of every process in the model (the OOM lines print it). */
const UID = 1000;


interface Victim {
  proc: Proc;
  mm: MmStruct;
}

/** ___ratelimit without the "callbacks suppressed" line: at most `burst` per `interval`. */
class Burst {
  private begin = -1;
  private n = 0;
  constructor(
    private readonly sim: Sim,
    private readonly interval: number,
    private readonly burst: number,
  ) {}
  allow(): boolean {
    const t = this.sim.now;
    if (this.begin < 0 || t - this.begin >= this.interval) {
      this.begin = t;
      this.n = 0;
    }
    return this.n++ < this.burst;
  }
}

/**
 * The OOM killer (mm/oom_kill.c, v5.7): out_of_memory, select_bad_process with its abort and skip
 * rules, oom_badness, oom_kill_process, and the oom_reaper kthread.
 */
export class OomKiller {
  readonly actor: number;
  readonly reaperActor: number;
  readonly oom_lock: Mutex;
  private readonly reaperList: Victim[] = [];
  private readonly reaperWait: WaitQueue;
  /** oom_kill_process's oom_rs: dump_header is ratelimited (DEFAULT_RATELIMIT_INTERVAL, _BURST). */
  private readonly headerRl: Burst;
  kills = 0;
  /** Seq of the last oom_invoke (causes.ts: the allocator links its retries through it). */
  lastInvokeSeq = 0;
  /** oom_skip events of the scan in progress: why the kill that ends it passed those victims over. */
  private scanSkips: number[] = [];

  constructor(private readonly k: Kernel) {
    this.actor = k.sim.actor('oom killer', 'oom');
    this.reaperActor = k.sim.actor('oom_reaper', 'oom');
    this.oom_lock = new Mutex(k.sim, 'oom_lock');
    this.reaperWait = new WaitQueue(k.sim, 'oom_reaper_wait (idle)');
    this.headerRl = new Burst(k.sim, 5 * NS_PER_S, 10);
  }

  start(): void {
    this.k.kthread('oom_reaper', (t) => this.oom_reaper(t));
  }

  /**
   * oom_badness: rss + swap + page tables + adj * totalpages / 1000; 0 for OOM_SCORE_ADJ_MIN, an
   * mm with MMF_OOM_SKIP, or a task with no mm left (find_lock_task_mm fails).
   */
  oom_badness(p: Proc): number {
    const mm = this.liveMm(p);
    if (!mm) return 0;
    if (p.oomScoreAdj === OOM_SCORE_ADJ_MIN || mm.flags.has(MMF_OOM_SKIP)) return 0;
    // Page tables: about one 4 KiB page per 512 mapped pages.
    const pgtables = Math.ceil(mm.rssPages / 512);
    const points = mm.rssPages + pgtables + Math.trunc(p.oomScoreAdj * Math.trunc(this.k.totalPages / 1000));
    return points > 0 ? points : 1;
  }

  /** find_lock_task_mm: the mm of any thread that still has one. */
  private liveMm(p: Proc): MmStruct | null {
    for (const t of p.threads) {
      const mm = this.k.taskMm.get(t);
      if (mm && !t.exited) return mm;
    }
    return null;
  }

  /**
   * select_bad_process / oom_evaluate_task. Returns the chosen process, 'abort' when an earlier
   * victim's mm lacks MMF_OOM_SKIP (it is expected to free memory: no new kill), or null.
   */
  select_bad_process(): Proc | 'abort' | null {
    let chosen: Proc | null = null;
    let chosenPoints = 0;
    for (const p of this.k.procs) {
      if (p.oomMm) {
        if (p.oomMm.flags.has(MMF_OOM_SKIP)) {
          const skip = this.k.sim.emit(KIND.oom_skip, this.actor, p.leader.actor);
          this.k.sim.edge(skip, p.oomMm.flagSeq.get(MMF_OOM_SKIP) ?? 0, 'because_of', { flag: 'MMF_OOM_SKIP', mm: p.oomMm.actor });
          this.scanSkips.push(skip);
          continue;
        }
        const abort = this.k.sim.emit(KIND.oom_abort, this.actor, p.leader.actor);
        // The victim is still expected to free its memory: pending since its kill.
        this.k.sim.edge(abort, p.oomKillSeq, 'because_of', { pending: p.leader.actor, mm: p.oomMm.actor });
        return 'abort';
      }
      const points = this.oom_badness(p);
      if (!points || points < chosenPoints) continue;
      chosen = p;
      chosenPoints = points;
    }
    return chosen;
  }

  /**
   * out_of_memory (mm/oom_kill.c, v5.8), called with oom_lock held. Returns whether progress can be
   * expected (a victim was killed, or one is already on its way out). With nothing left to kill it
   * prints "Out of memory and no killable processes..." (after dump_header) and panics ("System is
   * deadlocked on memory"): a global OOM from an allocation cannot be survived, and never returns.
   */
  out_of_memory(t: Task): Gen<boolean> {
    return this.k.sim.call(t, 'out_of_memory', this.out_of_memory_body(t), { end: (r) => ({ args: { progress: r } }) });
  }

  private *out_of_memory_body(t: Task): Gen<boolean> {
    const k = this.k;
    const invoke = k.sim.emit(KIND.oom_invoke, this.actor, t.actor);
    this.lastInvokeSeq = invoke;
    this.scanSkips = [];
    if (k.sim.edges) {
      // The memory the allocation could not get: whatever OOM victims and exiting mms still hold.
      for (const mm of k.mms) {
        if (mm.memoryFreed || mm.rssPages === 0 || !(mm.flags.has(MMF_OOM_VICTIM) || mm.teardownTask)) continue;
        k.sim.edge(invoke, mm.pinnedSince(), 'held_by', { mm: mm.actor, pages: mm.rssPages, locked: mm.lockedPages });
      }
    }
    // task_will_free_mem(current): a dying allocator just gets to exit.
    const self = k.procOf.get(t);
    if (self && self.killed) return true;
    const chosen = this.select_bad_process();
    if (chosen === 'abort') return true;
    if (!chosen) {
      k.sim.emit(KIND.oom_none, this.actor);
      this.dump_header(t, null);
      k.log.printk(KERN_WARNING, 'Out of memory and no killable processes...', 0, 'oom');
      return yield* k.panic(t, 'System is deadlocked on memory', 'oom');
    }
    yield* k.sim.call(t, 'oom_kill_process', this.oom_kill_process(t, chosen), { args: { pid: chosen.tgid, comm: chosen.comm } });
    return true;
  }

  /**
   * dump_header: "<comm> invoked oom-killer: ..." (pr_warn), dump_stack, then, for a kill,
   * dump_oom_summary's one-line "oom-kill:constraint=..." (pr_info). The kernel prints Mem-Info and
   * the task table between them; the model leaves those out. A global OOM on a one-node machine with no
   * cpuset or memory cgroup limit: CONSTRAINT_NONE, node 0, the root cgroups.
   */
  private dump_header(t: Task, victim: Proc | null): void {
    const k = this.k;
    const cur = k.procOf.get(t);
    k.log.printk(KERN_WARNING, `${t.comm} invoked oom-killer: gfp_mask=0x100dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO), order=0, oom_score_adj=${cur?.oomScoreAdj ?? 0}`, 0, 'oom');
    k.dump_stack(t, ['dump_header'], KERN_WARNING, 'oom');
    if (victim) {
      k.log.printk(KERN_INFO, `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=${victim.comm},pid=${victim.tgid},uid=${UID}`, 0, 'oom');
    }
  }

  /**
   * oom_kill_process: dump_header (ratelimited, DEFAULT_RATELIMIT_BURST per 5 s), then
   * __oom_kill_process: mmgrab, SIGKILL, mark_oom_victim, "Out of memory: Killed process ..."
   * (pr_err), wake the reaper, mmdrop.
   */
  private *oom_kill_process(t: Task, p: Proc): Gen {
    const k = this.k;
    const mm = this.liveMm(p);
    if (!mm) return;
    if (this.headerRl.allow()) this.dump_header(t, p);
    const points = this.oom_badness(p);
    mmgrab(k, mm, 'oom_kill_process');
    this.kills++;
    const kill = (p.oomKillSeq = k.sim.emit(KIND.oom_kill, this.actor, p.leader.actor, points, {
      pid: p.tgid,
      comm: p.comm,
      rssPages: mm.rssPages,
      lockedPages: mm.lockedPages,
      adj: p.oomScoreAdj,
      mm: mm.actor,
    }));
    k.sim.edge(kill, this.lastInvokeSeq, 'because_of', { kill: this.kills });
    for (const skip of this.scanSkips) k.sim.edge(kill, skip, 'because_of', {});
    k.sigkillProcess(p, 'oom_kill_process');
    this.mark_oom_victim(p, mm);
    // MM_ANONPAGES counts mlocked anonymous pages too: the model's locked memory is anonymous.
    k.log.printk(
      KERN_ERR,
      `Out of memory: Killed process ${p.tgid} (${p.comm}) total-vm:${mm.rssPages * 4}kB, anon-rss:${mm.rssPages * 4}kB, file-rss:0kB, shmem-rss:0kB, UID:${UID} pgtables:${Math.ceil(mm.rssPages / 512) * 4}kB oom_score_adj:${p.oomScoreAdj}`,
      0,
      'oom',
    );
    this.wake_oom_reaper(p, mm);
    mmdrop(k, mm, 'oom_kill_process');
    yield 0;
  }

  /** mark_oom_victim: TIF_MEMDIE, signal->oom_mm (with its own mmgrab), MMF_OOM_VICTIM. */
  private mark_oom_victim(p: Proc, mm: MmStruct): void {
    for (const t of p.threads) this.k.memdie.add(t);
    if (!p.oomMm) {
      p.oomMm = mm;
      mmgrab(this.k, mm, 'signal->oom_mm');
      mm.setFlag(MMF_OOM_VICTIM);
    }
  }

  private wake_oom_reaper(p: Proc, mm: MmStruct): void {
    const k = this.k;
    const queue = () => {
      this.reaperList.push({ proc: p, mm });
      this.reaperWait.wake_up();
    };
    // ~v5.18 queues the victim after OOM_REAPER_DELAY (a timer); v5.8 queues it at once.
    if (k.cfg.reaperDelay > 0) k.sim.after(k.cfg.reaperDelay, queue);
    else queue();
  }

  private *oom_reaper(t: Task): Gen {
    for (;;) {
      yield* this.reaperWait.wait_event(t, () => this.reaperList.length > 0, true);
      const v = this.reaperList.shift();
      if (v) yield* this.oom_reap_task(t, v);
    }
  }

  /**
   * oom_reap_task: up to reaperRetries attempts (MAX_OOM_REAP_RETRIES), reaperInterval apart
   * (schedule_timeout_idle(HZ/10)); then, whether it worked or not, MMF_OOM_SKIP: the OOM killer
   * may pick another victim from now on.
   */
  private oom_reap_task(t: Task, v: Victim): Gen {
    return this.k.sim.call(t, 'oom_reap_task', this.oom_reap_task_body(t, v), { a: v.mm.actor, args: { pid: v.proc.tgid } });
  }

  private *oom_reap_task_body(t: Task, v: Victim): Gen {
    const k = this.k;
    let attempts = 0;
    let ok = false;
    let last = 0;
    while (attempts++ < k.cfg.reaperRetries) {
      ok = yield* k.sim.call(t, 'oom_reap_task_mm', this.oom_reap_task_mm(t, v, attempts), { a: v.mm.actor, end: (r) => ({ args: { ok: r } }) });
      last = this.lastReapEnd;
      if (ok) break;
      yield* k.sim.sleep(t, k.cfg.reaperInterval, 'oom_reaper: schedule_timeout_idle', true);
    }
    if (!ok && !v.mm.flags.has(MMF_OOM_SKIP)) {
      const fail = k.sim.emit(KIND.oom_reap_fail, this.reaperActor, v.proc.leader.actor, attempts - 1);
      // Gave up because the last attempt, like every one, found mmap_lock taken.
      k.sim.edge(fail, last, 'because_of', { attempts: attempts - 1 });
      last = fail;
      k.log.printk(KERN_INFO, `oom_reaper: unable to reap pid:${v.proc.tgid} (${v.proc.comm})`, 0, 'oom');
    }
    // "Hide this mm from OOM killer because it has been either reaped or somebody can't call
    // mmap_write_unlock(mm)."
    const skipSet = v.mm.setFlag(MMF_OOM_SKIP);
    k.sim.edge(skipSet, last, 'because_of', { reaper: true });
  }

  /** Seq of the last reap_end (causes.ts). */
  private lastReapEnd = 0;

  /**
   * oom_reap_task_mm: mmap_read_trylock (failure: try again later); an mm already marked
   * MMF_OOM_SKIP (exit_mmap got there first) is skipped; else __oom_reap_task_mm and
   * "oom_reaper: reaped process ..." (pr_info). anon-rss counts the mlocked pages the reaper left.
   */
  private *oom_reap_task_mm(t: Task, v: Victim, attempt: number): Gen<boolean> {
    const k = this.k;
    const mm = v.mm;
    k.sim.emit(KIND.reap_begin, this.reaperActor, v.proc.leader.actor, attempt);
    if (!mm.mmapLock.down_read_trylock(t)) {
      this.lastReapEnd = k.sim.emit(KIND.reap_end, this.reaperActor, 0, REAP_BUSY);
      // mmap_read_trylock failed: somebody holds mmap_lock for write (or a writer waits).
      for (const held of mm.mmapLock.waitCauses()) k.sim.edge(this.lastReapEnd, held, 'because_of', { lock: mm.mmapLock.label });
      return false;
    }
    let reaped = 0;
    let outcome = REAP_SKIPPED;
    if (!mm.flags.has(MMF_OOM_SKIP)) {
      reaped = yield* k.sim.call(t, '__oom_reap_task_mm', __oom_reap_task_mm(k, t, mm), { a: mm.actor });
      outcome = REAP_REAPED;
      k.log.printk(
        KERN_INFO,
        `oom_reaper: reaped process ${v.proc.tgid} (${v.proc.comm}), now anon-rss:${mm.rssPages * 4}kB, file-rss:0kB, shmem-rss:0kB`,
        0,
        'oom',
      );
    }
    mm.mmapLock.up_read(t);
    this.lastReapEnd = k.sim.emit(KIND.reap_end, this.reaperActor, reaped, outcome);
    // The reaper skips VM_LOCKED mappings: what it left is the memory locked since the mm began.
    if (outcome === REAP_REAPED && mm.lockedPages > 0) k.sim.edge(this.lastReapEnd, mm.newSeq, 'because_of', { locked: mm.lockedPages, mm: mm.actor });
    return true;
  }
}
