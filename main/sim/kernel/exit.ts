import { TS_X, TS_Z } from '../events';
import type { Gen, Task } from '../task';
import type { Kernel, Proc } from './kernel';
import { mmdrop, mmgrab, mmput } from './mm';

/**
 * do_exit (kernel/exit.c), in the kernel's order: exit_mm, exit_files, exit_task_work (where the
 * deferred last fput of a device file runs the driver's release, hence unbind), exit_notify.
 */
export function* do_exit(k: Kernel, t: Task): Gen {
  const p = k.procOf.get(t);
  if (!p) return;
  yield* k.sim.call(t, 'do_exit', do_exit_body(k, t, p));
}

function* do_exit_body(k: Kernel, t: Task, p: Proc): Gen {
  yield* k.sim.call(t, 'exit_mm', exit_mm(k, t));
  exit_files(k, t, p);
  yield* k.sim.call(t, 'exit_task_work', exit_task_work(k, t));
  exit_notify(k, t, p);
}

/**
 * exit_mm: take a lazy-TLB mmgrab (dropped at the final context switch), clear current->mm, then
 * mmput. If this was the last user, the whole address space is torn down right here.
 */
function* exit_mm(k: Kernel, t: Task): Gen {
  const mm = k.taskMm.get(t);
  if (!mm) return;
  yield* mm.mmapLock.down_read(t);
  mmgrab(k, mm, 'active_mm (lazy TLB)');
  k.lazyMm.set(t, mm);
  k.taskMm.set(t, null);
  mm.mmapLock.up_read(t);
  yield* mmput(k, t, mm);
  // exit_oom_victim
  k.memdie.delete(t);
}

/** exit_files: the last thread closes every descriptor (fput each file). */
function exit_files(k: Kernel, t: Task, p: Proc): void {
  if (p.liveThreads > 1) return;
  for (const f of p.files.splice(0)) k.fput(t, f);
}

/** exit_task_work (include/linux/task_work.h → task_work_run): run the deferred work (____fput) queued on this task, until none is left. */
function* exit_task_work(k: Kernel, t: Task): Gen {
  for (;;) {
    const l = k.taskWork.get(t);
    const fn = l?.shift();
    if (!fn) break;
    yield* fn(t);
  }
  k.taskWork.delete(t);
}

/**
 * exit_notify and the final schedule: the task becomes a zombie; the last context switch drops the
 * lazy-TLB mm reference. If the parent reaps it, release_task frees the signal struct, which drops
 * signal->oom_mm's mmgrab.
 */
function exit_notify(k: Kernel, t: Task, p: Proc): void {
  p.liveThreads--;
  k.sim.setState(t, TS_Z);
  const lazy = k.lazyMm.get(t);
  if (lazy) {
    k.lazyMm.delete(t);
    // The idle task inherits the dead task's active_mm until the CPU runs another user mm.
    if (k.cfg.lazyTlbHold > 0) k.sim.after(k.cfg.lazyTlbHold, () => mmdrop(k, lazy, 'active_mm (lazy TLB)'));
    else mmdrop(k, lazy, 'active_mm (lazy TLB)');
  }
  if (p.liveThreads === 0 && p.autoreap) release_task(k, p);
}

/** release_task: the parent has reaped the zombie group; free_signal_struct drops oom_mm. */
export function release_task(k: Kernel, p: Proc): void {
  for (const th of p.threads) {
    if (th.state === TS_Z) k.sim.setState(th, TS_X);
  }
  const i = k.procs.indexOf(p);
  if (i >= 0) k.procs.splice(i, 1);
  if (p.oomMm) {
    const mm = p.oomMm;
    p.oomMm = null;
    mmdrop(k, mm, 'signal->oom_mm');
  }
}
