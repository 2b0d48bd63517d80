import { fnArgs, KIND } from './events';
import type { Sim } from './engine';
import type { Gen, Task, Waitable } from './task';
import { WAIT_MAP, type LockInstance } from './lockdep';

const NO_PRIM = { prim: [] };
const FLUSH_PRIM = { prim: ['flush_workqueue'] };

/** Pending items a flush names as causes (running ones are always named). */
const FLUSH_CAUSES_PENDING = 8;

/** A work item. `queue_work` on an item already pending does nothing, as in the kernel. */
export class Work {
  pending = false;
  /** `{"fn":...}`, serialised once. */
  readonly args: string;
  /** Sequence number of its current queueing: flush_workqueue waits for items at or below its mark. */
  seq = 0;
  /** Trace seqs of its current queueing's work_queue and work_begin events (causes.ts). */
  queuedSeq = 0;
  begunSeq = 0;
  /** The work's lockdep map, "(work_completion)(&...->work)" in the kernel; here named after fn. */
  readonly map: LockInstance;
  constructor(
    readonly fn: string,
    readonly body: (worker: Task) => Gen,
  ) {
    this.args = fnArgs(fn);
    this.map = { cls: `(work_completion)(${fn.split(' ')[0]})`, wait: WAIT_MAP };
  }
}

/**
 * A workqueue (kernel/workqueue.c) with a pool of kworkers created on demand up to `maxActive`.
 * flush_workqueue() waits for every item queued before it, including the one the caller may be
 * running: calling it from a work item of the same queue waits for itself and never returns.
 */
export class Workqueue {
  readonly actor: number;
  private readonly pendingQ: Work[] = [];
  /** Items queued and not yet finished, by seq. */
  private readonly outstanding = new Map<number, Work>();
  private readonly runningBy = new Map<Work, Task>();
  private readonly workers: Task[] = [];
  private readonly idle: Task[] = [];
  private readonly flushers = new Set<FlushWait>();
  private nextSeq = 1;
  private readonly idleWait: Waitable;
  /**
   * wq->lockdep_map, "(wq_completion)<name>": flush_workqueue takes and drops it, every work item
   * runs inside it (process_one_work), so lockdep sees "flush while holding L" against "a work item
   * takes L" as a cycle.
   */
  readonly map: LockInstance;

  constructor(
    private readonly sim: Sim,
    readonly name: string,
    private readonly maxActive: number,
  ) {
    this.actor = sim.actor(`wq ${name}`, 'queue');
    this.idleWait = { label: `worker_thread ${name} (idle)`, holders: () => [] };
    this.map = { cls: `(wq_completion)${name}`, wait: WAIT_MAP };
  }

  get depth(): number {
    return this.outstanding.size;
  }

  /** Items pending or running, for the state panel. */
  items(): { seq: number; fn: string; runningOn: string | null }[] {
    return [...this.outstanding.values()].map((w) => ({ seq: w.seq, fn: w.fn, runningOn: this.runningBy.get(w)?.label ?? null }));
  }

  queue_work(w: Work): boolean {
    if (w.pending) return false;
    w.pending = true;
    w.seq = this.nextSeq++;
    this.outstanding.set(w.seq, w);
    this.pendingQ.push(w);
    w.queuedSeq = this.sim.emitJson(KIND.work_queue, this.actor, w.seq, this.outstanding.size, w.args);
    w.begunSeq = 0;
    this.sim.emit(KIND.wq_depth, this.actor, this.outstanding.size);
    this.kick();
    return true;
  }

  private kick(): void {
    if (this.pendingQ.length === 0) return;
    const idle = this.idle.pop();
    if (idle) {
      this.sim.wake(idle);
      return;
    }
    if (this.workers.length - this.busyCount() < this.pendingQ.length && this.workers.length < this.maxActive) {
      const n = this.workers.length;
      const worker = this.sim.spawn(`kworker/u:${this.name}-${n}`, 'kworker', (t) => this.worker_thread(t));
      this.workers.push(worker);
    }
  }

  private busyCount(): number {
    return this.runningBy.size;
  }

  private *worker_thread(t: Task): Gen {
    for (;;) {
      const w = this.pendingQ.shift();
      if (!w) {
        this.idle.push(t);
        yield* this.sim.block(t, this.idleWait, true);
        continue;
      }
      // The item may be queued again from inside its own body; that is a new, later seq.
      w.pending = false;
      const seq = w.seq;
      this.runningBy.set(w, t);
      w.begunSeq = this.sim.emitJson(KIND.work_begin, t.actor, seq, this.actor, w.args);
      // process_one_work: lock_map_acquire(&pwq->wq->lockdep_map); lock_map_acquire(&lockdep_map).
      const ld = this.sim.lockdep;
      ld?.acquire(t, this.map, NO_PRIM);
      ld?.acquire(t, w.map, NO_PRIM);
      yield* w.body(t);
      ld?.release(t, w.map);
      ld?.release(t, this.map);
      this.runningBy.delete(w);
      this.outstanding.delete(seq);
      this.sim.emitJson(KIND.work_end, t.actor, seq, this.actor, w.args);
      this.sim.emit(KIND.wq_depth, this.actor, this.outstanding.size);
      for (const f of this.flushers) {
        if (seq <= f.mark && --f.remaining === 0) {
          this.flushers.delete(f);
          this.sim.wake(f.task);
        }
      }
      if (this.pendingQ.length > 0) this.kick();
    }
  }

  /** flush_workqueue(): wait until every item queued before this call has finished. */
  *flush_workqueue(t: Task): Gen {
    // lock_map_acquire(&wq->lockdep_map); lock_map_release(&wq->lockdep_map); then
    // mutex_lock(&wq->mutex), where it may sleep first (mutex.c line not confirmed from source).
    const ld = this.sim.lockdep;
    ld?.acquire(t, this.map, FLUSH_PRIM);
    ld?.release(t, this.map);
    ld?.mightSleep(t, ['__mutex_lock', 'mutex_lock_nested', 'flush_workqueue'], 'kernel/locking/mutex.c:935');
    const mark = this.nextSeq - 1;
    const f = new FlushWait(this, t, mark, this.outstanding.size);
    this.sim.emit(KIND.flush_begin, t.actor, this.actor, f.remaining, { wq: this.name });
    if (f.remaining > 0) {
      this.flushers.add(f);
      yield* this.sim.block(t, f);
    }
    this.sim.emit(KIND.flush_end, t.actor, this.actor, 0, { wq: this.name });
  }

  /**
   * The events a flush with this mark waits on (causes.ts): each item's work_begin if it is running,
   * its work_queue if still pending.
   */
  flushCauses(mark: number): number[] {
    const out: number[] = [];
    let pending = 0;
    for (const [seq, w] of this.outstanding) {
      if (seq > mark) continue;
      if (w.begunSeq) out.push(w.begunSeq);
      // A deep queue: the first few pending items stand for the rest.
      else if (pending++ < FLUSH_CAUSES_PENDING) out.push(w.queuedSeq);
    }
    return out;
  }

  /** Who must finish for a flush with this mark to return: the wait-for edges of a flusher. */
  flushHolders(mark: number): Task[] {
    const out = new Set<Task>();
    let waitingForSlot = false;
    for (const [seq, w] of this.outstanding) {
      if (seq > mark) continue;
      const r = this.runningBy.get(w);
      if (r) out.add(r);
      else waitingForSlot = true;
    }
    // A pending item needs a free worker; at max_active it waits for the busy ones.
    if (waitingForSlot && this.workers.length >= this.maxActive) for (const r of this.runningBy.values()) out.add(r);
    return [...out];
  }
}

class FlushWait implements Waitable {
  readonly label: string;
  constructor(
    private readonly wq: Workqueue,
    readonly task: Task,
    readonly mark: number,
    public remaining: number,
  ) {
    this.label = `flush_workqueue ${wq.name}`;
  }
  holders(): readonly Task[] {
    return this.wq.flushHolders(this.mark);
  }
  waitCauses(): readonly number[] {
    return this.wq.flushCauses(this.mark);
  }
}
