import { blockedFrames, dumpStackLines, innermostFrame, stackFrames, symbol, TAINT_WARN, type KernelIdent } from './dump_stack';
import { KIND } from './events';
import type { Sim } from './engine';
import type { Task } from './task';
import type { Ns } from './time';

/**
 * What a lock looks like to lockdep: its class (the name lockdep prints: `pasid_mutex`,
 * `&param->lock`, `&mm->mmap_lock`, `(wq_completion)iopf_queue/dmar0`...) and its wait type, the
 * `-{outer:inner}` lockdep prints (include/linux/lockdep_types.h: LD_WAIT_FREE 1, LD_WAIT_SPIN 2,
 * LD_WAIT_CONFIG 2 without PREEMPT_RT, LD_WAIT_SLEEP 3; a lockdep_map of a workqueue or work
 * item has none: 0:0).
 */
export interface LockInstance {
  readonly cls: string;
  readonly wait: string;
  /** A recursive reader (rcu_read_lock, srcu_read_lock: read=2): held, but it makes no dependencies. */
  readonly recursive?: boolean;
}

/** How a lock was taken: the primitive's frames (innermost first) as a saved trace shows them. */
export interface AcquireOpts {
  read?: boolean;
  trylock?: boolean;
  /** e.g. ['__mutex_lock', 'mutex_lock_nested'], ['down_read'], ['flush_workqueue']. */
  prim: readonly string[];
}

/** The hooks the locking primitives (sync.ts, workqueue.ts) call; `Sim.lockdep` holds them. */
export interface LockdepHooks {
  acquire(t: Task, lock: LockInstance, o: AcquireOpts): void;
  release(t: Task, lock: LockInstance): void;
  /** might_sleep() in a sleeping primitive whose frames are `prim` (innermost first) at `at` ("file:line"). */
  mightSleep(t: Task, prim: readonly string[], at: string): void;
  /** The task is about to schedule() away (it blocks or sleeps): schedule_debug's check. */
  schedule(t: Task): void;
}

/** The wait types of the modelled primitives. */
export const WAIT_SLEEP = '3:3';
export const WAIT_SPIN = '2:2';
export const WAIT_RCU = '1:2';
export const WAIT_MAP = '0:0';

/** kernel/rcu/update.c rcu_lock_map: "rcu_read_lock", LD_WAIT_FREE outside, LD_WAIT_CONFIG inside. */
const RCU_LOCK_MAP: LockInstance = { cls: 'rcu_read_lock', wait: WAIT_RCU, recursive: true };

interface Held {
  readonly lock: LockInstance;
  readonly ip: string;
  readonly read: boolean;
}

interface Link {
  /** The trace saved when this dependency was first added (check_prev_add → save_trace). */
  readonly frames: readonly string[];
}

/**
 * lockdep (kernel/locking/lockdep.c), the parts these paths reach: per-task held locks, the
 * dependency graph of lock classes (an edge prev → next each time next is taken with prev the
 * most recent lock held, with the stack of the first time), and the check that a new edge closes no
 * cycle (check_noncircular, a BFS from next looking for prev). A cycle prints lockdep's report,
 * whether or not this run deadlocks, then lockdep turns itself off (debug_locks_off): one report per
 * boot, as in the kernel.
 *
 * Taking a class the task already holds prints check_deadlock's "possible recursive locking
 * detected" instead (no nesting annotations are modelled: two locks of one class nested would be
 * reported, which these paths never do). Departures: irq-safety inversions are not checked; read acquisitions count as exclusive ones (down_read is not
 * a recursive reader, so lockdep treats its dependencies alike except read-after-read, which these
 * paths never form); rcu_read_lock and SRCU readers are held (they print among held locks) but make
 * no dependencies (recursive readers, read=2, are skipped as prev by check_prevs_add).
 *
 * might_sleep (kernel/sched/core.c ___might_sleep) lives here too: the atomic sections the model
 * enters (rcu_read_lock with a non-preemptible RCU, spin locks, preempt_disable) raise a per-task
 * preempt count; a sleeping primitive entered with it raised prints "BUG: sleeping function called
 * from invalid context", at most once per second (the prev_jiffy + HZ ratelimit), and taints W.
 */
export class Lockdep implements LockdepHooks {
  debugLocks: boolean;
  reports = 0;
  mightSleepReports = 0;
  private readonly held = new Map<Task, Held[]>();
  private readonly after = new Map<string, Map<string, Link>>();
  private readonly readUsed = new Set<string>();
  private readonly addrs = new Map<LockInstance, string>();
  private nStatic = 0;
  private nDynamic = 0;
  private readonly preempt = new Map<Task, { count: number; irqsOff: number }>();
  private lastMightSleep: Ns = -1;
  readonly actor: number;
  /** print_modules(): the modules the scenario's drivers are (idxd...). */
  readonly modules = new Set<string>();
  scheduleBugs = 0;

  constructor(
    private readonly sim: Sim,
    private readonly print: (msg: string) => void,
    private readonly ident: KernelIdent & { taint(flag: number): void },
    enabled: boolean,
  ) {
    this.debugLocks = enabled;
    this.actor = sim.actor('lockdep', 'log');
  }

  // ------------------------------------------------------------------ held locks and the graph

  heldBy(t: Task): readonly Held[] {
    return this.held.get(t) ?? [];
  }

  acquire(t: Task, lock: LockInstance, o: AcquireOpts): void {
    if (!this.debugLocks) return;
    if (o.read) this.readUsed.add(lock.cls);
    let list = this.held.get(t);
    if (!list) this.held.set(t, (list = []));
    // The acquire ip: the function that called the primitive (the innermost frame below it).
    const h: Held = { lock, ip: innermostFrame(t) ?? o.prim[o.prim.length - 1] ?? 'lock_acquire', read: o.read === true };
    // check_deadlock: the class is already held (no nesting annotation in the model).
    if (!o.trylock && !lock.recursive) {
      const same = list.find((x) => x.lock.cls === lock.cls);
      if (same) {
        this.print_deadlock_bug(t, same, h, o);
        return;
      }
    }
    // check_prevs_add: the most recent held lock (and those below it while they are trylocks) gets
    // an edge to the new one; a trylock acquisition adds none; recursive readers are skipped.
    if (!o.trylock && !lock.recursive) {
      for (let i = list.length - 1; i >= 0; i--) {
        const prev = list[i];
        if (prev.lock.recursive) continue;
        if (!this.addEdge(t, prev, h, o)) return;
        break;
      }
    }
    list.push(h);
  }

  release(t: Task, lock: LockInstance): void {
    if (!this.debugLocks) return;
    const list = this.held.get(t);
    if (!list) return;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].lock === lock) {
        list.splice(i, 1);
        return;
      }
    }
  }

  /** check_prev_add: false when the edge closed a cycle (the report is printed, lockdep is off). */
  private addEdge(t: Task, prev: Held, next: Held, o: AcquireOpts): boolean {
    let out = this.after.get(prev.lock.cls);
    if (out?.has(next.lock.cls)) return true;
    const path = this.path(next.lock.cls, prev.lock.cls);
    if (path) {
      this.print_circular_bug(t, prev, next, path, o);
      return false;
    }
    if (!out) this.after.set(prev.lock.cls, (out = new Map()));
    out.set(next.lock.cls, { frames: stackFrames(t, o.prim) });
    return true;
  }

  /** BFS over the dependency graph from `from` to `to` (the shortest chain, as lockdep's BFS finds it). */
  private path(from: string, to: string): string[] | null {
    const parent = new Map<string, string | null>([[from, null]]);
    const queue = [from];
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === to) {
        const p: string[] = [];
        for (let x: string | null = c; x !== null; x = parent.get(x) ?? null) p.unshift(x);
        return p;
      }
      for (const n of this.after.get(c)?.keys() ?? []) {
        if (!parent.has(n)) {
          parent.set(n, c);
          queue.push(n);
        }
      }
    }
    return null;
  }

  private addr(lock: LockInstance): string {
    let a = this.addrs.get(lock);
    if (a === undefined) {
      // Synthetic addresses: a lock defined statically (DEFINE_MUTEX: its class has no '&') is in
      // the kernel image, one inside an object (mutex_init(&param->lock)) in the direct map.
      a = lock.cls.startsWith('&') || lock.cls.startsWith('(')
        ? `ffff8881${(0x00cc1cc0 + 0x1c8 * this.nDynamic++).toString(16).padStart(8, '0')}`
        : `ffffffff82${(0xb2f7c8 + 0x40 * this.nStatic++).toString(16).padStart(6, '0')}`;
      this.addrs.set(lock, a);
    }
    return a;
  }

  /** print_lock_name: " (name){usage}-{outer:inner}"; usage as for locks taken with irqs enabled. */
  private lockName(lock: LockInstance): string {
    const usage = lock.recursive ? '....' : this.readUsed.has(lock.cls) ? '++++' : '+.+.';
    return `(${lock.cls}){${usage}}-{${lock.wait}}`;
  }

  /** print_lock: "<address> (name){..}-{..}, at: <acquire ip>". */
  private lockLine(h: Held): string {
    return `${this.addr(h.lock)} ${this.lockName(h.lock)}, at: ${symbol(h.ip)}`;
  }

  private traceLines(frames: readonly string[]): string[] {
    // print_lock_trace(trace, 6) → stack_trace_print: "%*c%pS" with 1 + 6 columns.
    return frames.map((f) => `       ${symbol(f)}`);
  }

  /** lockdep_print_held_locks. */
  private heldLines(t: Task): string[] {
    const list = this.heldBy(t);
    if (list.length === 0) return [`no locks held by ${t.comm}/${t.pid}.`];
    const out = [`${list.length} lock${list.length > 1 ? 's' : ''} held by ${t.comm}/${t.pid}:`];
    list.forEach((h, i) => out.push(` #${i}: ${this.lockLine(h)}`));
    return out;
  }

  /**
   * print_circular_bug (v5.14): the header, the chain from the held lock back to the new one, each
   * link with the trace of when it was made (the new link's own trace last, lockdep's frames in it),
   * the unsafe scenario, the held locks and the backtrace.
   */
  private print_circular_bug(t: Task, prev: Held, next: Held, path: string[], o: AcquireOpts): void {
    const p = (m: string) => this.print(m);
    this.reports++;
    this.debugLocks = false;
    this.sim.emit(KIND.lockdep, t.actor, path.length, 0, { lock: next.lock.cls, held: prev.lock.cls, chain: path });
    p('');
    p('======================================================');
    p('WARNING: possible circular locking dependency detected');
    p(`${this.ident.release} ${this.ident.tainted()}`);
    p('------------------------------------------------------');
    p(`${t.comm}/${t.pid} is trying to acquire lock:`);
    p(this.lockLine(next));
    p('\nbut task is already holding lock:');
    p(this.lockLine(prev));
    p('\nwhich lock already depends on the new lock.\n');
    p('\nthe existing dependency chain (in reverse order) is:');
    const lockOf = (cls: string): LockInstance => (cls === next.lock.cls ? next.lock : cls === prev.lock.cls ? prev.lock : this.instanceOf(cls));
    // path = [new, ..., held]: "-> #n" is the held lock, whose link is path[n-1] → path[n].
    for (let d = path.length - 1; d >= 1; d--) {
      const link = this.after.get(path[d - 1])!.get(path[d])!;
      p(`\n-> #${d} ${this.lockName(lockOf(path[d]))}:`);
      for (const l of this.traceLines(link.frames)) p(l);
    }
    p(`\n-> #0 ${this.lockName(next.lock)}:`);
    for (const l of this.traceLines(stackFrames(t, ['__lock_acquire', 'lock_acquire', ...o.prim]))) p(l);
    p('\nother info that might help us debug this:\n');
    // print_circular_lock_scenario(src = the new lock, tgt = the held one, parent = the lock before
    // the held one in the chain).
    const source = next.lock.cls;
    const target = prev.lock.cls;
    const parent = path[path.length - 2];
    if (parent !== source) p(`Chain exists of:\n  ${source} --> ${parent} --> ${target}\n`);
    p(' Possible unsafe locking scenario:\n');
    p('       CPU0                    CPU1');
    p('       ----                    ----');
    p(`  lock(${target});`);
    p(`                               lock(${parent});`);
    p(`                               lock(${target});`);
    p(`  lock(${source});`);
    p('\n *** DEADLOCK ***\n');
    for (const l of this.heldLines(t)) p(l);
    p('\nstack backtrace:');
    // check_noncircular → print_circular_bug (its .cold part, as log 04 shows) → dump_stack.
    for (const l of dumpStackLines(t, this.ident, ['print_circular_bug.cold', 'check_noncircular', '__lock_acquire', 'lock_acquire', ...o.prim])) p(l);
  }

  /**
   * print_deadlock_bug (check_deadlock found the class held): "possible recursive locking
   * detected". The backtrace's lockdep frames above lock_acquire are not confirmed from a log.
   */
  private print_deadlock_bug(t: Task, prev: Held, next: Held, o: AcquireOpts): void {
    const p = (m: string) => this.print(m);
    this.reports++;
    this.debugLocks = false;
    this.sim.emit(KIND.lockdep, t.actor, 1, 1, { lock: next.lock.cls, held: prev.lock.cls, chain: [next.lock.cls], recursive: true });
    p('');
    p('============================================');
    p('WARNING: possible recursive locking detected');
    p(`${this.ident.release} ${this.ident.tainted()}`);
    p('--------------------------------------------');
    p(`${t.comm}/${t.pid} is trying to acquire lock:`);
    p(this.lockLine(next));
    p('\nbut task is already holding lock:');
    p(this.lockLine(prev));
    p('\nother info that might help us debug this:');
    p(' Possible unsafe locking scenario:\n');
    p('       CPU0');
    p('       ----');
    p(`  lock(${prev.lock.cls});`);
    p(`  lock(${next.lock.cls});`);
    p('\n *** DEADLOCK ***\n');
    p(' May be due to missing lock nesting notation\n');
    for (const l of this.heldLines(t)) p(l);
    p('\nstack backtrace:');
    for (const l of dumpStackLines(t, this.ident, ['print_deadlock_bug', '__lock_acquire', 'lock_acquire', ...o.prim])) p(l);
  }

  private instanceOf(cls: string): LockInstance {
    for (const l of this.addrs.keys()) if (l.cls === cls) return l;
    for (const list of this.held.values()) for (const h of list) if (h.lock.cls === cls) return h.lock;
    return { cls, wait: WAIT_SLEEP };
  }

  /** debug_show_held_locks (might_sleep, hung tasks): the task's locks, or that lockdep is off. */
  showHeldLocks(t: Task): string[] {
    if (!this.debugLocks) return ['INFO: lockdep is turned off.'];
    return this.heldLines(t);
  }

  /** debug_show_all_locks (after hung-task reports): every task holding locks. */
  showAllLocks(tasks: readonly Task[]): string[] {
    if (!this.debugLocks) return ['INFO: lockdep is turned off.'];
    const out = ['\nShowing all locks held in the system:'];
    for (const t of tasks) if (this.heldBy(t).length > 0) out.push(...this.heldLines(t));
    out.push('\n=============================================\n');
    return out;
  }

  // ------------------------------------------------------------------ atomic sections, might_sleep

  private pc(t: Task): { count: number; irqsOff: number } {
    let s = this.preempt.get(t);
    if (!s) this.preempt.set(t, (s = { count: 0, irqsOff: 0 }));
    return s;
  }

  /** preempt_disable (and what raises the preempt count: spin_lock, rcu_read_lock without PREEMPT_RCU). */
  preemptDisable(t: Task, irqs = false): void {
    const s = this.pc(t);
    s.count++;
    if (irqs) s.irqsOff++;
  }

  preemptEnable(t: Task, irqs = false): void {
    const s = this.pc(t);
    if (s.count > 0) s.count--;
    if (irqs && s.irqsOff > 0) s.irqsOff--;
  }

  /**
   * schedule_debug (kernel/sched/core.c): schedule() with the preempt count raised by more than its
   * own preempt_disable prints __schedule_bug's "BUG: scheduling while atomic: comm/pid/0x%08x"
   * (the count, schedule's own included), the held locks, "Modules linked in:", the trace; not
   * ratelimited; taints W. The model then lets the task sleep, as the kernel does.
   */
  schedule(t: Task): void {
    const s = this.preempt.get(t);
    if (!s || (s.count === 0 && s.irqsOff === 0)) return;
    this.scheduleBugs++;
    const p = (m: string) => this.print(m);
    p(`BUG: scheduling while atomic: ${t.comm}/${t.pid}/0x${(s.count + 1).toString(16).padStart(8, '0')}`);
    for (const l of this.showHeldLocks(t)) p(l);
    p(`Modules linked in:${[...this.modules].map((m) => ` ${m}`).join('')}`);
    for (const l of dumpStackLines(t, this.ident, ['__schedule_bug', '__schedule', 'schedule', ...blockedFrames(t)])) p(l);
    this.ident.taint(TAINT_WARN);
  }

  /**
   * rcu_read_lock: held as rcu_lock_map (a recursive reader) and, with a non-preemptible RCU
   * (CONFIG_PREEMPT_RCU off, as in log 05's kernel: it printed in_atomic(): 1 inside
   * intel_mm_release's rcu_read_lock), a raised preempt count.
   */
  rcu_read_lock(t: Task): void {
    this.preemptDisable(t);
    this.acquire(t, RCU_LOCK_MAP, { prim: [], read: true });
  }

  rcu_read_unlock(t: Task): void {
    this.release(t, RCU_LOCK_MAP);
    this.preemptEnable(t);
  }

  inAtomic(t: Task): boolean {
    const s = this.preempt.get(t);
    return s !== undefined && (s.count > 0 || s.irqsOff > 0);
  }

  mightSleep(t: Task, prim: readonly string[], at: string): void {
    const s = this.preempt.get(t);
    if (!s || (s.count === 0 && s.irqsOff === 0)) return;
    // "if (time_before(jiffies, prev_jiffy + HZ) && prev_jiffy) return;"
    if (this.lastMightSleep >= 0 && this.sim.now < this.lastMightSleep + 1_000_000_000) return;
    this.lastMightSleep = this.sim.now;
    this.mightSleepReports++;
    this.sim.emit(KIND.might_sleep, t.actor, s.count, s.irqsOff, { fn: prim[prim.length - 1], at });
    const p = (m: string) => this.print(m);
    p(`BUG: sleeping function called from invalid context at ${at}`);
    p(`in_atomic(): ${s.count > 0 ? 1 : 0}, irqs_disabled(): ${s.irqsOff > 0 ? 1 : 0}, non_block: 0, pid: ${t.pid}, name: ${t.comm}`);
    for (const l of this.showHeldLocks(t)) p(l);
    // CONFIG_DEBUG_PREEMPT's "Preemption disabled at:" line is left out: log 05's kernel did not
    // print it. v5.16 renamed ___might_sleep to __might_resched.
    for (const l of dumpStackLines(t, this.ident, [this.ident.version >= 516 ? '__might_resched' : '___might_sleep', ...prim])) p(l);
    // add_taint(TAINT_WARN, LOCKDEP_STILL_OK)
    this.ident.taint(TAINT_WARN);
  }
}
