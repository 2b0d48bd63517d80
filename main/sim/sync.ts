import { KIND } from './events';
import type { Sim } from './engine';
import type { Gen, Task, Waitable } from './task';
import type { Ns } from './time';
import { WAIT_MAP, WAIT_SLEEP, type AcquireOpts } from './lockdep';

/*
 * Lock debugging: every primitive tells `sim.lockdep` (when a kernel sets one) what it takes,
 * releases and where it may sleep. The might_sleep positions are v5.7's: completion.c:101 is what
 * log 05 prints; the mutex, rwsem and SRCU lines are not confirmed from source.
 */
const MUTEX_ACQ: AcquireOpts = { prim: ['__mutex_lock', 'mutex_lock_nested'] };
const MUTEX_TRY: AcquireOpts = { prim: ['mutex_trylock'], trylock: true };
const MUTEX_AT = 'kernel/locking/mutex.c:935';
const READ_ACQ: AcquireOpts = { prim: ['down_read'], read: true };
const READ_TRY: AcquireOpts = { prim: ['down_read_trylock'], read: true, trylock: true };
const WRITE_ACQ: AcquireOpts = { prim: ['down_write'] };
const RWSEM_AT = 'kernel/locking/rwsem.c:1491';
const COMPLETION_AT = 'kernel/sched/completion.c:101';
const SRCU_AT = 'kernel/rcu/srcutree.c:903';

/**
 * causes.ts: a lock's holder that is itself blocked keeps it held because of that wait, so the
 * acquire is explained by the holder's block (asked when a waiter blocks or is reported hung).
 */
function linkHolderWait(sim: Sim, lock: { linked: number }, acquireSeq: number, owner: Task): void {
  if (!sim.edges || owner.blockSeq === 0 || !(owner.blockedOn || owner.sleepLabel)) return;
  // One edge per holder wait (`linked`: the last block linked from this lock).
  if (lock.linked === owner.blockSeq) return;
  lock.linked = owner.blockSeq;
  sim.edge(acquireSeq, owner.blockSeq, 'waits_on', { holder: owner.label, stack: owner.stack.length ? owner.stack.join(' > ') : undefined });
}

/**
 * A sleeping mutex (kernel/locking/mutex.c). Not recursive: locking a mutex you hold waits for
 * yourself, which the wait-for graph reports as a deadlock (lockdep would say "possible recursive
 * locking"). Hand-off is FIFO; the kernel's optimistic spinning can reorder waiters, which changes
 * no result studied here.
 */
export class Mutex implements Waitable {
  owner: Task | null = null;
  /** Seq of the owner's lock_acquire: what a waiter waits on (causes.ts). */
  acquireSeq = 0;
  /** The holder's block last linked to its acquire (causes.ts). */
  linked = 0;
  readonly waiters: Task[] = [];
  readonly actor: number;
  readonly label: string;
  readonly wait = WAIT_SLEEP;

  constructor(
    private readonly sim: Sim,
    readonly name: string,
    /** The lockdep class, as the kernel names it (`pasid_mutex`, `&param->lock`); default: the name. */
    readonly cls: string = name,
  ) {
    this.label = `mutex ${name}`;
    this.actor = sim.actor(this.label, 'lock');
  }

  holders(): readonly Task[] {
    return this.owner ? [this.owner] : [];
  }

  waitCauses(): readonly number[] {
    if (!this.owner) return [];
    linkHolderWait(this.sim, this, this.acquireSeq, this.owner);
    return [this.acquireSeq];
  }

  *lock(t: Task): Gen {
    this.sim.lockdep?.mightSleep(t, MUTEX_ACQ.prim, MUTEX_AT);
    this.sim.lockdep?.acquire(t, this, MUTEX_ACQ);
    if (this.owner === null) {
      this.owner = t;
      this.acquireSeq = this.sim.emit(KIND.lock_acquire, this.actor, t.actor, 0);
      return;
    }
    this.sim.emit(KIND.lock_contend, this.actor, t.actor);
    this.waiters.push(t);
    yield* this.sim.block(t, this);
    // unlock() handed the mutex to us before waking us.
  }

  trylock(t: Task): boolean {
    if (this.owner !== null) return false;
    this.sim.lockdep?.acquire(t, this, MUTEX_TRY);
    this.owner = t;
    this.acquireSeq = this.sim.emit(KIND.lock_acquire, this.actor, t.actor, 0);
    return true;
  }

  unlock(t: Task): void {
    if (this.owner !== t) this.sim.invariant(`${t.label} unlocks ${this.label} held by ${this.owner?.label ?? 'nobody'}`);
    this.sim.lockdep?.release(t, this);
    this.sim.emit(KIND.lock_release, this.actor, t.actor, 0);
    const next = this.waiters.shift() ?? null;
    this.owner = next;
    if (next) {
      this.acquireSeq = this.sim.emit(KIND.lock_acquire, this.actor, next.actor, 0);
      this.sim.wake(next);
    }
  }
}

/**
 * A read-write semaphore (mmap_lock). New readers queue behind a waiting writer, as the kernel's
 * rwsem does, so a writer is not starved.
 */
export class RwSem implements Waitable {
  readonly readers = new Map<Task, number>();
  writer: Task | null = null;
  /** Seqs of the holders' lock_acquire events (causes.ts): the writer's, or each reader's latest. */
  writerSeq = 0;
  /** The writer's block last linked to its acquire (causes.ts). */
  linked = 0;
  private readonly readerSeq = new Map<Task, number>();
  private readonly waiters: { t: Task; write: boolean }[] = [];
  readonly actor: number;
  readonly label: string;
  readonly wait = WAIT_SLEEP;

  constructor(
    private readonly sim: Sim,
    readonly name: string,
    /** The lockdep class (`&mm->mmap_lock`); default: the name. */
    readonly cls: string = name,
  ) {
    this.label = `rwsem ${name}`;
    this.actor = sim.actor(this.label, 'lock');
  }

  holders(): readonly Task[] {
    return this.writer ? [this.writer] : [...this.readers.keys()];
  }

  waitCauses(): readonly number[] {
    if (this.writer) {
      linkHolderWait(this.sim, this, this.writerSeq, this.writer);
      return [this.writerSeq];
    }
    const out: number[] = [];
    for (const t of this.readers.keys()) out.push(this.readerSeq.get(t) ?? 0);
    return out;
  }

  private grantRead(t: Task): void {
    this.readers.set(t, (this.readers.get(t) ?? 0) + 1);
    const seq = this.sim.emit(KIND.lock_acquire, this.actor, t.actor, 1);
    if (this.sim.edges) this.readerSeq.set(t, seq);
  }

  down_read_trylock(t: Task): boolean {
    if (this.writer || this.waiters.length > 0) return false;
    this.sim.lockdep?.acquire(t, this, READ_TRY);
    this.grantRead(t);
    return true;
  }

  *down_read(t: Task): Gen {
    this.sim.lockdep?.mightSleep(t, READ_ACQ.prim, RWSEM_AT);
    this.sim.lockdep?.acquire(t, this, READ_ACQ);
    if (!this.writer && this.waiters.length === 0) {
      this.grantRead(t);
      return;
    }
    this.sim.emit(KIND.lock_contend, this.actor, t.actor);
    this.waiters.push({ t, write: false });
    yield* this.sim.block(t, this);
  }

  up_read(t: Task): void {
    const n = this.readers.get(t);
    if (!n) this.sim.invariant(`${t.label} up_read on ${this.label} it does not hold`);
    this.sim.lockdep?.release(t, this);
    if (n === 1) {
      this.readers.delete(t);
      this.readerSeq.delete(t);
    }
    else this.readers.set(t, n - 1);
    this.sim.emit(KIND.lock_release, this.actor, t.actor, 1);
    this.grantWaiters();
  }

  *down_write(t: Task): Gen {
    this.sim.lockdep?.mightSleep(t, WRITE_ACQ.prim, RWSEM_AT);
    this.sim.lockdep?.acquire(t, this, WRITE_ACQ);
    if (!this.writer && this.readers.size === 0 && this.waiters.length === 0) {
      this.writer = t;
      this.writerSeq = this.sim.emit(KIND.lock_acquire, this.actor, t.actor, 0);
      return;
    }
    this.sim.emit(KIND.lock_contend, this.actor, t.actor);
    this.waiters.push({ t, write: true });
    yield* this.sim.block(t, this);
  }

  up_write(t: Task): void {
    if (this.writer !== t) this.sim.invariant(`${t.label} up_write on ${this.label} it does not hold`);
    this.sim.lockdep?.release(t, this);
    this.writer = null;
    this.sim.emit(KIND.lock_release, this.actor, t.actor, 0);
    this.grantWaiters();
  }

  private grantWaiters(): void {
    while (this.waiters.length > 0 && !this.writer) {
      const w = this.waiters[0];
      if (w.write) {
        if (this.readers.size > 0) return;
        this.waiters.shift();
        this.writer = w.t;
        this.writerSeq = this.sim.emit(KIND.lock_acquire, this.actor, w.t.actor, 0);
        this.sim.wake(w.t);
        return;
      }
      this.waiters.shift();
      this.grantRead(w.t);
      this.sim.wake(w.t);
    }
  }

  waiterTasks(): Task[] {
    return this.waiters.map((w) => w.t);
  }

  /** Whether t waits to take it for write (a call trace's down_write vs down_read). */
  waitsForWrite(t: Task): boolean {
    return this.waiters.some((w) => w.t === t && w.write);
  }
}

/**
 * struct completion. `completers` names who is expected to complete it, for the wait-for graph
 * (hardware completers are left out: they cannot be part of a cycle).
 */
export class Completion implements Waitable {
  done = 0;
  readonly waiters: Task[] = [];

  constructor(
    private readonly sim: Sim,
    readonly label: string,
    private readonly completers: () => readonly Task[] = () => [],
  ) {}

  holders(): readonly Task[] {
    return this.completers();
  }

  /** `fn`: the kernel function called (wait_for_completion, wait_for_completion_timeout...), for might_sleep. */
  *wait_for_completion(t: Task, fn = 'wait_for_completion'): Gen {
    this.sim.lockdep?.mightSleep(t, [fn], COMPLETION_AT);
    if (this.done > 0) {
      if (this.done !== Infinity) this.done--;
      return;
    }
    this.waiters.push(t);
    this.waitFns.set(t, fn);
    yield* this.sim.block(t, this);
    this.waitFns.delete(t);
  }

  private readonly waitFns = new Map<Task, string>();
  /** The function a waiter called (a call trace's wait_for_completion or _timeout). */
  waitFnOf(t: Task): string | undefined {
    return this.waitFns.get(t);
  }

  complete(): void {
    const w = this.waiters.shift();
    if (w) {
      // The waiter waited on the event just emitted, the one that completes it (causes.ts).
      this.sim.waitedOn(w, this.sim.seq);
      this.sim.wake(w);
    }
    else if (this.done !== Infinity) this.done++;
  }

  complete_all(): void {
    this.done = Infinity;
    for (const w of this.waiters.splice(0)) {
      this.sim.waitedOn(w, this.sim.seq);
      this.sim.wake(w);
    }
  }

  completion_done(): boolean {
    return this.done > 0;
  }

  reinit(): void {
    this.done = 0;
  }
}

/** A wait queue: waiters sleep until woken, then re-check their condition (wait_event). */
export class WaitQueue implements Waitable {
  readonly waiters = new Set<Task>();
  constructor(
    private readonly sim: Sim,
    readonly label: string,
    private readonly wakers: () => readonly Task[] = () => [],
  ) {}

  holders(): readonly Task[] {
    return this.wakers();
  }

  *wait_event(t: Task, cond: () => boolean, interruptible = false): Gen {
    while (!cond()) {
      this.waiters.add(t);
      yield* this.sim.block(t, this, interruptible);
      this.waiters.delete(t);
    }
  }

  wake_up(): void {
    for (const t of this.waiters) {
      this.sim.waitedOn(t, this.sim.seq);
      this.sim.wake(t);
    }
    this.waiters.clear();
  }
}

/**
 * Sleepable RCU (kernel/rcu/srcutree.c). synchronize_srcu() waits for the readers that are inside
 * a read-side section when it starts, not for readers that enter later, and then for the grace
 * period machinery (`gpNs`, a model parameter).
 */
export class Srcu {
  private readonly readers = new Map<number, Task>();
  /** Seq of each reader's srcu_read_lock (causes.ts: what a synchronize_srcu waits on). */
  private readonly readerSeq = new Map<number, number>();
  private nextToken = 1;
  private readonly syncs = new Set<SrcuSync>();
  /** call_srcu callbacks waiting for the readers present when they were queued. */
  private readonly callbacks: { pending: Set<number>; fn: () => void }[] = [];
  readonly actor: number;
  /** The srcu_struct's lockdep map (a recursive reader: held, no dependencies). */
  private readonly map: { cls: string; wait: string; recursive: true };

  constructor(
    private readonly sim: Sim,
    readonly name: string,
    private readonly gpNs: Ns,
    /** The srcu_struct's name in the kernel, as lockdep prints it (mm/mmu_notifier.c: `srcu`). */
    cls: string = name,
  ) {
    this.actor = sim.actor(`srcu ${name}`, 'lock');
    this.map = { cls, wait: WAIT_MAP, recursive: true };
  }

  srcu_read_lock(t: Task): number {
    this.sim.lockdep?.acquire(t, this.map, { prim: [], read: true });
    const tok = this.nextToken++;
    this.readers.set(tok, t);
    const seq = this.sim.emit(KIND.srcu_read_lock, this.actor, t.actor, tok);
    if (this.sim.edges) this.readerSeq.set(tok, seq);
    return tok;
  }

  srcu_read_unlock(t: Task, tok: number): void {
    if (!this.readers.delete(tok)) this.sim.invariant(`${t.label} srcu_read_unlock of unknown token ${tok}`);
    this.sim.lockdep?.release(t, this.map);
    this.readerSeq.delete(tok);
    this.sim.emit(KIND.srcu_read_unlock, this.actor, t.actor, tok);
    for (const s of this.syncs) {
      if (s.pending.delete(tok) && s.pending.size === 0) {
        this.syncs.delete(s);
        this.sim.wake(s.task);
      }
    }
    for (let i = 0; i < this.callbacks.length; ) {
      const c = this.callbacks[i];
      if (c.pending.delete(tok) && c.pending.size === 0) {
        this.callbacks.splice(i, 1);
        this.invoke(c.fn);
      } else i++;
    }
  }

  /**
   * call_srcu: run `fn` once every reader inside a read-side section now has left it, and the grace
   * period machinery (`gpNs`) has run. The caller does not wait. srcutree invokes callbacks from a
   * work item (srcu_invoke_callbacks); here `fn` runs from the engine and queues its own work if it
   * needs a task.
   */
  call_srcu(fn: () => void): void {
    const pending = new Set(this.readers.keys());
    if (pending.size === 0) this.invoke(fn);
    else this.callbacks.push({ pending, fn });
  }

  private invoke(fn: () => void): void {
    this.sim.after(this.gpNs, fn);
  }

  *synchronize_srcu(t: Task): Gen {
    this.sim.lockdep?.mightSleep(t, ['__synchronize_srcu', 'synchronize_srcu'], SRCU_AT);
    const s = new SrcuSync(t, new Set(this.readers.keys()), this.readers, this.name, this.readerSeq);
    this.sim.emit(KIND.synchronize_srcu, t.actor, s.pending.size, this.actor);
    if (s.pending.size > 0) {
      this.syncs.add(s);
      yield* this.sim.block(t, s);
    }
    if (this.gpNs > 0) yield* this.sim.sleep(t, this.gpNs, `synchronize_srcu ${this.name}: grace period`);
    this.sim.emit(KIND.synchronize_srcu_done, t.actor, 0, this.actor);
  }

  readerTasks(): Task[] {
    return [...this.readers.values()];
  }
}

class SrcuSync implements Waitable {
  readonly label: string;
  constructor(
    readonly task: Task,
    readonly pending: Set<number>,
    private readonly readers: Map<number, Task>,
    name: string,
    private readonly readerSeq: Map<number, number>,
  ) {
    this.label = `synchronize_srcu ${name}`;
  }
  waitCauses(): readonly number[] {
    return [...this.pending].map((tok) => this.readerSeq.get(tok) ?? 0);
  }
  holders(): readonly Task[] {
    const out: Task[] = [];
    for (const tok of this.pending) {
      const r = this.readers.get(tok);
      if (r) out.push(r);
    }
    return out;
  }
}
