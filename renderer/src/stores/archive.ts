import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import type { RunId, RunListItem, RunStatus } from '../../../main/contract';
import { lab } from '../api/lab';
import { bytesToBase64 } from '../util/base64';
import { messageOf } from '../util/errors';

export interface ArchiveFilter {
  /** Matches scenario, run id or seed, case-insensitively. */
  text: string;
  /** `observed`: kernel logs imported as runs. */
  model: 'all' | 'mm_exit' | 'quiet' | 'observed';
  status: 'all' | RunStatus;
}

/** The archive list: what is recorded, filtered for the screen, with import and delete. */
export const useArchiveStore = defineStore('archive', () => {
  const runs = shallowRef<RunListItem[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const filter = reactive<ArchiveFilter>({ text: '', model: 'all', status: 'all' });
  /** The run whose deletion waits for confirmation. */
  const pendingDelete = ref<RunId | null>(null);
  const busy = ref(false);
  /** Outcome of the last import or delete, for a status line (`ok` false: an error). */
  const notice = ref<{ ok: boolean; text: string } | null>(null);

  const filtered = computed(() => {
    const q = filter.text.trim().toLowerCase();
    return runs.value.filter(
      (r) =>
        (filter.model === 'all' || r.model === filter.model) &&
        (filter.status === 'all' || r.status === filter.status) &&
        (!q || r.scenario.toLowerCase().includes(q) || r.id.toLowerCase().includes(q) || String(r.seed) === q || String(r.params.source ?? '').toLowerCase().includes(q)),
    );
  });

  async function refresh(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      runs.value = await lab().listRuns();
      loaded.value = true;
    } catch (e) {
      error.value = `The archive could not be listed: ${messageOf(e)}`;
    } finally {
      loading.value = false;
    }
  }

  function requestDelete(id: RunId): void {
    pendingDelete.value = id;
    notice.value = null;
  }

  function cancelDelete(): void {
    pendingDelete.value = null;
  }

  async function confirmDelete(): Promise<void> {
    const id = pendingDelete.value;
    if (!id) return;
    busy.value = true;
    try {
      await lab().deleteRun(id);
      runs.value = runs.value.filter((r) => r.id !== id);
      notice.value = { ok: true, text: `Deleted ${id}.` };
    } catch (e) {
      notice.value = { ok: false, text: `${id} was not deleted: ${messageOf(e)}` };
    } finally {
      pendingDelete.value = null;
      busy.value = false;
    }
  }

  /** Import a trace file chosen by the user; the service validates it before it joins the archive. */
  async function importFile(file: File): Promise<RunListItem | null> {
    busy.value = true;
    notice.value = null;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const item = await lab().importTrace({ name: file.name, bytesBase64: bytesToBase64(bytes) });
      runs.value = [item, ...runs.value.filter((r) => r.id !== item.id)];
      notice.value = { ok: true, text: item.model === 'observed' ? `Imported the kernel log ${file.name} as an observed run (${item.id}).` : `Imported ${file.name} as ${item.id}.` };
      return item;
    } catch (e) {
      notice.value = { ok: false, text: `${file.name} was not imported: ${messageOf(e)}` };
      return null;
    } finally {
      busy.value = false;
    }
  }

  return { runs, loaded, loading, error, filter, filtered, pendingDelete, busy, notice, refresh, requestDelete, cancelDelete, confirmDelete, importFile };
});
