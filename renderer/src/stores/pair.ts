import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { LabEvent, RunId, RunRequest } from '../../../main/contract';
import { lab } from '../api/lab';
import { messageOf } from '../util/errors';
import type { RunProgress } from './runForm';

/**
 * One-click pair: the same scenario, parameters and seed under the mm_exit and the quiet design
 * (`startPair`), with the progress of both, until both have finished.
 */
export const usePairStore = defineStore('pair', () => {
  const mmExit = ref<RunProgress | null>(null);
  const quiet = ref<RunProgress | null>(null);
  const request = ref<RunRequest | null>(null);
  const error = ref<string | null>(null);
  const starting = ref(false);
  let early: LabEvent[] = [];

  const runs = computed(() => [mmExit.value, quiet.value].filter((r): r is RunProgress => r !== null));
  const running = computed(() => starting.value || runs.value.some((r) => r.status === 'running'));
  /** Both finished and complete: the pair can be compared. */
  const done = computed(() => !!mmExit.value && !!quiet.value && mmExit.value.status === 'complete' && quiet.value.status === 'complete');
  const ids = computed(() => (mmExit.value && quiet.value ? { a: mmExit.value.runId, b: quiet.value.runId } : null));

  const fresh = (runId: RunId): RunProgress => ({ runId, status: 'running', events: 0, tNs: 0, eventsPerSec: 0, error: null });

  /** Start the pair (the request's own `mmExit` is overridden per run). Returns the two run ids. */
  async function start(req: RunRequest): Promise<{ a: RunId; b: RunId } | null> {
    error.value = null;
    starting.value = true;
    early = [];
    mmExit.value = null;
    quiet.value = null;
    const params = { ...req.params };
    delete params.mmExit;
    request.value = { ...req, params };
    try {
      const r = await lab().startPair({ ...req, params });
      mmExit.value = fresh(r.mmExit);
      quiet.value = fresh(r.quiet);
      starting.value = false;
      // A fast run may have reported (or finished) before startPair answered: replay what it said.
      const missed = early;
      early = [];
      for (const e of missed) handleEvent(e);
      return { a: r.mmExit, b: r.quiet };
    } catch (e) {
      error.value = `The pair did not start: ${messageOf(e)}`;
      return null;
    } finally {
      starting.value = false;
      early = [];
    }
  }

  /** Follow a LabEvent; true when this event completed the pair (both runs complete). */
  function handleEvent(e: LabEvent): boolean {
    if (e.type !== 'run-progress' && e.type !== 'run-finished') return false;
    if (starting.value) {
      early.push(e);
      return false;
    }
    const wasDone = done.value;
    for (const slot of [mmExit, quiet]) {
      const r = slot.value;
      if (!r || r.runId !== e.runId) continue;
      if (e.type === 'run-progress') slot.value = { ...r, events: e.events, tNs: e.tNs, eventsPerSec: e.eventsPerSec };
      else slot.value = { ...r, status: e.status, error: e.error };
    }
    return !wasDone && done.value;
  }

  async function cancel(): Promise<void> {
    for (const r of runs.value) {
      if (r.status !== 'running') continue;
      try {
        await lab().cancelRun(r.runId);
      } catch (e) {
        error.value = `The run ${r.runId} could not be cancelled: ${messageOf(e)}`;
      }
    }
  }

  /** Is this the pair being run (or just run)? */
  function isPair(a: RunId, b: RunId): boolean {
    return mmExit.value?.runId === a && quiet.value?.runId === b;
  }

  function dismiss(): void {
    mmExit.value = null;
    quiet.value = null;
    request.value = null;
    error.value = null;
  }

  return { mmExit, quiet, request, error, starting, runs, running, done, ids, start, handleEvent, cancel, isPair, dismiss };
});
