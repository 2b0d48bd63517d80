import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  AnnotationDto, AnnotationKind, CatalogDto, CompareDto, DivergenceDto, EventQuery, EventRowDto, ExportFormat, LabApi, LabEvent, MetricDiffDto, Ns, RunId, RunInfo,
  RunListItem, RunRequest, SweepDefinitionDto, SweepDto, SweepListItemDto, SweepPresetDto, TrackWindowDto, Unsubscribe, VerifyDto, WindowDto,
} from '../contract';
import { addAnnotation as addAnnotationRow, deleteAnnotation as deleteAnnotationRow } from '../trace/annotations';
import { DMA_STATE, KINDS, PASID_ENTRY_STATE, UACCE_Q_STATE } from '../sim/events';
import { paramFieldErrors } from '../sim/params';
import { findScenario } from '../sim/scenarios/index';
import type { Metrics } from '../sim/metrics';
import { resolveScenarioParams, runWarnings, type Summary } from '../sim/run';
import { TraceReader, type EventRow } from '../trace/reader';
import { TraceFileError } from '../trace/errors';
import { archiveDir, runFileName } from './archive';
import { listScenarios, metricDocs } from './catalog';
import { describeEvent } from './describe';
import { UserError } from './errors';
import { PRESETS } from './presets';
import { LabService, type ListEntry } from './service';
import { SweepService } from './sweep';

/** Raw events read for one window before switching to level-of-detail buckets. */
const RAW_WINDOW_MAX = 20_000;
/** Readers kept open (one per recently viewed run). */
const READER_CACHE = 4;

export interface LabApiOptions {
  /** Archive folder (default: SVA_LAB_HOME or the platform's user-data folder). */
  home?: string;
}

/**
 * The LabApi over the LabService and trace readers: what Electron IPC and the HTTP server expose.
 * Runs are named by their file in the archive; a name with a path in it is refused. Readers are
 * cached per run so a scrubbing user does not reopen the file on every frame.
 */
export function createLabApi(opts: LabApiOptions = {}): LabApi {
  const home = opts.home ?? archiveDir();
  const service = new LabService(home);
  const sweeps = new SweepService(service);
  const runningSweeps = new Map<string, AbortController>();
  const listeners = new Set<(e: LabEvent) => void>();
  const running = new Map<RunId, AbortController>();
  const readers = new Map<RunId, TraceReader>();

  const emit = (e: LabEvent): void => {
    for (const l of listeners) l(e);
  };

  const fileOf = (id: RunId): string => {
    if (path.basename(id) !== id || !id.endsWith('.sqlite')) throw new UserError(`'${id}' is not a run in the archive; a run id is a trace file name ending in .sqlite.`);
    const f = path.join(home, id);
    if (!fs.existsSync(f)) throw new UserError(`There is no run '${id}' in the archive ${home}.`);
    return f;
  };

  const reader = (id: RunId): TraceReader => {
    let r = readers.get(id);
    if (r && !running.has(id)) {
      readers.delete(id);
      readers.set(id, r);
      return r;
    }
    r?.close();
    try {
      r = new TraceReader(fileOf(id));
    } catch (e) {
      if (e instanceof TraceFileError) throw new UserError(e.message);
      throw e;
    }
    // A run still recording is read fresh each time (its checkpoints and LOD grow).
    if (!running.has(id)) {
      readers.set(id, r);
      while (readers.size > READER_CACHE) {
        const [k, old] = readers.entries().next().value as [RunId, TraceReader];
        old.close();
        readers.delete(k);
      }
    }
    return r;
  };

  const withReader = <T>(id: RunId, fn: (r: TraceReader) => T): T => {
    const r = reader(id);
    try {
      return fn(r);
    } catch (e) {
      if (e instanceof TraceFileError) throw new UserError(e.message);
      throw e;
    } finally {
      if (!readers.has(id)) r.close();
    }
  };

  const dropReader = (id: RunId): void => {
    readers.get(id)?.close();
    readers.delete(id);
  };

  const rowDto = (r: TraceReader, row: EventRow): EventRowDto => {
    const kind = KINDS[row[2]]?.name ?? `#${row[2]}`;
    const actor = r.actor(row[3])?.name ?? `#${row[3]}`;
    let args: Record<string, unknown> | null = null;
    if (row[7] !== null) {
      try {
        args = JSON.parse(row[7]) as Record<string, unknown>;
      } catch {
        args = { raw: row[7] };
      }
    }
    const name = (id: number) => r.actor(id)?.name ?? `#${id}`;
    return { seq: row[0], tNs: row[1], kind, actor, actorId: row[3], causeSeq: row[4], a: row[5], b: row[6], args, text: describeEvent(kind, actor, row[5], row[6], args, name) };
  };

  const rowAt = (r: TraceReader, seq: number): EventRowDto | null => {
    const row = one(r, seq);
    return row ? rowDto(r, row) : null;
  };

  const one = (r: TraceReader, seq: number): EventRow | null => {
    for (const row of r.rows(seq, seq)) return row;
    return null;
  };

  const listItem = (e: ListEntry): RunListItem => {
    let bytes: number;
    try {
      bytes = fs.statSync(e.file).size;
    } catch {
      bytes = 0;
    }
    return {
      id: path.basename(e.file),
      scenario: e.scenario ?? '(unreadable)',
      model: e.design ?? 'quiet',
      seed: e.seed ?? 0,
      params: (e.keyParams ?? {}) as RunListItem['params'],
      status: (e.problem ? 'failed' : (e.status ?? 'failed')) as RunListItem['status'],
      created: e.created ?? '',
      events: e.events ?? 0,
      endTimeNs: e.endTimeNs ?? 0,
      metrics: (e.metrics as unknown as Metrics | null) ?? null,
      bytes,
      ...(e.problem ? { problem: e.problem } : {}),
    };
  };

  const api: LabApi = {
    async catalog(): Promise<CatalogDto> {
      return { scenarios: listScenarios(), metrics: metricDocs() };
    },

    async listRuns(): Promise<RunListItem[]> {
      return (await service.list()).map(listItem);
    },

    async validateRun(req: RunRequest): Promise<Record<string, string>> {
      const sc = findScenario(req.scenario);
      if (!sc) return { scenario: `Unknown scenario '${req.scenario}'.` };
      const out = paramFieldErrors(sc.params, req.params, req.scenario);
      if (!Number.isSafeInteger(req.seed) || req.seed < 0) out.seed = `The seed must be a non-negative integer; got '${req.seed}'.`;
      return out;
    },

    async startRun(req: RunRequest): Promise<{ runId: RunId }> {
      const bad = await api.validateRun(req);
      const first = Object.values(bad)[0];
      if (first) throw new UserError(first);
      const model = resolveScenarioParams(req.scenario, req.params).mmExit ? 'mm_exit' : 'quiet';
      fs.mkdirSync(home, { recursive: true });
      const base = runFileName(req.scenario, model, req.seed, new Date());
      let id = base;
      for (let i = 2; fs.existsSync(path.join(home, id)) || running.has(id); i++) id = base.replace(/\.sqlite$/, `-${i}.sqlite`);
      const ac = new AbortController();
      running.set(id, ac);
      let last = 0;
      service
        .run(
          { scenario: req.scenario, params: req.params, seed: req.seed, out: path.join(home, id) },
          {
            signal: ac.signal,
            onProgress: (p) => {
              last = p.events;
              emit({ type: 'run-progress', runId: id, events: p.events, tNs: p.tNs, eventsPerSec: p.eventsPerSec });
            },
          },
        )
        .then(
          (s) => {
            running.delete(id);
            dropReader(id);
            emit({ type: 'run-progress', runId: id, events: Math.max(last, s.events), tNs: s.endTimeNs, eventsPerSec: 0 });
            emit({ type: 'run-finished', runId: id, status: s.status, error: s.error });
            emit({ type: 'archive-changed' });
          },
          (e: unknown) => {
            running.delete(id);
            dropReader(id);
            emit({ type: 'run-finished', runId: id, status: 'failed', error: e instanceof Error ? e.message : String(e) });
            emit({ type: 'archive-changed' });
          },
        );
      emit({ type: 'archive-changed' });
      return { runId: id };
    },

    async cancelRun(runId: RunId): Promise<void> {
      const ac = running.get(runId);
      if (!ac) throw new UserError(`Run '${runId}' is not running; only a running run can be cancelled.`);
      ac.abort();
    },

    async openRun(runId: RunId): Promise<RunInfo> {
      return withReader(runId, (r) => {
        const m = r.meta();
        const metrics = m.metrics ?? r.recomputeMetrics();
        const summary: Summary = {
          scenario: m.scenario,
          params: m.params as Summary['params'],
          seed: m.seed,
          model: m.model === 'quiet' ? 'quiet' : 'mm_exit',
          modelVersion: m.modelVersion,
          status: m.status === 'running' ? 'complete' : m.status,
          error: m.error,
          endReason: m.endReason ?? m.status,
          // Recomputed from the recorded params (a pure function of them).
          warnings: runWarnings(m.scenario, m.params as Summary['params']),
          events: m.events,
          endTimeNs: m.endTimeNs,
          digest: m.digest ?? '',
          metrics,
        };
        return {
          id: runId,
          summary,
          status: m.status,
          created: m.created,
          tracks: r.actors().map((a) => ({ id: a.id, name: a.name, type: a.track })),
          startNs: 0,
          endNs: Math.max(1, m.endTimeNs),
          triggerNs: metrics.triggerNs,
        };
      });
    },

    async window(runId: RunId, fromNs: Ns, toNs: Ns, widthPx: number, tracks?: number[]): Promise<WindowDto> {
      if (!(toNs > fromNs)) throw new UserError(`A window needs fromNs < toNs; got ${fromNs}..${toNs}.`);
      return withReader(runId, (r) => buildWindow(r, fromNs, toNs, widthPx, tracks));
    },

    async state(runId: RunId, tNs: Ns, seq?: number) {
      return withReader(runId, (r) => (seq === undefined ? r.stateAt(tNs) : r.stateAtSeq(seq)));
    },

    async events(runId: RunId, q: EventQuery): Promise<EventRowDto[]> {
      return withReader(runId, (r) => {
        const last = r.countRows();
        if (last === 0) return [];
        const centre = q.aroundSeq ?? Math.min(last, r.seqAtOrBefore(q.atNs ?? 0) || 1);
        const from = Math.max(1, centre - q.before);
        const to = Math.min(last, centre + q.after);
        return [...r.rows(from, to)].map((row) => rowDto(r, row));
      });
    },

    async stepEvent(runId: RunId, seq: number, dir: 1 | -1): Promise<EventRowDto | null> {
      return withReader(runId, (r) => {
        const next = seq + dir;
        if (next < 1 || next > r.countRows()) return null;
        const row = one(r, next);
        return row ? rowDto(r, row) : null;
      });
    },

    async causeChain(runId: RunId, seq: number): Promise<EventRowDto[]> {
      return withReader(runId, (r) => {
        const out: EventRowDto[] = [];
        let s = seq;
        const seen = new Set<number>();
        while (s > 0 && out.length < 500 && !seen.has(s)) {
          seen.add(s);
          const row = one(r, s);
          if (!row) break;
          out.push(rowDto(r, row));
          s = row[4];
        }
        return out;
      });
    },

    async importTrace(file: { name: string; bytesBase64?: string; path?: string }): Promise<RunListItem> {
      let src = file.path;
      let tmp: string | null = null;
      if (!src) {
        if (file.bytesBase64 === undefined) throw new UserError('Import needs a file: give its path or its contents.');
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-lab-import-'));
        const safe = path.basename(file.name).replace(/[^A-Za-z0-9._-]/g, '_') || 'trace.sqlite';
        src = path.join(tmp, safe);
        fs.writeFileSync(src, Buffer.from(file.bytesBase64, 'base64'));
      } else if (!fs.existsSync(src)) {
        throw new UserError(`'${src}' does not exist; choose an SVA Lab trace file (.sqlite).`);
      }
      try {
        const res = await service.import(src);
        emit({ type: 'archive-changed' });
        const entry = (await service.list()).find((e) => path.resolve(e.file) === path.resolve(res.file));
        if (!entry) throw new UserError(`The imported trace ${res.file} could not be listed.`);
        return listItem(entry);
      } catch (e) {
        // The message names the temporary copy; name the user's file instead.
        if (tmp && e instanceof Error && src) throw new UserError(e.message.split(src).join(file.name));
        throw e;
      } finally {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
      }
    },

    async deleteRun(runId: RunId): Promise<void> {
      if (running.has(runId)) throw new UserError(`Run '${runId}' is still running; cancel it before deleting it.`);
      const f = fileOf(runId);
      dropReader(runId);
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(f + suffix, { force: true });
      emit({ type: 'archive-changed' });
    },

    async compareRuns(a: RunId, b: RunId): Promise<CompareDto> {
      const fa = fileOf(a);
      const fb = fileOf(b);
      const res = await service.compare(fa, fb);
      const docs = metricDocs();
      const metrics: MetricDiffDto[] = Object.entries(res.metrics)
        .filter(([, d]) => typeof d.a === 'number' || typeof d.b === 'number' || d.a === null || d.b === null)
        .filter(([name]) => name !== 'triggerNs')
        .map(([name, d]) => diffDto(name, d.a, d.b, docs[name.split('.')[0]] ?? ''))
        .sort((x, y) => metricRank(x.name) - metricRank(y.name));
      const div = res.firstDivergence;
      let firstDivergence: DivergenceDto | null = null;
      if (div) {
        const ea = div.a ? withReader(a, (r) => rowAt(r, div.a!.seq)) : null;
        const eb = div.b ? withReader(b, (r) => rowAt(r, div.b!.seq)) : null;
        firstDivergence = { seq: div.seq, tNs: div.t_ns, a: ea, b: eb, explanation: explainDivergence(ea, eb) };
      }
      return { a, b, metrics, firstDivergence };
    },

    async findEvent(runId: RunId, kind: string, fromSeq: number): Promise<EventRowDto | null> {
      const k = KINDS.findIndex((x) => x.name === kind);
      if (k < 0) throw new UserError(`Unknown event kind '${kind}'; valid kinds include trigger, oom_kill, release_begin, deadlock, hung_task.`);
      return withReader(runId, (r) => {
        const row = r.db.prepare('SELECT seq, t_ns, kind, actor, cause_seq, a, b, args FROM events WHERE kind = ? AND seq >= ? ORDER BY seq LIMIT 1').raw(true).get(k, fromSeq) as EventRow | undefined;
        return row ? rowDto(r, row) : null;
      });
    },

    async startPair(req: RunRequest): Promise<{ mmExit: RunId; quiet: RunId }> {
      const mmExit = await api.startRun({ ...req, params: { ...req.params, mmExit: true } });
      const quiet = await api.startRun({ ...req, params: { ...req.params, mmExit: false } });
      return { mmExit: mmExit.runId, quiet: quiet.runId };
    },

    async verifyRun(runId: RunId): Promise<VerifyDto> {
      const v = await service.verify(fileOf(runId));
      const div = v.firstDivergence;
      const named = (e: typeof div extends null ? never : NonNullable<typeof div>['a'], side: 'recorded' | 're-run'): EventRowDto | null =>
        e ? { seq: e.seq, tNs: e.t_ns, kind: e.kind, actor: e.actor, actorId: 0, causeSeq: e.cause_seq, a: e.a, b: e.b, args: (e.args ?? null) as Record<string, unknown> | null, text: `${side}: ${describeEvent(e.kind, e.actor, e.a, e.b, (e.args ?? null) as Record<string, unknown> | null, (id) => `#${id}`)}` } : null;
      return {
        match: v.match,
        digest: v.digest,
        recordedDigest: v.recordedDigest,
        events: v.events,
        recordedEvents: v.recordedEvents,
        note: v.note,
        firstDivergence: div ? { seq: div.seq, tNs: div.t_ns, a: named(div.a, 'recorded'), b: named(div.b, 're-run'), explanation: explainDivergence(named(div.a, 'recorded'), named(div.b, 're-run')) } : null,
      };
    },

    async listAnnotations(runId: RunId): Promise<AnnotationDto[]> {
      dropReader(runId);
      return withReader(runId, (r) =>
        (r.db.prepare('SELECT id, t_ns, seq, kind, text, created FROM annotations ORDER BY t_ns, id').all() as { id: number; t_ns: number; seq: number | null; kind: string; text: string; created: string }[]).map(
          (x) => ({ id: x.id, tNs: x.t_ns, seq: x.seq, kind: x.kind === 'note' ? 'note' : 'bookmark', text: x.text, created: x.created }),
        ),
      );
    },

    async addAnnotation(runId: RunId, a: { tNs: Ns; seq: number | null; kind: AnnotationKind; text: string }): Promise<AnnotationDto> {
      if (running.has(runId)) throw new UserError(`Run '${runId}' is still recording; annotate it once it has finished.`);
      const f = fileOf(runId);
      dropReader(runId);
      try {
        const row = addAnnotationRow(f, { ...a, created: new Date().toISOString() });
        return { id: row.id, tNs: row.t_ns, seq: row.seq, kind: a.kind, text: row.text, created: row.created };
      } catch (e) {
        if (e instanceof TraceFileError) throw new UserError(e.message);
        throw e;
      }
    },

    async deleteAnnotation(runId: RunId, id: number): Promise<void> {
      const f = fileOf(runId);
      dropReader(runId);
      if (!deleteAnnotationRow(f, id)) throw new UserError(`Run '${runId}' has no annotation ${id}.`);
    },

    async exportRun(runId: RunId, format: ExportFormat): Promise<{ name: string; mime: string; bytesBase64: string }> {
      const f = fileOf(runId);
      const stem = runId.replace(/\.sqlite$/, '');
      if (format === 'sqlite') return { name: runId, mime: 'application/vnd.sqlite3', bytesBase64: fs.readFileSync(f).toString('base64') };
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-lab-export-'));
      try {
        const ext = format === 'csv' ? 'csv' : 'json';
        const out = path.join(tmp, `${stem}.${ext}`);
        await service.export(f, format, out);
        return { name: `${stem}.${ext}`, mime: format === 'csv' ? 'text/csv' : 'application/json', bytesBase64: fs.readFileSync(out).toString('base64') };
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },

    async sweepPresets(): Promise<SweepPresetDto[]> {
      return PRESETS.map((p) => ({ ...p, definition: p.definition as SweepPresetDto['definition'], plots: p.plots.map((x) => ({ ...x })) }));
    },

    async listSweeps(): Promise<SweepListItemDto[]> {
      return (await sweeps.list()) as SweepListItemDto[];
    },

    async startSweep(def: SweepDefinitionDto): Promise<{ sweepId: string; total: number }> {
      const ac = new AbortController();
      const h = sweeps.start(def, {
        signal: ac.signal,
        onProgress: (p) => emit({ type: 'sweep-progress', sweepId: p.sweepId, done: p.done, total: p.total, point: p.lastRun.point, run: p.lastRun.run, status: p.lastRun.status }),
      });
      runningSweeps.set(h.id, ac);
      emit({ type: 'archive-changed' });
      void h.done.then(
        (r) => {
          runningSweeps.delete(h.id);
          emit({ type: 'sweep-finished', sweepId: h.id, status: r.status });
          emit({ type: 'archive-changed' });
        },
        () => {
          runningSweeps.delete(h.id);
          emit({ type: 'sweep-finished', sweepId: h.id, status: 'interrupted' });
        },
      );
      return { sweepId: h.id, total: h.total };
    },

    async getSweep(sweepId: string): Promise<SweepDto> {
      const r = await sweeps.get(sweepId);
      return { id: r.id, definition: r.definition, created: r.created, finished: r.finished, status: r.status, total: r.total, done: r.done, points: r.points, table: r.table };
    },

    async cancelSweep(sweepId: string): Promise<void> {
      const ac = runningSweeps.get(sweepId);
      if (!ac) throw new UserError(`Sweep '${sweepId}' is not running; only a running sweep can be cancelled.`);
      ac.abort();
    },

    async sweepCsv(sweepId: string): Promise<{ name: string; mime: string; bytesBase64: string }> {
      return { name: `${sweepId}.csv`, mime: 'text/csv', bytesBase64: Buffer.from(await sweeps.csv(sweepId), 'utf8').toString('base64') };
    },

    onEvent(cb: (e: LabEvent) => void): Unsubscribe {
      listeners.add(cb);
      return () => {
        listeners.delete(cb);
      };
    },
  };
  return api;
}

// ------------------------------------------------------------------ compare

/** The order of the diff table: what the seed commit argues about first. */
const METRIC_ORDER = [
  'releaseLatencyNs', 'releaseUnfinished', 'innocentVictims', 'oomVictims', 'memoryFreedNs', 'oomSkipSetNs', 'lockups', 'hungTaskReports',
  'abortedTransactions', 'atsNoTranslation', 'priInvalidResponses', 'faultsPrinted', 'reportedErrors', 'strayTransactions', 'pasidFreedNs',
  'pasidsPeak', 'pasidAllocFailures', 'pasidsHeldByDeadMmsPeak',
];

function metricRank(name: string): number {
  const base = name.split('.')[0];
  const i = METRIC_ORDER.indexOf(base);
  const sub = name === 'releaseLatencyNs.max' ? 0 : name === 'releaseLatencyNs.p50' ? 1 : 2;
  return (i < 0 ? METRIC_ORDER.length : i) * 10 + sub;
}

function diffDto(name: string, a: unknown, b: unknown, doc: string): MetricDiffDto {
  const x = typeof a === 'number' ? a : null;
  const y = typeof b === 'number' ? b : null;
  let direction: MetricDiffDto['direction'];
  if (x === null && y === null) direction = 'none';
  else if (x === null) direction = 'appeared';
  else if (y === null) direction = 'vanished';
  else direction = y > x ? 'up' : y < x ? 'down' : 'same';
  return { name, a: x, b: y, delta: x !== null && y !== null ? y - x : null, ratio: x !== null && y !== null && x !== 0 ? y / x : null, direction, doc };
}

/** A sentence saying how two events differ. */
function explainDivergence(a: EventRowDto | null, b: EventRowDto | null): string {
  if (!a && !b) return 'The streams end together.';
  if (!a) return `Run A has ended; run B goes on: ${b!.text}.`;
  if (!b) return `Run B has ended; run A goes on: ${a.text}.`;
  if (a.tNs !== b.tNs && a.kind === b.kind && a.actor === b.actor) return `The same event happens at different times: ${a.text} (A at ${a.tNs} ns, B at ${b.tNs} ns).`;
  return `A: ${a.text} — B: ${b.text}.`;
}

// ------------------------------------------------------------------ windows

const ROLE = KINDS.map((k) => k.role);
const SPAN_OF = KINDS.map((k) => (k as { span?: string }).span ?? k.name);
const STATE_NAMES: Record<string, readonly string[]> = { pasid_entry: PASID_ENTRY_STATE, dma_state: DMA_STATE, uacce_q: UACCE_Q_STATE };

/**
 * Shape the trace reader's level-of-detail answer into what the timeline draws. Raw events (few in
 * range) are folded per pixel and kind; when zoomed out the LOD buckets (per actor and kind) are
 * used as they are. Blocked-task spans become state intervals. `lanes` (actor ids) limits the
 * answer to those lanes (a view asks only for the ones it shows).
 */
function buildWindow(r: TraceReader, fromNs: number, toNs: number, widthPx: number, lanes?: readonly number[]): WindowDto {
  const w = r.window(fromNs, toNs, widthPx, lanes);
  const tracks: TrackWindowDto[] = [];
  for (const t of w.tracks) {
    const dto: TrackWindowDto = { id: t.actor, spans: [], states: [], instants: [], counters: [] };
    const counters = new Map<string, { t: number; min: number; max: number; last: number }[]>();
    const counter = (name: string) => {
      let c = counters.get(name);
      if (!c) counters.set(name, (c = []));
      return c;
    };
    let stateKind: number | null = null;
    const statePts: { t: number; v: number; vmax: number }[] = [];
    for (const e of t.events) {
      const k = KINDS.findIndex((x) => x.name === e.kind);
      const role = ROLE[k];
      if (role === 'counter') counter(SPAN_OF[k]).push({ t: e.t, min: e.a, max: e.a, last: e.a });
      else if (role === 'state' && e.kind !== 'task_state') {
        stateKind = k;
        statePts.push({ t: e.t, v: e.a, vmax: e.a });
      } else if (role === 'instant') dto.instants.push({ t: e.t, kind: e.kind, count: 1, seq: e.seq });
    }
    for (const b of t.buckets) {
      // Buckets of a counter or state kind carry it; the actor's other events come together.
      const k = b.kind ?? -1;
      const role = k >= 0 ? ROLE[k] : 'instant';
      if (role === 'counter' && b.vmin !== null) counter(SPAN_OF[k]).push({ t: b.t0, min: b.vmin, max: b.vmax ?? b.vmin, last: b.vlast ?? b.vmin });
      else if (role === 'state' && KINDS[k].name !== 'task_state' && b.vlast !== null) {
        stateKind = k;
        statePts.push({ t: b.t0, v: b.vlast, vmax: b.vmax ?? b.vlast });
      } else if (role === 'instant' || k < 0) dto.instants.push({ t: b.t0, kind: k >= 0 ? KINDS[k].name : 'events', count: b.n, seq: b.firstSeq });
    }
    for (const [name, points] of counters) dto.counters.push({ name, points: points.sort((a, b) => a.t - b.t) });
    dto.instants.sort((a, b) => a.t - b.t);
    if (stateKind !== null) {
      statePts.sort((a, b) => a.t - b.t);
      const names = stateNames(KINDS[stateKind].name);
      for (let i = 0; i < statePts.length; i++) {
        const p = statePts[i];
        dto.states.push({ t0: p.t, t1: i + 1 < statePts.length ? statePts[i + 1].t : null, state: names[p.v] ?? String(p.v), label: null });
      }
    }
    const open: { t1: number | null }[] = [];
    for (const s of t.spans.sort((a, b) => a.t0 - b.t0 || b.t1 - a.t1)) {
      if (s.cat === 'blocked') {
        const sp = s.name.indexOf(' ');
        dto.states.push({ t0: s.t0, t1: s.endSeq === null ? null : s.t1, state: s.name.slice(0, sp), label: s.name.slice(sp + 1) });
        continue;
      }
      while (open.length > 0 && open[open.length - 1].t1 !== null && (open[open.length - 1].t1 as number) <= s.t0) open.pop();
      const depth = open.length;
      const span = { t0: s.t0, t1: s.endSeq === null ? null : s.t1, name: s.cat === 'fn' ? s.name : s.cat === 'held' ? `held by ${r.actor(Number(s.name))?.name ?? s.name}` : s.name, depth, count: 1 };
      if (s.cat === 'release') span.name = 'release()';
      dto.spans.push(span);
      open.push({ t1: s.t1 });
    }
    dto.states.sort((a, b) => a.t0 - b.t0);
    tracks.push(dto);
  }
  return { fromNs, toNs, bucketNs: w.level === null ? Math.max(1, Math.round(w.pxNs)) : 2 ** w.level, tracks };
}

/** The names of a state kind's codes (events.ts is the one place that spells them). */
function stateNames(kind: string): readonly string[] {
  return STATE_NAMES[kind] ?? [];
}

export { RAW_WINDOW_MAX };
