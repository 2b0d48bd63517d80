import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { AnnotationDto, AnnotationKind, AreaAggregateDto, EventRowDto, ModelState, Ns, RunId, RunInfo, VerifyDto } from '../../../main/contract';
import { lab } from '../api/lab';
import { clampView, fitView, panBy, revealTime, zoomAt, type Viewport } from '../timeline/viewport';
import { formatNs } from '../timeline/time';
import { messageOf } from '../util/errors';

import type { BarHit, Cursor, RevealTrack, Selection } from '../timeline/controller';

export type { Cursor, Selection };

/** What the details panel shows of the selection: its begin and end events, or an area's aggregates. */
export interface SelectionDetails {
  loading: boolean;
  error: string | null;
  /** The instant's event, or a span's begin then end event (those known). */
  rows: EventRowDto[];
  area: AreaAggregateDto | null;
}

/** The search over event text: the query, the last hit, or why there is none. */
export interface SearchState {
  query: string;
  running: boolean;
  hit: EventRowDto | null;
  message: string | null;
}

/** Event kinds that draw a lane's state bar. */
const STATE_KINDS = new Set(['task_state', 'dma_state', 'pasid_entry', 'uacce_q']);

/** Whether `r` opened a span named `name` as the timeline draws it (release(), held by X, a kernel function...). */
function spanOpener(r: EventRowDto, name: string): boolean {
  if (name === 'release()') return r.kind === 'release_begin';
  if (name.startsWith('held')) return r.kind === 'lock_acquire';
  if (r.kind === 'fn_begin') return r.args?.fn === name;
  return r.kind.endsWith('_begin') || r.kind === 'synchronize_srcu' || r.kind === 'dma_stall' || r.kind === 'lock_acquire';
}

/** Where a deep link puts the view and the cursor when the run opens (any part may be missing). */
export interface ViewAt {
  tNs?: Ns;
  fromNs?: Ns;
  toNs?: Ns;
}

/** Events listed either side of the cursor. */
export const EVENTS_AROUND = 12;
/** Quiet time before the state and event list follow a moving cursor (ms): a drag asks once. */
export const CURSOR_SETTLE_MS = 60;
/** On opening a run, the state and event list are asked for this long after the timeline's tiles (ms). */
export const OPEN_PANELS_AFTER_MS = 40;
/**
 * The run view mounts its panels (details, events, why, kernel log, state, bookmarks) after the
 * timeline's opening frame, or this long after the run's info came (ms) if that frame never
 * settles (a tile request that hangs): they never stay missing.
 */
export const PANELS_AT_LATEST_MS = 2000;
/** While replaying, the panels follow at most this often (ms): playback never waits for them. */
export const PLAY_REFRESH_MS = 200;

/**
 * One open run: its id and info, the visible window, the cursor, the selected event and what the
 * panels show for them (state at the cursor, events around it, the selection's cause chain).
 * Timeline tiles are not here: they are bulk data, held by the timeline outside reactivity.
 */
export const useRunViewStore = defineStore('runView', () => {
  const runId = ref<RunId | null>(null);
  const info = shallowRef<RunInfo | null>(null);
  const loading = ref(false);
  /** The opening of the current run is settled (its opening frame drawn, or given up on): the run view mounts its panels then. */
  const openingSettled = ref(false);
  const error = ref<string | null>(null);

  const view = ref<Viewport>({ fromNs: 0, toNs: 1 });
  const cursor = ref<Cursor | null>(null);
  const selectedSeq = ref<number | null>(null);
  /** The timeline's selection (span, state, instant, counter sample, area); the why helper hangs its explanation off it. */
  const selection = shallowRef<Selection | null>(null);
  const details = shallowRef<SelectionDetails>({ loading: false, error: null, rows: [], area: null });
  const search = shallowRef<SearchState>({ query: '', running: false, hit: null, message: null });
  const revealTrack = shallowRef<RevealTrack | null>(null);
  /** Ruler labels from the trigger instead of the run's start. */
  const fromTrigger = ref(false);
  const rulerOriginNs = computed(() => (fromTrigger.value ? (info.value?.triggerNs ?? 0) : 0));

  const modelState = shallowRef<ModelState | null>(null);
  const stateLoading = ref(false);
  const stateError = ref<string | null>(null);
  const eventRows = shallowRef<EventRowDto[]>([]);
  const eventsLoading = ref(false);
  const eventsError = ref<string | null>(null);
  const chain = shallowRef<EventRowDto[]>([]);
  const chainLoading = ref(false);
  const chainError = ref<string | null>(null);

  /** Bookmarks and notes saved in the trace, by time. */
  const annotations = shallowRef<AnnotationDto[]>([]);
  const annotationsError = ref<string | null>(null);
  /** The last "Re-run and verify" of this run: running, its answer, or why it failed. */
  const verify = shallowRef<{ running: boolean; result: VerifyDto | null; error: string | null } | null>(null);

  let generation = 0;
  let lastPlayRefresh = 0;
  let cursorGen = 0;
  let chainGen = 0;
  let settle: ReturnType<typeof setTimeout> | null = null;

  const startNs = computed(() => info.value?.startNs ?? 0);
  const endNs = computed(() => info.value?.endNs ?? 0);
  const lastSeq = computed(() => info.value?.summary.events ?? 0);

  function reset(): void {
    info.value = null;
    openingSettled.value = false;
    error.value = null;
    cursor.value = null;
    selectedSeq.value = null;
    selection.value = null;
    details.value = { loading: false, error: null, rows: [], area: null };
    search.value = { query: search.value.query, running: false, hit: null, message: null };
    revealTrack.value = null;
    modelState.value = null;
    stateError.value = null;
    eventRows.value = [];
    eventsError.value = null;
    chain.value = [];
    chainError.value = null;
    annotations.value = [];
    annotationsError.value = null;
    verify.value = null;
    if (settle) clearTimeout(settle);
    settle = null;
  }

  /** Views that show this store's run in a timeline (RunView registers itself while mounted; its timeline appears with the run's info). */
  let timelines = 0;
  /** The generation whose opening frame was drawn; what open() waits on meanwhile. */
  let frameDrawnFor = 0;
  let frameWaiter: (() => void) | null = null;
  function timelineMounted(mounted: boolean): void {
    timelines += mounted ? 1 : -1;
  }
  /** The timeline drew this run's opening frame (every tile in, a tile failed, or nothing to draw on). */
  function openingFrameDrawn(): void {
    frameDrawnFor = generation;
    const w = frameWaiter;
    frameWaiter = null;
    w?.();
  }
  /**
   * Let the timeline's opening tiles go first: the lab answers one call at a time, so the state,
   * event list and bookmarks asked meanwhile held the tiles up behind them (issue 12, open -> first
   * full frame). With a timeline on screen they wait for its opening frame (at most
   * PANELS_AT_LATEST_MS); without one, OPEN_PANELS_AFTER_MS.
   */
  function openingTilesFirst(my: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waits = timelines > 0;
      const settle = (): void => {
        if (my === generation) openingSettled.value = true;
        resolve();
      };
      if (waits && frameDrawnFor === my) return settle();
      const timer = setTimeout(done, waits ? PANELS_AT_LATEST_MS : OPEN_PANELS_AFTER_MS);
      if (waits) {
        frameWaiter?.();
        frameWaiter = done;
      }
      function done(): void {
        clearTimeout(timer);
        if (frameWaiter === done) frameWaiter = null;
        settle();
      }
    });
  }

  /**
   * Open a run: info first, then the whole run in view with the cursor on its trigger (or start),
   * unless `at` (a deep link) says where to look.
   */
  async function open(id: RunId, at: ViewAt = {}): Promise<void> {
    const my = ++generation;
    runId.value = id;
    reset();
    loading.value = true;
    try {
      const i = await lab().openRun(id);
      if (my !== generation) return;
      // View and cursor before info: a timeline draws the run as soon as its info comes
      // (TimelineController.viewBeforeInfo), so its opening tile requests go out before the rest
      // of the run view renders (issue 12, open -> first full frame).
      view.value = fitView(i.startNs, i.endNs);
      cursor.value = { tNs: i.triggerNs ?? i.startNs, seq: null };
      applyAt(at, i);
      info.value = i;
      await openingTilesFirst(my);
      if (my !== generation) return;
      void loadAnnotations();
      await refreshCursor();
    } catch (e) {
      if (my === generation) error.value = `The run ${id} could not be opened: ${messageOf(e)}`;
    } finally {
      if (my === generation) loading.value = false;
    }
  }

  /** Put the view and the cursor where a deep link says (parts that are missing or bad are ignored), within the bounds of `run` (default: the run open). */
  function applyAt(at: ViewAt, run: Pick<RunInfo, 'startNs' | 'endNs'> = { startNs: startNs.value, endNs: endNs.value }): void {
    const ok = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);
    if (ok(at.fromNs) && ok(at.toNs) && at.toNs > at.fromNs) view.value = clampView({ fromNs: at.fromNs, toNs: at.toNs }, run.startNs, run.endNs);
    if (ok(at.tNs)) {
      cursor.value = { tNs: Math.min(Math.max(Math.round(at.tNs), run.startNs), run.endNs), seq: null };
      if (!(ok(at.fromNs) && ok(at.toNs))) view.value = clampView(revealTime(view.value, cursor.value.tNs), run.startNs, run.endNs);
    }
  }

  /** A deep link for the run already open: move there and let the panels follow. */
  function goTo(at: ViewAt): void {
    if (!info.value) return;
    applyAt(at);
    scheduleRefresh();
  }

  function close(): void {
    generation++;
    runId.value = null;
    reset();
  }

  function setView(v: Viewport): void {
    view.value = clampView(v, startNs.value, endNs.value);
  }

  function fit(): void {
    view.value = fitView(startNs.value, endNs.value);
  }

  /** Zoom by `factor` (< 1: in) at `anchorNs` (default: the cursor if visible, else the centre). */
  function zoom(factor: number, anchorNs?: Ns): void {
    const v = view.value;
    let a = anchorNs;
    if (a === undefined) {
      const c = cursor.value?.tNs;
      a = c !== undefined && c >= v.fromNs && c <= v.toNs ? c : (v.fromNs + v.toNs) / 2;
    }
    setView(zoomAt(v, factor, a));
  }

  /** Pan by a fraction of the visible width (positive: later). */
  function pan(fraction: number): void {
    const v = view.value;
    setView(panBy(v, (v.toNs - v.fromNs) * fraction));
  }

  function reveal(t: Ns): void {
    setView(revealTime(view.value, t));
  }

  /** Put the cursor at a time (ruler click or drag): no event yet, the panels follow when it settles. */
  function setCursorTime(t: Ns): void {
    const c = Math.min(Math.max(Math.round(t), startNs.value), endNs.value);
    cursor.value = { tNs: c, seq: null };
    scheduleRefresh();
  }

  /**
   * Replay: the cursor at `t`, kept in view; the panels follow at most every PLAY_REFRESH_MS, so a
   * fast replay never waits for them. `now` is the caller's clock in ms (tests pass their own).
   */
  function playTo(t: Ns, now: number): void {
    const c = Math.min(Math.max(Math.round(t), startNs.value), endNs.value);
    cursor.value = { tNs: c, seq: null };
    reveal(c);
    // Never start a read while one is out: a newer one would discard its answer, and with reads
    // slower than the refresh period the panels would never change while playing.
    if (now - lastPlayRefresh >= PLAY_REFRESH_MS && !stateLoading.value) {
      lastPlayRefresh = now;
      void refreshCursor();
    } else {
      scheduleRefresh();
    }
  }

  /** Put the cursor on an event. */
  function setCursorEvent(row: Pick<EventRowDto, 'seq' | 'tNs'>, show = true): void {
    cursor.value = { tNs: row.tNs, seq: row.seq };
    if (show) reveal(row.tNs);
    scheduleRefresh();
  }

  /** The event next to the cursor in direction `dir`: by seq if the cursor sits on one, else by time. */
  async function neighbour(dir: 1 | -1): Promise<EventRowDto | null> {
    const id = runId.value;
    const c = cursor.value;
    if (!id || !c) return null;
    if (c.seq !== null) return lab().stepEvent(id, c.seq, dir);
    const rows = await lab().events(id, { atNs: c.tNs, before: 1, after: 1 });
    if (dir === 1) return rows.find((r) => r.tNs >= c.tNs) ?? null;
    return [...rows].reverse().find((r) => r.tNs < c.tNs) ?? null;
  }

  /** Step the cursor one event (← / →). */
  async function step(dir: 1 | -1): Promise<void> {
    const my = generation;
    try {
      const row = await neighbour(dir);
      if (my !== generation || !row) return;
      setCursorEvent(row);
    } catch (e) {
      eventsError.value = `Could not step to the ${dir === 1 ? 'next' : 'previous'} event: ${messageOf(e)}`;
    }
  }

  /** Jump to the first (Home) or last (End) event. */
  async function jumpToEnd(which: 'first' | 'last'): Promise<void> {
    const id = runId.value;
    if (!id) return;
    const my = generation;
    // The cursor goes to the run's edge at once; it lands on the event when the service answers.
    cursor.value = { tNs: which === 'first' ? startNs.value : endNs.value, seq: null };
    try {
      const seq = which === 'first' ? 1 : Math.max(1, lastSeq.value);
      const rows = await lab().events(id, { aroundSeq: seq, before: 0, after: 0 });
      if (my !== generation || !rows[0]) return;
      setCursorEvent(rows[0]);
    } catch (e) {
      eventsError.value = `Could not jump to the ${which} event: ${messageOf(e)}`;
    }
  }

  function scheduleRefresh(): void {
    if (settle) clearTimeout(settle);
    settle = setTimeout(() => {
      settle = null;
      void refreshCursor();
    }, CURSOR_SETTLE_MS);
  }

  /** Load the state at the cursor and the events around it (the latest request wins). */
  async function refreshCursor(): Promise<void> {
    const id = runId.value;
    const c = cursor.value;
    if (!id || !c) return;
    if (settle) {
      clearTimeout(settle);
      settle = null;
    }
    const my = ++cursorGen;
    stateLoading.value = true;
    eventsLoading.value = true;
    const q = c.seq !== null ? { aroundSeq: c.seq, before: EVENTS_AROUND, after: EVENTS_AROUND } : { atNs: c.tNs, before: EVENTS_AROUND, after: EVENTS_AROUND };
    // The state after every event at the cursor's time. (state(id, t, seq) would tell events at
    // the same time apart; the end-to-end test checks the panel against `sva-lab state --at t`,
    // so the switch waits for that test to compare per event.)
    const [st, ev] = await Promise.allSettled([lab().state(id, c.tNs), lab().events(id, q)]);
    if (my !== cursorGen) return;
    stateLoading.value = false;
    eventsLoading.value = false;
    if (st.status === 'fulfilled') {
      modelState.value = st.value;
      stateError.value = null;
    } else {
      stateError.value = `The state at this time could not be read: ${messageOf(st.reason)}`;
    }
    if (ev.status === 'fulfilled') {
      eventRows.value = ev.value;
      eventsError.value = null;
    } else {
      eventsError.value = `The events here could not be read: ${messageOf(ev.reason)}`;
    }
  }

  /** Select an event: its cause chain is loaded ("why did this happen?"). */
  async function select(seq: number | null): Promise<void> {
    selectedSeq.value = seq;
    const id = runId.value;
    const my = ++chainGen;
    if (seq === null || !id) {
      chain.value = [];
      chainError.value = null;
      return;
    }
    chainLoading.value = true;
    try {
      const rows = await lab().causeChain(id, seq);
      if (my !== chainGen) return;
      chain.value = rows;
      chainError.value = null;
    } catch (e) {
      if (my === chainGen) chainError.value = `The cause chain of event ${seq} could not be read: ${messageOf(e)}`;
    } finally {
      if (my === chainGen) chainLoading.value = false;
    }
  }

  /** Jump to an event (from the list or the cause chain): cursor on it, in view, selected. */
  async function jumpTo(row: Pick<EventRowDto, 'seq' | 'tNs'>): Promise<void> {
    setCursorEvent(row);
    await select(row.seq);
  }

  /**
   * Select the event of lane `actor` at `tNs`: a click on a span or state bar (release(), a D state,
   * a lock held) selects the event that began it, so it is explained like an instant.
   */
  async function selectEventAt(actor: number, tNs: Ns, bar: BarHit = {}): Promise<void> {
    const id = runId.value;
    if (!id) return;
    try {
      const rows = await lab().events(id, { atNs: tNs, before: 200, after: 200 });
      if (runId.value !== id) return;
      const here = rows.filter((r) => r.actorId === actor && r.tNs === tNs);
      // A state bar: the last state change at its start; a span: the event that opened it.
      const row = bar.state
        ? here.findLast((r) => STATE_KINDS.has(r.kind))
        : bar.span !== undefined
          ? (here.find((r) => spanOpener(r, bar.span as string)) ?? here[0])
          : here[0];
      if (row) await jumpTo(row);
      else setCursorTime(tNs);
    } catch (e) {
      eventsError.value = `The event at ${formatNs(tNs, 6)} could not be read: ${messageOf(e)}`;
    }
  }

  async function loadAnnotations(): Promise<void> {
    const id = runId.value;
    if (!id) return;
    try {
      const list = await lab().listAnnotations(id);
      if (runId.value !== id) return;
      annotations.value = list;
      annotationsError.value = null;
    } catch (e) {
      if (runId.value === id) annotationsError.value = `The bookmarks of ${id} could not be read: ${messageOf(e)}`;
    }
  }

  /** Save a bookmark or note at the cursor (its time, and its event when it sits on one). */
  async function addAnnotation(kind: AnnotationKind, text: string): Promise<AnnotationDto | null> {
    const id = runId.value;
    const c = cursor.value;
    if (!id || !c) return null;
    const body = text.trim() || (kind === 'bookmark' ? `Bookmark at ${formatNs(c.tNs, 6)}` : '');
    if (!body) {
      annotationsError.value = 'A note needs some text; write what you saw here.';
      return null;
    }
    try {
      const a = await lab().addAnnotation(id, { tNs: Math.round(c.tNs), seq: c.seq, kind, text: body });
      if (runId.value !== id) return null;
      annotations.value = [...annotations.value, a].sort((x, y) => x.tNs - y.tNs || x.id - y.id);
      annotationsError.value = null;
      return a;
    } catch (e) {
      annotationsError.value = `The ${kind} was not saved: ${messageOf(e)}`;
      return null;
    }
  }

  async function deleteAnnotation(annId: number): Promise<void> {
    const id = runId.value;
    if (!id) return;
    try {
      await lab().deleteAnnotation(id, annId);
      annotations.value = annotations.value.filter((a) => a.id !== annId);
      annotationsError.value = null;
    } catch (e) {
      annotationsError.value = `The annotation was not deleted: ${messageOf(e)}`;
    }
  }

  /** Jump to an annotation: its event if it has one, else its time. */
  async function jumpToAnnotation(a: AnnotationDto): Promise<void> {
    if (a.seq !== null) await jumpTo({ seq: a.seq, tNs: a.tNs });
    else {
      setCursorTime(a.tNs);
      reveal(a.tNs);
    }
  }

  /** Re-run the simulation from the recorded scenario, parameters and seed, and check the digest. */
  async function verifyRun(): Promise<void> {
    const id = runId.value;
    if (!id) return;
    verify.value = { running: true, result: null, error: null };
    try {
      const result = await lab().verifyRun(id);
      if (runId.value === id) verify.value = { running: false, result, error: null };
    } catch (e) {
      if (runId.value === id) verify.value = { running: false, result: null, error: `The run could not be verified: ${messageOf(e)}` };
    }
  }

  let detailsGen = 0;
  /**
   * Select something on the timeline: an instant puts the cursor on its event and loads its cause
   * chain; a span loads its begin and end events; an area its aggregates (counts per kind, span
   * time per lane). null clears it.
   */
  async function setSelection(s: Selection | null): Promise<void> {
    selection.value = s;
    const id = runId.value;
    const my = ++detailsGen;
    if (!s || !id) {
      details.value = { loading: false, error: null, rows: [], area: null };
      if (!s) void select(null);
      return;
    }
    details.value = { loading: true, error: null, rows: [], area: null };
    try {
      if (s.kind === 'instant') {
        setCursorEvent({ seq: s.seq, tNs: s.t }, false);
        const [rows] = await Promise.all([lab().events(id, { aroundSeq: s.seq, before: 0, after: 0 }), select(s.seq)]);
        if (my === detailsGen) details.value = { loading: false, error: null, rows: rows.filter((r) => r.seq === s.seq), area: null };
      } else if (s.kind === 'span') {
        const seqs = [s.beginSeq, s.endSeq].filter((x): x is number => typeof x === 'number' && x > 0);
        const rows = (await Promise.all(seqs.map((q) => lab().events(id, { aroundSeq: q, before: 0, after: 0 })))).map((r, i) => r.find((x) => x.seq === seqs[i])).filter((r): r is EventRowDto => !!r);
        if (s.beginSeq) void select(s.beginSeq);
        if (my === detailsGen) details.value = { loading: false, error: null, rows, area: null };
      } else if (s.kind === 'area') {
        const area = await lab().aggregateArea(id, Math.max(0, Math.round(s.fromNs)), Math.max(0, Math.round(s.toNs)), s.tracks);
        if (my === detailsGen) details.value = { loading: false, error: null, rows: [], area };
      } else {
        details.value = { loading: false, error: null, rows: [], area: null };
      }
    } catch (e) {
      if (my === detailsGen) details.value = { loading: false, error: `The details could not be read: ${messageOf(e)}`, rows: [], area: null };
    }
  }

  /** Zoom to the selection (`f`): its span or area, with a margin; an instant is centred at a close zoom. */
  function fitSelection(): void {
    const s = selection.value;
    if (!s) return;
    const range = s.kind === 'area' ? [s.fromNs, s.toNs] : s.kind === 'span' || s.kind === 'state' ? [s.t0, s.t1 ?? endNs.value] : [s.t, s.t];
    let [a, b] = range;
    if (b - a < 1000) {
      a -= 5000;
      b += 5000;
    }
    const m = (b - a) * 0.1;
    setView({ fromNs: a - m, toNs: b + m });
  }

  let revealN = 0;
  /** Search the event text (kinds, actors, args) from the cursor on (dir 1) or back (-1); a hit is selected, its lane shown. */
  async function searchNext(query: string, dir: 1 | -1): Promise<void> {
    const id = runId.value;
    const q = query.trim();
    if (!id) return;
    if (!q) {
      search.value = { query, running: false, hit: null, message: 'Type what to look for: an event kind (oom_kill), an actor (accel-app) or an argument.' };
      return;
    }
    const prev = search.value.hit;
    const from = prev && search.value.query === query ? prev.seq : (cursor.value?.seq ?? (dir === 1 ? 0 : lastSeq.value + 1));
    search.value = { query, running: true, hit: prev, message: null };
    try {
      const row = await lab().searchEvents(id, q, from, dir);
      if (runId.value !== id) return;
      if (!row) {
        search.value = { query, running: false, hit: null, message: `No ${dir === 1 ? 'later' : 'earlier'} event matches “${q}”.` };
        return;
      }
      search.value = { query, running: false, hit: row, message: `Event ${row.seq}: ${row.text}` };
      revealTrack.value = { id: row.actorId, n: ++revealN };
      await setSelection({ kind: 'instant', trackId: row.actorId, seq: row.seq, t: row.tNs, eventKind: row.kind, count: 1 });
      reveal(row.tNs);
    } catch (e) {
      search.value = { query, running: false, hit: null, message: `The search failed: ${messageOf(e)}` };
    }
  }

  /** Bring a lane into view (its group opened, scrolled to). */
  function showTrack(trackId: number): void {
    revealTrack.value = { id: trackId, n: ++revealN };
  }

  /** `m`: a bookmark at the cursor. */
  function mark(): Promise<AnnotationDto | null> {
    return addAnnotation('bookmark', '');
  }

  return {
    selection, details, search, revealTrack, fromTrigger, rulerOriginNs, setSelection, fitSelection, searchNext, showTrack, mark,
    annotations, annotationsError, verify, addAnnotation, deleteAnnotation, jumpToAnnotation, loadAnnotations, verifyRun, playTo, goTo,
    runId, info, loading, openingSettled, error, view, cursor, selectedSeq,
    modelState, stateLoading, stateError, eventRows, eventsLoading, eventsError, chain, chainLoading, chainError,
    startNs, endNs, lastSeq, viewBeforeInfo: true as const,
    open, close, setView, fit, zoom, pan, reveal, timelineMounted, openingFrameDrawn, setCursorTime, setCursorEvent, step, jumpToEnd, refreshCursor, select, jumpTo,
    selectEventAt,
  };
});
