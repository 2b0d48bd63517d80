import type { EventRowDto, WhyDto, WhyLinkDto, WhyRelation, WhyStepDto } from '../contract';
import { KINDS, TS_D, TS_S } from '../sim/events';
import { parseArgs, type EventRow } from './rows';
import { EDGES_FORMAT_VERSION } from './schema';
import { foldText, stepText, type StepContext } from './why_text';

/** What the walker reads from a trace: single events by seq and the edges from one event (indexed lookups). */
export interface WhySource {
  eventAt(seq: number): EventRowDto | null;
  /** The raw row of event `seq` (no args parsed, no sentence): what a scheduled-by walk through plumbing reads. */
  rawAt?(seq: number): EventRow | null;
  edgesFrom(seq: number): { to: number; rel: string; args: string | null }[];
  actorName(id: number): string;
  meta(): { formatVersion: number };
}

/** At most this many steps: an explanation is read at a glance, not scrolled. */
export const WHY_MAX_STEPS = 24;
/** Scheduled-by hops walked from one step to find the next event worth a sentence. */
const PLUMBING_HOPS = 48;
/** Events read in all for one explanation: bounds its time on any trace (the 5M-event bench). */
const MAX_READS = 120;
/** Events of one scheduled-by loop (a device issuing transactions) read to fold it; a longer one is "at least". */
const FOLD_MAX = 60;
/** Scheduled-by steps from an event no edge explains (format 3, or an event of the model's own pace). */
const SCHEDULED_STEPS = 6;

/** Which edges a walk takes first: the wait, then the memory, then decisions from state. */
const REL_ORDER: Record<string, number> = { waits_on: 0, held_by: 1, because_of: 2 };

/**
 * Kinds that only carry an effect along (a call boundary, a counter, a log line): a scheduled-by
 * walk passes through them to the next event that says something.
 */
const PLUMBING = new Set([
  'fn_begin', 'fn_end', 'mm_count', 'mm_users', 'mem_free', 'mm_pages', 'wq_depth', 'prq_depth', 'lock_release',
  'srcu_read_lock', 'srcu_read_unlock', 'printk', 'pasids', 'bond', 'note', 'synchronize_srcu_done', 'flush_end',
  'work_end', 'release_end', 'pri_req', 'ats_req', 'inval', 'reap_begin', 'uacce_q',
]);

function plumbing(kind: string, a: number): boolean {
  if (PLUMBING.has(kind)) return true;
  // A task becoming runnable is the effect of a wake-up; its block is what explains things.
  if (kind === 'task_state') return a !== TS_D && a !== TS_S;
  return false;
}

interface Edge {
  to: number;
  rel: WhyRelation;
  args: Record<string, unknown> | null;
}

/**
 * "Why did this happen?" for event `seq`: a small DAG walked from the event back to its root
 * reasons over the stored causal edges (waits on, held by, because of; main/sim/causes.ts), each
 * step one sentence. Depth-first, the wait before the memory before the decisions, so the main
 * chain reads first; a retry loop (an edge carrying `retry`/`first`) is folded into one step
 * without reading its iterations; where no edge explains an event the walk takes scheduled-by
 * (cause_seq) to the next event worth a sentence, folding repeats. Every read is one event by
 * seq or the edges of one event: never a scan. A format 3 trace has no edges: its explanation is
 * scheduled-by only, and says so in `note`.
 * Returns null when there is no event `seq`.
 */
export function explain(src: WhySource, seq: number): WhyDto | null {
  const first = src.eventAt(seq);
  if (!first) return null;
  const hasEdges = src.meta().formatVersion >= EDGES_FORMAT_VERSION;
  const steps: WhyStepDto[] = [];
  const links: WhyLinkDto[] = [];
  const roots: number[] = [];
  const stepBySeq = new Map<number, WhyStepDto>();
  let reads = 1;
  let rawReads = 0;
  let truncated = false;
  const cache = new Map<number, EventRowDto | null>([[seq, first]]);
  const ev = (s: number): EventRowDto | null => {
    let e = cache.get(s);
    if (e === undefined) {
      if (reads >= MAX_READS) {
        truncated = true;
        return null;
      }
      reads++;
      e = src.eventAt(s);
      cache.set(s, e);
    }
    return e;
  };
  const edgesOf = (s: number): Edge[] => {
    if (!hasEdges) return [];
    reads++;
    return src
      .edgesFrom(s)
      .map((r) => ({ to: r.to, rel: r.rel as WhyRelation, args: parseArgs(r.args) }))
      .sort((x, y) => (REL_ORDER[x.rel] ?? 9) - (REL_ORDER[y.rel] ?? 9));
  };
  const ctx = (e: EventRowDto, relation: WhyRelation | 'event', inArgs: Record<string, unknown> | null, out: Edge[], parent: WhyStepDto | null): StepContext => ({
    event: e,
    relation,
    inArgs,
    out: out.map((o) => ({ rel: o.rel, args: o.args })),
    parent,
    name: (id) => src.actorName(id),
    eventAt: (s) => ev(s),
  });
  const addStep = (e: EventRowDto, relation: WhyStepDto['relation'], parent: WhyStepDto | null, text: string, folded: WhyStepDto['folded'] = null): WhyStepDto => {
    const st: WhyStepDto = { seq: e.seq, tNs: e.tNs, kind: e.kind, actor: e.actor, actorId: e.actorId, relation, text, explains: parent?.seq ?? null, folded };
    steps.push(st);
    stepBySeq.set(e.seq, st);
    if (parent && relation !== 'event') links.push({ from: parent.seq, to: e.seq, relation });
    return st;
  };

  /** Whether step `st` explains, directly or through others, the step `seqUp`. */
  const explainsChain = (st: WhyStepDto, seqUp: number): boolean => {
    for (let cur: WhyStepDto | undefined = st; cur; cur = cur.explains === null ? undefined : stepBySeq.get(cur.explains)) if (cur.seq === seqUp) return true;
    return false;
  };

  /** The next event worth a sentence behind `e` along scheduled-by, or null. */
  const scheduledBy = (e: EventRowDto): EventRowDto | null => {
    let s = e.causeSeq;
    for (let hop = 0; hop < PLUMBING_HOPS && s > 0; hop++) {
      if (src.rawAt && !cache.has(s)) {
        // Through plumbing on raw rows: a third of a full read each.
        if (reads >= MAX_READS) {
          truncated = true;
          return null;
        }
        rawReads++;
        if (rawReads % 3 === 0) reads++;
        const r = src.rawAt(s);
        if (!r) return null;
        if (!plumbing(KINDS[r[2]]?.name ?? '', r[5])) return ev(s);
        s = r[4];
        continue;
      }
      const c = ev(s);
      if (!c) return null;
      if (!plumbing(c.kind, c.a)) return c;
      s = c.causeSeq;
    }
    return null;
  };

  /** Follow scheduled-by from `from` for up to `budget` steps, folding runs of the same kind on the same actor. */
  const walkScheduled = (from: WhyStepDto, e: EventRowDto, budget: number): void => {
    let parent = from;
    let cur = e;
    for (let n = 0; n < budget; n++) {
      const next = scheduledBy(cur);
      if (!next || stepBySeq.has(next.seq)) {
        if (next && stepBySeq.has(next.seq)) links.push({ from: parent.seq, to: next.seq, relation: 'scheduled_by' });
        break;
      }
      if (steps.length >= WHY_MAX_STEPS) {
        truncated = true;
        break;
      }
      // A loop: the same kind on the same actor again and again (a device issuing, a poll).
      let last = next;
      let count = 1;
      for (; count < FOLD_MAX; count++) {
        const more = scheduledBy(last);
        // The same thing again: kind, actor and value (a state change to another state is no repeat).
        if (!more || more.kind !== next.kind || more.actorId !== next.actorId || more.a !== next.a) break;
        last = more;
      }
      if (count > 1) {
        const atLeast = count >= FOLD_MAX;
        const text = foldText({ kind: next.kind, actor: next.actor, count, fromNs: last.tNs, toNs: next.tNs, relation: 'scheduled_by', sample: next, atLeast });
        parent = addStep(last, 'scheduled_by', parent, text, { count, fromSeq: last.seq, toSeq: next.seq, fromNs: last.tNs, toNs: next.tNs });
      } else {
        const out = edgesOf(next.seq);
        parent = addStep(next, 'scheduled_by', parent, stepText(ctx(next, 'scheduled_by', null, out, parent)));
        if (out.length > 0) {
          visitEdges(parent, next, out);
          return;
        }
      }
      cur = last;
    }
    roots.push(parent.seq);
  };

  /** Visit each edge of step `st` (event `e`, its edges `out`), depth first. */
  const visitEdges = (st: WhyStepDto, e: EventRowDto, out: Edge[]): void => {
    let any = false;
    for (const o of out) {
      if (o.to === e.seq) continue;
      if (stepBySeq.has(o.to)) {
        links.push({ from: st.seq, to: o.to, relation: o.rel });
        any = true;
        // Back to a step this one explains: a cycle (a deadlock), whose steps are its own roots.
        if (explainsChain(st, o.to)) roots.push(st.seq);
        continue;
      }
      if (steps.length >= WHY_MAX_STEPS) {
        truncated = true;
        break;
      }
      const target = ev(o.to);
      if (!target) continue;
      any = true;
      if (typeof o.args?.first === 'number' && typeof o.args?.retry === 'number') {
        // A retry loop: fold every earlier attempt into one step, from the first to this one's predecessor.
        // The step stands at the latest attempt before this one and covers back to the first.
        const firstSeq = o.args.first;
        const firstEv = firstSeq === target.seq ? target : ev(firstSeq);
        if (!firstEv) continue;
        const count = o.args.retry;
        const text = foldText({ kind: target.kind, actor: target.actor, count, fromNs: firstEv.tNs, toNs: target.tNs, relation: o.rel, sample: target, retryOf: e, name: (id) => src.actorName(id) });
        const folded = addStep(target, o.rel, st, text, { count, fromSeq: firstEv.seq, toSeq: target.seq, fromNs: firstEv.tNs, toNs: target.tNs });
        // The loop's own reasons are the first attempt's (its stall...), not the attempts between.
        if (stepBySeq.has(firstEv.seq) && firstEv.seq !== target.seq) {
          links.push({ from: folded.seq, to: firstEv.seq, relation: o.rel });
          continue;
        }
        const firstOut = edgesOf(firstEv.seq).filter((x) => !(typeof x.args?.retry === 'number'));
        if (firstOut.length > 0) visitEdges(folded, firstEv, firstOut);
        else roots.push(folded.seq);
        continue;
      }
      visit(target, o.rel, st, o.args);
    }
    if (!any) roots.push(st.seq);
  };

  const visit = (e: EventRowDto, relation: WhyRelation, parent: WhyStepDto, inArgs: Record<string, unknown> | null): void => {
    const out = edgesOf(e.seq);
    const st = addStep(e, relation, parent, stepText(ctx(e, relation, inArgs, out, parent)));
    if (out.length > 0) visitEdges(st, e, out);
    // An event no edge explains: one step along scheduled-by (what started it), then stop.
    else walkScheduled(st, e, 1);
  };

  const out0 = edgesOf(seq);
  const head = addStep(first, 'event', null, stepText(ctx(first, 'event', null, out0, null)));
  if (out0.length > 0) visitEdges(head, first, out0);
  else walkScheduled(head, first, SCHEDULED_STEPS);

  const notes: string[] = [];
  if (!hasEdges) notes.push(`This trace is of format ${src.meta().formatVersion}, recorded before causal edges: the explanation is scheduled-by only.`);
  if (truncated) notes.push(`The explanation was cut at ${WHY_MAX_STEPS} steps.`);
  return { seq, steps, roots: [...new Set(roots)], links, note: notes.length ? notes.join(' ') : null };
}

/** The `why --json` document: exactly `{seq, steps: [{seq, t_ns, kind, actor, relation, text}], roots}` (DESIGN.md). */
export function whyJson(w: WhyDto): { seq: number; steps: { seq: number; t_ns: number; kind: string; actor: string; relation: string; text: string }[]; roots: number[] } {
  return { seq: w.seq, steps: w.steps.map((s) => ({ seq: s.seq, t_ns: s.tNs, kind: s.kind, actor: s.actor, relation: s.relation, text: s.text })), roots: w.roots };
}
