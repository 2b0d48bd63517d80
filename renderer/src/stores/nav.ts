import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { RunId } from '../../../main/contract';

export type Screen = 'archive' | 'new' | 'run';

/** Which screen is shown, mirrored in the location hash (`#/archive`, `#/new`, `#/run/<id>`). */
export const useNavStore = defineStore('nav', () => {
  const screen = ref<Screen>('archive');
  const runId = ref<RunId | null>(null);

  function hash(): string {
    if (screen.value === 'run' && runId.value) return `#/run/${encodeURIComponent(runId.value)}`;
    return `#/${screen.value}`;
  }

  /** Read a hash (at start, on back/forward). Unknown hashes show the archive. */
  function fromHash(h: string): void {
    const m = /^#\/run\/(.+)$/.exec(h);
    if (m) {
      screen.value = 'run';
      runId.value = decodeURIComponent(m[1]);
    } else if (h === '#/new') {
      screen.value = 'new';
    } else {
      screen.value = 'archive';
    }
  }

  function go(s: Screen, id: RunId | null = null): void {
    screen.value = s;
    if (s === 'run') runId.value = id;
  }

  return { screen, runId, hash, fromHash, go };
});
