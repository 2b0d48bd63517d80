import { KIND } from '../events';
import type { Mutex } from '../sync';
import type { Gen, Task } from '../task';
import { DmaEngine, type DmaJob } from './device';
import { File, type Kernel, type Proc } from './kernel';
import type { Bond, SvaDriverOps } from './sva';

export const Q_INIT = 0;
export const Q_STARTED = 1;
export const Q_ZOMBIE = 2;

export interface UacceOptions {
  /** The driver's stop works (false: a buggy driver unbinds with DMA still running). */
  stopsDma: boolean;
  /** A driver lock taken by mm_exit (uacce_mm->lock); the lock-inversion scenario shares it. */
  lock: Mutex;
  priCredits: number;
}

/**
 * A uacce-like accelerator queue (drivers/misc/uacce): open binds the process's mm, mmap maps the
 * queue (the VMA holds a file reference), start runs DMA, release stops DMA and unbinds. With the
 * mm_exit model, mm_exit (uacce_sva_exit) stops the queue first and leaves it ZOMBIE.
 */
export class UacceQueue implements SvaDriverOps {
  readonly name: string;
  readonly mmExitFn = 'uacce_sva_exit';
  state = Q_INIT;
  bond: Bond | null = null;
  file: File | null = null;
  readonly engine: DmaEngine;
  private readonly actor: number;

  constructor(
    private readonly k: Kernel,
    dev: string,
    private readonly opts: UacceOptions,
  ) {
    this.name = dev;
    this.engine = new DmaEngine(k, dev, 0, opts.priCredits);
    this.actor = this.engine.actor;
  }

  private setState(s: number): void {
    this.state = s;
    this.k.sim.emit(KIND.uacce_q, this.actor, s);
  }

  /** uacce_fops_open + UACCE_CMD_START_Q's bind: returns false if bind failed (no PASID). */
  *open(t: Task, p: Proc): Gen<boolean> {
    const mm = p.mm;
    if (!mm) return false;
    this.bond = yield* this.k.sva.bind(t, this.name, mm, this);
    if (!this.bond) return false;
    this.engine.pasid = this.bond.ioMm.pasidNum;
    this.engine.owner = mm;
    this.file = new File(`uacce ${this.name}`, (tt) => this.release(tt));
    p.files.push(this.file);
    this.setState(Q_INIT);
    return true;
  }

  /** uacce_fops_mmap: the VMA takes its own file reference; exit_mmap's remove_vma drops it. */
  mmap(p: Proc): void {
    if (!this.file || !p.mm) return;
    this.k.fget(this.file);
    p.mm.vmaFiles.push(this.file);
  }

  /**
   * munmap() of the queue's region (mm/mmap.c __do_munmap → remove_vma): under mmap_lock for
   * write, the VMA goes and drops its file reference.
   */
  *munmap(t: Task, p: Proc): Gen {
    const mm = p.mm;
    if (!mm || !this.file) return;
    yield* mm.mmapLock.down_write(t);
    const i = mm.vmaFiles.indexOf(this.file);
    if (i >= 0) {
      mm.vmaFiles.splice(i, 1);
      this.k.fput(t, this.file);
    }
    mm.mmapLock.up_write(t);
  }

  start(job: DmaJob): void {
    this.setState(Q_STARTED);
    this.engine.start(job);
  }

  /** uacce_put_queue: stop a started queue (dmaStop), leave it ZOMBIE. */
  private *put_queue(t: Task): Gen {
    if (this.state === Q_ZOMBIE) return;
    if (this.state === Q_STARTED && this.opts.stopsDma) yield* this.engine.stop(t);
    this.setState(Q_ZOMBIE);
  }

  /** The pre-v5.8 mm_exit callback (uacce_sva_exit): under uacce_mm->lock, put every queue. */
  *mm_exit(t: Task): Gen {
    yield* this.opts.lock.lock(t);
    yield* this.k.sim.call(t, 'uacce_put_queue', this.put_queue(t), { b: this.engine.pasid });
    this.opts.lock.unlock(t);
  }

  /** uacce_fops_release (drivers/misc/uacce/uacce.c), run by the last fput: put the queue, then unbind. */
  release(t: Task): Gen {
    return this.k.sim.call(t, 'uacce_fops_release', this.fops_release(t), { b: this.engine.pasid, args: { dev: this.name } });
  }

  private *fops_release(t: Task): Gen {
    yield* this.opts.lock.lock(t);
    yield* this.k.sim.call(t, 'uacce_put_queue', this.put_queue(t), { b: this.engine.pasid });
    this.opts.lock.unlock(t);
    if (this.bond) {
      const b = this.bond;
      this.bond = null;
      yield* this.k.sva.unbind(t, b);
    }
    // kfree(q): the queue is gone (its engine is stopped and unbound by now).
    this.k.sim.emit(KIND.uacce_q_free, this.actor);
  }
}
