/**
 * What the kernel-log parser makes of a file: one KernLine per line of the file (none dropped), the
 * multi-line reports those lines form, and the tasks they name. Pure data: no SQLite here, the
 * importer (observed.ts) turns it into a trace.
 */

/**
 * The file's format. `syslog` covers `journalctl` (short and short-precise), whose lines read the same;
 * `journal-monotonic` is `journalctl -o short-monotonic`.
 */
export type LogFormat = 'dmesg' | 'dmesg-T' | 'dmesg-reltime' | 'syslog' | 'journal-monotonic' | 'journal-json' | 'ftrace' | 'bare';

/** Where the times come from: the kernel's monotonic clock (printk stamps, ftrace), the wall clock (rebased to the first stamp), relative deltas, or nothing. */
export type LogClock = 'monotonic' | 'wall' | 'relative' | 'none';

/**
 * Kinds a line can have. Where the model has a kind for the same thing the name is the model's
 * (oom_kill, reap_end, hung_task, panic, ...); `printk` is a line that is only a line.
 */
export type LineKind =
  | 'printk'
  | 'oom_invoke'
  | 'oom_kill'
  | 'oom_none'
  | 'reap_begin'
  | 'reap_end'
  | 'oom_reap_fail'
  | 'hung_task'
  | 'panic'
  | 'dmar_fault'
  | 'smmu_evt'
  | 'io_page_fault'
  | 'lockdep'
  | 'might_sleep'
  | 'signal'
  | 'sched_process_exit'
  | 'ftrace';

/** The model's log classes (main/sim/kernel/printk.ts): `fault` lines are what faultsPrinted counts. */
export type LineClass = 'fault' | 'oom' | 'hung' | 'info';

export interface KernLine {
  /** 1-based line number in the file (for journal JSON: the record's line). */
  n: number;
  /** Time in ns on the log's clock (see KernLog.clock); an unstamped line takes the time of the line before it. */
  tNs: number;
  /** The line carried its own stamp. */
  stamped: boolean;
  /** The task that printed it, when the log says (printk caller id `[ T123]`, ftrace TASK-PID). */
  task: string | null;
  pid: number | null;
  cpu: number | null;
  kind: LineKind;
  cls: LineClass;
  /** What the kind parsed out of the line (pid, comm, addresses, ...). */
  args: Record<string, unknown>;
  /** The message: the line without its stamp, host, caller id or ftrace columns. */
  msg: string;
  /** The line exactly as it was in the file (journal JSON: the MESSAGE field). */
  text: string;
  /** The report this line belongs to (index into KernLog.reports), or null. */
  report: number | null;
  /** Syslog identifier of a line that is not the kernel's (a syslog or journal file holds other programs' lines too). */
  source?: string;
  /** journal JSON PRIORITY / dmesg `<N>` prefix. */
  level?: number;
}

export type ReportKind = 'oom' | 'hung_task' | 'panic' | 'lockdep' | 'might_sleep' | 'call_trace' | 'smmu_event' | 'ftrace_stack';

/** A lock as lockdep prints it: `ffff888100d854e8 (&param->lock){+.+.}-{3:3}, at: iopf_queue_flush_dev+0x29/0x60`. */
export interface LockRef {
  name: string;
  at: string | null;
}

/** One link of lockdep's "existing dependency chain (in reverse order)": `-> #2 (pasid_mutex){...}:` and its stack. */
export interface ChainLink {
  n: number;
  lock: string;
  stack: string[];
}

export interface LockdepInfo {
  /** The WARNING line's words: "possible circular locking dependency detected". */
  title: string;
  task: string | null;
  pid: number | null;
  acquiring: LockRef | null;
  holding: LockRef | null;
  chain: ChainLink[];
  /** "Chain exists of:" as a list of lock classes. */
  chainExists: string[];
  held: LockRef[];
}

/** A multi-line report: an OOM dump_header, a hung task, a panic, a lockdep splat, a might_sleep BUG, a call trace. */
export interface KernReport {
  id: number;
  kind: ReportKind;
  /** Line numbers (KernLine.n) of its first and last lines. */
  first: number;
  last: number;
  tNs: number;
  task: string | null;
  pid: number | null;
  /** The call trace's functions, innermost first, without the `?` (unreliable) frames. */
  stack: string[];
  /** For kind 'lockdep'. */
  lockdep?: LockdepInfo;
  /** For kind 'might_sleep': `at` (file:line), in_atomic(), irqs_disabled(). */
  atomic?: { at: string; inAtomic: number | null; irqsDisabled: number | null };
}

/** A task the log names, for the lanes. */
export interface KernTask {
  name: string;
  pid: number | null;
}

export interface KernLog {
  /** The file's name as given (for the sentences and the trace's meta). */
  name: string;
  format: LogFormat;
  clock: LogClock;
  /** dmesg with the printk caller id (`[ T1778]`). */
  callerId: boolean;
  /** For a wall clock: the first stamp as the log wrote it (times are ns after it). */
  origin: string | null;
  lines: KernLine[];
  reports: KernReport[];
  tasks: KernTask[];
}

/** A file the parser refuses: not a kernel log, binary, too big. One sentence. */
export class KernLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernLogError';
  }
}
