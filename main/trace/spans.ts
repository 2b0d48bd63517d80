import { KIND, KINDS, TASK_STATE, TS_D, TS_S } from '../sim/events';

/** A finished (or, at the end of a run, still open) span, as a `spans` row. */
export interface SpanRow {
  actor: number;
  cat: string;
  name: string;
  holder: number | null;
  beginSeq: number;
  endSeq: number | null;
  t0: number;
  t1: number;
}

interface Open {
  name: string;
  seq: number;
  t: number;
}

/** Span name of each begin and end kind (undefined for other kinds). */
const BEGIN: (string | undefined)[] = KINDS.map((k) => (k.role === 'begin' ? (k as { span: string }).span : undefined));
const END: (string | undefined)[] = KINDS.map((k) => (k.role === 'end' ? (k as { span: string }).span : undefined));
const SPAN_NAMES = [...new Set([...BEGIN, ...END].filter((x): x is string => x !== undefined))];
const SPAN_ID = new Map(SPAN_NAMES.map((n, i) => [n, i]));
/** Spans paired by `a` as well as the actor: several holders of one lock, several work items. */
const KEYED_BY_A = new Set(['held', 'work']);
/** Per kind: the span id (SPAN_NAMES index) of its begin or end, -1 for other kinds; whether it pairs by `a`. */
const SPAN_ID_OF = KINDS.map((_, k) => {
  const n = BEGIN[k] ?? END[k];
  return n === undefined ? -1 : (SPAN_ID.get(n) as number);
});
const KEYED_OF = KINDS.map((_, k) => {
  const n = BEGIN[k] ?? END[k];
  return n !== undefined && KEYED_BY_A.has(n);
});

/**
 * Pairs begin/end events into spans while recording: release(), kernel functions (stop_queue is
 * the DMA stop), reaper passes, locks held (per holder), work items, flushes, synchronize_srcu, and
 * tasks blocked (task_state into S or D until the task runs again). Nesting is LIFO per
 * (actor, span, key); an end with no matching begin is ignored rather than invented.
 */
export class SpanDeriver {
  /** Open spans by actor * 64 + span id, then by key (`a` for keyed spans, else 0). */
  private readonly open = new Map<number, Map<number, Open[]>>();
  private readonly blocked = new Map<number, Open>();
  /** args strings repeat (the same wait reasons, the same functions): parse each once. */
  private readonly parsed = { fn: new Map<string, string | null>(), on: new Map<string, string | null>() };

  constructor(private readonly emit: (s: SpanRow) => void) {}

  /** args.fn, or for task_state args.on, memoised by the args string. */
  private field(args: string | null, key: 'fn' | 'on'): string | null {
    if (args === null) return null;
    const cache = this.parsed[key];
    let v = cache.get(args);
    if (v === undefined) {
      const f = (JSON.parse(args) as Record<string, unknown>)[key];
      v = typeof f === 'string' ? f : null;
      if (cache.size > 10_000) cache.clear();
      cache.set(args, v);
    }
    return v;
  }

  private stack(actor: number, spanId: number, key: number, create: boolean): Open[] | undefined {
    const k = actor * 64 + spanId;
    let byKey = this.open.get(k);
    if (!byKey) {
      if (!create) return undefined;
      this.open.set(k, (byKey = new Map()));
    }
    let st = byKey.get(key);
    if (!st && create) byKey.set(key, (st = []));
    return st;
  }

  event(seq: number, t: number, kind: number, actor: number, a: number, args: string | null): void {
    if (kind === KIND.task_state) {
      const prev = this.blocked.get(actor);
      if (prev) {
        this.blocked.delete(actor);
        this.emit({ actor, cat: 'blocked', name: prev.name, holder: null, beginSeq: prev.seq, endSeq: seq, t0: prev.t, t1: t });
      }
      if (a === TS_S || a === TS_D) this.blocked.set(actor, { name: `${TASK_STATE[a]} ${this.field(args, 'on') ?? '?'}`, seq, t });
      return;
    }
    const b = BEGIN[kind];
    if (b !== undefined) {
      (this.stack(actor, SPAN_ID_OF[kind], KEYED_OF[kind] ? a : 0, true) as Open[]).push({ name: b === 'fn' ? (this.field(args, 'fn') ?? 'fn') : b, seq, t });
      return;
    }
    const e = END[kind];
    if (e !== undefined) {
      const st = this.stack(actor, SPAN_ID_OF[kind], KEYED_OF[kind] ? a : 0, false);
      if (!st || st.length === 0) return;
      let i = st.length - 1;
      if (e === 'fn') {
        // fn_end names its function: close the matching frame even if an inner one never ended.
        const f = this.field(args, 'fn');
        while (i > 0 && f !== null && st[i].name !== f) i--;
      }
      const o = st[i];
      st.splice(i, 1);
      this.emit({ actor, cat: e, name: o.name, holder: e === 'held' ? a : null, beginSeq: o.seq, endSeq: seq, t0: o.t, t1: t });
    }
  }

  /** Emit the spans still open at the end of the run, ending at `endNs` with no end event. */
  close(endNs: number): void {
    for (const [k, byKey] of this.open) {
      const actor = Math.floor(k / 64);
      const cat = SPAN_NAMES[k % 64];
      for (const [key, st] of byKey) {
        for (const o of st) this.emit({ actor, cat, name: o.name, holder: cat === 'held' ? key : null, beginSeq: o.seq, endSeq: null, t0: o.t, t1: endNs });
      }
    }
    for (const [actor, o] of this.blocked) {
      this.emit({ actor, cat: 'blocked', name: o.name, holder: null, beginSeq: o.seq, endSeq: null, t0: o.t, t1: endNs });
    }
    this.open.clear();
    this.blocked.clear();
  }
}
