import type { EventRowDto, RunId, VerifyDto } from '../contract';
import { divergenceDto } from './compare';
import { UserError, userError } from './errors';
import type { Readers } from './readers';
import { APP_VERSION } from './version';
import type { OpOptions } from './runs';
import { startWorker } from './workers/start';

/**
 * Re-run a recorded run (its scenario, parameters and seed) in a sim worker and compare the
 * events with the recorded ones as they come: the digest must match for a complete run, the
 * recorded prefix for a cancelled or failed one.
 */
export async function verifyRun(readers: Readers, id: RunId, file: string, opts: OpOptions = {}): Promise<VerifyDto> {
  const m = readers.with(id, (r) => r.meta());
  if (m.model === 'observed') throw new UserError(`'${id}' is an observed run (the kernel log ${String(m.params.source)}): there is no model run to re-run; verify a model run, or find a matching scenario for it.`);
  const h = startWorker({ mode: 'verify', scenario: m.scenario, params: m.params, seed: m.seed, file, appVersion: APP_VERSION, created: '', progressEvery: 65_536 }, opts.onProgress);
  const onAbort = () => h.cancel();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { summary, verify } = await h.done.catch((e: unknown) => {
      throw userError(e);
    });
    const v = verify as NonNullable<typeof verify>;
    const complete = m.status === 'complete';
    // The stored timeline index (what opening shows first) must be the one its events give.
    const indexOk = readers.with(id, (r) => r.storedTimelineIndexMatches());
    const match = v.divergence === null && indexOk !== false && (complete ? summary.digest === m.digest && summary.events === v.recordedEvents : true);
    let note: string | null = null;
    if (!complete) note = `the recorded run is ${m.status}: its ${v.recordedEvents} recorded events were compared with the re-run's first ${v.recordedEvents}`;
    if (m.modelVersion !== summary.modelVersion) note = `recorded with model version ${m.modelVersion}, re-run with ${summary.modelVersion}: a difference is expected`;
    if (indexOk === false) note = `its stored timeline index (the alarms, lane groups and density the run view opens with, table timeline_index) is not the one its events give${note ? `; ${note}` : ''}`;
    const side = (e: EventRowDto | null, label: string) => (e ? { ...e, text: `${label}: ${e.text}` } : null);
    const d = v.divergence;
    return {
      match,
      digest: summary.digest,
      recordedDigest: m.digest,
      events: summary.events,
      recordedEvents: v.recordedEvents,
      recordedStatus: m.status,
      modelVersion: summary.modelVersion,
      recordedModelVersion: m.modelVersion,
      note,
      firstDivergence: divergenceDto(d ? { ...d, a: side(d.a, 'recorded'), b: side(d.b, 're-run') } : null),
    };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
