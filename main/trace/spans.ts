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

const BEGIN = new Map<number, string>();
const END = new Map<number, string>();
for (let i = 0; i < KINDS.length; i++) {
  const k = KINDS[i];
  if (k.role === 'begin') BEGIN.set(i, (k as { span: string }).span);
  if (k.role === 'end') END.set(i, (k as { span: string }).span);
}
/** Spans paired by `a` as well as the actor: several holders of one lock, several work items. */
const KEYED_BY_A = new Set(['held', 'work']);

function fnName(args: string | null): string | null {
  if (args === null) return null;
  const f = (JSON.parse(args) as { fn?: unknown }).fn;
  return typeof f === 'string' ? f : null;
}

/**
 * Pairs begin/end events into spans while recording: release(), kernel functions (stop_queue is
 * the DMA stop), reaper passes, locks held (per holder), work items, flushes, synchronize_srcu, and
 * tasks blocked (task_state into S or D until the task runs again). Nesting is LIFO per
 * (actor, span, key); an end with no matching begin is ignored rather than invented.
 */
export class SpanDeriver {
  private readonly open = new Map<string, Open[]>();
  private readonly blocked = new Map<number, Open>();

  constructor(private readonly emit: (s: SpanRow) => void) {}

  event(seq: number, t: number, kind: number, actor: number, a: number, args: string | null): void {
    if (kind === KIND.task_state) {
      const prev = this.blocked.get(actor);
      if (prev) {
        this.blocked.delete(actor);
        this.emit({ actor, cat: 'blocked', name: prev.name, holder: null, beginSeq: prev.seq, endSeq: seq, t0: prev.t, t1: t });
      }
      if (a === TS_S || a === TS_D) {
        const on = args === null ? null : (JSON.parse(args) as { on?: string }).on;
        this.blocked.set(actor, { name: `${TASK_STATE[a]} ${on ?? '?'}`, seq, t });
      }
      return;
    }
    const b = BEGIN.get(kind);
    if (b !== undefined) {
      const key = `${actor}|${b}|${KEYED_BY_A.has(b) ? a : ''}`;
      let st = this.open.get(key);
      if (!st) this.open.set(key, (st = []));
      st.push({ name: b === 'fn' ? (fnName(args) ?? 'fn') : b, seq, t });
      return;
    }
    const e = END.get(kind);
    if (e !== undefined) {
      const key = `${actor}|${e}|${KEYED_BY_A.has(e) ? a : ''}`;
      const st = this.open.get(key);
      if (!st || st.length === 0) return;
      let i = st.length - 1;
      if (e === 'fn') {
        // fn_end names its function: close the matching frame even if an inner one never ended.
        const f = fnName(args);
        while (i > 0 && f !== null && st[i].name !== f) i--;
      }
      const o = st[i];
      st.splice(i, 1);
      if (st.length === 0) this.open.delete(key);
      this.emit({ actor, cat: e, name: o.name, holder: e === 'held' ? a : null, beginSeq: o.seq, endSeq: seq, t0: o.t, t1: t });
    }
  }

  /** Emit the spans still open at the end of the run, ending at `endNs` with no end event. */
  close(endNs: number): void {
    for (const [key, st] of this.open) {
      const [actor, cat, k] = key.split('|');
      for (const o of st) {
        this.emit({ actor: Number(actor), cat, name: o.name, holder: cat === 'held' ? Number(k) : null, beginSeq: o.seq, endSeq: null, t0: o.t, t1: endNs });
      }
    }
    for (const [actor, o] of this.blocked) {
      this.emit({ actor, cat: 'blocked', name: o.name, holder: null, beginSeq: o.seq, endSeq: null, t0: o.t, t1: endNs });
    }
    this.open.clear();
    this.blocked.clear();
  }
}
