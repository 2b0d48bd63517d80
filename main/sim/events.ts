/**
 * The event vocabulary of the simulator. Every event the model emits has a kind from this table,
 * an actor (a named lane: a task, an mm, a device, a lock...), two integers `a` and `b` whose
 * meaning the kind gives, and rarely an `args` object. The trace, the state fold, the metrics and
 * the exports all read events through this table, so it is the one place that says what an event
 * means.
 *
 * `role` tells a recorder how to draw it:
 *  - `begin`/`end`: a span on the actor's lane, paired by `span` name and nesting;
 *  - `counter`: `a` is the new value of a counter named `counter` on the actor;
 *  - `state`: `a` is the actor's new state (a code from `states`);
 *  - `instant`: a point event.
 */
export type Role = 'instant' | 'begin' | 'end' | 'counter' | 'state';

export interface KindInfo {
  readonly name: string;
  readonly role: Role;
  /** For begin/end: the span name (release, dma_stop...). For counter: the counter name. */
  readonly span?: string;
  readonly a?: string;
  readonly b?: string;
  /** For state kinds: the name of each state code `a` may take. */
  readonly states?: readonly string[];
  readonly doc: string;
}

/** Task states, as `task_state.a`. */
export const TASK_STATE = ['R', 'S', 'D', 'Z', 'X'] as const;
export const TS_R = 0;
export const TS_S = 1;
export const TS_D = 2;
export const TS_Z = 3;
export const TS_X = 4;

/** PASID table entry states, as `pasid_entry.a`. */
export const PASID_ENTRY_STATE = ['CLEARED', 'PRESENT', 'NOT_PRESENT_FPD'] as const;
export const PE_CLEARED = 0;
export const PE_PRESENT = 1;
export const PE_QUIET = 2;

/** Device DMA engine states, as `dma_state.a`. */
export const DMA_STATE = ['STOPPED', 'RUNNING', 'STOPPING', 'IDLE'] as const;
export const DMA_STOPPED = 0;
export const DMA_RUNNING = 1;
export const DMA_STOPPING = 2;
export const DMA_IDLE = 3;

/** Outcome of one DMA transaction, as `dma_tx.b`. */
export const TX_OUTCOME = ['ok', 'aborted_silent', 'aborted_reported', 'stray_reused_pasid', 'after_free'] as const;
export const TX_OK = 0;
export const TX_ABORT_SILENT = 1;
export const TX_ABORT_REPORTED = 2;
export const TX_STRAY = 3;
/** Completed through a stale cached translation into a page the kernel had already freed. */
export const TX_AFTER_FREE = 4;

/** ATS translation completion, as `ats_req.b`. */
export const ATS_RESULT = ['translated', 'no_translation_RW0', 'unsupported_request'] as const;
export const ATS_OK = 0;
export const ATS_RW0 = 1;
export const ATS_UR = 2;

/** PRI page response codes, as `pri_resp.b`. */
export const PRI_RESP = ['SUCCESS', 'INVALID', 'FAILURE'] as const;
export const RESP_SUCCESS = 0;
export const RESP_INVALID = 1;
export const RESP_FAILURE = 2;

/** mm flags, as `mm_flag.a`. */
export const MM_FLAG = ['', 'MMF_OOM_SKIP', 'MMF_OOM_VICTIM', 'MMF_UNSTABLE'] as const;
export const MMF_OOM_SKIP = 1;
export const MMF_OOM_VICTIM = 2;
export const MMF_UNSTABLE = 3;

/** How an oom_reaper attempt ended, as `reap_end.b`. */
export const REAP_OUTCOME = ['mmap_lock_busy', 'reaped', 'skipped'] as const;
export const REAP_BUSY = 0;
export const REAP_REAPED = 1;
export const REAP_SKIPPED = 2;

/** Invalidation types, as `inval.b`. */
export const INVAL_TYPE = ['', 'pasid-cache', 'iotlb', 'dev-tlb', 'drain'] as const;

/** uacce queue states, as `uacce_q.a`. */
export const UACCE_Q_STATE = ['INIT', 'STARTED', 'ZOMBIE'] as const;

const K = <T extends readonly KindInfo[]>(k: T) => k;

export const KINDS = K([
  // --- engine ---
  { name: 'task_new', role: 'instant', a: 'pid', b: 'tgid', doc: 'a task is created; args {comm, type}' },
  { name: 'task_state', role: 'state', states: TASK_STATE, a: 'state (R S D Z X)', doc: 'task state change; args.on names what a blocked task waits on' },
  { name: 'signal', role: 'instant', a: 'signo', doc: 'a signal is sent to the task (9 = SIGKILL)' },
  { name: 'deadlock', role: 'instant', a: 'cycle length', doc: 'the wait-for graph closed a cycle when this task blocked; args.cycle lists it' },
  { name: 'hung_task', role: 'instant', a: 'hung_task_timeout_secs', b: 'seconds blocked, as printed', doc: 'khungtaskd reported this task (INFO: task ... blocked for more than N seconds, N the time since khungtaskd last saw it switch)' },
  { name: 'printk', role: 'instant', a: 'log level', b: 'suppressed before it', doc: 'a kernel log line; args.msg' },
  { name: 'lock_contend', role: 'instant', a: 'task actor', doc: 'a task finds the lock held and waits' },
  { name: 'lock_acquire', role: 'begin', span: 'held', a: 'task actor', b: '0 exclusive, 1 shared', doc: 'the lock is taken' },
  { name: 'lock_release', role: 'end', span: 'held', a: 'task actor', b: '0 exclusive, 1 shared', doc: 'the lock is released' },
  { name: 'srcu_read_lock', role: 'instant', a: 'task actor', b: 'reader token', doc: 'srcu_read_lock' },
  { name: 'srcu_read_unlock', role: 'instant', a: 'task actor', b: 'reader token', doc: 'srcu_read_unlock' },
  { name: 'synchronize_srcu', role: 'begin', span: 'synchronize_srcu', a: 'readers waited for', doc: 'synchronize_srcu starts; waits for the readers present now' },
  { name: 'synchronize_srcu_done', role: 'end', span: 'synchronize_srcu', doc: 'synchronize_srcu returns' },
  { name: 'work_queue', role: 'instant', a: 'work seq', b: 'outstanding after', doc: 'queue_work; args.fn names the work function' },
  { name: 'wq_depth', role: 'counter', span: 'outstanding', a: 'pending + running items', doc: 'workqueue depth' },
  { name: 'work_begin', role: 'begin', span: 'work', a: 'work seq', b: 'workqueue actor', doc: 'a worker starts a work item; args.fn' },
  { name: 'work_end', role: 'end', span: 'work', a: 'work seq', b: 'workqueue actor', doc: 'the work item returns' },
  { name: 'flush_begin', role: 'begin', span: 'flush_workqueue', a: 'workqueue actor', b: 'items waited for', doc: 'flush_workqueue starts' },
  { name: 'flush_end', role: 'end', span: 'flush_workqueue', a: 'workqueue actor', doc: 'flush_workqueue returns' },
  { name: 'invariant', role: 'instant', doc: 'a model invariant broke (negative refcount, double free); the run fails; args.msg' },
  { name: 'note', role: 'instant', doc: 'scenario narration; args.msg' },
  { name: 'trigger', role: 'instant', doc: 'the scenario trigger: times in the summary are measured from here' },
  // --- mm ---
  { name: 'mm_new', role: 'instant', a: 'owner pid', doc: 'an mm_struct is created; args {rssPages, lockedPages}' },
  { name: 'mm_users', role: 'counter', span: 'mm_users', a: 'mm_users', b: 'delta', doc: 'mm_users changes; args.fn (mmget, mmget_not_zero, mmput, mmput_async)' },
  { name: 'mmget_not_zero_fail', role: 'instant', doc: 'mmget_not_zero found mm_users at 0' },
  { name: 'mm_count', role: 'counter', span: 'mm_count', a: 'mm_count', b: 'delta', doc: 'mm_count changes (mmgrab / mmdrop); args.by says who holds or drops' },
  { name: 'mm_flag', role: 'instant', a: 'flag (1 MMF_OOM_SKIP, 2 MMF_OOM_VICTIM, 3 MMF_UNSTABLE)', doc: 'an mm flag is set' },
  { name: 'mm_pages', role: 'counter', span: 'resident pages', a: 'resident pages', b: 'of which locked', doc: 'pages the mm still holds' },
  { name: 'mm_freed', role: 'instant', a: 'pages returned', doc: 'exit_mmap has returned all of the mm\'s memory, locked pages included' },
  { name: 'mm_free', role: 'instant', doc: '__mmdrop: the mm_struct itself is freed (mm_count reached 0)' },
  { name: 'mem_free', role: 'counter', span: 'free pages', a: 'free pages', doc: 'system free memory' },
  { name: 'fn_begin', role: 'begin', span: 'fn', a: 'mm actor or 0', b: 'pasid or 0', doc: 'a kernel function starts on this task; args.fn (do_exit, exit_mmap, __mmput...)' },
  { name: 'fn_end', role: 'end', span: 'fn', a: 'mm actor or 0', b: 'pasid or 0', doc: 'the kernel function returns; args.fn' },
  { name: 'release_begin', role: 'begin', span: 'release', a: 'mm actor', b: 'pasid', doc: 'mmu_notifier release() is entered' },
  { name: 'release_end', role: 'end', span: 'release', a: 'mm actor', b: 'pasid', doc: 'mmu_notifier release() returns' },
  // --- allocation and OOM ---
  { name: 'alloc_stall', role: 'instant', a: 'pages wanted', b: 'free pages', doc: 'an allocation finds too little free memory and enters the slow path' },
  { name: 'alloc_done', role: 'instant', a: 'pages', doc: 'an allocation succeeds' },
  { name: 'oom_invoke', role: 'instant', a: 'allocating task actor', doc: 'out_of_memory() runs under oom_lock' },
  { name: 'oom_abort', role: 'instant', a: 'victim task actor', doc: 'select_bad_process met a victim whose mm lacks MMF_OOM_SKIP: no new kill' },
  { name: 'oom_skip', role: 'instant', a: 'victim task actor', doc: 'select_bad_process skipped a victim whose mm has MMF_OOM_SKIP' },
  { name: 'oom_kill', role: 'instant', a: 'victim task actor', b: 'badness points', doc: 'oom_kill_process: a victim is chosen and killed; args {pid, comm, rssPages, lockedPages, adj}' },
  { name: 'oom_none', role: 'instant', doc: 'no killable task left: out_of_memory prints "Out of memory and no killable processes..." and panics' },
  { name: 'reap_begin', role: 'begin', span: 'oom_reap', a: 'victim task actor', b: 'attempt', doc: 'oom_reaper attempt on a victim' },
  { name: 'reap_end', role: 'end', span: 'oom_reap', a: 'pages reaped', b: '1 reaped, 0 mmap_lock busy, 2 skipped (MMF_OOM_SKIP already set)', doc: 'the attempt ends' },
  // --- IOMMU, SVA ---
  { name: 'pasid_alloc', role: 'instant', a: 'pasid', b: 'mm actor', doc: 'a PASID is allocated' },
  { name: 'pasid_alloc_fail', role: 'instant', a: 'max usable', doc: 'PASID allocation failed: the space is exhausted' },
  { name: 'pasid_free', role: 'instant', a: 'pasid', b: 'mm actor', doc: 'a PASID is freed' },
  { name: 'pasids', role: 'counter', span: 'PASIDs allocated', a: 'allocated', doc: 'PASIDs allocated now' },
  { name: 'pasid_entry', role: 'state', states: PASID_ENTRY_STATE, a: 'entry state (0 CLEARED, 1 PRESENT, 2 NOT_PRESENT_FPD/quiet)', b: 'mm actor', doc: 'PASID table entry written' },
  { name: 'inval', role: 'instant', a: 'pasid', b: 'type (1 PASID cache, 2 IOTLB, 3 device TLB, 4 drain)', doc: 'an invalidation completes' },
  { name: 'bond', role: 'counter', span: 'bond users', a: 'users', b: 'pasid', doc: 'device-mm bond use count' },
  { name: 'uacce_q', role: 'state', states: UACCE_Q_STATE, a: 'queue state (INIT STARTED ZOMBIE)', doc: 'uacce queue state' },
  // --- device ---
  { name: 'dma_state', role: 'state', states: DMA_STATE, a: 'engine state (STOPPED RUNNING STOPPING IDLE)', b: 'pasid', doc: 'device DMA engine state' },
  { name: 'dma_tx', role: 'instant', a: 'pasid', b: 'outcome (0 ok, 1 aborted silently, 2 aborted and reported, 3 stray on reused PASID, 4 into a freed page)', doc: 'one DMA transaction completes' },
  { name: 'ats_req', role: 'instant', a: 'pasid', b: 'completion (0 translated, 1 R=W=0, 2 UR)', doc: 'ATS translation request answered' },
  { name: 'pri_req', role: 'instant', a: 'pasid', b: 'PRQ depth after', doc: 'PRI page request sent' },
  { name: 'pri_resp', role: 'instant', a: 'pasid', b: 'code (0 SUCCESS, 1 INVALID, 2 FAILURE)', doc: 'page response received by the device; args.latencyNs' },
  { name: 'prq_depth', role: 'counter', span: 'PRQ entries', a: 'entries', b: 'overflow bit', doc: 'page request queue occupancy' },
  { name: 'prq_overflow', role: 'instant', a: 'pasid', doc: 'the PRQ was full: the request is dropped and the overflow bit set' },
  { name: 'dmar_fault', role: 'instant', a: 'pasid', b: 'reason (1 PASID entry not present, 2 invalid PASID page request)', doc: 'a fault the IOMMU reports (logged, ratelimited)' },
  // --- appended in model 3 (kinds are stored by name; append only) ---
  { name: 'panic', role: 'instant', doc: 'panic(): the kernel stops and the run ends; args.msg ("System is deadlocked on memory")' },
  { name: 'oom_reap_fail', role: 'instant', a: 'victim task actor', b: 'attempts', doc: 'oom_reap_task gave up: "oom_reaper: unable to reap" (mmap_lock never taken); MMF_OOM_SKIP follows' },
  { name: 'dma_stall', role: 'begin', span: 'stall', a: 'pasid', b: 'outstanding page requests', doc: 'the DMA engine stops issuing: every PRI credit (SMMUv3: stall slot) is in use' },
  { name: 'dma_stall_end', role: 'end', span: 'stall', a: 'pasid', b: 'stall duration ns', doc: 'a credit came back (or the engine stopped): the engine issues again' },
  { name: 'smmu_evt', role: 'instant', a: 'pasid (SSID)', b: '1 reported (the driver prints it, ratelimited), 0 handed to the IOPF queue', doc: 'an SMMUv3 event-queue record; args.id (0x10 F_TRANSLATION, 0x0a C_BAD_CD)' },
  // --- appended in model 4 ---
  { name: 'lockdep', role: 'instant', a: 'locks in the chain', doc: 'lockdep found a new dependency that closes a cycle ("possible circular locking dependency detected", printed whether or not the run deadlocks); args {lock, held, chain}; lockdep is off afterwards' },
  { name: 'might_sleep', role: 'instant', a: 'preempt count', b: 'irqs disabled', doc: '"BUG: sleeping function called from invalid context": a sleeping function entered inside an atomic section; args {fn, at}' },
  // --- observed runs (imported kernel logs, main/trace/kernlog); the model does not emit these ---
  { name: 'io_page_fault', role: 'instant', doc: 'an I/O page fault the log shows: AMD-Vi "Event logged [IO_PAGE_FAULT ...]" or the iommu:io_page_fault tracepoint; args {device, address, flags}' },
  { name: 'sched_process_exit', role: 'instant', doc: 'the sched:sched_process_exit tracepoint (do_exit, before exit_notify); args {comm, pid}' },
  // --- appended in model 5 ---
  { name: 'uacce_q_free', role: 'instant', doc: 'uacce_fops_release ends with kfree(q): the queue is gone (the state view lists the last few freed)' },
] as const satisfies readonly KindInfo[]);

export type KindName = (typeof KINDS)[number]['name'];

/** The names of a state kind's codes (empty for other kinds). */
export function stateNames(kind: number): readonly string[] {
  return (KINDS[kind] as KindInfo | undefined)?.states ?? [];
}

/** Kind ids by name: `KIND.release_begin` is the numeric id stored in traces. */
export const KIND = Object.fromEntries(KINDS.map((k, i) => [k.name, i])) as { readonly [N in KindName]: number };

/** The type of lane an actor is drawn in. */
export type TrackType =
  | 'task'
  | 'mm'
  | 'device'
  | 'pasid'
  | 'queue'
  | 'oom'
  | 'lock'
  | 'iommu'
  | 'memory'
  | 'log'
  | 'scenario';

import type { Relation } from './causes';

/**
 * Where the simulator sends its events. The actor call always precedes the first event of that
 * actor. `args` is null or a compact JSON string.
 */
export interface TraceSink {
  actor(id: number, name: string, track: TrackType): void;
  event(seq: number, tNs: number, kind: number, actor: number, cause: number, a: number, b: number, args: string | null): void;
  /**
   * A causal edge beside "scheduled by" (see causes.ts): event `from` is explained by event `to`
   * through `rel`. Optional: a sink without it gets none, and a run whose sinks all lack it
   * computes none.
   */
  edge?(from: number, to: number, rel: Relation, args: string | null): void;
}

/**
 * Rolling digest over the event stream: two 32-bit FNV-style lanes mixed with Math.imul. Two runs
 * with the same digest produced the same events; the trace layer finds the first difference.
 */
export class Digest {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;

  /** Mix one event. Integers are mixed as 32-bit halves; args character by character. */
  event(seq: number, t: number, kind: number, actor: number, cause: number, a: number, b: number, args: string | null): void {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ seq, 0x01000193);
    h2 = Math.imul(h2 ^ (t >>> 0), 0x5bd1e995);
    h2 ^= h2 >>> 15;
    h1 = Math.imul(h1 ^ ((t / 4294967296) | 0), 0x01000193);
    h2 = Math.imul(h2 ^ kind, 0x5bd1e995);
    h1 = Math.imul(h1 ^ actor, 0x01000193);
    h2 = Math.imul(h2 ^ cause, 0x5bd1e995);
    h2 ^= h2 >>> 13;
    h1 = Math.imul(h1 ^ (a | 0), 0x01000193);
    h1 = Math.imul(h1 ^ ((a / 4294967296) | 0), 0x01000193);
    h2 = Math.imul(h2 ^ (b | 0), 0x5bd1e995);
    h2 = Math.imul(h2 ^ ((b / 4294967296) | 0), 0x5bd1e995);
    if (args !== null) {
      for (let i = 0; i < args.length; i++) h1 = Math.imul(h1 ^ args.charCodeAt(i), 0x01000193);
      h2 = Math.imul(h2 ^ args.length, 0x5bd1e995);
    }
    this.h1 = h1;
    this.h2 = h2;
  }

  actor(id: number, name: string): void {
    let h1 = Math.imul(this.h1 ^ id, 0x01000193);
    for (let i = 0; i < name.length; i++) h1 = Math.imul(h1 ^ name.charCodeAt(i), 0x01000193);
    this.h1 = h1;
    this.h2 = Math.imul(this.h2 ^ name.length, 0x5bd1e995);
  }

  hex(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }
}

/** Args of one string field serialised once per value (bounded: past `max` values, serialised each time). */
function oneFieldArgs(field: string, max = 4096): (value: string) => string {
  const cache = new Map<string, string>();
  return (value) => {
    let s = cache.get(value);
    if (s === undefined) {
      s = JSON.stringify({ [field]: value });
      if (cache.size < max) cache.set(value, s);
    }
    return s;
  };
}

/** `{"fn":name}` serialised once per name: the commonest args, kept off the hot path. */
export const fnArgs = oneFieldArgs('fn');

/** `{"on":label}`, what a task_state says a blocked task waits on, serialised once per label. */
export const onArgs = oneFieldArgs('on');
