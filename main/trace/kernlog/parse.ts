import { classifyFtrace, classifyMessage } from './messages';
import { groupReports } from './reports';
import { CLOCK_OF, detectFormat, DMESG_RE, FTRACE_HEADER_RE, readStamp, secFrac, type Stamp, type WallTime } from './stamps';
import { KernLogError, type KernLine, type KernLog, type KernTask, type LogFormat } from './types';

/** Bounds on what the importer reads: a kernel log is text of modest size; anything bigger is refused, never half-read. */
export interface KernLogLimits {
  /** Bytes in the file. */
  maxBytes: number;
  /** Lines in the file. */
  maxLines: number;
  /** Characters in one line (printk's own limit is 1024; a journal JSON record with its fields is longer). */
  maxLineChars: number;
}

export const DEFAULT_LIMITS: KernLogLimits = { maxBytes: 64 * 1024 * 1024, maxLines: 1_000_000, maxLineChars: 64 * 1024 };

/** The phrase every refusal ends with. */
export const EXPECTED = 'expected dmesg, syslog, journalctl or ftrace text';

const MiB = (n: number) => `${Math.round((n / 1048576) * 10) / 10} MiB`;

/** Is this the start of a file the parser should not even decode: binary data (NULs, control bytes), an SQLite file? Returns why, or null. */
export function binaryReason(bytes: Uint8Array): string | null {
  const head = bytes.subarray(0, 65536);
  if (head.length >= 16 && new TextDecoder().decode(head.subarray(0, 15)) === 'SQLite format 3') return 'it is an SQLite database, but not an SVA Lab trace';
  let ctl = 0;
  for (const b of head) {
    if (b === 0) return 'it holds binary data (NUL bytes)';
    if (b < 9 || (b > 13 && b < 32 && b !== 27)) ctl++;
  }
  if (ctl > head.length / 100) return 'it holds binary data (control bytes)';
  return null;
}

/**
 * Parse a kernel log: detect its format, read every line's stamp, message and kind, group the
 * multi-line reports, collect the tasks. Throws KernLogError (one sentence naming `name`) for a file
 * that is not a kernel log or is beyond `limits`.
 */
export function parseKernelLog(name: string, input: string | Uint8Array, limits: KernLogLimits = DEFAULT_LIMITS): KernLog {
  let text: string;
  if (typeof input === 'string') {
    if (input.length > limits.maxBytes) throw new KernLogError(`'${name}' is too large to import as a kernel log (${MiB(input.length)}; at most ${MiB(limits.maxBytes)}): cut it to the part around the incident.`);
    text = input;
  } else {
    if (input.length > limits.maxBytes) throw new KernLogError(`'${name}' is too large to import as a kernel log (${MiB(input.length)}; at most ${MiB(limits.maxBytes)}): cut it to the part around the incident.`);
    const why = binaryReason(input);
    if (why) throw new KernLogError(`'${name}' is not a kernel log: ${why}; ${EXPECTED}.`);
    text = new TextDecoder('utf-8', { fatal: false }).decode(input);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const raw = text.split(/\r?\n/);
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  if (raw.length > limits.maxLines) throw new KernLogError(`'${name}' has ${raw.length} lines; a kernel log import reads at most ${limits.maxLines}: cut it to the part around the incident.`);
  const long = raw.findIndex((l) => l.length > limits.maxLineChars);
  if (long >= 0) throw new KernLogError(`'${name}' is not a kernel log: line ${long + 1} is ${raw[long].length} characters long (a kernel line is at most ${limits.maxLineChars}); ${EXPECTED}.`);
  if (raw.every((l) => l.trim() === '')) throw new KernLogError(`'${name}' is not a kernel log: it is empty; ${EXPECTED}.`);
  const det = detectFormat(raw);
  if (!det) throw new KernLogError(`'${name}' is not a kernel log: none of its first lines has a kernel timestamp or reads like a kernel message; ${EXPECTED}.`);
  const format = det.format;
  const lines = format === 'journal-json' ? journalLines(raw) : textLines(format, raw);
  fillTimes(lines);
  const reports = groupReports(lines, format === 'ftrace', format === 'bare');
  const tasks = nameTasks(lines, reports);
  const first = lines.find((l) => l.stamped);
  return {
    name,
    format,
    clock: CLOCK_OF[format],
    callerId: lines.some((l) => l.pid !== null) && format === 'dmesg',
    origin: CLOCK_OF[format] === 'wall' && first ? wallOrigin(raw[first.n - 1]) : null,
    lines,
    reports,
    tasks,
  };
}

function wallOrigin(line: string): string {
  return /^\[([^\]]+)\]/.exec(line)?.[1] ?? line.split(/ (?=\S+ \S+?(?:\[\d+\])?: )/)[0];
}

function line(n: number, text: string, msg: string, tNs: number | null): KernLine {
  return { n, tNs: tNs ?? Number.NaN, stamped: tNs !== null, task: null, pid: null, cpu: null, kind: 'printk', cls: 'info', args: {}, msg, text, report: null };
}

/** The lines of a text format: stamp, message, kind. */
function textLines(format: LogFormat, raw: string[]): KernLine[] {
  const out: KernLine[] = [];
  let base: WallTime | null = null;
  let relT = 0;
  // A syslog file whose kernel lines carry the printk stamp is read on that (the kernel's) clock.
  const embedded = format === 'syslog' && raw.some((r) => {
    const s = readStamp('syslog', r);
    return s !== null && s.ident === 'kernel' && DMESG_RE.test(s.rest);
  });
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    const s: (Stamp & { wall?: WallTime }) | null = format === 'bare' ? null : readStamp(format, r);
    let t: number | null = null;
    let msg = r;
    if (s) {
      msg = s.rest;
      if (s.wall && !s.head) {
        base ??= s.wall;
        t = (s.wall.sec - base.sec) * 1e9 + (s.wall.ns - base.ns);
      } else if (format === 'dmesg-reltime') {
        if (!s.head) relT += s.t ?? 0;
        t = relT;
      } else t = s.t;
    }
    const l = line(i + 1, r, msg, t);
    if (s?.level !== undefined) l.level = s.level;
    if (format === 'syslog' || format === 'journal-monotonic') {
      if (s && s.ident !== 'kernel') l.source = s.ident;
      else if (s && embedded) {
        const d = DMESG_RE.exec(s.rest);
        if (d) {
          l.tNs = secFrac(d[2], d[3]);
          l.msg = d[6] ?? '';
        } else l.stamped = false;
      }
    }
    if (format === 'ftrace') {
      if (s) {
        l.task = s.task ?? null;
        l.pid = s.pid ?? null;
        l.cpu = s.cpu ?? null;
        Object.assign(l, classifyFtrace(s.rest));
      } else if (FTRACE_HEADER_RE.test(r)) l.args = { header: true };
      else if (/^\s*=>/.test(r) && out.length > 0) {
        const p = out[out.length - 1];
        l.task = p.task;
        l.pid = p.pid;
        l.cpu = p.cpu;
        l.args = { frame: r.replace(/^\s*=>\s*/, '') };
      }
    } else if (l.source === undefined) {
      if (s?.callerTask !== undefined) l.pid = s.callerTask;
      if (s?.callerCpu !== undefined) l.cpu = s.callerCpu;
      Object.assign(l, classifyMessage(l.msg));
    }
    out.push(l);
  }
  return out;
}

/** `journalctl -o json`: one record per line; MESSAGE is a string or (not UTF-8) an array of bytes. */
function journalLines(raw: string[]): KernLine[] {
  return raw.map((r, i) => {
    let rec: Record<string, unknown> | null = null;
    try {
      const v: unknown = JSON.parse(r);
      if (v && typeof v === 'object' && !Array.isArray(v)) rec = v as Record<string, unknown>;
    } catch {
      // kept as a plain line below
    }
    if (!rec || rec.MESSAGE === undefined) return line(i + 1, r, r, null);
    const m = rec.MESSAGE;
    const msg = typeof m === 'string' ? m : Array.isArray(m) ? new TextDecoder().decode(Uint8Array.from(m.filter((x): x is number => typeof x === 'number'))) : String(m);
    // The kernel's own time of the line: _SOURCE_MONOTONIC_TIMESTAMP (µs, the printk stamp); journald's receive time otherwise.
    const us = rec._SOURCE_MONOTONIC_TIMESTAMP ?? rec.__MONOTONIC_TIMESTAMP;
    const t = typeof us === 'string' && /^\d+$/.test(us) ? Number(us) * 1000 : null;
    const l = line(i + 1, msg, msg, t);
    const kernel = rec._TRANSPORT === 'kernel' || (rec._TRANSPORT === undefined && rec.SYSLOG_IDENTIFIER === 'kernel');
    if (!kernel) l.source = String(rec.SYSLOG_IDENTIFIER ?? rec._COMM ?? 'journal');
    if (typeof rec.PRIORITY === 'string') l.level = Number(rec.PRIORITY);
    if (kernel) Object.assign(l, classifyMessage(msg.split('\n')[0]));
    l.args = { ...l.args, realtimeUs: rec.__REALTIME_TIMESTAMP ?? null };
    return l;
  });
}

/** Lines without a stamp take the time of the line before (those before the first stamp, of the first stamp). */
function fillTimes(lines: KernLine[]): void {
  const firstT = lines.find((l) => l.stamped)?.tNs ?? 0;
  let t = firstT;
  for (const l of lines) {
    if (l.stamped && Number.isFinite(l.tNs)) t = l.tNs;
    else {
      l.stamped = false;
      l.tNs = t;
    }
  }
}

/**
 * The tasks the log names, and each line's task: a printk caller id names a pid, whose name comes
 * from a "CPU: N PID: p Comm: name" line or an "invoked oom-killer" line it printed (the oom_reaper
 * kthread prints "oom_reaper: ..."); reports and OOM kills name their tasks outright.
 */
function nameTasks(lines: KernLine[], reports: KernLog['reports']): KernTask[] {
  const names = new Map<number, string>();
  for (const l of lines) {
    if (l.pid === null) continue;
    let m: RegExpExecArray | null;
    if (l.task) names.set(l.pid, l.task);
    else if ((m = /CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: (\S+)/.exec(l.msg)) && Number(m[1]) === l.pid) names.set(l.pid, m[2]);
    else if (l.kind === 'oom_invoke' && !names.has(l.pid)) names.set(l.pid, String(l.args.comm));
    else if (/^oom_reaper: /.test(l.msg) && !names.has(l.pid)) names.set(l.pid, 'oom_reaper');
    // kernel/exit.c check_stack_usage: "%s (%d) used greatest stack depth: %lu bytes left"
    else if ((m = /^(\S+) \((\d+)\) used greatest stack depth/.exec(l.msg)) && Number(m[2]) === l.pid) names.set(l.pid, m[1]);
  }
  for (const r of reports) if (r.pid !== null && r.task && !names.has(r.pid)) names.set(r.pid, r.task);
  const tasks = new Map<string, KernTask>();
  const add = (name: string, pid: number | null) => {
    const k = `${name}:${pid ?? ''}`;
    if (!tasks.has(k)) tasks.set(k, { name, pid });
  };
  for (const l of lines) {
    if (l.pid !== null) {
      l.task ??= names.get(l.pid) ?? `T${l.pid}`;
      add(l.task, l.pid);
    }
    if ((l.kind === 'oom_kill' || l.kind === 'hung_task' || l.kind === 'sched_process_exit') && typeof l.args.pid === 'number' && typeof (l.args.comm ?? names.get(l.args.pid)) === 'string')
      add(String(l.args.comm ?? names.get(l.args.pid)), l.args.pid);
  }
  for (const r of reports) if (r.task) add(r.task, r.pid);
  return [...tasks.values()];
}
