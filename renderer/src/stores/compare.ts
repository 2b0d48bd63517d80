import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { AnnotationDto, CompareDto, DivergenceDto, EventRowDto, Ns, RunId, RunInfo } from '../../../main/contract';
import { lab } from '../api/lab';
import type { Cursor, LaneReport } from '../timeline/controller';
import type { SharedLaneOrder } from '../timeline/lanes';
import { panBy, zoomAt, type Viewport } from '../timeline/viewport';
import { alignedBounds, alignPoint, clampAligned, fitAligned, type AlignKind, type AlignPoint } from '../util/align';
import { messageOf } from '../util/errors';

export type Side = 'a' | 'b';

/** Where a deep link puts the shared view and cursor (aligned times). */
export interface CompareAt {
  align?: AlignKind;
  tNs?: Ns;
  fromNs?: Ns;
  toNs?: Ns;
}

/**
 * The compare view: two runs (A the reference, B the other) on one aligned time axis. The view and
 * the cursor are kept in aligned time (0 at the alignment point), so they are the same for both
 * sides; each side maps them to its own times with its origin. Also the metric diff, the first
 * divergence, and the lanes that differ.
 */
export const useCompareStore = defineStore('compare', () => {
  const a = ref<RunId | null>(null);
  const b = ref<RunId | null>(null);
  const infoA = shallowRef<RunInfo | null>(null);
  const infoB = shallowRef<RunInfo | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const align = ref<AlignKind>('trigger');
  const pointA = ref<AlignPoint>({ originNs: 0, seq: null, found: true });
  const pointB = ref<AlignPoint>({ originNs: 0, seq: null, found: true });
  const aligning = ref(false);

  /** Shared view and cursor, in aligned ns. */
  const view = ref<Viewport>({ fromNs: 0, toNs: 1 });
  const cursor = ref<Ns | null>(null);
  /** The event each side's cursor sits on, when it was put on one. */
  const seqA = ref<number | null>(null);
  const seqB = ref<number | null>(null);

  const diff = shallowRef<CompareDto | null>(null);
  const diffError = ref<string | null>(null);
  /** Set by "Jump to first divergence": the explanation is shown. */
  const divergenceShown = ref(false);

  /** What each side's lanes hold in the visible window (reported by the timelines). */
  const sigA = shallowRef<Map<string, string>>(new Map());
  const sigB = shallowRef<Map<string, string>>(new Map());
  /** Each run's bookmarks and notes, drawn on its pane. */
  const notesA = shallowRef<AnnotationDto[]>([]);
  const notesB = shallowRef<AnnotationDto[]>([]);
  /** Lanes alarming in either run so far (it only grows): both panes put them first. */
  const alarmNames = shallowRef<Set<string>>(new Set());

  let generation = 0;

  const bounds = computed(() => {
    const ia = infoA.value;
    const ib = infoB.value;
    if (!ia || !ib) return { startNs: 0, endNs: 1 };
    return alignedBounds(ia, pointA.value.originNs, ib, pointB.value.originNs);
  });

  const origin = (s: Side) => (s === 'a' ? pointA.value.originNs : pointB.value.originNs);
  const infoOf = (s: Side) => (s === 'a' ? infoA.value : infoB.value);

  /**
   * Lane names that differ: present in one run only, or holding different events in the visible
   * window. Per side, the track ids to highlight.
   */
  const differing = computed(() => {
    const ia = infoA.value;
    const ib = infoB.value;
    const out = { a: new Set<number>(), b: new Set<number>(), names: [] as string[] };
    if (!ia || !ib) return out;
    const namesA = new Set(ia.tracks.map((t) => t.name));
    const namesB = new Set(ib.tracks.map((t) => t.name));
    const names = new Set<string>();
    for (const n of namesA) if (!namesB.has(n)) names.add(n);
    for (const n of namesB) if (!namesA.has(n)) names.add(n);
    const sa = sigA.value;
    const sb = sigB.value;
    if (sa.size && sb.size) for (const [n, s] of sa) if (sb.has(n) && sb.get(n) !== s) names.add(n);
    for (const t of ia.tracks) if (names.has(t.name)) out.a.add(t.id);
    for (const t of ib.tracks) if (names.has(t.name)) out.b.add(t.id);
    out.names = [...names].sort();
    return out;
  });

  /** Open two runs: both infos, the diff, and the alignment (a deep link may say where to look). */
  async function open(ra: RunId, rb: RunId, at: CompareAt = {}): Promise<void> {
    const my = ++generation;
    a.value = ra;
    b.value = rb;
    infoA.value = null;
    infoB.value = null;
    notesA.value = [];
    notesB.value = [];
    diff.value = null;
    diffError.value = null;
    error.value = null;
    divergenceShown.value = false;
    cursor.value = null;
    seqA.value = null;
    seqB.value = null;
    sigA.value = new Map();
    sigB.value = new Map();
    alarmNames.value = new Set();
    if (at.align) align.value = at.align;
    loading.value = true;
    try {
      const [ia, ib] = await Promise.all([lab().openRun(ra), lab().openRun(rb)]);
      if (my !== generation) return;
      infoA.value = ia;
      infoB.value = ib;
      void loadDiff(my);
      void loadNotes(my);
      await applyAlign(align.value, my);
      if (my !== generation) return;
      if (at.fromNs !== undefined && at.toNs !== undefined && at.toNs > at.fromNs) setView({ fromNs: at.fromNs, toNs: at.toNs });
      if (at.tNs !== undefined) setCursorTime(at.tNs);
    } catch (e) {
      if (my === generation) error.value = `The runs could not be opened for comparison: ${messageOf(e)}`;
    } finally {
      if (my === generation) loading.value = false;
    }
  }

  async function loadDiff(my = generation): Promise<void> {
    const ra = a.value;
    const rb = b.value;
    if (!ra || !rb) return;
    try {
      const d = await lab().compareRuns(ra, rb);
      if (my === generation) diff.value = d;
    } catch (e) {
      if (my === generation) diffError.value = `The metrics could not be compared: ${messageOf(e)}`;
    }
  }

  async function loadNotes(my = generation): Promise<void> {
    const ra = a.value;
    const rb = b.value;
    if (!ra || !rb) return;
    // Bookmarks are a help here, not the point: a run whose list cannot be read shows none.
    const [na, nb] = await Promise.allSettled([lab().listAnnotations(ra), lab().listAnnotations(rb)]);
    if (my !== generation) return;
    notesA.value = na.status === 'fulfilled' ? na.value : [];
    notesB.value = nb.status === 'fulfilled' ? nb.value : [];
  }

  /** Find each run's first event of `kind` and line the two up there; the view fits both runs. */
  async function applyAlign(kind: AlignKind, my = generation): Promise<void> {
    const ia = infoA.value;
    const ib = infoB.value;
    if (!ia || !ib) return;
    aligning.value = true;
    try {
      const find = (id: RunId) => (kind === 'start' ? Promise.resolve(null) : lab().findEvent(id, kind, 1));
      const [fa, fb] = await Promise.all([find(ia.id), find(ib.id)]);
      if (my !== generation) return;
      // Keep the cursor on the same own time of run A across a re-alignment.
      const ownA = cursor.value === null ? null : cursor.value + pointA.value.originNs;
      align.value = kind;
      pointA.value = alignPoint(kind, ia, fa);
      pointB.value = alignPoint(kind, ib, fb);
      view.value = fitAligned(bounds.value);
      cursor.value = ownA === null ? 0 : ownA - pointA.value.originNs;
      sigA.value = new Map();
      sigB.value = new Map();
    } catch (e) {
      if (my === generation) error.value = `The runs could not be aligned at ${kind}: ${messageOf(e)}`;
    } finally {
      if (my === generation) aligning.value = false;
    }
  }

  function setView(v: Viewport): void {
    view.value = clampAligned(v, bounds.value);
  }

  function fit(): void {
    view.value = fitAligned(bounds.value);
  }

  function zoom(factor: number, anchorNs?: Ns): void {
    const v = view.value;
    let at = anchorNs;
    if (at === undefined) at = cursor.value !== null && cursor.value >= v.fromNs && cursor.value <= v.toNs ? cursor.value : (v.fromNs + v.toNs) / 2;
    setView(zoomAt(v, factor, at));
  }

  function pan(fraction: number): void {
    const v = view.value;
    setView(panBy(v, (v.toNs - v.fromNs) * fraction));
  }

  function reveal(t: Ns): void {
    const v = view.value;
    const span = v.toNs - v.fromNs;
    if (t < v.fromNs + span * 0.05 || t > v.toNs - span * 0.05) setView({ fromNs: t - span / 2, toNs: t + span / 2 });
  }

  /** The shared cursor at an aligned time: neither side sits on an event. */
  function setCursorTime(t: Ns): void {
    const bd = bounds.value;
    cursor.value = Math.min(Math.max(Math.round(t), bd.startNs), bd.endNs);
    seqA.value = null;
    seqB.value = null;
  }

  /** One side's cursor on one of its events (given in that run's own time); the other follows in time. */
  function setCursorEvent(side: Side, row: Pick<EventRowDto, 'seq' | 'tNs'>): void {
    cursor.value = row.tNs - origin(side);
    seqA.value = side === 'a' ? row.seq : null;
    seqB.value = side === 'b' ? row.seq : null;
    reveal(cursor.value);
  }

  /** Step one side's cursor to its next or previous event. */
  async function step(side: Side, dir: 1 | -1): Promise<void> {
    const i = infoOf(side);
    const c = cursor.value;
    if (!i || c === null) return;
    const seq = side === 'a' ? seqA.value : seqB.value;
    const own = c + origin(side);
    let row: EventRowDto | null;
    if (seq !== null) row = await lab().stepEvent(i.id, seq, dir);
    else {
      const rows = await lab().events(i.id, { atNs: own, before: 1, after: 1 });
      row = dir === 1 ? (rows.find((r) => r.tNs >= own) ?? null) : ([...rows].reverse().find((r) => r.tNs < own) ?? null);
    }
    if (row) setCursorEvent(side, row);
  }

  async function jumpToEnd(side: Side, which: 'first' | 'last'): Promise<void> {
    const i = infoOf(side);
    if (!i) return;
    const rows = await lab().events(i.id, { aroundSeq: which === 'first' ? 1 : Math.max(1, i.summary.events), before: 0, after: 0 });
    if (rows[0]) setCursorEvent(side, rows[0]);
  }

  /**
   * "Jump to first divergence": both cursors on the first event where the streams differ (each on
   * its own event), zoomed in around it, and the explanation shown.
   */
  function jumpToDivergence(): DivergenceDto | null {
    const d = diff.value?.firstDivergence ?? null;
    if (!d) return null;
    const ta = d.a ? d.a.tNs - pointA.value.originNs : null;
    const tb = d.b ? d.b.tNs - pointB.value.originNs : null;
    const t = ta ?? tb ?? d.tNs - pointA.value.originNs;
    cursor.value = t;
    seqA.value = d.a?.seq ?? null;
    seqB.value = d.b?.seq ?? null;
    // Zoomed in enough to see the lanes part ways, but never out from a closer look.
    const span = Math.min(view.value.toNs - view.value.fromNs, 20_000_000);
    setView({ fromNs: t - span * 0.25, toNs: t + span * 0.75 });
    divergenceShown.value = true;
    return d;
  }

  function setLanes(side: Side, report: LaneReport): void {
    if (side === 'a') sigA.value = report.signatures;
    else sigB.value = report.signatures;
    if ([...report.alarmNames].some((n) => !alarmNames.value.has(n))) alarmNames.value = new Set([...alarmNames.value, ...report.alarmNames]);
  }

  /** One lane order for both panes: the same actor at the same height (A's order, then B's extra lanes). */
  const laneOrder = computed<SharedLaneOrder>(() => {
    const rank = new Map<string, number>();
    for (const t of [...(infoA.value?.tracks ?? []), ...(infoB.value?.tracks ?? [])]) if (!rank.has(t.name)) rank.set(t.name, rank.size);
    return { alarmNames: alarmNames.value, rank };
  });

  function close(): void {
    generation++;
    a.value = null;
    b.value = null;
    infoA.value = null;
    infoB.value = null;
  }

  return {
    a, b, infoA, infoB, loading, error, align, pointA, pointB, aligning, view, cursor, seqA, seqB, diff, diffError, divergenceShown, bounds, differing, laneOrder, notesA, notesB,
    open, loadDiff, applyAlign, setView, fit, zoom, pan, setCursorTime, setCursorEvent, step, jumpToEnd, jumpToDivergence, setLanes, close,
  };
});

/** The cursor of one side, in that run's own time. */
export function sideCursor(t: Ns | null, originNs: Ns, seq: number | null): Cursor | null {
  return t === null ? null : { tNs: t + originNs, seq };
}
