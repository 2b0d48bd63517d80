import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { RunId, WhyDto } from '../../../main/contract';
import { lab } from '../api/lab';
import { messageOf } from '../util/errors';

/** Where an explanation is shown: the run view, or one side of the compare view. */
export type WhySlot = 'run' | 'a' | 'b';

interface SlotState {
  runId: RunId | null;
  seq: number | null;
  why: WhyDto | null;
  loading: boolean;
  error: string | null;
}

const empty = (): SlotState => ({ runId: null, seq: null, why: null, loading: false, error: null });

/**
 * "Why did this happen?": the explanation of the selected event, per slot (the run view's
 * selection, each side of the compare view). Asked of the lab (`explain`), the latest request per
 * slot wins; nothing selected clears it (and the timeline's arrows with it).
 */
export const useWhyStore = defineStore('why', () => {
  const slots = shallowRef<Record<WhySlot, SlotState>>({ run: empty(), a: empty(), b: empty() });
  const gen: Record<WhySlot, number> = { run: 0, a: 0, b: 0 };
  /** Bumped on every change, for watchers that redraw. */
  const version = ref(0);

  function put(slot: WhySlot, s: SlotState): void {
    slots.value = { ...slots.value, [slot]: s };
    version.value++;
  }

  async function explain(slot: WhySlot, runId: RunId | null, seq: number | null): Promise<void> {
    const my = ++gen[slot];
    if (!runId || seq === null) {
      put(slot, empty());
      return;
    }
    const cur = slots.value[slot];
    if (cur.runId === runId && cur.seq === seq && (cur.why || cur.loading)) return;
    put(slot, { runId, seq, why: null, loading: true, error: null });
    try {
      const why = await lab().explain(runId, seq);
      if (my !== gen[slot]) return;
      put(slot, { runId, seq, why, loading: false, error: null });
    } catch (e) {
      if (my !== gen[slot]) return;
      put(slot, { runId, seq, why: null, loading: false, error: `Event ${seq} could not be explained: ${messageOf(e)}` });
    }
  }

  /**
   * The event of run `to` that matches event `seq` of run `from`: the same kind, the same
   * occurrence (OOM kill #2 ↔ OOM kill #2), so each side of a comparison explains its own. Null
   * when `to` has fewer (the quiet design may have no second kill). Up to 64 occurrences.
   */
  async function counterpart(from: RunId, seq: number, to: RunId): Promise<{ seq: number | null; label: string }> {
    const [row] = await lab().events(from, { aroundSeq: seq, before: 0, after: 0 });
    if (!row) return { seq: null, label: `event ${seq}` };
    let k = 0;
    for (let at = 1; k < 64; k++) {
      const e = await lab().findEvent(from, row.kind, at);
      if (!e || e.seq >= seq) break;
      at = e.seq + 1;
    }
    let found: number | null = null;
    for (let at = 1, i = 0; i <= k; i++) {
      const e = await lab().findEvent(to, row.kind, at);
      if (!e) {
        found = null;
        break;
      }
      found = e.seq;
      at = e.seq + 1;
    }
    return { seq: found, label: `${row.kind} #${k + 1}` };
  }

  function clear(slot: WhySlot): void {
    gen[slot]++;
    put(slot, empty());
  }

  return { slots, version, explain, counterpart, clear };
});
