import {
  DMA_STATE, KIND, MM_FLAG, PASID_ENTRY_STATE, TASK_STATE, TS_X, UACCE_Q_STATE, type TraceSink, type TrackType,
} from './events';

/**
 * Freed objects the view still lists, per kind (mm_structs after __mmdrop, uacce queues after
 * uacce_fops_release's kfree): the newest RECENTLY_FREED of each, so the state panel shows the free
 * happen; older ones are retired from the fold. The kernel has none of them any more, and keeping
 * them made a long run's every checkpoint grow with every process it has ever had.
 */
export const RECENTLY_FREED = 8;

/** The whole observable model state at one instant, as the state panel and `state` show it. */
export interface ModelState {
  tNs: number;
  seq: number;
  tasks: { name: string; pid: number; type: string; state: string; waitsOn: string | null }[];
  mms: {
    name: string;
    users: number;
    count: number;
    flags: string[];
    rssPages: number;
    lockedPages: number;
    memoryFreed: boolean;
    structFreed: boolean;
  }[];
  pasids: { pasid: number; mm: string; entry: string }[];
  pasidEntries: { pasid: string; state: string; mm: string | null }[];
  devices: { name: string; dma: string; pasid: number; queue: string | null }[];
  queues: { name: string; depth: number; overflow: boolean }[];
  locks: { name: string; holders: string[]; waiters: string[] }[];
  memory: { freePages: number };
  oom: { victims: string[] };
}

interface TaskS { pid: number; type: string; state: number; on: string | null }
interface MmS { users: number; count: number; flags: number[]; rss: number; locked: number; freed: boolean; structFreed: boolean }
interface LockS { holders: number[]; waiters: number[] }

/** Serialisable fold state (a checkpoint). Keys are actor ids. */
export interface FoldSnapshot {
  t: number;
  seq: number;
  tasks: [number, TaskS][];
  mms: [number, MmS][];
  pasids: [number, number][];
  entries: [number, { state: number; mm: number }][];
  dma: [number, { state: number; pasid: number; q: number | null }][];
  queues: [number, { depth: number; overflow: boolean }][];
  locks: [number, LockS][];
  freePages: number;
  victims: number[];
  /**
   * The freed mms and queues still listed, oldest first (RECENTLY_FREED). Absent in checkpoints of
   * traces recorded before model 5, whose folds retired nothing.
   */
  freed?: { mms: number[]; devs: number[] };
}

/** The kinds whose args the fold reads (a reader replaying events may leave the others' args out). */
export const FOLD_ARGS_KINDS: readonly number[] = [KIND.task_new, KIND.task_state, KIND.mm_new];

/** task_state args repeat (the same few wait reasons): parse each string once. */
const ON_CACHE = new Map<string, string | null>();
function waitsOn(args: string): string | null {
  let v = ON_CACHE.get(args);
  if (v === undefined) {
    v = (JSON.parse(args) as { on?: string }).on ?? null;
    if (ON_CACHE.size >= 4096) ON_CACHE.clear();
    ON_CACHE.set(args, v);
  }
  return v;
}

/**
 * Folds events into the observable model state. The trace layer stores snapshots of it as
 * checkpoints and replays the events after the nearest one to answer "state at t".
 */
export class StateFold implements TraceSink {
  t = 0;
  seq = 0;
  readonly names: Map<number, string>;
  readonly tracks: Map<number, TrackType>;
  private tasks = new Map<number, TaskS>();
  private mms = new Map<number, MmS>();
  private pasids = new Map<number, number>();
  private entries = new Map<number, { state: number; mm: number }>();
  private dma = new Map<number, { state: number; pasid: number; q: number | null }>();
  private queues = new Map<number, { depth: number; overflow: boolean }>();
  private locks = new Map<number, LockS>();
  private freePages = 0;
  private victims: number[] = [];
  private freedMms: number[] = [];
  private freedDevs: number[] = [];

  /**
   * `actors`: the names and tracks of a recorded run's actors, shared by every fold restored from
   * its checkpoints (declaring each of a long run's tens of thousands of actors anew for every
   * state lookup cost more than the lookup itself). Actors never change once declared.
   */
  constructor(actors?: { names: Map<number, string>; tracks: Map<number, TrackType> }) {
    this.names = actors?.names ?? new Map();
    this.tracks = actors?.tracks ?? new Map();
  }

  actor(id: number, name: string, track: TrackType): void {
    this.names.set(id, name);
    this.tracks.set(id, track);
  }

  private mm(id: number): MmS {
    let m = this.mms.get(id);
    if (!m) this.mms.set(id, (m = { users: 0, count: 0, flags: [], rss: 0, locked: 0, freed: false, structFreed: false }));
    return m;
  }

  private lock(id: number): LockS {
    let l = this.locks.get(id);
    if (!l) this.locks.set(id, (l = { holders: [], waiters: [] }));
    return l;
  }

  private dev(id: number): { state: number; pasid: number; q: number | null } {
    let d = this.dma.get(id);
    if (!d) this.dma.set(id, (d = { state: 0, pasid: 0, q: null }));
    return d;
  }

  /** Note `id` as freed in `list`; retire the oldest from `from` once more than RECENTLY_FREED are. */
  private freed(list: number[], id: number, from: Map<number, unknown>): void {
    list.push(id);
    if (list.length > RECENTLY_FREED) from.delete(list.shift() as number);
  }

  event(seq: number, t: number, kind: number, actor: number, _cause: number, a: number, b: number, args: string | null): void {
    this.t = t;
    this.seq = seq;
    switch (kind) {
      case KIND.task_new: {
        const type = (JSON.parse(args ?? '{}') as { type?: string }).type ?? 'task';
        // A device's engine runs as a model-internal 'hw' task that the view never lists: not kept.
        if (type !== 'hw') this.tasks.set(actor, { pid: a, type, state: 0, on: null });
        break;
      }
      case KIND.task_state: {
        // An exited task (X, after release_task) is never shown nor touched again: retired.
        if (a === TS_X) this.tasks.delete(actor);
        else {
          const ts = this.tasks.get(actor);
          if (ts) {
            ts.state = a;
            ts.on = args === null ? null : waitsOn(args);
          }
        }
        break;
      }
      case KIND.mm_new: {
        const m = this.mm(actor);
        const x = JSON.parse(args ?? '{}') as { rssPages: number; lockedPages: number };
        m.rss = x.rssPages;
        m.locked = x.lockedPages;
        break;
      }
      case KIND.mm_users:
        this.mm(actor).users = a;
        break;
      case KIND.mm_count:
        this.mm(actor).count = a;
        break;
      case KIND.mm_flag: {
        const m = this.mm(actor);
        if (!m.flags.includes(a)) m.flags.push(a);
        break;
      }
      case KIND.mm_pages: {
        const m = this.mm(actor);
        m.rss = a;
        m.locked = b;
        break;
      }
      case KIND.mm_freed:
        this.mm(actor).freed = true;
        break;
      case KIND.mm_free:
        this.mm(actor).structFreed = true;
        this.freed(this.freedMms, actor, this.mms);
        break;
      case KIND.mem_free:
        this.freePages = a;
        break;
      case KIND.pasid_alloc:
        this.pasids.set(a, b);
        break;
      case KIND.pasid_free:
        this.pasids.delete(a);
        break;
      case KIND.pasid_entry:
        this.entries.set(actor, { state: a, mm: b });
        break;
      case KIND.dma_state: {
        const d = this.dev(actor);
        d.state = a;
        d.pasid = b;
        break;
      }
      case KIND.uacce_q:
        this.dev(actor).q = a;
        break;
      case KIND.uacce_q_free:
        if (this.dma.has(actor)) this.freed(this.freedDevs, actor, this.dma);
        break;
      case KIND.prq_depth:
        this.queues.set(actor, { depth: a, overflow: b === 1 });
        break;
      case KIND.wq_depth:
        this.queues.set(actor, { depth: a, overflow: false });
        break;
      case KIND.lock_contend: {
        const l = this.lock(actor);
        if (!l.waiters.includes(a)) l.waiters.push(a);
        break;
      }
      case KIND.lock_acquire: {
        const l = this.lock(actor);
        l.holders.push(a);
        const i = l.waiters.indexOf(a);
        if (i >= 0) l.waiters.splice(i, 1);
        break;
      }
      case KIND.lock_release: {
        const l = this.lock(actor);
        const i = l.holders.indexOf(a);
        if (i >= 0) l.holders.splice(i, 1);
        // An idle lock is not listed (view): not kept either, or every mm's mmap_lock would stay.
        if (l.holders.length === 0 && l.waiters.length === 0) this.locks.delete(actor);
        break;
      }
      case KIND.oom_kill:
        this.victims.push(a);
        break;
    }
  }

  /** A copy of the fold state (flat records copied field by field: this runs every checkpoint). */
  snapshot(): FoldSnapshot {
    return {
      t: this.t,
      seq: this.seq,
      tasks: [...this.tasks].map(([k, v]) => [k, { ...v }]),
      mms: [...this.mms].map(([k, v]) => [k, cloneMm(v)]),
      pasids: [...this.pasids],
      entries: [...this.entries].map(([k, v]) => [k, { ...v }]),
      dma: [...this.dma].map(([k, v]) => [k, { ...v }]),
      queues: [...this.queues].map(([k, v]) => [k, { ...v }]),
      locks: [...this.locks].map(([k, v]) => [k, { holders: [...v.holders], waiters: [...v.waiters] }]),
      freePages: this.freePages,
      victims: [...this.victims],
      freed: { mms: [...this.freedMms], devs: [...this.freedDevs] },
    };
  }

  /** Restore from a checkpoint; actor names must be declared separately (they never change). */
  restore(s: FoldSnapshot): void {
    this.t = s.t;
    this.seq = s.seq;
    this.tasks = new Map(s.tasks.map(([k, v]) => [k, { ...v }]));
    this.mms = new Map(s.mms.map(([k, v]) => [k, cloneMm(v)]));
    this.pasids = new Map(s.pasids);
    this.entries = new Map(s.entries.map(([k, v]) => [k, { ...v }]));
    this.dma = new Map(s.dma.map(([k, v]) => [k, { ...v }]));
    this.queues = new Map(s.queues.map(([k, v]) => [k, { ...v }]));
    this.locks = new Map(s.locks.map(([k, v]) => [k, { holders: [...v.holders], waiters: [...v.waiters] }]));
    this.freePages = s.freePages;
    this.victims = [...s.victims];
    this.freedMms = [...(s.freed?.mms ?? [])];
    this.freedDevs = [...(s.freed?.devs ?? [])];
  }

  /** The named, human-readable state. */
  view(): ModelState {
    const n = (id: number) => this.names.get(id) ?? `#${id}`;
    const entryByPasid = new Map<number, string>();
    // Entry actors are "pasid N <device>" (PASID tables are per device); a PASID shows the state of
    // its first entry that is not CLEARED (else CLEARED).
    for (const [id, e] of this.entries) {
      const p = Number(/^pasid (\d+)/.exec(n(id))?.[1] ?? NaN);
      const prev = entryByPasid.get(p);
      if (prev === undefined || prev === 'CLEARED') entryByPasid.set(p, PASID_ENTRY_STATE[e.state]);
    }
    return {
      tNs: this.t,
      seq: this.seq,
      tasks: [...this.tasks]
        .filter(([, s]) => s.type !== 'hw' && s.state !== 4)
        .map(([id, s]) => ({ name: n(id), pid: s.pid, type: s.type, state: TASK_STATE[s.state], waitsOn: s.on })),
      mms: [...this.mms].map(([id, m]) => ({
        name: n(id),
        users: m.users,
        count: m.count,
        flags: m.flags.map((f) => MM_FLAG[f]),
        rssPages: m.rss,
        lockedPages: m.locked,
        memoryFreed: m.freed,
        structFreed: m.structFreed,
      })),
      pasids: [...this.pasids].map(([p, mm]) => ({ pasid: p, mm: n(mm), entry: entryByPasid.get(p) ?? 'CLEARED' })),
      pasidEntries: [...this.entries].map(([id, e]) => ({ pasid: n(id), state: PASID_ENTRY_STATE[e.state], mm: e.mm ? n(e.mm) : null })),
      devices: [...this.dma].map(([id, d]) => ({ name: n(id), dma: DMA_STATE[d.state], pasid: d.pasid, queue: d.q === null ? null : UACCE_Q_STATE[d.q] })),
      queues: [...this.queues].map(([id, q]) => ({ name: n(id), depth: q.depth, overflow: q.overflow })),
      // In actor order: idle locks leave the fold, so the order they were first used in is lost.
      locks: [...this.locks]
        .filter(([, l]) => l.holders.length > 0 || l.waiters.length > 0)
        .sort((x, y) => x[0] - y[0])
        .map(([id, l]) => ({ name: n(id), holders: l.holders.map(n), waiters: l.waiters.map(n) })),
      memory: { freePages: this.freePages },
      oom: { victims: this.victims.map(n) },
    };
  }
}

function cloneMm(m: MmS): MmS {
  return { ...m, flags: [...m.flags] };
}
