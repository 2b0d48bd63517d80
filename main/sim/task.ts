import type { HeapEntry } from './heap';
import type { Ns } from './time';
import { TS_R } from './events';
import type { WaitCauses } from './causes';

/** What a task can be blocked on: a lock, a completion, an SRCU grace period, a flush... */
export interface Waitable extends WaitCauses {
  /** As shown in task state and wait-for cycles, e.g. "mutex iommu_sva_lock". */
  readonly label: string;
  /** The tasks that must act before a waiter can go on: the edges of the wait-for graph. */
  holders(): readonly Task[];
}

/**
 * What a task's generator yields:
 *  - a number: the task runs on a CPU for that many ns (no context switch, state stays R);
 *  - BLOCK: the task has registered itself on a Waitable (or a timer) and sleeps until woken.
 */
export const BLOCK: unique symbol = Symbol('block');
export type Yield = number | typeof BLOCK;
/** A kernel code path. Sub-paths compose with `yield*`, so the code reads like the call chain. */
export type Gen<R = void> = Generator<Yield, R, unknown>;

export type TaskType = 'user' | 'kthread' | 'kworker' | 'hw';

/** Thrown into a user task's generator when SIGKILL interrupts it in user mode. */
export class FatalSignal extends Error {
  constructor() {
    super('fatal signal');
  }
}

/**
 * A schedulable entity: a process or kernel thread, or a piece of hardware (`hw`) modelled as a
 * process. Infinite CPUs: tasks never wait for a runqueue (a departure from the kernel; none of
 * the effects studied here depend on CPU contention).
 */
export class Task {
  state = TS_R;
  /** What the task waits on while blocked (null when running or in a timed sleep). */
  blockedOn: Waitable | null = null;
  /** Label of a timed sleep, for the state panel. */
  sleepLabel: string | null = null;
  blockedSince: Ns = 0;
  /** Seq of the event that put the task to sleep (its task_state D/S event; 0 for hardware): causal edges start there. */
  blockSeq = 0;
  /** The longest sleep since `longestBlockNs` was last reset to 0, and its block event (causes.ts). */
  longestBlockNs: Ns = 0;
  longestBlockSeq = 0;
  /** Voluntary context switches, as khungtaskd reads them (t->nvcsw). */
  nvcsw = 0;
  lastSwitchCount = 0;
  lastSwitchTime: Ns = 0;
  hungReports = 0;
  gen: Gen | null = null;
  timer: HeapEntry | null = null;
  /** SIGKILL pending. */
  sigkill = false;
  /** Running user code: a SIGKILL interrupts it at once. */
  inUser = false;
  exited = false;
  /**
   * The kernel functions this task is inside, outermost first, as `Sim.call` enters and leaves them:
   * what a call trace prints (innermost first). A task blocked for good keeps its stack.
   */
  readonly stack: string[] = [];

  constructor(
    readonly actor: number,
    readonly pid: number,
    public tgid: number,
    readonly comm: string,
    readonly type: TaskType,
  ) {}

  get label(): string {
    return `${this.comm}:${this.pid}`;
  }
}
