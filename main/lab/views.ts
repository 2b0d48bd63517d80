import type { AreaAggregateDto, DmesgLineDto, EventQuery, EventRowDto, Ns, RunId, RunInfo, StateAtDto, WindowDto } from '../contract';
import { dmesg } from '../trace/dmesg';
import { UserError } from './errors';
import type { Readers } from './readers';
import { checkWindowRange, eventRange, kindId, runInfo, stepSeq } from './shape';
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
      const tracks = r.tracks();
      // A model run starts at 0; an observed run where its log's clock starts (seconds after boot, say).
      const startNs = m.model === 'observed' ? Math.min(m.endTimeNs, r.eventAt(1)?.tNs ?? 0) : 0;
      const info = runInfo(id, summaryOf(r, { live, recompute: false }), m.status === 'running' && !live ? 'interrupted' : m.status, m.created, tracks, m.endTimeNs, startNs);
      // The alarm index, lane groups and minimap density come with the info: opening a run is one request.
      return { ...info, ...r.timelineIndex(tracks, info.endNs, live || m.status === 'running') };
    });
  }

  window(id: RunId, fromNs: Ns, toNs: Ns, widthPx: number, tracks?: number[]): WindowDto {
    checkWindowRange(fromNs, toNs);
    return this.readers.with(id, (r) => r.window(fromNs, toNs, widthPx, tracks));
  }

  state(id: RunId, tNs: Ns, seq?: number): StateAtDto {
    return this.readers.with(id, (r) => (seq === undefined ? r.stateAt(tNs) : r.stateAtSeq(seq)));
  }

  events(id: RunId, q: EventQuery): EventRowDto[] {
    return this.readers.with(id, (r) => {
      const range = eventRange(q, r.countRows(), (t) => r.seqAtOrBefore(t));
      return range ? r.eventsBetween(range[0], range[1]) : [];
    });
  }

  stepEvent(id: RunId, seq: number, dir: 1 | -1): EventRowDto | null {
    return this.readers.with(id, (r) => {
      const next = stepSeq(seq, dir, r.countRows());
      return next === null ? null : r.eventAt(next);
    });
  }

  causeChain(id: RunId, seq: number): EventRowDto[] {
    return this.readers.with(id, (r) => r.causeChain(seq));
  }

  /** The kernel log as dmesg prints it (every printk event of the trace). */
  dmesg(id: RunId): DmesgLineDto[] {
    return this.readers.with(id, (r) => dmesg(r));
  }

  findEvent(id: RunId, kind: string, fromSeq: number): EventRowDto | null {
    const k = kindId(kind);
    return this.readers.with(id, (r) => r.findEvent(k, fromSeq));
  }

  searchEvents(id: RunId, query: string, fromSeq: number, dir: 1 | -1): EventRowDto | null {
    return this.readers.with(id, (r) => r.searchEvents(query, fromSeq, dir));
  }

  aggregateArea(id: RunId, fromNs: Ns, toNs: Ns, tracks: number[]): AreaAggregateDto {
    if (!(toNs >= fromNs)) throw new UserError(`An area needs fromNs <= toNs; got ${fromNs}..${toNs}.`);
    return this.readers.with(id, (r) => r.aggregateArea(fromNs, toNs, tracks));
  }
}
