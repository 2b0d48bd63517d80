import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { EventRowDto, ModelState, Ns, RunId, RunInfo } from '../../../main/contract';
import { lab } from '../api/lab';
import { clampView, fitView, panBy, revealTime, zoomAt, type Viewport } from '../timeline/viewport';
import { messageOf } from '../util/errors';

/** The scrub cursor: a time, and the event it sits on when it was set by an event. */
export interface Cursor {
  tNs: Ns;
  seq: number | null;
}

/** Events listed either side of the cursor. */
export const EVENTS_AROUND = 12;
/** Quiet time before the state and event list follow a moving cursor (ms): a drag asks once. */
export const CURSOR_SETTLE_MS = 60;

/**
 * One open run: its id and info, the visible window, the cursor, the selected event and what the
 * panels show for them (state at the cursor, events around it, the selection's cause chain).
 * Timeline tiles are not here: they are bulk data, held by the timeline outside reactivity.
 */
export const useRunViewStore = defineStore('runView', () => {
  const runId = ref<RunId | null>(null);
  const info = shallowRef<RunInfo | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const view = ref<Viewport>({ fromNs: 0, toNs: 1 });
  const cursor = ref<Cursor | null>(null);
  const selectedSeq = ref<number | null>(null);

  const modelState = shallowRef<ModelState | null>(null);
  const stateLoading = ref(false);
  const stateError = ref<string | null>(null);
  const eventRows = shallowRef<EventRowDto[]>([]);
  const eventsLoading = ref(false);
  const eventsError = ref<string | null>(null);
  const chain = shallowRef<EventRowDto[]>([]);
  const chainLoading = ref(false);
  const chainError = ref<string | null>(null);

  let generation = 0;
  let cursorGen = 0;
  let chainGen = 0;
  let settle: ReturnType<typeof setTimeout> | null = null;

  const startNs = computed(() => info.value?.startNs ?? 0);
  const endNs = computed(() => info.value?.endNs ?? 0);
  const lastSeq = computed(() => info.value?.summary.events ?? 0);

  function reset(): void {
    info.value = null;
    error.value = null;
    cursor.value = null;
    selectedSeq.value = null;
    modelState.value = null;
    stateError.value = null;
    eventRows.value = [];
    eventsError.value = null;
    chain.value = [];
    chainError.value = null;
    if (settle) clearTimeout(settle);
    settle = null;
  }

  /** Open a run: info first, then the whole run in view with the cursor on its trigger (or start). */
  async function open(id: RunId): Promise<void> {
    const my = ++generation;
    runId.value = id;
    reset();
    loading.value = true;
    try {
      const i = await lab().openRun(id);
      if (my !== generation) return;
      info.value = i;
      view.value = fitView(i.startNs, i.endNs);
      const t = i.triggerNs ?? i.startNs;
      cursor.value = { tNs: t, seq: null };
      await refreshCursor();
    } catch (e) {
      if (my === generation) error.value = `The run ${id} could not be opened: ${messageOf(e)}`;
    } finally {
      if (my === generation) loading.value = false;
    }
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

  return {
    runId, info, loading, error, view, cursor, selectedSeq,
    modelState, stateLoading, stateError, eventRows, eventsLoading, eventsError, chain, chainLoading, chainError,
    startNs, endNs, lastSeq,
    open, close, setView, fit, zoom, pan, reveal, setCursorTime, setCursorEvent, step, jumpToEnd, refreshCursor, select, jumpTo,
  };
});
