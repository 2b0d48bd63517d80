import type { LogClock, LogFormat } from './types';

/**
 * Timestamp layers of the formats the importer reads: what each line looks like in front of the
 * kernel's message, how to tell the formats apart, and the time each stamp stands for.
 */

const MON = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const MONTHS = MON.split('|');
const DAY = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';

/** `[  251.716666]` with an optional `<4>` level and printk caller id `[ T1778]` / `[    C3]`. */
export const DMESG_RE = /^(?:<(\d)>)?\[\s*(\d+)\.(\d{1,9})\](?:\[\s*([TC])(\d+)\])?(?: (.*)| ?$)/;
/** `dmesg -T`: `[Wed Jul 30 17:47:45 2025]`. */
export const DMESG_T_RE = new RegExp(String.raw`^(?:<(\d)>)?\[(?:${DAY}) (${MON}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})\](?:\[\s*([TC])(\d+)\])?(?: (.*)| ?$)`);
/** `dmesg -H` / `--reltime`: `[  +0.000068]`, or the `[Apr28 20:36]` line that starts a minute. */
export const RELTIME_RE = /^\[\s*([+-])\s*(\d+)\.(\d{1,9})\](?: (.*)| ?$)/;
export const RELTIME_HEAD_RE = new RegExp(String.raw`^\[(${MON})(\d\d) (\d\d):(\d\d)\](?: (.*)| ?$)`);
/** syslog / `journalctl` short and short-precise: `May 30 17:35:46 localhost kernel: ...`. */
export const SYSLOG_RE = new RegExp(String.raw`^(${MON}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? (\S+) ([^:\s\[]+)(?:\[(\d+)\])?: ?(.*)$`);
/** syslog with an RFC 3339 stamp (rsyslog's default) or `journalctl -o short-iso(-precise)`. */
export const SYSLOG_ISO_RE = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)? (\S+) ([^:\s[]+)(?:\[(\d+)\])?: ?(.*)$/;
/** `journalctl -o short-monotonic`: `[ 91308.352843] steamdeck kernel: ...`. */
export const JOURNAL_MONO_RE = /^\[\s*(\d+)\.(\d{1,9})\] (\S+) ([^:\s[]+)(?:\[(\d+)\])?: ?(.*)$/;
/**
 * ftrace (`trace`, `trace_pipe`, `trace-cmd report`): `TASK-PID [CPU] FLAGS TIMESTAMP: FUNCTION`.
 * The task name may hold dashes and spaces, so the pid is the last `-digits` before the CPU; the
 * flags column (irqs-off, need-resched, hardirq/softirq, preempt-depth) and the tgid column are optional.
 */
export const FTRACE_RE = /^\s*(\S.*?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:([.a-zA-Z0-9]{4,6})\s+)?(\d+)\.(\d+):\s?(.*)$/;
/** The `# tracer: function` header and its column comments; `CPU 3 is empty` and `cpus=4` of trace-cmd. */
export const FTRACE_HEADER_RE = /^#|^\s*(?:CPU \d+ is empty|cpus=\d+|version = \d+)\s*$/;

/**
 * Lines only the kernel prints, each anchored at the start of the line (prose that merely talks
 * about DMAR faults or the OOM killer, like SOURCES.md, is not a log): call-trace frames, report
 * headers, the register dump, the OOM killer's, hung-task and IOMMU drivers' lines.
 */
export const KERNEL_SIGN_RE = new RegExp(
  [
    String.raw`^\s*(?:\? )?[A-Za-z_.$][\w.$]*\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[\w+\])?\s*$`,
    String.raw`^(?:INFO: |WARNING: |BUG: |Oops|Kernel panic - |Call Trace:|Hardware name: |Modules linked in:|Workqueue: |Mem-Info:|\s+(?:Not t|T)ainted[: ])`,
    String.raw`^\s*<\/?TASK>\s*$`,
    String.raw`^(?:RIP|RSP|RAX|RDX|RBP|R10|R13|CR2|Code): `,
    String.raw`^CPU: \d+ (?:UID: \d+ )?PID: \d+`,
    String.raw`^(?:\S+ invoked oom-killer: |Out of memory|oom_reaper: |oom-kill:constraint=)`,
    String.raw`^(?:DMAR: |AMD-Vi: |arm-smmu(?:-v3)? \S+: |\S+ [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d: )`,
    String.raw`^(?:"echo 0 > /proc/sys/kernel/hung_task_timeout_secs"|task:\S+ +state:|in_atomic\(\): |\d+ locks? held by )`,
  ].join('|'),
);

/** The stamp layer of one line: its time (null: none), caller id, level, and the rest. */
export interface Stamp {
  /** ns on the format's clock; for a wall clock, ns since the Unix epoch of a year-less date. */
  t: number | null;
  rest: string;
  callerTask?: number;
  callerCpu?: number;
  level?: number;
  host?: string;
  ident?: string;
  /** ftrace columns. */
  task?: string;
  pid?: number;
  cpu?: number;
  /** The `[Apr28 20:36]` head of a reltime minute: an absolute minute, not a delta. */
  head?: true;
}

const NS = 1_000_000_000;
/** `secs`.`frac` (frac of any length up to 9 digits) in ns. */
export function secFrac(secs: string, frac: string): number {
  return Number(secs) * NS + Number(frac.padEnd(9, '0').slice(0, 9));
}
/** A wall-clock time in seconds since the epoch (UTC: the log's own zone is unknown, and only differences are used). */
function wall(year: number, mon: number, day: number, h: string, m: string, s: string): number {
  return Date.UTC(year, mon, day, Number(h), Number(m), Number(s)) / 1000;
}

/**
 * A wall time as [seconds since the epoch, ns within the second]; the caller rebases to the first
 * stamp so that times stay exact integers (ns since the epoch exceed 2^53).
 */
export interface WallTime {
  sec: number;
  ns: number;
}

/** Read one line's stamp in `format`; null when the line has none of that format's stamps. */
export function readStamp(format: LogFormat, line: string): (Stamp & { wall?: WallTime }) | null {
  let m: RegExpExecArray | null;
  switch (format) {
    case 'dmesg':
      if ((m = DMESG_RE.exec(line))) return { t: secFrac(m[2], m[3]), rest: m[6] ?? '', level: m[1] ? Number(m[1]) : undefined, ...caller(m[4], m[5]) };
      return null;
    case 'dmesg-T':
      if ((m = DMESG_T_RE.exec(line))) return { t: null, wall: { sec: wall(Number(m[7]), MONTHS.indexOf(m[2]), Number(m[3]), m[4], m[5], m[6]), ns: 0 }, rest: m[10] ?? '', level: m[1] ? Number(m[1]) : undefined, ...caller(m[8], m[9]) };
      return null;
    case 'dmesg-reltime':
      if ((m = RELTIME_RE.exec(line))) return { t: (m[1] === '-' ? -1 : 1) * secFrac(m[2], m[3]), rest: m[4] ?? '' };
      if ((m = RELTIME_HEAD_RE.exec(line))) return { t: null, head: true, wall: { sec: wall(1970, MONTHS.indexOf(m[1]), Number(m[2]), m[3], m[4], '0'), ns: 0 }, rest: m[5] ?? '' };
      return null;
    case 'syslog':
      if ((m = SYSLOG_RE.exec(line))) return { t: null, wall: { sec: wall(1970, MONTHS.indexOf(m[1]), Number(m[2]), m[3], m[4], m[5]), ns: m[6] ? Number(m[6].padEnd(9, '0')) : 0 }, host: m[7], ident: m[8], rest: m[10] };
      if ((m = SYSLOG_ISO_RE.exec(line))) {
        const off = m[8] && m[8] !== 'Z' ? offsetSec(m[8]) : 0;
        return { t: null, wall: { sec: wall(Number(m[1]), Number(m[2]) - 1, Number(m[3]), m[4], m[5], m[6]) - off, ns: m[7] ? Number(m[7].padEnd(9, '0')) : 0 }, host: m[9], ident: m[10], rest: m[12] };
      }
      return null;
    case 'journal-monotonic':
      if ((m = JOURNAL_MONO_RE.exec(line))) return { t: secFrac(m[1], m[2]), host: m[3], ident: m[4], rest: m[6] };
      return null;
    case 'ftrace':
      if ((m = FTRACE_RE.exec(line))) return { t: secFrac(m[5], m[6]), task: m[1].trim(), pid: Number(m[2]), cpu: Number(m[3]), rest: m[7] };
      return null;
    default:
      return null;
  }
}

function offsetSec(o: string): number {
  const m = /([+-])(\d\d):?(\d\d)/.exec(o);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
}

function caller(kind: string | undefined, id: string | undefined): { callerTask?: number; callerCpu?: number } {
  if (!kind || !id) return {};
  return kind === 'T' ? { callerTask: Number(id) } : { callerCpu: Number(id) };
}

/** The clock each format's stamps are on. */
export const CLOCK_OF: Record<LogFormat, LogClock> = {
  dmesg: 'monotonic',
  'dmesg-T': 'wall',
  'dmesg-reltime': 'relative',
  syslog: 'wall',
  'journal-monotonic': 'monotonic',
  'journal-json': 'monotonic',
  ftrace: 'monotonic',
  bare: 'none',
};

/** How a line is recognised as belonging to each stamped format (detection only). */
const DETECT: [LogFormat, (l: string) => boolean][] = [
  ['ftrace', (l) => FTRACE_RE.test(l)],
  ['journal-monotonic', (l) => JOURNAL_MONO_RE.test(l) && / kernel: /.test(l)],
  ['syslog', (l) => SYSLOG_RE.test(l) || SYSLOG_ISO_RE.test(l)],
  ['dmesg-T', (l) => DMESG_T_RE.test(l)],
  ['dmesg-reltime', (l) => RELTIME_RE.test(l) || RELTIME_HEAD_RE.test(l)],
  ['dmesg', (l) => DMESG_RE.test(l)],
];

/** Lines looked at to tell the format. */
export const DETECT_LINES = 400;

/**
 * The format of a file from its first lines: the stamped format most of them match (a journal JSON
 * file is one whose lines are JSON records with a MESSAGE), else `bare` if enough of them read like
 * kernel messages, else null (not a kernel log).
 */
export function detectFormat(lines: readonly string[]): { format: LogFormat; matched: number; sampled: number } | null {
  const sample = lines.filter((l) => l.trim() !== '').slice(0, DETECT_LINES);
  if (sample.length === 0) return null;
  const json = sample.filter((l) => l.startsWith('{') && /"MESSAGE"\s*:/.test(l)).length;
  if (json > 0 && json >= sample.length / 2) return { format: 'journal-json', matched: json, sampled: sample.length };
  let best: LogFormat | null = null;
  let bestN = 0;
  for (const [f, test] of DETECT) {
    let n = 0;
    for (const l of sample) if (test(l)) n++;
    // A dmesg line also matches journal-monotonic's and ftrace's shapes rarely; prefer the earlier, stricter formats on ties.
    if (n > bestN) {
      best = f;
      bestN = n;
    }
  }
  if (best === 'ftrace') bestN += sample.filter((l) => FTRACE_HEADER_RE.test(l)).length;
  // A stamped format needs a real share of the lines: a stray "[1.5]" in prose is not a log.
  if (best && bestN >= Math.max(1, Math.ceil(sample.length * 0.3))) return { format: best, matched: bestN, sampled: sample.length };
  const signs = sample.filter((l) => KERNEL_SIGN_RE.test(l)).length;
  if (signs >= Math.max(2, Math.ceil(sample.length * 0.25))) return { format: 'bare', matched: signs, sampled: sample.length };
  return null;
}
