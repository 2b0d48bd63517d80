import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { CatalogDto, ScenarioDto } from '../../../main/contract';
import { lab } from '../api/lab';
import { messageOf } from '../util/errors';

/** The scenarios, their parameters and the metric definitions: loaded once, read everywhere. */
export const useCatalogStore = defineStore('catalog', () => {
  const catalog = shallowRef<CatalogDto | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const scenarios = computed<ScenarioDto[]>(() => catalog.value?.scenarios ?? []);
  const metricDocs = computed<Record<string, string>>(() => catalog.value?.metrics ?? {});

  function scenario(id: string): ScenarioDto | undefined {
    return scenarios.value.find((s) => s.id === id);
  }

  /** Load the catalog (once; `force` reloads). */
  async function load(force = false): Promise<void> {
    if ((catalog.value && !force) || loading.value) return;
    loading.value = true;
    error.value = null;
    try {
      catalog.value = await lab().catalog();
    } catch (e) {
      error.value = `The scenario catalog could not be loaded: ${messageOf(e)}`;
    } finally {
      loading.value = false;
    }
  }

  return { catalog, loading, error, scenarios, metricDocs, scenario, load };
});
