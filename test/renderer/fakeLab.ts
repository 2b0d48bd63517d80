/**
 * A fake LabApi for the renderer's tests and for looking at the UI without the service: runs are
 * recorded in memory by the real simulator (main/sim), so the windows, states, events and cause
 * chains it answers are the model's own, shaped as main/contract.ts says. It is not the trace layer:
 * level-of-detail here is computed on the fly from per-lane arrays (fine for fixtures of up to a
 * few hundred thousand events), and "files" are the in-memory runs.
 */
import type {
  AnnotationDto,
  CatalogDto,
  CompareDto,
  EventQuery,
  EventRowDto,
  LabApi,
  LabEvent,
  ModelState,
  RunId,
  RunInfo,
  RunListItem,
  RunRequest,
  RunStatus,
  TrackDto,
  TrackWindowDto,
  VerifyDto,
  WindowDto,
} from '../../main/contract';
import { DMA_STATE, KIND, KINDS, PASID_ENTRY_STATE, TASK_STATE, type TrackType } from '../../main/sim/events';
import { METRIC_DOCS } from '../../main/sim/metrics';
import { describeRange, paramFieldErrors, type ParamValue } from '../../main/sim/params';
import { runScenario, type Summary } from '../../main/sim/run';
import { SCENARIOS } from '../../main/sim/scenarios/index';
import { StateFold, type FoldSnapshot } from '../../main/sim/state';
import { SpanDeriver } from '../../main/trace/spans';
import type { EventRow } from '../../main/trace/rows';
import { ALARM_KINDS, ALARMS_PER_KIND, alarmIndex, DENSITY_BUCKETS, groupTracks } from '../../main/trace/timeline_queries';

interface Ev {
  seq: number;
  t: number;
  kind: number;
  actor: number;
  cause: number;
  a: number;
  b: number;
  args: string | null;
}

interface SpanIv { t0: number; t1: number | null; name: string; depth: number; seq?: number; endSeq?: number | null }
interface StateIv { t0: number; t1: number | null; state: string; label: string | null }
interface Inst { t: number; kind: string; seq: number }
interface Sample { t: number; v: number }

interface Lane {
  spans: SpanIv[];
  states: StateIv[];
  instants: Inst[];
  counters: Map<string, Sample[]>;
}

/** One run recorded in memory. */
export interface FakeRun {
  item: RunListItem;
  info: RunInfo;
  events: Ev[];
  names: Map<number, string>;
  tracks: Map<number, TrackType>;
  lanes: Map<number, Lane>;
  checkpoints: FoldSnapshot[];
}

const CHECKPOINT_EVERY = 5000;
const STATE_NAMES: Partial<Record<number, readonly string[]>> = {
  [KIND.task_state]: TASK_STATE,
  [KIND.pasid_entry]: PASID_ENTRY_STATE,
  [KIND.dma_state]: DMA_STATE,
};

function parseArgs(args: string | null): Record<string, unknown> | null {
  if (args === null) return null;
  try {
    return JSON.parse(args) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Record `req` with the real simulator. `created` is given so fixtures are deterministic. */
export function recordRun(req: RunRequest, created: string, status?: RunStatus): FakeRun {
  const events: Ev[] = [];
  const names = new Map<number, string>();
  const tracks = new Map<number, TrackType>();
  const lanes = new Map<number, Lane>();
  const lane = (id: number): Lane => {
    let l = lanes.get(id);
    if (!l) lanes.set(id, (l = { spans: [], states: [], instants: [], counters: new Map() }));
    return l;
  };
  const rawSpans = new Map<number, { t0: number; t1: number | null; name: string; seq: number; endSeq: number | null }[]>();
  let endNs = 0;
  const deriver = new SpanDeriver((s) => {
    if (s.cat === 'blocked') return; // blocked tasks are drawn from their states
    let l = rawSpans.get(s.actor);
    if (!l) rawSpans.set(s.actor, (l = []));
    l.push({ t0: s.t0, t1: s.endSeq === null ? null : s.t1, name: s.name === 'release' ? 'release()' : s.name, seq: s.beginSeq, endSeq: s.endSeq });
  });
  const fold = new StateFold();
  const checkpoints: FoldSnapshot[] = [];
  const openState = new Map<number, StateIv>();

  const summary: Summary = runScenario(req.scenario, req.params, req.seed, {
    sinks: [
      {
        actor(id, name, track) {
          names.set(id, name);
          tracks.set(id, track);
          fold.actor(id, name, track);
        },
        event(seq, t, kind, actor, cause, a, b, args) {
          events.push({ seq, t, kind, actor, cause, a, b, args });
          endNs = t;
          if (seq % CHECKPOINT_EVERY === 1) checkpoints.push(fold.snapshot());
          fold.event(seq, t, kind, actor, cause, a, b, args);
          deriver.event(seq, t, kind, actor, a, args);
          const info = KINDS[kind];
          if (info.role === 'instant' || info.role === 'begin') {
            if (info.role === 'instant') lane(actor).instants.push({ t, kind: info.name, seq });
          } else if (info.role === 'counter') {
            const c = lane(actor).counters;
            const key = (info as { span?: string }).span ?? info.name;
            let s = c.get(key);
            if (!s) c.set(key, (s = []));
            s.push({ t, v: a });
          } else if (info.role === 'state') {
            const names = STATE_NAMES[kind];
            if (!names) {
              lane(actor).instants.push({ t, kind: info.name, seq });
              return;
            }
            const prev = openState.get(actor);
            if (prev) prev.t1 = t;
            const on = (parseArgs(args)?.on as string | undefined) ?? null;
            const iv: StateIv = { t0: t, t1: null, state: names[a] ?? String(a), label: on };
            lane(actor).states.push(iv);
            openState.set(actor, iv);
          }
        },
      },
    ],
  });
  deriver.close(endNs);
  // Depth: the lowest row free at the span's start (nested spans land below their parent).
  for (const [actor, list] of rawSpans) {
    list.sort((x, y) => x.t0 - y.t0 || (y.t1 ?? Infinity) - (x.t1 ?? Infinity));
    const rowEnd: number[] = [];
    const l = lane(actor);
    for (const s of list) {
      let d = rowEnd.findIndex((e) => e <= s.t0);
      if (d < 0) d = rowEnd.length;
      rowEnd[d] = s.t1 ?? Infinity;
      l.spans.push({ ...s, depth: d });
    }
  }
  const st: RunStatus = status ?? summary.status;
  const stamp = created.replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const id = `${stamp}-${req.scenario}-${summary.model}-s${req.seed}.sqlite`;
  const trackList: TrackDto[] = [...names].map(([tid, name]) => ({ id: tid, name, type: tracks.get(tid) ?? 'scenario' }));
  const item: RunListItem = {
    id,
    scenario: req.scenario,
    model: summary.model,
    seed: req.seed,
    params: summary.params,
    status: st,
    created,
    events: summary.events,
    endTimeNs: summary.endTimeNs,
    metrics: summary.metrics,
    bytes: summary.events * 48,
    digest: summary.digest,
  };
  const info: RunInfo = {
    id,
    summary: { ...summary, status: st === 'running' ? 'complete' : st },
    status: st,
    created,
    tracks: trackList,
    startNs: 0,
    endNs: summary.endTimeNs,
    triggerNs: summary.metrics.triggerNs,
    alarms: [],
    groups: [],
    density: { bucketNs: 1, counts: [] },
  };
  const run: FakeRun = { item, info, events, names, tracks, lanes, checkpoints };
  // The alarm index, groups and density as the service computes them (the same functions, over the events in memory).
  const raw = (e: Ev): EventRow => [e.seq, e.t, e.kind, e.actor, e.cause, e.a, e.b, e.args];
  const ofKind = (k: string) => events.filter((e) => KINDS[e.kind].name === k).map(raw);
  info.alarms = alarmIndex({ row: (r) => row(run, events[r[0] - 1]) }, ALARM_KINDS.flatMap((k) => ofKind(k).slice(0, ALARMS_PER_KIND)), ofKind('release_end'));
  info.groups = groupTracks(trackList, {
    taskNew: ofKind('task_new'),
    mmNew: ofKind('mm_new'),
    pasidAlloc: ofKind('pasid_alloc'),
    firstOf: (k) => {
      const seen = new Set<number>();
      return ofKind(k).filter((r) => !seen.has(r[3]) && (seen.add(r[3]), true));
    },
  });
  const bucketNs = pow2AtLeast(Math.max(1, summary.endTimeNs) / DENSITY_BUCKETS);
  const counts = new Array<number>(Math.ceil((summary.endTimeNs + 1) / bucketNs)).fill(0);
  for (const e of events) counts[Math.floor(e.t / bucketNs)]++;
  info.density = { bucketNs, counts };
  return run;
}

/** Index of the first element with key(x) >= v in a sorted array. */
function lowerBound<T>(arr: readonly T[], v: number, key: (x: T) => number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(arr[mid]) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function pow2AtLeast(x: number): number {
  return x <= 1 ? 1 : 2 ** Math.ceil(Math.log2(x));
}

/** Level-of-detail window of one lane, as the contract describes (about 2 items per pixel at most). */
function laneWindow(id: number, l: Lane, from: number, to: number, bucket: number): TrackWindowDto {
  const out: TrackWindowDto = { id, spans: [], states: [], instants: [], counters: [] };
  // Spans: long ones as they are, short ones merged per (depth, bucket).
  const merged = new Map<string, TrackWindowDto['spans'][number]>();
  for (const s of l.spans) {
    const t1 = s.t1 ?? Infinity;
    if (t1 < from || s.t0 > to) continue;
    if (t1 - s.t0 >= bucket) {
      out.spans.push({ t0: s.t0, t1: s.t1, name: s.name, depth: s.depth, count: 1, seq: s.seq, endSeq: s.endSeq });
      continue;
    }
    const key = `${s.depth}|${Math.floor(s.t0 / bucket)}`;
    const m = merged.get(key);
    if (!m) merged.set(key, { t0: s.t0, t1: s.t1, name: s.name, depth: s.depth, count: 1 });
    else {
      m.count++;
      m.t1 = Math.max(m.t1 ?? 0, t1);
      if (m.name !== s.name) m.name = `${m.count} spans`;
    }
  }
  out.spans.push(...merged.values());
  // States: each interval that lasts a bucket or more, and the last one starting in each bucket.
  const i0 = Math.max(0, lowerBound(l.states, from, (s) => s.t0) - 1);
  for (let i = i0; i < l.states.length; i++) {
    const s = l.states[i];
    if (s.t0 > to) break;
    if ((s.t1 ?? Infinity) < from) continue;
    const next = l.states[i + 1];
    const long = (s.t1 ?? Infinity) - s.t0 >= bucket;
    const lastInBucket = !next || Math.floor(next.t0 / bucket) !== Math.floor(s.t0 / bucket);
    if (long || lastInBucket) out.states.push({ ...s });
  }
  // Instants merged per (kind, bucket).
  const byKey = new Map<string, TrackWindowDto['instants'][number]>();
  for (let i = lowerBound(l.instants, from, (x) => x.t); i < l.instants.length && l.instants[i].t <= to; i++) {
    const x = l.instants[i];
    const key = `${x.kind}|${Math.floor(x.t / bucket)}`;
    const m = byKey.get(key);
    if (m) m.count++;
    else {
      const v = { t: x.t, kind: x.kind, count: 1, seq: x.seq };
      byKey.set(key, v);
      out.instants.push(v);
    }
  }
  // Counters: the value in force at `from`, then min/max/last per bucket.
  for (const [name, samples] of l.counters) {
    const points: { t: number; min: number; max: number; last: number }[] = [];
    const j = lowerBound(samples, from, (x) => x.t);
    if (j > 0) {
      const v = samples[j - 1].v;
      points.push({ t: from, min: v, max: v, last: v });
    }
    let cur: (typeof points)[number] | null = null;
    let curB = NaN;
    for (let i = j; i < samples.length && samples[i].t <= to; i++) {
      const s = samples[i];
      const b = Math.floor(s.t / bucket);
      if (cur && b === curB) {
        cur.min = Math.min(cur.min, s.v);
        cur.max = Math.max(cur.max, s.v);
        cur.last = s.v;
      } else {
        cur = { t: s.t, min: s.v, max: s.v, last: s.v };
        curB = b;
        points.push(cur);
      }
    }
    if (points.length) out.counters.push({ name, points });
  }
  return out;
}

const fmtArg = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** A one-line description, in the spirit of the service's. */
function describe(run: FakeRun, e: Ev): string {
  const n = (id: number) => run.names.get(id) ?? `#${id}`;
  const args = parseArgs(e.args);
  const who = n(e.actor);
  switch (e.kind) {
    case KIND.task_state:
      return `${who}: -> ${TASK_STATE[e.a] ?? e.a}${args?.on ? ` (waits on ${fmtArg(args.on)})` : ''}`;
    case KIND.mm_users:
      return `mm ${who}: mm_users ${e.a - e.b} -> ${e.a}${args?.fn ? ` (${fmtArg(args.fn)})` : ''}`;
    case KIND.mm_count:
      return `mm ${who}: mm_count ${e.a - e.b} -> ${e.a}${args?.by ? ` (${fmtArg(args.by)})` : ''}`;
    case KIND.oom_kill:
      return `${who}: OOM kill ${n(e.a)} (badness ${e.b})`;
    case KIND.signal:
      return `${who}: signal ${e.a === 9 ? 'SIGKILL' : e.a}`;
    case KIND.release_begin:
      return `${who}: release() entered${args?.fn ? ` (${fmtArg(args.fn)})` : ''}`;
    case KIND.release_end:
      return `${who}: release() returns`;
    case KIND.fn_begin:
      return `${who}: ${fmtArg(args?.fn ?? 'fn')}() begins`;
    case KIND.fn_end:
      return `${who}: ${fmtArg(args?.fn ?? 'fn')}() returns`;
    case KIND.lock_acquire:
      return `${who}: taken by ${n(e.a)}`;
    case KIND.lock_release:
      return `${who}: released by ${n(e.a)}`;
    case KIND.lock_contend:
      return `${who}: ${n(e.a)} waits`;
    case KIND.hung_task:
      return `${who}: INFO: task blocked for more than ${e.a} seconds`;
    case KIND.deadlock:
      return `${who}: deadlock (cycle of ${e.a})`;
    default: {
      const info: { name: string; a?: string; b?: string } = KINDS[e.kind];
      const msg = args?.msg ? `: ${fmtArg(args.msg)}` : '';
      return `${who}: ${info.name}${info.a ? ` ${info.a.split(' ')[0]}=${e.a}` : ''}${info.b ? ` ${info.b.split(' ')[0]}=${e.b}` : ''}${msg}`;
    }
  }
}

function row(run: FakeRun, e: Ev): EventRowDto {
  return {
    seq: e.seq,
    tNs: e.t,
    kind: KINDS[e.kind].name,
    actor: run.names.get(e.actor) ?? `#${e.actor}`,
    actorId: e.actor,
    causeSeq: e.cause,
    a: e.a,
    b: e.b,
    args: parseArgs(e.args),
    text: describe(run, e),
  };
}

/** The state after every event at `t`, or, with `seq`, right after that event (as the service does). */
function stateAt(run: FakeRun, t: number, seq?: number): ModelState {
  const fold = new StateFold();
  for (const [id, name] of run.names) fold.actor(id, name, run.tracks.get(id) ?? 'scenario');
  // The last checkpoint taken before an event later than t.
  let ci = 0;
  for (let i = 0; i < run.checkpoints.length; i++) {
    const firstSeq = i * CHECKPOINT_EVERY + 1;
    const e = run.events[firstSeq - 1];
    if (e && e.t <= t && (seq === undefined || firstSeq - 1 <= seq)) ci = i;
    else break;
  }
  fold.restore(run.checkpoints[ci]);
  for (let i = ci * CHECKPOINT_EVERY; i < run.events.length; i++) {
    const e = run.events[i];
    if (e.t > t || (seq !== undefined && e.seq > seq)) break;
    fold.event(e.seq, e.t, e.kind, e.actor, e.cause, e.a, e.b, e.args);
  }
  return fold.view();
}

/** Where the fake's runs come from and how slow it pretends to be. */
export interface FakeLabOptions {
  /** Runs in the archive at start, oldest first. */
  runs?: RunRequest[];
  /** Milliseconds each call waits before answering (0: next microtask). */
  latencyMs?: number;
  /** Progress events a started run emits before it finishes. */
  progressSteps?: number;
  /** Milliseconds between progress events of a started run. */
  progressEveryMs?: number;
}

/** The fake, plus what tests need to look inside it. */
export interface FakeLab extends LabApi {
  readonly runs: FakeRun[];
  /** Every call, in order: method name and arguments. */
  readonly calls: { method: string; args: unknown[] }[];
  /** Deliver a LabEvent to the subscribers. */
  emit(e: LabEvent): void;
  /** Make the next calls of `method` fail with `message`. */
  failNext(method: string, message: string): void;
}

let createdCounter = 0;
function nextCreated(): string {
  const d = new Date(Date.UTC(2026, 10, 23, 20, 15, 0) + createdCounter++ * 60_000);
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function createFakeLab(opts: FakeLabOptions = {}): FakeLab {
  const runs: FakeRun[] = [];
  for (const r of opts.runs ?? []) runs.unshift(recordRun(r, nextCreated()));
  const calls: FakeLab['calls'] = [];
  const listeners = new Set<(e: LabEvent) => void>();
  const failures = new Map<string, string>();
  const cancelled = new Set<RunId>();
  const latency = opts.latencyMs ?? 0;

  const answer = <T>(method: string, args: unknown[], fn: () => T): Promise<T> => {
    calls.push({ method, args });
    return new Promise<T>((resolve, reject) => {
      const go = () => {
        const f = failures.get(method);
        if (f !== undefined) {
          failures.delete(method);
          reject(new Error(f));
          return;
        }
        try {
          resolve(fn());
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
      if (latency > 0) setTimeout(go, latency);
      else queueMicrotask(go);
    });
  };
  const emit = (e: LabEvent) => {
    for (const l of [...listeners]) l(e);
  };
  const find = (id: RunId): FakeRun => {
    const r = runs.find((x) => x.item.id === id);
    if (!r) throw new Error(`There is no run '${id}' in the archive.`);
    return r;
  };
  const validate = (req: RunRequest): Record<string, string> => {
    const sc = SCENARIOS.find((s) => s.id === req.scenario);
    if (!sc) return { scenario: `Unknown scenario '${req.scenario}'; valid scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}.` };
    const out = paramFieldErrors(sc.params, req.params, req.scenario);
    if (!Number.isSafeInteger(req.seed) || req.seed < 0) out.seed = `Seed must be a non-negative integer; got '${req.seed}'.`;
    return out;
  };

  /** Record a run and play its progress out as LabEvents; it joins the archive when it "finishes". */
  const launch = (req: RunRequest): RunId => {
    const bad = validate(req);
    const first = Object.values(bad)[0];
    if (first) throw new Error(first);
    const run = recordRun(req, nextCreated());
    const runId = run.item.id;
    const steps = opts.progressSteps ?? 3;
    const every = opts.progressEveryMs ?? 5;
    let i = 0;
    const tick = () => {
      if (cancelled.has(runId)) {
        run.item.status = 'cancelled';
        run.info.status = 'cancelled';
        runs.unshift(run);
        emit({ type: 'run-finished', runId, status: 'cancelled', error: null });
        emit({ type: 'archive-changed' });
        return;
      }
      if (i < steps) {
        i++;
        const frac = i / (steps + 1);
        emit({ type: 'run-progress', runId, events: Math.round(run.item.events * frac), tNs: Math.round(run.item.endTimeNs * frac), eventsPerSec: 2_500_000 });
        setTimeout(tick, every);
        return;
      }
      runs.unshift(run);
      emit({ type: 'run-finished', runId, status: run.item.status, error: run.info.summary.error });
      emit({ type: 'archive-changed' });
    };
    setTimeout(tick, every);
    return runId;
  };
  const annotations = new Map<RunId, AnnotationDto[]>();
  let annotationId = 0;

  const api: FakeLab = {
    runs,
    calls,
    emit,
    failNext(method, message) {
      failures.set(method, message);
    },
    catalog: () =>
      answer('catalog', [], (): CatalogDto => ({
        scenarios: SCENARIOS.map((s) => ({
          id: s.id,
          title: s.title,
          story: s.story,
          params: s.params.map((p) => ({ ...p, range: describeRange(p) })),
        })),
        metrics: { ...METRIC_DOCS },
      })),
    listRuns: () => answer('listRuns', [], () => runs.map((r) => structuredClone(r.item))),
    validateRun: (req) => answer('validateRun', [req], () => validate(req)),
    startRun: (req) => answer('startRun', [req], () => ({ runId: launch(req) })),
    cancelRun: (runId) =>
      answer('cancelRun', [runId], () => {
        cancelled.add(runId);
      }),
    openRun: (runId) => answer('openRun', [runId], () => structuredClone(find(runId).info)),
    window: (runId, fromNs, toNs, widthPx, tracks) =>
      answer('window', tracks === undefined ? [runId, fromNs, toNs, widthPx] : [runId, fromNs, toNs, widthPx, tracks], (): WindowDto => {
        if (!(toNs > fromNs) || !(widthPx > 0)) throw new Error(`The window [${fromNs}, ${toNs}] ns at ${widthPx} px is empty; give fromNs < toNs and a positive width.`);
        const run = find(runId);
        const bucketNs = pow2AtLeast((toNs - fromNs) / widthPx / 2);
        const want = tracks ? new Set(tracks) : null;
        return { fromNs, toNs, bucketNs, tracks: [...run.lanes].filter(([id]) => !want || want.has(id)).map(([id, l]) => laneWindow(id, l, fromNs, toNs, bucketNs)) };
      }),
    searchEvents: (runId, query, fromSeq, dir) =>
      answer('searchEvents', [runId, query, fromSeq, dir], () => {
        const run = find(runId);
        const q = query.trim().toLowerCase();
        if (!q) return null;
        const hit = (e: Ev) => KINDS[e.kind].name.includes(q) || (run.names.get(e.actor) ?? '').toLowerCase().includes(q) || (e.args ?? '').toLowerCase().includes(q);
        const list = dir === 1 ? run.events.slice(Math.max(0, fromSeq)) : run.events.slice(0, Math.max(0, fromSeq - 1)).reverse();
        const e = list.find(hit);
        return e ? row(run, e) : null;
      }),
    aggregateArea: (runId, fromNs, toNs, tracks) =>
      answer('aggregateArea', [runId, fromNs, toNs, tracks], () => {
        const run = find(runId);
        const want = new Set(tracks);
        const kinds = new Map<string, number>();
        const lanes = new Map(tracks.map((id) => [id, { id, name: run.names.get(id) ?? `#${id}`, events: 0, spans: 0, totalNs: 0, maxNs: 0 }]));
        let n = 0;
        for (const e of run.events) {
          if (e.t < fromNs || e.t > toNs || !want.has(e.actor)) continue;
          n++;
          const k = KINDS[e.kind].name;
          kinds.set(k, (kinds.get(k) ?? 0) + 1);
          const l = lanes.get(e.actor);
          if (l) l.events++;
        }
        for (const [id, l] of lanes) {
          for (const s of run.lanes.get(id)?.spans ?? []) {
            const t1 = s.t1 ?? run.info.endNs;
            if (s.t0 > toNs || t1 < fromNs) continue;
            const d = Math.min(t1, toNs) - Math.max(s.t0, fromNs);
            l.spans++;
            l.totalNs += d;
            l.maxNs = Math.max(l.maxNs, d);
          }
        }
        return {
          fromNs,
          toNs,
          events: n,
          kinds: [...kinds].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind)),
          lanes: [...lanes.values()].sort((a, b) => b.totalNs - a.totalNs || b.events - a.events || a.id - b.id),
        };
      }),
    state: (runId, tNs, seq) => answer('state', seq === undefined ? [runId, tNs] : [runId, tNs, seq], () => ({ atNs: tNs, ...stateAt(find(runId), tNs, seq) })),
    events: (runId, q: EventQuery) =>
      answer('events', [runId, q], () => {
        const run = find(runId);
        let i: number;
        if (q.aroundSeq !== undefined) i = Math.min(Math.max(q.aroundSeq - 1, 0), run.events.length - 1);
        else i = Math.min(lowerBound(run.events, q.atNs ?? 0, (e) => e.t), run.events.length - 1);
        return run.events.slice(Math.max(0, i - q.before), i + q.after + 1).map((e) => row(run, e));
      }),
    stepEvent: (runId, seq, dir) =>
      answer('stepEvent', [runId, seq, dir], () => {
        const run = find(runId);
        const e = run.events[seq - 1 + dir];
        return e ? row(run, e) : null;
      }),
    causeChain: (runId, seq) =>
      answer('causeChain', [runId, seq], () => {
        const run = find(runId);
        const out: EventRowDto[] = [];
        let e = run.events[seq - 1];
        while (e) {
          out.push(row(run, e));
          if (e.cause <= 0 || e.cause >= e.seq) break;
          e = run.events[e.cause - 1];
        }
        return out;
      }),
    importTrace: (file) =>
      answer('importTrace', [file], () => {
        const head = file.bytesBase64 ? atob(file.bytesBase64.slice(0, 24)) : '';
        if (!head.startsWith('SQLite format 3')) {
          throw new Error(`'${file.name}' is not an SVA Lab trace: it is not an SQLite database.`);
        }
        const src = runs[runs.length - 1];
        if (!src) throw new Error(`'${file.name}' could not be imported: the fake archive has no run to copy.`);
        const copy: FakeRun = { ...src, item: { ...src.item, id: file.name }, info: { ...src.info, id: file.name } };
        runs.unshift(copy);
        emit({ type: 'archive-changed' });
        return structuredClone(copy.item);
      }),
    deleteRun: (runId) =>
      answer('deleteRun', [runId], () => {
        const i = runs.findIndex((r) => r.item.id === runId);
        if (i < 0) throw new Error(`There is no run '${runId}' in the archive.`);
        runs.splice(i, 1);
        emit({ type: 'archive-changed' });
      }),
    compareRuns: (a, b) =>
      answer('compareRuns', [a, b], (): CompareDto => {
        const ra = find(a);
        const rb = find(b);
        const flat = (r: FakeRun): Record<string, number | null> => {
          const m = r.item.metrics;
          if (!m) return {};
          return {
            'releaseLatencyNs.max': m.releaseLatencyNs.max,
            releaseUnfinished: m.releaseUnfinished,
            oomVictims: m.oomVictims,
            innocentVictims: m.innocentVictims,
            oomSkipSetNs: m.oomSkipSetNs,
            memoryFreedNs: m.memoryFreedNs,
            lockups: m.lockups,
            pasidFreedNs: m.pasidFreedNs,
          };
        };
        const fa = flat(ra);
        const fb = flat(rb);
        const metrics = Object.keys(fa).map((name) => {
          const x = fa[name] ?? null;
          const y = fb[name] ?? null;
          const delta = x !== null && y !== null ? y - x : null;
          const direction: CompareDto['metrics'][number]['direction'] =
            x === null && y === null ? 'none' : x === null ? 'appeared' : y === null ? 'vanished' : delta === 0 ? 'same' : (delta ?? 0) > 0 ? 'up' : 'down';
          const doc = (METRIC_DOCS as Record<string, string>)[name.split('.')[0]] ?? '';
          return { name, a: x, b: y, delta, ratio: x && y !== null ? y / x : null, direction, doc };
        });
        let firstDivergence: CompareDto['firstDivergence'] = null;
        const n = Math.max(ra.events.length, rb.events.length);
        for (let i = 0; i < n; i++) {
          const x = ra.events[i];
          const y = rb.events[i];
          if (x && y && x.t === y.t && x.kind === y.kind && x.actor === y.actor && x.a === y.a && x.b === y.b && x.args === y.args) continue;
          const ea = x ? row(ra, x) : null;
          const eb = y ? row(rb, y) : null;
          firstDivergence = { seq: i + 1, tNs: Math.min(x?.t ?? Infinity, y?.t ?? Infinity), a: ea, b: eb, explanation: `A: ${ea?.text ?? 'no event'}; B: ${eb?.text ?? 'no event'}.` };
          break;
        }
        return { a, b, metrics, firstDivergence };
      }),
    findEvent: (runId, kind, fromSeq) =>
      answer('findEvent', [runId, kind, fromSeq], () => {
        const run = find(runId);
        const e = run.events.find((x) => x.seq >= fromSeq && KINDS[x.kind].name === kind);
        return e ? row(run, e) : null;
      }),
    startPair: (req) =>
      answer('startPair', [req], () => ({
        mmExit: launch({ ...req, params: { ...req.params, mmExit: true } }),
        quiet: launch({ ...req, params: { ...req.params, mmExit: false } }),
      })),
    verifyRun: (runId) =>
      answer('verifyRun', [runId], (): VerifyDto => {
        const run = find(runId);
        const again = recordRun({ scenario: run.item.scenario, params: run.item.params, seed: run.item.seed }, run.item.created);
        const d = again.info.summary.digest;
        const rec = run.info.summary.digest;
        return { match: d === rec, digest: d, recordedDigest: rec, events: again.item.events, recordedEvents: run.item.events, recordedStatus: run.item.status, modelVersion: again.info.summary.modelVersion, recordedModelVersion: run.info.summary.modelVersion, note: null, firstDivergence: null };
      }),
    listAnnotations: (runId) => answer('listAnnotations', [runId], () => (find(runId), [...(annotations.get(runId) ?? [])])),
    addAnnotation: (runId, a) =>
      answer('addAnnotation', [runId, a], () => {
        find(runId);
        const dto: AnnotationDto = { id: ++annotationId, ...a, created: nextCreated() };
        annotations.set(runId, [...(annotations.get(runId) ?? []), dto]);
        return dto;
      }),
    deleteAnnotation: (runId, id) =>
      answer('deleteAnnotation', [runId, id], () => {
        annotations.set(runId, (annotations.get(runId) ?? []).filter((x) => x.id !== id));
      }),
    exportRun: (runId, format) =>
      answer('exportRun', [runId, format], () => {
        const run = find(runId);
        if (format === 'sqlite') throw new Error('The fake lab keeps runs in memory: it has no SQLite file to export.');
        const base = run.item.id.replace(/\.sqlite$/, '');
        const text =
          format === 'csv'
            ? ['seq,t_ns,kind,actor', ...run.events.map((e) => `${e.seq},${e.t},${KINDS[e.kind].name},${run.names.get(e.actor) ?? e.actor}`)].join('\n')
            : JSON.stringify({ traceEvents: run.events.map((e) => ({ name: KINDS[e.kind].name, ph: 'i', ts: e.t / 1000, pid: 1, tid: e.actor })) });
        const bytes = new TextEncoder().encode(text);
        let bin = '';
        for (const b of bytes) bin += String.fromCharCode(b);
        return { name: `${base}.${format === 'csv' ? 'csv' : 'json'}`, mime: format === 'csv' ? 'text/csv' : 'application/json', bytesBase64: btoa(bin) };
      }),
    // Sweeps (issue 6) are not faked yet: a sweep view's tests will add them.
    sweepPresets: () => answer('sweepPresets', [], () => []),
    listSweeps: () => answer('listSweeps', [], () => []),
    startSweep: (def) =>
      answer('startSweep', [def], (): { sweepId: string; total: number } => {
        throw new Error('The fake lab runs no sweeps.');
      }),
    getSweep: (id) =>
      answer('getSweep', [id], (): never => {
        throw new Error(`There is no sweep '${id}'.`);
      }),
    cancelSweep: (id) =>
      answer('cancelSweep', [id], (): never => {
        throw new Error(`There is no sweep '${id}'.`);
      }),
    sweepCsv: (id) =>
      answer('sweepCsv', [id], (): never => {
        throw new Error(`There is no sweep '${id}'.`);
      }),
    onEvent(cb) {
      listeners.add(cb);
      return () => {
        listeners.delete(cb);
      };
    },
  };
  return api;
}

/** The runs the screenshots and most tests use: the OOM story under both designs, and a lockup. */
export const STORY_RUNS: RunRequest[] = [
  { scenario: 'oom-bound-victim', params: { mmExit: false, dmaStopMs: 60000 }, seed: 1 },
  { scenario: 'oom-bound-victim', params: { mmExit: true, dmaStopMs: 60000 }, seed: 1 },
];

/** Typed helper for tests: the params of a run as the form would send them. */
export type Params = Record<string, ParamValue>;
