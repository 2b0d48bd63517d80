/**
 * A fake LabApi for the renderer's tests and for looking at the UI without the service: runs are
 * recorded in memory by the real simulator (main/sim), and answered by the lab's own pure code
 * (main/lab/args.ts checkRun, shape.ts, names.ts, compare.ts; main/trace/rows.ts eventRow and
 * walkCauses, window_fold.ts, window.ts windowDto, spans.ts), so windows, states, event rows, cause
 * chains, names and messages are the service's. What it does not share is SQLite: events, spans
 * and checkpoints are arrays, and a zoomed-out window folds events on the fly (fine for fixtures
 * of up to a few hundred thousand events). Its methods are made from LAB_METHODS.
 */
import {
  LAB_METHODS,
  type AnnotationDto,
  type EventRowDto,
  type LabApi,
  type LabEvent,
  type LabMethod,
  type MatchDto,
  type ModelState,
  type RunId,
  type RunInfo,
  type RunListItem,
  type RunRequest,
  type RunStatus,
  type VerifyDto,
  type WindowDto,
} from '../../main/contract';
import { checkRun } from '../../main/lab/args';
import { listScenarios, metricDocs } from '../../main/lab/catalog';
import { divergenceDto, metricDiff } from '../../main/lab/compare';
import { UserError } from '../../main/lab/errors';
import { runFileName, sweepOfRunFile } from '../../main/lab/names';
import { designOf } from '../../main/sim/design';
import { checkWindowRange, eventRange, kindId, listedParams, runInfo, stepSeq } from '../../main/lab/shape';
import { KINDS, type TrackType } from '../../main/sim/events';
import type { ParamValue } from '../../main/sim/params';
import { runScenario, type Summary } from '../../main/sim/run';
import { StateFold, type FoldSnapshot } from '../../main/sim/state';
import { rowsDiffer } from '../../main/trace/diverge';
import { eventRow, walkCauses, type EventRow } from '../../main/trace/rows';
import { LOD_LEVELS } from '../../main/trace/schema';
import { SpanDeriver } from '../../main/trace/spans';
import { formatDmesg } from '../../main/trace/dmesg';
import { windowDto } from '../../main/trace/window';
import { ALARM_KINDS, ALARMS_PER_KIND, alarmIndex, DENSITY_BUCKETS, groupTracks } from '../../main/trace/timeline_queries';
import { explain } from '../../main/trace/why';
import { emptyTrack, foldEvents, WINDOW_RAW_MAX, windowSpan } from '../../main/trace/window_fold';
import type { WindowSpan, WindowTrack } from '../../main/trace/window_read';

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

/** One run recorded in memory. */
export interface FakeRun {
  item: RunListItem;
  info: RunInfo;
  events: Ev[];
  names: Map<number, string>;
  tracks: Map<number, TrackType>;
  /** Every span the trace layer's SpanDeriver derives, as a window reads it. */
  spans: (WindowSpan & { actor: number })[];
  checkpoints: FoldSnapshot[];
  /** Causal edges by from_seq, as the model recorded them (main/sim/causes.ts). */
  edges: Map<number, { to: number; rel: string; args: string | null }[]>;
}

const CHECKPOINT_EVERY = 5000;

const rowOf = (e: Ev): EventRow => [e.seq, e.t, e.kind, e.actor, e.cause, e.a, e.b, e.args];

/** Record `req` with the real simulator. `created` is given so fixtures are deterministic. */
export function recordRun(req: RunRequest, created: string, status?: RunStatus): FakeRun {
  const events: Ev[] = [];
  const edges: FakeRun['edges'] = new Map();
  const names = new Map<number, string>();
  const tracks = new Map<number, TrackType>();
  const spans: FakeRun['spans'] = [];
  let endNs = 0;
  const deriver = new SpanDeriver((s) => spans.push({ actor: s.actor, ...windowSpan(s.t0, s.t1, s.cat, s.name, s.holder, s.beginSeq, s.endSeq) }));
  const fold = new StateFold();
  const checkpoints: FoldSnapshot[] = [];
  const summary: Summary = runScenario(req.scenario, req.params, req.seed, {
    sinks: [
      {
        actor(id, name, track) {
          names.set(id, name);
          tracks.set(id, track);
          fold.actor(id, name, track);
        },
        edge(from, to, rel, args) {
          let l = edges.get(from);
          if (!l) edges.set(from, (l = []));
          l.push({ to, rel, args });
        },
        event(seq, t, kind, actor, cause, a, b, args) {
          events.push({ seq, t, kind, actor, cause, a, b, args });
          endNs = t;
          if (seq % CHECKPOINT_EVERY === 1) checkpoints.push(fold.snapshot());
          fold.event(seq, t, kind, actor, cause, a, b, args);
          deriver.event(seq, t, kind, actor, a, args);
        },
      },
    ],
  });
  deriver.close(endNs);
  const st: RunStatus = status ?? summary.status;
  const id = runFileName(new Date(created), req.scenario, designOf(summary.params), req.seed);
  const item: RunListItem = {
    id,
    scenario: req.scenario,
    model: summary.model,
    seed: req.seed,
    params: listedParams(req.scenario, summary.params),
    status: st,
    created,
    events: summary.events,
    endTimeNs: summary.endTimeNs,
    metrics: summary.metrics,
    bytes: summary.events * 48,
    digest: summary.digest,
    sweep: sweepOfRunFile(id),
  };
  const trackList = [...names].map(([tid, name]) => ({ id: tid, name, type: tracks.get(tid) ?? ('scenario' as TrackType) }));
  const base = runInfo(id, { ...summary, status: st === 'running' ? 'complete' : st }, st, created, trackList, summary.endTimeNs);
  const info: RunInfo = { ...base, alarms: [], groups: [], density: { bucketNs: 1, counts: [] } };
  const run: FakeRun = { item, info, events, names, tracks, spans, checkpoints, edges };
  // The alarm index, lane groups and density as the service computes them (the same functions, over the events in memory).
  const ofKind = (k: string) => events.filter((e) => KINDS[e.kind].name === k).map(rowOf);
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
  const bucketNs = 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(1, summary.endTimeNs) / DENSITY_BUCKETS)));
  const counts = new Array<number>(Math.ceil((summary.endTimeNs + 1) / bucketNs)).fill(0);
  for (const e of events) counts[Math.floor(e.t / bucketNs)]++;
  info.density = { bucketNs, counts };
  return run;
}

/** Index of the first element with key(x) > v in a sorted array. */
function upperBound<T>(arr: readonly T[], v: number, key: (x: T) => number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(arr[mid]) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The last seq at or before `t` (0 if none). */
const seqAtOrBefore = (run: FakeRun, t: number): number => upperBound(run.events, t, (e) => e.t);

/**
 * The window the trace layer would read, from the arrays: raw events folded per pixel when the
 * range holds few (as window_read.ts does), else the same fold into buckets of the level-of-detail
 * width a trace would read; spans at least a pixel long (all of them zoomed in), longest first,
 * within the same per-track budget. Shaped by the real windowDto.
 */
function windowOf(run: FakeRun, fromNs: number, toNs: number, width: number, lanes?: readonly number[]): WindowDto {
  const pxNs = (toNs - fromNs) / width;
  const want = lanes ? new Set(lanes) : null;
  const out = new Map<number, WindowTrack>();
  const track = (id: number): WindowTrack | null => {
    if (want && !want.has(id)) return null;
    let t = out.get(id);
    if (!t) out.set(id, (t = emptyTrack(id, run.names.get(id) ?? `#${id}`, run.tracks.get(id) ?? 'scenario')));
    return t;
  };
  const i0 = upperBound(run.events, fromNs - 1, (e) => e.t);
  const i1 = upperBound(run.events, toNs, (e) => e.t);
  const rows = run.events.slice(i0, i1).map(rowOf);
  let level: number | null = null;
  if (rows.length <= WINDOW_RAW_MAX) foldEvents(rows, fromNs, pxNs, track);
  else {
    level = LOD_LEVELS.find((l) => 2 ** l >= pxNs) ?? LOD_LEVELS[LOD_LEVELS.length - 1];
    foldEvents(rows, 0, 2 ** level, track);
  }
  const spans = run.spans.filter((s) => s.t0 <= toNs && s.t1 >= fromNs && (level === null || s.t1 - s.t0 >= pxNs)).sort((x, y) => y.t1 - y.t0 - (x.t1 - x.t0));
  for (const s of spans) {
    const t = track(s.actor);
    if (t && t.buckets.length + t.events.length + t.spans.length < 2 * width) t.spans.push(s);
  }
  const tracks = [...out.values()].sort((a, b) => a.actor - b.actor);
  return windowDto({ fromNs, toNs, width, pxNs, level, tracks }, (id) => run.names.get(id) ?? `#${id}`);
}

/** An event as the service shapes and describes it (main/trace/rows.ts). */
function row(run: FakeRun, e: Ev): EventRowDto {
  return eventRow(rowOf(e), (id) => run.names.get(id) ?? `#${id}`);
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

/** The first event where two runs differ, as compare.ts words it. */
function divergence(ra: FakeRun, rb: FakeRun): ReturnType<typeof divergenceDto> {
  const n = Math.max(ra.events.length, rb.events.length);
  for (let i = 0; i < n; i++) {
    const x = ra.events[i];
    const y = rb.events[i];
    if (x && y && !rowsDiffer(rowOf(x), ra.names.get(x.actor) ?? '', rowOf(y), rb.names.get(y.actor) ?? '')) continue;
    return divergenceDto({ seq: i + 1, tNs: Math.min(x?.t ?? Infinity, y?.t ?? Infinity), a: x ? row(ra, x) : null, b: y ? row(rb, y) : null });
  }
  return null;
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

/** What each LabApi method answers, synchronously (the fake wraps each in latency and failure injection). */
type Handlers = { [K in LabMethod]: (...args: Parameters<LabApi[K]>) => Awaited<ReturnType<LabApi[K]>> };

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
    if (!r) throw new UserError(`There is no run '${id}' in the archive.`);
    return r;
  };

  /** Record a run and play its progress out as LabEvents; it joins the archive when it "finishes". */
  const launch = (req: RunRequest): RunId => {
    const first = Object.values(checkRun(req).errors)[0];
    if (first) throw new UserError(first);
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
  const noSweep = (id: string): never => {
    throw new UserError(`There is no sweep '${id}'.`);
  };

  const handlers: Handlers = {
    catalog: () => ({ scenarios: listScenarios(), metrics: metricDocs() }),
    listRuns: () => runs.map((r) => structuredClone(r.item)),
    validateRun: (req) => checkRun(req).errors,
    startRun: (req) => ({ runId: launch(req) }),
    cancelRun: (runId) => {
      cancelled.add(runId);
    },
    openRun: (runId) => structuredClone(find(runId).info),
    window: (runId, fromNs, toNs, widthPx, tracks) => {
      checkWindowRange(fromNs, toNs);
      return windowOf(find(runId), fromNs, toNs, widthPx, tracks);
    },
    state: (runId, tNs, seq) => ({ atNs: tNs, ...stateAt(find(runId), tNs, seq) }),
    events: (runId, q) => {
      const run = find(runId);
      const range = eventRange(q, run.events.length, (t) => seqAtOrBefore(run, t));
      return range ? run.events.slice(range[0] - 1, range[1]).map((e) => row(run, e)) : [];
    },
    stepEvent: (runId, seq, dir) => {
      const run = find(runId);
      const next = stepSeq(seq, dir, run.events.length);
      return next === null ? null : row(run, run.events[next - 1]);
    },
    causeChain: (runId, seq) => {
      const run = find(runId);
      return walkCauses(seq, (s) => (run.events[s - 1] ? row(run, run.events[s - 1]) : null));
    },
    importTrace: (file) => {
      const head = file.bytesBase64 ? atob(file.bytesBase64.slice(0, 24)) : '';
      if (!head.startsWith('SQLite format 3')) {
        throw new UserError(`'${file.name}' is not an SVA Lab trace: it is not an SQLite database.`);
      }
      const src = runs[runs.length - 1];
      if (!src) throw new UserError(`'${file.name}' could not be imported: the fake archive has no run to copy.`);
      const copy: FakeRun = { ...src, item: { ...src.item, id: file.name }, info: { ...src.info, id: file.name } };
      runs.unshift(copy);
      emit({ type: 'archive-changed' });
      return structuredClone(copy.item);
    },
    deleteRun: (runId) => {
      const i = runs.findIndex((r) => r.item.id === runId);
      if (i < 0) throw new UserError(`There is no run '${runId}' in the archive.`);
      runs.splice(i, 1);
      emit({ type: 'archive-changed' });
    },
    compareRuns: (a, b) => {
      const ra = find(a);
      const rb = find(b);
      return { a, b, metrics: metricDiff(ra.info.summary.metrics, rb.info.summary.metrics), firstDivergence: divergence(ra, rb) };
    },
    findEvent: (runId, kind, fromSeq) => {
      const k = kindId(kind);
      const run = find(runId);
      const e = run.events.find((x) => x.seq >= fromSeq && x.kind === k);
      return e ? row(run, e) : null;
    },
    startPair: (req) => ({
      mmExit: launch({ ...req, params: { ...req.params, mmExit: true } }),
      quiet: launch({ ...req, params: { ...req.params, mmExit: false } }),
    }),
    verifyRun: (runId): VerifyDto => {
      const run = find(runId);
      const again = recordRun({ scenario: run.item.scenario, params: run.info.summary.params, seed: run.item.seed }, run.item.created);
      const d = again.info.summary.digest;
      const rec = run.info.summary.digest;
      return { match: d === rec, digest: d, recordedDigest: rec, events: again.item.events, recordedEvents: run.item.events, recordedStatus: run.item.status, modelVersion: again.info.summary.modelVersion, recordedModelVersion: run.info.summary.modelVersion, note: null, firstDivergence: null };
    },
    listAnnotations: (runId) => (find(runId), [...(annotations.get(runId) ?? [])]),
    addAnnotation: (runId, a) => {
      find(runId);
      const dto: AnnotationDto = { id: ++annotationId, ...a, created: nextCreated() };
      annotations.set(runId, [...(annotations.get(runId) ?? []), dto].sort((x, y) => x.tNs - y.tNs || x.id - y.id));
      return dto;
    },
    deleteAnnotation: (runId, id) => {
      annotations.set(runId, (annotations.get(runId) ?? []).filter((x) => x.id !== id));
    },
    exportRun: (runId, format) => {
      const run = find(runId);
      if (format === 'sqlite') throw new UserError('The fake lab keeps runs in memory: it has no SQLite file to export.');
      const base = run.item.id.replace(/\.sqlite$/, '');
      const text =
        format === 'csv'
          ? ['seq,t_ns,kind,actor', ...run.events.map((e) => `${e.seq},${e.t},${KINDS[e.kind].name},${run.names.get(e.actor) ?? e.actor}`)].join('\n')
          : JSON.stringify({ traceEvents: run.events.map((e) => ({ name: KINDS[e.kind].name, ph: 'i', ts: e.t / 1000, pid: 1, tid: e.actor })) });
      const bytes = new TextEncoder().encode(text);
      let bin = '';
      for (const b of bytes) bin += String.fromCharCode(b);
      return { name: `${base}.${format === 'csv' ? 'csv' : 'json'}`, mime: format === 'csv' ? 'text/csv' : 'application/json', bytesBase64: btoa(bin) };
    },
    // Sweeps: fakeSweeps.ts gives a fake working ones (withFakeSweeps).
    sweepPresets: () => [],
    listSweeps: () => [],
    startSweep: () => {
      throw new UserError('The fake lab runs no sweeps.');
    },
    getSweep: noSweep,
    cancelSweep: noSweep,
    sweepCsv: noSweep,
    searchEvents: (runId, query, fromSeq, dir) => {
      const run = find(runId);
      const q = query.trim().toLowerCase();
      if (!q) return null;
      const hit = (e: Ev) => KINDS[e.kind].name.includes(q) || (run.names.get(e.actor) ?? '').toLowerCase().includes(q) || (e.args ?? '').toLowerCase().includes(q);
      const list = dir === 1 ? run.events.slice(Math.max(0, fromSeq)) : run.events.slice(0, Math.max(0, fromSeq - 1)).reverse();
      const e = list.find(hit);
      return e ? row(run, e) : null;
    },
    aggregateArea: (runId, fromNs, toNs, tracks) => {
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
      for (const s of run.spans) {
        const l = lanes.get(s.actor);
        if (!l || s.cat === 'blocked' || s.t0 > toNs || s.t1 < fromNs) continue;
        const d = Math.min(s.t1, toNs) - Math.max(s.t0, fromNs);
        l.spans++;
        l.totalNs += d;
        l.maxNs = Math.max(l.maxNs, d);
      }
      return {
        fromNs,
        toNs,
        events: n,
        kinds: [...kinds].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind)),
        lanes: [...lanes.values()].sort((a, b) => b.totalNs - a.totalNs || b.events - a.events || a.id - b.id),
      };
    },
    explain: (runId, seq) => {
      const run = find(runId);
      // The lab's own walker over the edges the model recorded in memory.
      const w = explain(
        {
          eventAt: (s) => (run.events[s - 1] ? row(run, run.events[s - 1]) : null),
          rawAt: (s) => (run.events[s - 1] ? rowOf(run.events[s - 1]) : null),
          edgesFrom: (s) => run.edges.get(s) ?? [],
          actorName: (id) => run.names.get(id) ?? `#${id}`,
          meta: () => ({ formatVersion: 4 }),
        },
        seq,
      );
      if (!w) throw new UserError(`Run '${runId}' has no event ${seq}; its events are numbered 1 to ${run.events.length}.`);
      return w;
    },
    dmesg: (runId) => {
      const run = find(runId);
      const printk = KINDS.findIndex((k) => k.name === 'printk');
      return formatDmesg(
        run.events
          .filter((e) => e.kind === printk)
          .map((e) => {
            const o = e.args ? (JSON.parse(e.args) as { msg?: string; rl?: string }) : {};
            return { seq: e.seq, tNs: e.t, level: e.a, suppressed: e.b, msg: o.msg ?? '', rl: o.rl };
          }),
      );
    },
    findMatchingScenario: (runId): MatchDto => {
      const run = find(runId);
      if (run.item.model !== 'observed') throw new UserError(`'${runId}' is a model run (${run.item.scenario}); find a matching scenario for an observed run, a kernel log imported with sva-lab import.`);
      // The fake proposes oom-bound-victim under both designs, scored by how far its victims are from the log's.
      const victims = run.item.metrics?.oomVictims ?? 0;
      const candidates = [true, false].map((mmExit) => ({
        run: { scenario: 'oom-bound-victim', params: { mmExit }, seed: 1 },
        score: Math.abs(victims - (mmExit ? 2 : 1)),
        why: `${mmExit ? 2 : 1} oom_kill (log ${victims})`,
        features: { oom_kill: mmExit ? 2 : 1 },
      }));
      candidates.sort((x, y) => x.score - y.score);
      return { runId, basis: 'oom', observed: { oom_kill: victims }, looking: [], candidates, tried: 2, note: null };
    },
  };

  // Every method from the contract's list: a method missing from `handlers` is a type error.
  const methods = Object.fromEntries(
    LAB_METHODS.map((m) => [m, (...args: unknown[]) => answer(m, args, () => (handlers[m] as (...a: unknown[]) => unknown)(...args))]),
  ) as unknown as Omit<LabApi, 'onEvent'>;
  return {
    ...methods,
    runs,
    calls,
    emit,
    failNext(method, message) {
      failures.set(method, message);
    },
    onEvent(cb) {
      listeners.add(cb);
      return () => {
        listeners.delete(cb);
      };
    },
  };
}

/** The runs the screenshots and most tests use: the OOM story under both designs, and a lockup. */
export const STORY_RUNS: RunRequest[] = [
  { scenario: 'oom-bound-victim', params: { mmExit: false, dmaStopMs: 60000 }, seed: 1 },
  { scenario: 'oom-bound-victim', params: { mmExit: true, dmaStopMs: 60000 }, seed: 1 },
];

/** Typed helper for tests: the params of a run as the form would send them. */
export type Params = Record<string, ParamValue>;
