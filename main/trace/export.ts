import fs from 'node:fs';
import { DMA_STATE, KINDS, PASID_ENTRY_STATE, TASK_STATE, UACCE_Q_STATE } from '../sim/events';
import { TraceFileError } from './errors';
import type { TraceReader } from './reader';

/** Export formats `export` writes. */
export const EXPORT_FORMATS = ['chrome-json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const STATE_NAMES: Record<string, readonly string[]> = {
  task_state: TASK_STATE,
  dma_state: DMA_STATE,
  pasid_entry: PASID_ENTRY_STATE,
  uacce_q: UACCE_Q_STATE,
};

/** Buffered writes to a file descriptor: exports of millions of events never sit in memory whole. */
class Out {
  private parts: string[] = [];
  private size = 0;
  bytes = 0;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    const buf = Buffer.from(this.parts.join(''));
    fs.writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.parts = [];
    this.size = 0;
  }
}

function withOut(file: string, fn: (o: Out) => void): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'w');
  } catch (e) {
    throw new TraceFileError(`Cannot write export file '${file}': ${(e as Error).message}.`);
  }
  try {
    const o = new Out(fd);
    fn(o);
    o.flush();
    return o.bytes;
  } finally {
    fs.closeSync(fd);
  }
}

const us = (ns: number) => ns / 1000;

/**
 * Chrome Trace Event JSON (Perfetto UI and chrome://tracing open it): one process per track type,
 * one thread per actor, named by `M` events; spans as `X` events with `dur`; counters as `C`;
 * state changes and point events as `i`. `ts`/`dur` in µs. Returns bytes written.
 */
export function exportChromeJson(r: TraceReader, file: string): number {
  const actors = r.actors();
  const types = [...new Set(actors.map((a) => a.track))];
  const pidOf = new Map(types.map((t, i) => [t, i + 1]));
  const pidOfActor = new Map(actors.map((a) => [a.id, pidOf.get(a.track) as number]));
  const meta = r.meta();
  return withOut(file, (o) => {
    o.write(`{"displayTimeUnit":"ns","otherData":${JSON.stringify({ scenario: meta.scenario, model: meta.model, seed: meta.seed, params: meta.params, digest: meta.digest, status: meta.status })},"traceEvents":[\n`);
    let first = true;
    const ev = (e: object) => {
      o.write(first ? JSON.stringify(e) : `,\n${JSON.stringify(e)}`);
      first = false;
    };
    for (const t of types) ev({ ph: 'M', name: 'process_name', pid: pidOf.get(t), tid: 0, args: { name: t } });
    for (const a of actors) ev({ ph: 'M', name: 'thread_name', pid: pidOfActor.get(a.id), tid: a.id, args: { name: a.name } });
    for (const [actor, cat, name, holder, bs, es, t0, dur] of r.spanRows()) {
      const label = cat === 'release' ? 'release()' : cat === 'held' ? `held by ${r.actor(holder ?? 0)?.name ?? holder}` : name;
      ev({ ph: 'X', name: label, cat, pid: pidOfActor.get(actor), tid: actor, ts: us(t0), dur: us(dur), args: { beginSeq: bs, endSeq: es } });
    }
    for (const row of r.rows()) {
      const [seq, t, kind, actor, cause, a, b, args] = row;
      const k = KINDS[kind];
      if (!k || k.role === 'begin' || k.role === 'end') continue;
      const pid = pidOfActor.get(actor);
      if (k.role === 'counter') {
        ev({ ph: 'C', name: `${r.actor(actor)?.name ?? actor} ${k.span}`, pid, tid: actor, ts: us(t), args: { [k.span as string]: a } });
        continue;
      }
      const names = STATE_NAMES[k.name];
      const label = names ? `${k.name} ${names[a] ?? a}` : k.name;
      ev({ ph: 'i', s: 't', name: label, cat: k.role, pid, tid: actor, ts: us(t), args: { seq, cause, a, b, ...(args ? { args: JSON.parse(args) as unknown } : {}) } });
    }
    // Causes as flow events (the edges table; scheduled-by is in each event's args.cause): a start
    // at the earlier end, a finish at the later, the same id, each bound to the slice enclosing it
    // on its thread (`bp: "e"` on the finish), so Perfetto UI draws the arrow between them.
    let flow = 0;
    for (const [from, to, rel, tFrom, aFrom, kFrom, tTo, aTo, kTo] of r.edgeRows()) {
      const id = ++flow;
      const [s, f] = tTo <= tFrom ? [[to, tTo, aTo, kTo], [from, tFrom, aFrom, kFrom]] : [[from, tFrom, aFrom, kFrom], [to, tTo, aTo, kTo]];
      const args = { from, to, rel };
      // A counter sample is no slice: give a flow's end there an instant of its own to bind to.
      for (const [seq, t, actor, kind] of [s, f]) {
        if (KINDS[kind]?.role === 'counter') ev({ ph: 'i', s: 't', name: KINDS[kind].name, cat: 'cause', pid: pidOfActor.get(actor), tid: actor, ts: us(t), args: { seq } });
      }
      ev({ ph: 's', id, name: rel, cat: 'cause', pid: pidOfActor.get(s[2]), tid: s[2], ts: us(s[1]), args: { seq: s[0], ...args } });
      ev({ ph: 'f', bp: 'e', id, name: rel, cat: 'cause', pid: pidOfActor.get(f[2]), tid: f[2], ts: us(f[1]), args: { seq: f[0], ...args } });
    }
    // Bookmarks and notes travel with the export: global instant events on their own track.
    const notes = r.annotations();
    if (notes.length > 0) {
      ev({ ph: 'M', name: 'process_name', pid: 0, tid: 0, args: { name: 'annotations' } });
      for (const n of notes) ev({ ph: 'i', s: 'g', name: `${n.kind}: ${n.text}`, cat: 'annotation', pid: 0, tid: 0, ts: us(n.tNs), args: { id: n.id, seq: n.seq, kind: n.kind, text: n.text } });
    }
    o.write('\n]}\n');
  });
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The event_log view as CSV with a header line. Returns bytes written. */
export function exportCsv(r: TraceReader, file: string): number {
  return withOut(file, (o) => {
    o.write('seq,t_ns,kind,actor,cause_seq,args_json\n');
    for (const row of r.eventLog()) o.write(`${row.map(csvField).join(',')}\n`);
  });
}
