import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { LabEvent, ParamValue, RunId, RunRequest, RunStatus, ScenarioDto } from '../../../main/contract';
import { lab } from '../api/lab';
import { messageOf } from '../util/errors';

type Spec = ScenarioDto['params'][number];
/** What a field holds while the user types: text for numbers, a boolean for a checkbox. */
export type FieldValue = string | boolean;

/** A run started from the form, as its progress events describe it. */
export interface RunProgress {
  runId: RunId;
  status: RunStatus;
  events: number;
  tNs: number;
  eventsPerSec: number;
  error: string | null;
}

/** Turn one field into the value sent to the service; text that is not a number goes as typed, so the service names the problem. */
export function toParamValue(spec: Spec, v: FieldValue): ParamValue {
  if (spec.type === 'bool') return v === true || v === 'true';
  if (spec.type === 'enum') return String(v);
  const s = String(v).trim();
  const n = Number(s);
  return s !== '' && Number.isFinite(n) ? n : s;
}

/**
 * The new-run form: the chosen scenario, the field values, the validation messages the service
 * gives (one per bad field), and the run it started with its progress.
 */
export const useRunFormStore = defineStore('runForm', () => {
  const scenario = ref<ScenarioDto | null>(null);
  const values = ref<Record<string, FieldValue>>({});
  const seed = ref('1');
  const errors = ref<Record<string, string>>({});
  const validating = ref(false);
  const startError = ref<string | null>(null);
  const run = ref<RunProgress | null>(null);
  let validation = 0;
  let starting = false;
  let early: LabEvent[] = [];
  /** Set when the run completed before startRun answered: the screen opens it. */
  const finishedEarly = ref<RunId | null>(null);

  const running = computed(() => run.value?.status === 'running');
  const hasErrors = computed(() => Object.keys(errors.value).length > 0);

  /** Choose a scenario: every field back to its default. */
  function selectScenario(s: ScenarioDto): void {
    scenario.value = s;
    const v: Record<string, FieldValue> = {};
    for (const p of s.params) v[p.key] = p.type === 'bool' ? p.default === true : String(p.default);
    values.value = v;
    errors.value = {};
    startError.value = null;
  }

  function setValue(key: string, v: FieldValue): void {
    values.value = { ...values.value, [key]: v };
  }

  /** The request as it would be sent now (null if no scenario is chosen). */
  function request(): RunRequest | null {
    const s = scenario.value;
    if (!s) return null;
    const params: Record<string, ParamValue> = {};
    for (const p of s.params) {
      const v = values.value[p.key];
      if (v === undefined) continue;
      // Send only what differs from the default: the trace records the full, resolved set anyway.
      const pv = toParamValue(p, v);
      if (pv !== p.default) params[p.key] = pv;
    }
    const n = Number(seed.value.trim());
    return { scenario: s.id, params, seed: seed.value.trim() !== '' && Number.isFinite(n) ? n : NaN };
  }

  function seedError(): string | null {
    const n = Number(seed.value.trim());
    return seed.value.trim() === '' || !Number.isSafeInteger(n) || n < 0 ? `Seed must be a non-negative integer; got '${seed.value}'.` : null;
  }

  /** Ask the service for the messages (the latest call wins if several overlap). */
  async function validate(): Promise<void> {
    const req = request();
    if (!req) return;
    const my = ++validation;
    validating.value = true;
    try {
      const se = seedError();
      const res = await lab().validateRun({ ...req, seed: se ? 0 : req.seed });
      if (my !== validation) return;
      const next = { ...res };
      if (se) next.seed = se;
      errors.value = next;
    } catch (e) {
      if (my === validation) errors.value = { '': `The parameters could not be checked: ${messageOf(e)}` };
    } finally {
      if (my === validation) validating.value = false;
    }
  }

  /** Validate, then start the run; progress arrives through `handleEvent`. */
  async function start(): Promise<RunId | null> {
    startError.value = null;
    await validate();
    if (hasErrors.value) {
      startError.value = 'Fix the fields marked above first.';
      return null;
    }
    const req = request();
    if (!req) return null;
    starting = true;
    early = [];
    try {
      const { runId } = await lab().startRun(req);
      run.value = { runId, status: 'running', events: 0, tNs: 0, eventsPerSec: 0, error: null };
      // A fast run may have reported (or finished) before startRun answered: replay what it said.
      const missed = early.filter((e) => (e.type === 'run-progress' || e.type === 'run-finished') && e.runId === runId);
      starting = false;
      early = [];
      for (const e of missed) {
        const done = handleEvent(e);
        if (done) finishedEarly.value = done;
      }
      return runId;
    } catch (e) {
      startError.value = `The run did not start: ${messageOf(e)}`;
      return null;
    } finally {
      starting = false;
      early = [];
    }
  }

  async function cancel(): Promise<void> {
    const r = run.value;
    if (!r || r.status !== 'running') return;
    try {
      await lab().cancelRun(r.runId);
    } catch (e) {
      startError.value = `The run could not be cancelled: ${messageOf(e)}`;
    }
  }

  /**
   * Follow a LabEvent. Returns the run id when the form's run has just completed (the caller opens
   * it), else null.
   */
  function handleEvent(e: LabEvent): RunId | null {
    if (e.type !== 'run-progress' && e.type !== 'run-finished') return null;
    if (starting) {
      early.push(e);
      return null;
    }
    const r = run.value;
    // Only the run this form started: runs started elsewhere (CLI, another window) are not ours.
    if (!r || r.runId !== e.runId) return null;
    if (e.type === 'run-progress') {
      run.value = { ...r, events: e.events, tNs: e.tNs, eventsPerSec: e.eventsPerSec };
      return null;
    }
    run.value = { ...r, status: e.status, error: e.error };
    return e.status === 'complete' ? e.runId : null;
  }

  function dismissRun(): void {
    run.value = null;
    finishedEarly.value = null;
  }

  return {
    scenario, values, seed, errors, validating, startError, run, running, hasErrors, finishedEarly,
    selectScenario, setValue, request, validate, start, cancel, handleEvent, dismissRun,
  };
});
