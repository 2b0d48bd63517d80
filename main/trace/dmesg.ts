import type { TraceReader } from './reader';

/**
 * `sva-lab dmesg`: a run's kernel log as dmesg prints it. Reads `printk` events only, whatever made
 * them (a model run, or an observed run imported from a real log), so any trace with kernel lines
 * can be shown.
 *
 * - Each line is stamped with the time since boot, "[%5lu.%06lu] " (printk's print_time); a model
 *   run's clock starts at boot. A message with embedded newlines (lockdep's "\nbut task is already
 *   holding lock:") prints one stamped line per line, as the kernel stores one record per line.
 * - An empty line prints the stamp alone, without the trailing space (as logs 04 and 05 show it).
 * - Ratelimits are applied where the kernel applies them (the model only prints what got through);
 *   a line after suppressed ones is preceded by ___ratelimit's "<func>: N callbacks suppressed".
 */
export interface PrintkRecord {
  seq: number;
  tNs: number;
  /** The log level (KERN_ERR 3 ...). */
  level: number;
  /** Lines the ratelimit suppressed before this one. */
  suppressed: number;
  msg: string;
  /** The function whose ratelimit state it went through (for "callbacks suppressed"). */
  rl?: string;
  /** An observed run's line as the real log had it (args.text, see trace/observed.ts): printed as it was, its own stamp and all. */
  raw?: string;
}

/** One dmesg line, with the event it came from (the run view scrolls the log with the cursor). */
export interface DmesgLine {
  seq: number;
  tNs: number;
  level: number;
  text: string;
}

/** "[%5lu.%06lu]" of a time since boot in ns. */
export function stamp(tNs: number): string {
  const t = Math.max(0, Math.floor(tNs));
  const secs = Math.floor(t / 1e9);
  const usecs = Math.floor((t % 1e9) / 1000);
  return `[${String(secs).padStart(5)}.${String(usecs).padStart(6, '0')}]`;
}

export function formatDmesg(records: Iterable<PrintkRecord>): DmesgLine[] {
  const out: DmesgLine[] = [];
  for (const r of records) {
    const st = stamp(r.tNs);
    if (r.raw !== undefined) {
      for (const line of r.raw.split('\n')) out.push({ seq: r.seq, tNs: r.tNs, level: r.level, text: line });
      continue;
    }
    const push = (text: string) => out.push({ seq: r.seq, tNs: r.tNs, level: r.level, text: text === '' ? st : `${st} ${text}` });
    if (r.suppressed > 0 && r.rl) push(`${r.rl}: ${r.suppressed} callbacks suppressed`);
    // Messages are stored without printk's final newline; every newline in one starts a record of
    // its own (lockdep's "\nwhich lock already depends on the new lock.\n" is three lines).
    for (const line of r.msg.split('\n')) push(line);
  }
  return out;
}

/** Every printk event of a trace, in order. */
export function printkRecords(reader: TraceReader): PrintkRecord[] {
  return reader.kindRows('printk').map(([seq, tNs, a, b, args]) => {
    let msg = '';
    let rl: string | undefined;
    let raw: string | undefined;
    if (typeof args === 'string' && args) {
      try {
        const o = JSON.parse(args) as { msg?: unknown; rl?: unknown; text?: unknown; line?: unknown };
        msg = typeof o.msg === 'string' ? o.msg : '';
        rl = typeof o.rl === 'string' ? o.rl : undefined;
        // An imported log's line (it has its line number): as it was.
        if (typeof o.text === 'string' && typeof o.line === 'number') raw = o.text;
      } catch {
        msg = '';
      }
    }
    return raw === undefined ? { seq, tNs, level: a, suppressed: b, msg, rl } : { seq, tNs, level: a, suppressed: b, msg, rl, raw };
  });
}

/** The run's kernel log, as dmesg prints it. */
export function dmesg(reader: TraceReader): DmesgLine[] {
  return formatDmesg(printkRecords(reader));
}
