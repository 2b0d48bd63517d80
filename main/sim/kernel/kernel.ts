import { KIND } from '../events';
import type { Sim } from '../engine';
import { Srcu } from '../sync';
import type { Gen, Task } from '../task';
import { Work, Workqueue } from '../workqueue';
import { kernelRelease, type KernelConfig } from './config';
import { HungTaskDetector } from './hung_task';
import { Iommu } from './iommu';
import { MmStruct } from './mm';
import { OomKiller } from './oom';
import { Printk, KERN_WARNING, type LogClass } from './printk';
import { dumpStackLines, printTainted, type KernelIdent } from '../dump_stack';
import { Lockdep } from '../lockdep';
import { Sva } from './sva';

export const PAGES_PER_MIB = 256;
/** KERN_EMERG (include/linux/kern_levels.h): the level pr_emerg and panic() print at. */
export const KERN_EMERG = 0;

/** struct file: a reference-counted open file; the last fput runs `release`. */
export class File {
  refs = 1;
  constructor(
    readonly name: string,
    readonly release: (t: Task) => Gen,
  ) {}
}

/** A thread group: the process as userspace sees it (signal_struct, files_struct, mm). */
export class Proc {
  readonly threads: Task[] = [];
  liveThreads = 0;
  readonly files: File[] = [];
  /** signal->oom_mm: set when the process is an OOM victim; holds an mmgrab until the signal struct goes. */
  oomMm: MmStruct | null = null;
  /** Seq of the oom_kill that made it a victim (causes.ts: a pending victim aborts the next scan). */
  oomKillSeq = 0;
  /** The parent reaps the zombie at once (false: it never waits, the zombie stays). */
  autoreap = true;
  killed = false;
  constructor(
    readonly tgid: number,
    readonly comm: string,
    public mm: MmStruct | null,
    readonly oomScoreAdj: number,
  ) {}

  get leader(): Task {
    return this.threads[0];
  }
}

/** What a scenario may set about the machine beyond the shared parameters. */
export interface KernelOptions {
  /** uname -r and build number the log prints (default: the kernel line of the settings). */
  release?: string;
  /** debug_locks at boot: lockdep on (default) or already off ("INFO: lockdep is turned off."). */
  debugLocks?: boolean;
}

export interface ProcessSpec {
  comm: string;
  anonMiB: number;
  lockedMiB?: number;
  oomScoreAdj?: number;
  /** Extra threads sharing the mm, idling in user mode. */
  extraThreads?: number;
  body: (k: Kernel, t: Task, p: Proc) => Gen;
}

/**
 * The simulated machine: memory, processes, the IOMMU with its SVA layer, the OOM killer and the
 * daemons. Scenarios build on it; kernel paths are functions named after the kernel's.
 */
export class Kernel implements KernelIdent {
  readonly log: Printk;
  /** init_utsname()->release and version, e.g. "5.14.0-rc7 #1". */
  readonly release: string;
  /** major * 100 + minor of `release`. */
  readonly version: number;
  /** tainted_mask: the TAINT_* bits set so far. */
  readonly taints = new Set<number>();
  /** lockdep and might_sleep (CONFIG_PROVE_LOCKING, CONFIG_DEBUG_ATOMIC_SLEEP: the debug kernels of logs 04 and 05). */
  readonly lockdep: Lockdep;
  readonly hung: HungTaskDetector;
  readonly memActor: number;
  totalPages: number;
  freePages: number;
  readonly procs: Proc[] = [];
  readonly procOf = new Map<Task, Proc>();
  /** current->mm of each task (NULL once exit_mm has run). */
  readonly taskMm = new Map<Task, MmStruct | null>();
  /** The mm a dead task still borrows as active_mm until its last context switch. */
  readonly lazyMm = new Map<Task, MmStruct>();
  /** TIF_MEMDIE. */
  readonly memdie = new Set<Task>();
  readonly taskWork = new Map<Task, ((t: Task) => Gen)[]>();
  readonly mms: MmStruct[] = [];
  /** The global SRCU of mm/mmu_notifier.c. */
  readonly notifierSrcu: Srcu;
  readonly systemWq: Workqueue;
  readonly iommu: Iommu;
  readonly sva: Sva;
  readonly oom: OomKiller;
  /** Time of the scenario trigger (the first SIGKILL or OOM kill), or null before it. */
  triggerAt: number | null = null;
  private readonly scenarioActor: number;

  constructor(
    readonly sim: Sim,
    readonly cfg: KernelConfig,
    totalMiB: number,
    opts: KernelOptions = {},
  ) {
    this.log = new Printk(sim);
    this.release = opts.release ?? kernelRelease(cfg);
    const m = /^(\d+)\.(\d+)/.exec(this.release);
    this.version = m ? Number(m[1]) * 100 + Number(m[2]) : 0;
    this.lockdep = new Lockdep(sim, (msg) => this.log.printk(KERN_WARNING, msg, 0, 'info'), this, opts.debugLocks ?? true);
    sim.lockdep = this.lockdep;
    this.scenarioActor = sim.actor('scenario', 'scenario');
    this.memActor = sim.actor('memory', 'memory');
    this.totalPages = totalMiB * PAGES_PER_MIB;
    this.freePages = this.totalPages;
    // DEFINE_STATIC_SRCU(srcu) in mm/mmu_notifier.c: lockdep calls it "srcu".
    this.notifierSrcu = new Srcu(sim, 'mmu_notifier', cfg.srcuGp, 'srcu');
    // system_wq: bound, per-CPU; max_active 256 per pool. One pool is enough here.
    this.systemWq = new Workqueue(sim, 'events', 256);
    this.iommu = new Iommu(this);
    this.sva = new Sva(this);
    this.oom = new OomKiller(this);
    this.hung = new HungTaskDetector(sim, this.log, cfg.hungTaskTimeoutS, 0, 10, this);
    sim.quiescentHook = () => this.hung.allReported();
  }

  tainted(): string {
    return printTainted(this.taints, this.version);
  }

  taint(flag: number): void {
    this.taints.add(flag);
  }

  /** dump_stack() on t: "CPU: ..", "Hardware name: ..", "Call Trace:" and the frames below `top`. */
  dump_stack(t: Task, top: readonly string[], level = KERN_WARNING, cls: LogClass = 'info'): void {
    for (const l of dumpStackLines(t, this, top)) this.log.printk(level, l, 0, cls);
  }

  private rcuGp: Workqueue | null = null;
  /** rcu_gp_wq (kernel/rcu/tree.c), where srcutree runs SRCU callbacks; created on first use. */
  get rcuGpWq(): Workqueue {
    // alloc_workqueue("rcu_gp", WQ_MEM_RECLAIM, 0): max_active WQ_DFL_ACTIVE.
    return (this.rcuGp ??= new Workqueue(this.sim, 'rcu_gp', 256));
  }

  start(): void {
    this.hung.start();
    this.oom.start();
    this.iommu.start();
  }

  note(msg: string): void {
    this.sim.emit(KIND.note, this.scenarioActor, 0, 0, { msg });
  }

  /** Take pages from the free pool at set-up (not an allocation under pressure). */
  reserve(pages: number): void {
    if (pages > this.freePages) this.sim.invariant(`set-up needs ${pages} pages, only ${this.freePages} free`);
    this.freePages -= pages;
    this.sim.emit(KIND.mem_free, this.memActor, this.freePages);
  }

  returnPages(pages: number): void {
    this.freePages += pages;
    if (this.freePages > this.totalPages) this.sim.invariant(`free pages ${this.freePages} exceed total ${this.totalPages}`);
    this.sim.emit(KIND.mem_free, this.memActor, this.freePages);
  }

  /** fork + exec of a process with its memory already faulted in. */
  createProcess(spec: ProcessSpec): Proc {
    const locked = (spec.lockedMiB ?? 0) * PAGES_PER_MIB;
    const anon = spec.anonMiB * PAGES_PER_MIB;
    this.reserve(anon + locked);
    const threads = 1 + (spec.extraThreads ?? 0);
    const tgid = this.sim.newPid();
    const mm = new MmStruct(this, spec.comm, tgid, anon, locked, threads);
    const p = new Proc(tgid, spec.comm, mm, spec.oomScoreAdj ?? 0);
    mm.owner = p;
    this.procs.push(p);
    for (let i = 0; i < threads; i++) {
      const body = i === 0 ? (t: Task) => spec.body(this, t, p) : (t: Task) => this.idleThread(t);
      const t = this.sim.spawn(spec.comm, 'user', body, { tgid });
      p.threads.push(t);
      p.liveThreads++;
      this.procOf.set(t, p);
      this.taskMm.set(t, mm);
    }
    return p;
  }

  private *idleThread(t: Task): Gen {
    for (;;) yield* this.sim.userIdle(t);
  }

  /** A kernel thread (no mm). */
  kthread(comm: string, body: (t: Task) => Gen): Task {
    return this.sim.spawn(comm, 'kthread', body);
  }

  /**
   * Mark the scenario trigger (once): the summary's times are measured from here. The first SIGKILL
   * or OOM kill is the trigger unless the scenario marks another event first (close-then-exit: the
   * close).
   */
  trigger(by: string, p: Proc): void {
    if (this.triggerAt !== null) return;
    this.triggerAt = this.sim.now;
    this.sim.emit(KIND.trigger, this.scenarioActor, 0, 0, { by, victim: `${p.comm}:${p.tgid}`, mm: p.mm?.actor ?? 0 });
  }

  /**
   * panic() (kernel/panic.c): print "Kernel panic - not syncing: <msg>", dump_stack, "---[ end
   * Kernel panic ...", and stop the machine (the Kernel Offset line is left out); the calling task
   * never returns.
   */
  *panic(t: Task, msg: string, cls: LogClass = 'info'): Gen<never> {
    this.sim.emit(KIND.panic, t.actor, 0, 0, { msg });
    this.log.printk(KERN_EMERG, `Kernel panic - not syncing: ${msg}`, 0, cls);
    this.dump_stack(t, ['panic'], KERN_EMERG, cls);
    this.log.printk(KERN_EMERG, `---[ end Kernel panic - not syncing: ${msg} ]---`, 0, cls);
    this.sim.halt('panic');
    for (;;) yield* this.sim.block(t, { label: 'panic', holders: () => [] });
  }

  /** send_sig(SIGKILL) to every thread of the group (do_send_sig_info + zap_other_threads). */
  sigkillProcess(p: Proc, from: string): void {
    this.trigger(from, p);
    p.killed = true;
    for (const t of p.threads) this.sim.sigkill(t, from);
  }

  /**
   * A system call from user mode, with the x86-64 entry frames of v5.11+ (kernel/entry/common.c):
   * entry_SYSCALL_64_after_hwframe → do_syscall_64 → the syscall; then syscall_exit_to_user_mode,
   * whose exit_to_user_mode_prepare runs pending task work (task_work_run: a last fput's ____fput).
   */
  *syscall<R>(t: Task, sys: string, body: Gen<R>): Gen<R> {
    const sim = this.sim;
    const k = this as Kernel;
    return yield* sim.call(t, 'entry_SYSCALL_64_after_hwframe', sim.call(t, 'do_syscall_64', (function* (): Gen<R> {
      const r = yield* sim.call(t, sys, body);
      if ((k.taskWork.get(t)?.length ?? 0) > 0) {
        yield* sim.call(t, 'syscall_exit_to_user_mode', sim.call(t, 'exit_to_user_mode_prepare', sim.call(t, 'task_work_run', (function* (): Gen {
          const works = k.taskWork.get(t) ?? [];
          while (works.length > 0) yield* works.shift()!(t);
        })())));
      }
      return r;
    })()));
  }

  /** close(fd) of file f (ksys_close → filp_close → fput; the release runs on the way out). */
  // eslint-disable-next-line require-yield
  *close_fd(t: Task, p: Proc, f: File): Gen {
    const i = p.files.indexOf(f);
    if (i >= 0) p.files.splice(i, 1);
    this.fput(t, f);
  }

  task_work_add(t: Task, fn: (t: Task) => Gen): void {
    let l = this.taskWork.get(t);
    if (!l) this.taskWork.set(t, (l = []));
    l.push(fn);
  }

  /** fget: take a file reference (a VMA mapping the file, a dup). */
  fget(f: File): void {
    f.refs++;
  }

  /**
   * fput: drop a file reference. The last one is deferred, as the kernel does: task_work for a
   * user task (runs on return to user or in exit_task_work), delayed_fput on system_wq otherwise.
   */
  fput(t: Task, f: File): void {
    if (f.refs <= 0) this.sim.invariant(`fput of ${f.name} with no references`);
    if (--f.refs > 0) return;
    // fs/file_table.c: ____fput (task_work) or delayed_fput (a work item), then __fput, which calls
    // the file's ->release.
    const __fput = (tt: Task) => this.sim.call(tt, '__fput', f.release(tt), { args: { file: f.name } });
    if (t.type === 'user') this.task_work_add(t, (tt) => this.sim.call(tt, '____fput', __fput(tt)));
    else this.systemWq.queue_work(new Work(`delayed_fput ${f.name}`, __fput));
  }
}
