import type { Task } from './task';

/**
 * Call traces as the kernel prints them (lib/dump_stack.c, arch/x86/kernel/dumpstack.c): the task's
 * stack, innermost first, one ` fn+0xoff/0xsize` line per frame after "Call Trace:".
 *
 * The model knows each task's stack from the `Sim.call` nesting (fn_begin/fn_end). Three things are
 * added or removed so that the frames are the ones a real kernel shows:
 * - the frames below the first traced call, which depend on how the task runs (a kernel thread
 *   starts in ret_from_fork → kthread, a workqueue worker in worker_thread → process_one_work, a
 *   threaded IRQ handler in irq_thread → irq_thread_fn); a user task's own entry frames
 *   (entry_SYSCALL_64_after_hwframe, do_syscall_64...) are traced calls of its scenario;
 * - functions the compiler inlines (`static inline` in the kernel source) print no frame: `INLINE`;
 * - the reporting code's own frames (dump_stack, ___might_sleep, print_circular_bug...) and the
 *   primitive that was entered (mutex_lock_nested, wait_for_completion_timeout) are given by the
 *   caller as `top`.
 * Frames the kernel marks unreliable ("? fn+..", stale return addresses left on the stack) are never
 * printed: the model has no stale stack contents.
 *
 * Offsets are synthetic: `+0xoff/0xsize` is derived from a hash of the name (the model has no
 * text section), stable across runs, so two traces of the same path read the same.
 */

/**
 * Functions traced by the model that a compiled kernel does not show as their own frame. A string
 * value prints that name instead; null prints nothing.
 */
const INLINE: Readonly<Record<string, string | null>> = {
  // kernel/fork.c: `static inline void __mmput(struct mm_struct *mm)`: its caller mmput() is the
  // frame (log 05: "exit_mmap ← mmput"). From mmput_async_fn it is inlined there too.
  __mmput: 'mmput',
  // drivers/iommu/intel/svm.c: intel_svm_unbind_mm is static with one caller; log 04 shows
  // intel_svm_drain_prq called from intel_svm_unbind directly.
  intel_svm_unbind_mm: null,
  // include/linux/task_work.h: `static inline void exit_task_work(struct task_struct *task)` calls
  // task_work_run().
  exit_task_work: 'task_work_run',
};

const KWORKER_FRAMES: readonly string[] = ['ret_from_fork', 'kthread', 'worker_thread', 'process_one_work'];
const IRQ_THREAD_FRAMES: readonly string[] = ['ret_from_fork', 'kthread', 'irq_thread', 'irq_thread_fn'];
const KTHREAD_FRAMES: readonly string[] = ['ret_from_fork', 'kthread'];
const NO_FRAMES: readonly string[] = [];

/** What a task runs below its first traced call, outermost first. */
function baseFrames(t: Task): readonly string[] {
  if (t.type === 'kworker') return KWORKER_FRAMES;
  if (t.type === 'kthread') return t.comm.startsWith('irq/') ? IRQ_THREAD_FRAMES : KTHREAD_FRAMES;
  return NO_FRAMES;
}

/** The frames of t's stack, innermost first, as a call trace names them. */
export function stackFrames(t: Task, top: readonly string[] = []): string[] {
  const outer = [...baseFrames(t), ...t.stack];
  const out: string[] = [];
  for (let i = outer.length - 1; i >= 0; i--) {
    const fn = outer[i];
    if (fn in INLINE) {
      const as = INLINE[fn];
      if (as === 'mmput' && outer[i - 1] === 'mmput_async_fn') continue;
      if (as && out[out.length - 1] !== as) out.push(as);
      continue;
    }
    out.push(fn);
  }
  return [...top, ...out];
}

/**
 * `stackFrames(t)[0]`, the innermost frame a call trace names (lockdep's acquire ip), without
 * building the trace: lockdep asks for it on every lock taken.
 */
export function innermostFrame(t: Task): string | undefined {
  const base = baseFrames(t);
  const n = base.length;
  for (let i = n + t.stack.length - 1; i >= 0; i--) {
    const fn = i < n ? base[i] : t.stack[i - n];
    if (!(fn in INLINE)) return fn;
    const as = INLINE[fn];
    const caller = i - 1 < n ? base[i - 1] : t.stack[i - 1 - n]; // undefined below the outermost
    if (as && !(as === 'mmput' && caller === 'mmput_async_fn')) return as;
  }
  return undefined;
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `%pS` of a return address in fn: `fn+0xoff/0xsize` (synthetic offsets, see above). */
export function symbol(fn: string): string {
  const h = hash(fn);
  const size = 0x20 + (h % 0x7e0);
  const off = 1 + ((h >>> 11) % (size - 1));
  return `${fn}+0x${off.toString(16)}/0x${size.toString(16)}`;
}

/** Who the kernel is, as dump_stack's first line and print_kernel_ident print it. */
export interface KernelIdent {
  /** init_utsname()->release and the build number, e.g. "5.14.0-rc7 #1". */
  readonly release: string;
  /** print_tainted(): "Not tainted" or "Tainted: G        W        ". */
  tainted(): string;
  /** major * 100 + minor of the kernel line (514 for v5.14), for format differences (dump_stack_lvl from v5.13). */
  readonly version: number;
}

/** The x86 TAINT flags in bit order (kernel/panic.c taint_flags[]), the letter when set. */
const TAINT_LETTERS = ['P', 'F', 'S', 'R', 'M', 'B', 'U', 'D', 'A', 'W', 'C', 'I', 'O', 'E', 'L', 'K', 'X', 'T'];
export const TAINT_WARN = 9;

/** print_tainted(): "Not tainted", or "Tainted: " and one column per flag (P unset prints G). */
export function printTainted(taints: ReadonlySet<number>, version: number): string {
  if (taints.size === 0) return 'Not tainted';
  // TAINT_FLAGS_COUNT is 18 in every v5 kernel (TAINT_AUX 'X' and TAINT_RANDSTRUCT 'T' are v4.1x).
  void version;
  let s = 'Tainted: ';
  for (let i = 0; i < TAINT_LETTERS.length; i++) s += taints.has(i) ? TAINT_LETTERS[i] : i === 0 ? 'G' : ' ';
  return s;
}

/**
 * The lines dump_stack() prints for task t (dump_stack_print_info, then the trace): "CPU: n PID: p
 * Comm: c <taint> <release>", "Hardware name: ...", "Call Trace:", the frames. `top` are the
 * frames above the task's traced stack (the reporter's own, innermost first), after dump_stack's.
 * The model has no CPUs (every task runs at once): the CPU printed is the pid modulo 4. Kernels
 * from v5.16 (and stable backports: log 09, v5.15.6) frame the trace with " <TASK>"/" </TASK>";
 * the lines modelled here (v5.7, v5.8, v5.14) do not.
 */
export function dumpStackLines(t: Task, ident: KernelIdent, top: readonly string[]): string[] {
  const own = ident.version >= 513 ? ['dump_stack_lvl', 'dump_stack'] : ['dump_stack'];
  const lines = [
    `CPU: ${t.pid % 4} PID: ${t.pid} Comm: ${t.comm.slice(0, 15)} ${ident.tainted()} ${ident.release}`,
    'Hardware name: SVA Lab model machine, BIOS model 01/01/2026',
    'Call Trace:',
  ];
  for (const fn of stackFrames(t, [...own, ...top])) lines.push(` ${symbol(fn)}`);
  return lines;
}

/**
 * The frames between schedule() and the model's traced stack for what t is blocked on (innermost
 * first, __schedule and schedule excluded), as the sleeping primitive's slow path shows them (log
 * 09: schedule_timeout, __wait_for_common under a wait_for_completion).
 */
export function blockedFrames(t: Task): string[] {
  const w = t.blockedOn as (Task['blockedOn'] & { waitsForWrite?: (t: Task) => boolean; waitFnOf?: (t: Task) => string | undefined }) | null;
  const wait = (fn = 'wait_for_completion') => ['schedule_timeout', '__wait_for_common', fn];
  if (!w) return t.sleepLabel ? ['schedule_timeout'] : [];
  if (w.waitsForWrite) return w.waitsForWrite(t) ? ['rwsem_down_write_slowpath', 'down_write'] : ['rwsem_down_read_slowpath', 'down_read'];
  const l = w.label;
  if (l.startsWith('mutex ')) return ['schedule_preempt_disabled', '__mutex_lock', 'mutex_lock_nested'];
  if (l.startsWith('flush_workqueue')) return [...wait(), 'flush_workqueue'];
  if (l.startsWith('synchronize_srcu')) return [...wait(), '__synchronize_srcu', 'synchronize_srcu'];
  if (w.waitFnOf) return wait(w.waitFnOf(t));
  return [];
}
