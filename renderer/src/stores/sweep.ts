import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { LabEvent, SweepDefinitionDto, SweepDto, SweepListItemDto, SweepPresetDto } from '../../../main/contract';
import { lab } from '../api/lab';
import { buildPlot, defaultChoice, type PlotChoice, type PlotModel } from '../plot/sweepPlot';
import { saveFile } from '../util/download';
import { messageOf } from '../util/errors';

/**
 * The sweep view: the presets, the archive's sweeps, the sweep shown (its id, its latest answer from
 * `getSweep`, kept in a shallowRef and replaced whole) and how it is drawn. A sweep in progress is
 * re-fetched as its runs finish (`sweep-progress`), one request at a time.
 */
export const useSweepStore = defineStore('sweep', () => {
  const presets = shallowRef<SweepPresetDto[]>([]);
  const list = ref<SweepListItemDto[]>([]);
  const currentId = ref<string | null>(null);
  const current = shallowRef<SweepDto | null>(null);
  const choice = ref<PlotChoice | null>(null);
  const loading = ref(false);
  const starting = ref(false);
  const error = ref<string | null>(null);
  const notice = ref<string | null>(null);
  /** Progress from the events, ahead of the last `getSweep` answer. */
  const live = ref<{ done: number; total: number } | null>(null);
  let fetching: Promise<void> | null = null;
  let fetchAgain = false;

  const running = computed(() => current.value?.status === 'running');
  const progress = computed(() => {
    const s = current.value;
    if (!s) return null;
    const done = Math.max(s.done, live.value?.done ?? 0);
    return { done, total: s.total };
  });
  const plot = computed<PlotModel | null>(() => (current.value && choice.value ? buildPlot(current.value, choice.value) : null));

  /** Presets and the list of sweeps. */
  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      const [p, l] = await Promise.all([presets.value.length ? presets.value : lab().sweepPresets(), lab().listSweeps()]);
      presets.value = p;
      list.value = l;
    } catch (e) {
      error.value = `The sweeps could not be loaded: ${messageOf(e)}`;
    } finally {
      loading.value = false;
    }
  }

  async function refreshList(): Promise<void> {
    try {
      list.value = await lab().listSweeps();
    } catch (e) {
      error.value = `The list of sweeps could not be loaded: ${messageOf(e)}`;
    }
  }

  /** Show a sweep (null: none); the drawing starts from its preset's first plot. The same sweep again is refreshed, keeping the drawing. */
  async function select(id: string | null): Promise<void> {
    if (id !== null && id === currentId.value) return fetchCurrent();
    currentId.value = id;
    current.value = null;
    choice.value = null;
    live.value = null;
    error.value = null;
    if (id) await fetchCurrent();
  }

  /** Fetch the shown sweep; while a fetch is under way, one more follows it (progress comes in bursts). */
  function fetchCurrent(): Promise<void> {
    if (fetching) {
      fetchAgain = true;
      return fetching;
    }
    const id = currentId.value;
    if (!id) return Promise.resolve();
    fetching = (async () => {
      try {
        const s = await lab().getSweep(id);
        if (currentId.value !== id) return;
        current.value = s;
        if (!choice.value) choice.value = defaultChoice(s, presets.value);
      } catch (e) {
        if (currentId.value === id) error.value = `The sweep ${id} could not be loaded: ${messageOf(e)}`;
      } finally {
        fetching = null;
      }
      if (fetchAgain) {
        fetchAgain = false;
        await fetchCurrent();
      }
    })();
    return fetching;
  }

  /** Start a sweep (a preset's definition or the custom form's) and show it. Returns its id. */
  async function start(def: SweepDefinitionDto): Promise<string | null> {
    starting.value = true;
    error.value = null;
    notice.value = null;
    try {
      const { sweepId, total } = await lab().startSweep(def);
      notice.value = `Sweep ${sweepId} started: ${total} run${total === 1 ? '' : 's'}.`;
      await select(sweepId);
      void refreshList();
      return sweepId;
    } catch (e) {
      error.value = `The sweep did not start: ${messageOf(e)}`;
      return null;
    } finally {
      starting.value = false;
    }
  }

  async function cancel(): Promise<void> {
    const id = currentId.value;
    if (!id) return;
    try {
      await lab().cancelSweep(id);
      notice.value = `Sweep ${id} is stopping; finished runs are kept.`;
    } catch (e) {
      error.value = `The sweep ${id} could not be cancelled: ${messageOf(e)}`;
    }
  }

  /** Download the sweep table as CSV. */
  async function exportCsv(doc: Document = document): Promise<void> {
    const id = currentId.value;
    if (!id) return;
    try {
      const file = await lab().sweepCsv(id);
      saveFile(file, doc);
      notice.value = `Saved ${file.name}.`;
    } catch (e) {
      error.value = `The sweep table could not be exported: ${messageOf(e)}`;
    }
  }

  function setChoice(patch: Partial<PlotChoice>): void {
    if (!choice.value) return;
    const next = { ...choice.value, ...patch };
    // The series cannot be the x parameter: swap them.
    if (patch.x !== undefined && next.series === patch.x) next.series = choice.value.x;
    if (patch.series !== undefined && patch.series === next.x) next.x = choice.value.series ?? next.x;
    choice.value = next;
  }

  /** Follow a LabEvent: progress of the shown sweep re-fetches it; the list follows every sweep. */
  function handleEvent(e: LabEvent): void {
    if (e.type !== 'sweep-progress' && e.type !== 'sweep-finished') return;
    const item = list.value.find((s) => s.id === e.sweepId);
    if (e.type === 'sweep-progress') {
      if (item) Object.assign(item, { done: Math.max(item.done, e.done), total: e.total });
      if (e.sweepId === currentId.value) {
        live.value = { done: Math.max(live.value?.done ?? 0, e.done), total: e.total };
        void fetchCurrent();
      }
    } else {
      if (item) item.status = e.status;
      if (e.sweepId === currentId.value) {
        notice.value = `Sweep ${e.sweepId} ${e.status === 'complete' ? 'is complete' : `was ${e.status}`}.`;
        void fetchCurrent();
      }
      void refreshList();
    }
  }

  /** Listen to the lab's events (the view calls it on mount and the returned function on unmount). */
  function subscribe(): () => void {
    return lab().onEvent(handleEvent);
  }

  return { presets, list, currentId, current, choice, loading, starting, error, notice, live, running, progress, plot, load, refreshList, select, fetchCurrent, start, cancel, exportCsv, setChoice, handleEvent, subscribe };
});
