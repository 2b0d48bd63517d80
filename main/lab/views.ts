import type { AreaAggregateDto, EventQuery, EventRowDto, Ns, RunId, RunInfo, StateAtDto, WindowDto } from '../contract';
import { aggregateArea, searchEvents, timelineIndex } from '../trace/timeline_queries';
import { KIND } from '../sim/events';
import { UserError } from './errors';
import type { Readers } from './readers';
import { summaryOf } from './summary';

/**
 * What the run view reads from a recorded run: each a question to the run's trace reader, whose
 * answers are already the contract's DTOs (main/trace shapes them next to their SQL).
 */
export class Views {
  constructor(
    private readonly readers: Readers,
    private readonly recording: (id: RunId) => boolean,
  ) {}

  /** Everything the run view needs to start: summary, lanes, time span. */
  openRun(id: RunId): RunInfo {
    return this.readers.with(id, (r) => {
      const m = r.meta();
      const live = this.recording(id);
      const summary = summaryOf(r, { live, recompute: false });
      const tracks = r.actors().map((a) => ({ id: a.id, name: a.name, type: a.track }));
      const endNs = Math.max(1, m.endTimeNs);
      // The alarm index, lane groups and minimap density come with the info: opening a run is one request.
      const index = timelineIndex(r, tracks, endNs, live || m.status === 'running');
      return { id, summary, status: m.status, created: m.created, tracks, startNs: 0, endNs, triggerNs: summary.metrics.triggerNs, ...index };
    });
  }

  window(id: RunId, fromNs: Ns, toNs: Ns, widthPx: number, tracks?: number[]): WindowDto {
    if (!(toNs > fromNs)) throw new UserError(`A window needs fromNs < toNs; got ${fromNs}..${toNs}.`);
    return this.readers.with(id, (r) => r.window(fromNs, toNs, widthPx, tracks));
  }

  state(id: RunId, tNs: Ns, seq?: number): StateAtDto {
    return this.readers.with(id, (r) => (seq === undefined ? r.stateAt(tNs) : r.stateAtSeq(seq)));
  }

  events(id: RunId, q: EventQuery): EventRowDto[] {
    return this.readers.with(id, (r) => {
      const last = r.countRows();
      if (last === 0) return [];
      const centre = q.aroundSeq ?? Math.min(last, r.seqAtOrBefore(q.atNs ?? 0) || 1);
      return r.eventsBetween(Math.max(1, centre - q.before), Math.min(last, centre + q.after));
    });
  }

  stepEvent(id: RunId, seq: number, dir: 1 | -1): EventRowDto | null {
    return this.readers.with(id, (r) => {
      const next = seq + dir;
      return next < 1 || next > r.countRows() ? null : r.eventAt(next);
    });
  }

  causeChain(id: RunId, seq: number): EventRowDto[] {
    return this.readers.with(id, (r) => r.causeChain(seq));
  }

  findEvent(id: RunId, kind: string, fromSeq: number): EventRowDto | null {
    const k = Object.hasOwn(KIND, kind) ? (KIND as Record<string, number>)[kind] : undefined;
    if (k === undefined) throw new UserError(`Unknown event kind '${kind}'; valid kinds include trigger, oom_kill, release_begin, deadlock, hung_task.`);
    return this.readers.with(id, (r) => r.findEvent(k, fromSeq));
  }

  searchEvents(id: RunId, query: string, fromSeq: number, dir: 1 | -1): EventRowDto | null {
    return this.readers.with(id, (r) => searchEvents(r, query, fromSeq, dir));
  }

  aggregateArea(id: RunId, fromNs: Ns, toNs: Ns, tracks: number[]): AreaAggregateDto {
    if (!(toNs >= fromNs)) throw new UserError(`An area needs fromNs <= toNs; got ${fromNs}..${toNs}.`);
    return this.readers.with(id, (r) => aggregateArea(r, fromNs, toNs, tracks));
  }
}
