import { FRAME_RE, frameOf } from './messages';
import type { ChainLink, KernLine, KernReport, LockdepInfo, LockRef, ReportKind } from './types';

/**
 * Grouping lines into the reports the kernel prints as one: an OOM's dump_header (from "invoked
 * oom-killer" to the kill or "no killable processes"), a hung task, a panic, a lockdep splat, a
 * might_sleep BUG, any other report with a call trace, an SMMUv3 event record and its raw words,
 * an ftrace `<stack trace>`. A report ends at the next report's first line, or once its call trace
 * (and the register dump after it) stops.
 */

/** A line that starts another kind of report with a call trace (WARN, BUG, Oops, a bare dump_stack). */
const OTHER_TRACE_START = /^(?:WARNING: CPU: \d+ PID: \d+ at |BUG: (?:unable to handle|kernel NULL pointer|Bad page|scheduling while atomic|KASAN|soft lockup|workqueue lockup)|Oops|general protection fault|Unable to handle kernel|INFO: rcu_\w+ (?:self-)?detected stall)/;
/** Lines that continue a call trace: frames, stack markers, the register dump, the end markers. */
const TRACE_BODY = /^\s*(?:<\/?(?:TASK|IRQ|NMI|EOI|SOFTIRQ)>|(?:R[A-Z0-9]{1,2}|E?FLAGS|CS|DS|ES|CR[0-4]|FS|GS|DR[0-7]|RIP|RSP|Code|PKRU|CPU):|Kernel Offset:|---\[ end |\S+ ---\[ end |Modules linked in:|lr :|pc :|sp :|x\d+ :|Call trace:)/;
/** At most this many lines before a report's call trace (a lockdep splat with a long chain is ~100). */
const MAX_HEAD = 400;
/** At most this many lines in one OOM report (its task dump has a line per task). */
const MAX_OOM = 20_000;

function startKind(l: KernLine, ftrace: boolean): ReportKind | null {
  switch (l.kind) {
    case 'oom_invoke':
      return 'oom';
    case 'hung_task':
      return 'hung_task';
    case 'panic':
      return 'panic';
    case 'lockdep':
      return 'lockdep';
    case 'might_sleep':
      return 'might_sleep';
    case 'smmu_evt':
      return 'smmu_event';
    default:
      if (ftrace) return l.args.event === 'stack_trace' ? 'ftrace_stack' : null;
      return l.source === undefined && OTHER_TRACE_START.test(l.msg) ? 'call_trace' : null;
  }
}

interface Open {
  r: KernReport;
  head: number;
  inTrace: boolean;
  frames: number;
  prefix: string | null;
  lastT: number;
}

/** Assign `lines[i].report` and return the reports, with their task, stack and (lockdep, might_sleep) details. */
export function groupReports(lines: KernLine[], ftrace: boolean, bare: boolean): KernReport[] {
  const reports: KernReport[] = [];
  const members: KernLine[][] = [];
  let cur: Open | null = null;
  const close = () => {
    cur = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.source !== undefined) continue; // another program's line in a syslog or journal file
    const start = startKind(l, ftrace);
    let o = cur as Open | null;
    const endsOom = o?.r.kind === 'oom' && (l.kind === 'oom_kill' || l.kind === 'oom_none');
    if (start && !endsOom && !(start === 'call_trace' && o && !o.inTrace)) {
      const r: KernReport = { id: reports.length, kind: start, first: l.n, last: l.n, tNs: l.tNs, task: null, pid: null, stack: [] };
      reports.push(r);
      members.push([]);
      o = cur = { r, head: 0, inTrace: false, frames: 0, prefix: start === 'smmu_event' ? /^(arm-smmu-v3 \S+):/.exec(l.msg)?.[1] ?? null : null, lastT: l.tNs };
      // lockdep's "=====" rule and the empty line before it belong to the splat.
      if (start === 'lockdep')
        for (let j = i - 1; j >= 0 && j >= i - 2 && lines[j].report === null && /^\s*(?:=+)?\s*$/.test(lines[j].msg); j--) {
          lines[j].report = r.id;
          r.first = lines[j].n;
          members[r.id].unshift(lines[j]);
        }
    } else if (o && !belongs(o, l, ftrace, bare)) {
      close();
      o = null;
    }
    if (!o) continue;
    l.report = o.r.id;
    o.r.last = l.n;
    o.lastT = l.tNs;
    members[o.r.id].push(l);
    if (/Call Trace:\s*$|Call trace:\s*$|<stack trace>/.test(l.msg)) o.inTrace = true;
    else if (o.inTrace && FRAME_RE.test(l.msg)) o.frames++;
    else if (!o.inTrace) o.head++;
    if (endsOom || (o.r.kind === 'panic' && /---\[ end Kernel panic/.test(l.msg))) close();
  }
  reports.forEach((r, i) => describe(r, members[i]));
  return reports;
}

function belongs(o: Open, l: KernLine, ftrace: boolean, bare: boolean): boolean {
  const k = o.r.kind;
  if (k === 'ftrace_stack') return /^\s*=>/.test(l.text);
  if (ftrace) return false;
  // A wrapped line (no stamp of its own inside a stamped log) continues whatever it follows.
  const wrapped = !bare && !l.stamped && l.text.trim() !== '';
  if (k === 'smmu_event') return o.prefix !== null && l.msg.startsWith(`${o.prefix}:`) && l.kind === 'printk';
  if (k === 'oom') return o.head + o.frames < MAX_OOM;
  // Before the call trace: the report's own lines (a lockdep chain, the hung task's state line).
  if (!o.inTrace) return wrapped || (o.head < MAX_HEAD && l.tNs - o.lastT < 10e9);
  // In the call trace: frames, markers and the register dump; the first other line ends it.
  return o.frames === 0 || wrapped || FRAME_RE.test(l.msg) || TRACE_BODY.test(l.msg);
}

/**
 * A report's lines as the kernel meant them: a line the mail archive merged with the next one
 * (`... 08/01/2016 [  186.957346] Call Trace:`) split at the embedded stamp, a wrapped tail
 * (`intel_svm_unbind+0x34/0` + `x1e0`) joined back.
 */
function logical(ls: KernLine[]): string[] {
  const out: string[] = [];
  for (const l of ls) {
    for (const [j, part] of l.msg.split(/ ?\[\s*\d+\.\d{6}\](?:\[\s*[TC]\d+\])? ?/).entries()) {
      if (j === 0 && !l.stamped && out.length > 0 && l.msg.trim() !== '' && !/^\s/.test(l.msg)) out[out.length - 1] += part;
      else out.push(part);
    }
  }
  return out;
}

const LOCK_RE = /^\s*(?:#\d+: )?(?:[0-9a-f]{8,16} )?\((.+?)\)\{[^}]*\}(?:-\{[^}]*\})?(?:, at: (\S+))?/;
function lockRef(s: string | undefined): LockRef | null {
  const m = s === undefined ? null : LOCK_RE.exec(s);
  return m ? { name: m[1], at: m[2] ?? null } : null;
}

function describe(r: KernReport, ls: KernLine[]): void {
  const msgs = logical(ls);
  const first = ls.find((l) => l.report === r.id && l.kind !== 'printk') ?? ls[0];
  let inTrace = false;
  for (const s of msgs) {
    let m: RegExpExecArray | null;
    if (r.pid === null && (m = /CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: (\S+)/.exec(s))) {
      r.pid = Number(m[1]);
      r.task = m[2];
    }
    if (/Call Trace:\s*$|Call trace:\s*$|<stack trace>/.test(s)) {
      inTrace = r.stack.length === 0;
      continue;
    }
    if (inTrace) {
      const f = frameOf(s);
      if (f && !f.unreliable) r.stack.push(f.fn);
      else if (!f && !TRACE_BODY.test(s)) inTrace = false;
    }
  }
  const a = first?.args ?? {};
  if (r.kind === 'hung_task' && typeof a.comm === 'string') {
    r.task = a.comm;
    r.pid = Number(a.pid);
  }
  if (r.kind === 'ftrace_stack' && first) {
    r.task = first.task;
    r.pid = first.pid;
  }
  if (r.kind === 'oom' && r.task === null && typeof a.comm === 'string') r.task = a.comm;
  if (r.kind === 'might_sleep') {
    const atomic = msgs.map((s) => /in_atomic\(\): (\d+), irqs_disabled\(\): (\d+)(?:, non_block: \d+)?, pid: (\d+), name: (\S+)/.exec(s)).find((x) => x);
    r.atomic = { at: String(a.at ?? ''), inAtomic: atomic ? Number(atomic[1]) : null, irqsDisabled: atomic ? Number(atomic[2]) : null };
    if (atomic) {
      r.pid = Number(atomic[3]);
      r.task = atomic[4];
    }
  }
  if (r.kind === 'lockdep') r.lockdep = lockdepOf(String(a.title ?? ''), msgs, r);
}

/** lockdep's report (kernel/locking/lockdep.c print_circular_bug and friends) as data. */
function lockdepOf(title: string, msgs: string[], r: KernReport): LockdepInfo {
  const info: LockdepInfo = { title, task: null, pid: null, acquiring: null, holding: null, chain: [], chainExists: [], held: [] };
  let link: ChainLink | null = null;
  let inHeld = false;
  for (let i = 0; i < msgs.length; i++) {
    const s = msgs[i];
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\/(\d+) is trying to acquire lock:/.exec(s))) {
      info.task = m[1];
      info.pid = Number(m[2]);
      info.acquiring = lockRef(msgs[i + 1]);
    } else if (/^but task is already holding lock:/.test(s)) info.holding = lockRef(msgs[i + 1]);
    else if ((m = /^-> #(\d+) \((.+?)\)\{/.exec(s))) {
      link = { n: Number(m[1]), lock: m[2], stack: [] };
      info.chain.push(link);
    } else if (link && frameOf(s)) {
      const f = frameOf(s)!;
      if (!f.unreliable) link.stack.push(f.fn);
    } else if (/^Chain exists of:/.test(s)) {
      link = null;
      info.chainExists = (msgs[i + 1] ?? '').trim().split(/\s+-->\s+/).filter(Boolean);
    } else if (/^\d+ locks? held by \S+\/\d+:/.test(s)) {
      link = null;
      inHeld = true;
    } else if (inHeld && /^\s*#\d+:/.test(s)) {
      const ref = lockRef(s);
      if (ref) info.held.push(ref);
    } else if (s.trim() !== '' && !/^\s/.test(s)) {
      link = null;
      if (inHeld && !/^#/.test(s.trim())) inHeld = false;
    }
  }
  if (info.task) {
    r.task = info.task;
    r.pid = info.pid;
  }
  return info;
}
