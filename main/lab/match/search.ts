import type { MatchCandidateDto, MatchDto, RunId, RunRequest } from '../../contract';
import type { ParamValue } from '../../sim/params';
import { SCENARIOS } from '../../sim/scenarios/index';
import type { KernReport } from '../../trace/kernlog/types';
import type { Readers } from '../readers';
import { flat, modelFeatures, observedFeatures, type Features } from './features';
import { REPORTED, score } from './score';

/**
 * "Find a matching scenario" for an observed run: run the model over candidate scenarios and
 * parameters (in this thread, unrecorded: each run is milliseconds to a second) and score how much
 * each run looks like the log, then propose the best. The scenario list is the catalog's, so a
 * scenario added later (the lockdep incidents) is a candidate without a change here.
 *
 * What is compared:
 * - an OOM log: the gaps kill -> reap, kill -> next OOM invocation and kill -> next kill, and the
 *   counts of kills, reaps, failed reaps, "no killable processes" and panics; the grid covers the
 *   design, the bystanders (whether anything is left to kill) and the reaper delay, then the reaper
 *   delay and the victim's size are fitted to the gaps;
 * - reports (lockdep, might_sleep, hung task, panic): the model run's kernel log is parsed with the
 *   same parser as the real one, and each report compared (lockdep by its chain of lock classes, the
 *   others by their call traces' functions);
 * - in any case, the kinds of lines (faults printed, IOMMU records, hung tasks...).
 */

function describeReport(r: KernReport): string {
  if (r.kind === 'lockdep' && r.lockdep) return `lockdep (${r.lockdep.title}): ${r.lockdep.chainExists.join(' --> ') || r.lockdep.chain.map((c) => c.lock).join(', ')}`;
  return `${r.kind}${r.task ? ` of ${r.task}` : ''}: ${r.stack.slice(0, 6).join(' < ')}`;
}

/** The candidates' parameter grid for a scenario: each knob only where the scenario has it. */
function grid(scenario: string, knobs: Record<string, ParamValue[]>): Record<string, ParamValue>[] {
  const sc = SCENARIOS.find((s) => s.id === scenario);
  const keys = Object.keys(knobs).filter((k) => sc?.params.some((p) => p.key === k));
  let out: Record<string, ParamValue>[] = [{}];
  for (const k of keys) out = out.flatMap((p) => knobs[k].map((v) => ({ ...p, [k]: v })));
  return out;
}

/** The knobs fitted to amounts (and lockedMemory, which only moves what is left over): a family of candidates shares the rest. */
const FITTED = new Set(['reaperDelayMs', 'victimAnonMiB', 'lockedMemory']);

/** At most this many model runs per match (each is milliseconds; a budget keeps a match within seconds). */
const MAX_RUNS = 80;

export function findMatchingScenario(readers: Readers, id: RunId): MatchDto {
  const o = observedFeatures(readers, id);
  const oom = (o.counts.oom_kill ?? 0) > 0;
  const reported = o.reports.filter((r) => REPORTED.has(r.kind));
  const basis: MatchDto['basis'] = oom ? 'oom' : reported.length > 0 ? 'report' : 'lines';
  const seen = new Map<string, MatchCandidateDto>();
  const tryRun = (req: RunRequest): MatchCandidateDto | null => {
    const key = JSON.stringify(req);
    const had = seen.get(key);
    if (had) return had;
    if (seen.size >= MAX_RUNS) return null;
    let f: Features;
    try {
      f = modelFeatures(req);
    } catch {
      return null; // a combination the scenario refuses is no candidate
    }
    const sc = score(o, f);
    const c = { run: req, score: sc.score, why: sc.why.join('; '), features: flat(f) };
    seen.set(key, c);
    return c;
  };
  // Heavy scenarios (an event budget: stress) are no candidates.
  const scenarios = SCENARIOS.filter((s) => !s.eventBudget && (!oom || s.usesOomKiller === true));
  for (const s of scenarios) {
    const knobs: Record<string, ParamValue[]> = oom ? { mmExit: [true, false], bystanders: [0, 1, 6], reaperDelayMs: [0, 2000], lockedMemory: [0, 1024] } : { mmExit: [true, false] };
    if (!oom && ((o.counts.smmu_evt ?? 0) > 0 || (o.counts.dmar_fault ?? 0) > 0)) knobs.iommu = (o.counts.smmu_evt ?? 0) > 0 ? ['smmuv3'] : ['vt-d'];
    for (const params of grid(s.id, knobs)) tryRun({ scenario: s.id, params, seed: 1 });
  }
  if (oom) refineOom(o, seen, tryRun);
  // Best first, one per scenario and setting of the grid's switches (the fitted amounts vary
  // within a family); of candidates that score alike, the one with fewer settings.
  const sorted = [...seen.values()].sort((x, y) => x.score - y.score || Object.keys(x.run.params).length - Object.keys(y.run.params).length);
  const alike = new Set<string>();
  const family = (c: MatchCandidateDto) => JSON.stringify(Object.entries(c.run.params).filter(([k]) => !FITTED.has(k)));
  const candidates = sorted.filter((c) => {
    const k = `${c.run.scenario}|${family(c)}`;
    if (alike.has(k)) return false;
    alike.add(k);
    return true;
  }).slice(0, 5);
  let note: string | null = null;
  const best = candidates[0];
  if (!best) note = oom ? 'No scenario of this build runs the machine out of memory.' : 'No scenario of this build could be run.';
  else if (basis === 'lines' && best.score > 2) note = 'No scenario of this build shows lines much like these; the closest is first.';
  else if (basis === 'report' && reported.some((r) => !best.why.includes(`${r.kind} report`) || best.why.includes(`no ${r.kind} report`)))
    note = `No scenario of this build prints a ${reported.map((r) => r.kind).join(' or ')} report like this one; the best is the closest by its other lines.`;
  return { runId: id, basis, observed: flat(o), looking: reported.map(describeReport), candidates, tried: seen.size, note };
}

/**
 * Fit the OOM timing knobs of the best candidates: the reaper delay to the kill -> reap gap (the
 * model's own reap time kept), the victim's reapable memory to the kill -> next OOM gap (what the
 * reap returns is what the allocator uses up before it fails again), in a few log-scale steps.
 */
function refineOom(o: Features, seen: Map<string, MatchCandidateDto>, tryRun: (r: RunRequest) => MatchCandidateDto | null): void {
  const top = () => [...seen.values()].sort((x, y) => x.score - y.score);
  for (const c of top().slice(0, 2)) {
    let best = c;
    const sc = SCENARIOS.find((s) => s.id === c.run.scenario);
    const has = (k: string) => sc?.params.some((p) => p.key === k) === true;
    const reapObs = o.gaps.reap;
    const reapModel = best.features.reapGapNs;
    if (has('reaperDelayMs') && reapObs !== null && reapModel !== null) {
      const delay = Number(best.run.params.reaperDelayMs ?? 0);
      const own = reapModel - delay * 1e6;
      const fit = Math.min(10_000, Math.max(0, Math.round((reapObs - own) / 1e6)));
      if (fit !== delay) {
        const r = tryRun({ ...best.run, params: { ...best.run.params, reaperDelayMs: fit } });
        if (r && r.score < best.score) best = r;
      }
    }
    if (has('victimAnonMiB') && o.gaps.nextOom !== null) {
      let lo = 16;
      let hi = 65_536;
      for (let i = 0; i < 8; i++) {
        const mid = Math.round(Math.sqrt(lo * hi));
        const r = tryRun({ ...best.run, params: { ...best.run.params, victimAnonMiB: mid } });
        if (!r) break;
        if (r.score < best.score) best = r;
        const g = r.features.nextOomGapNs;
        // No next OOM at all: the reap returned more than the allocator wanted.
        if (g !== null && g < o.gaps.nextOom) lo = mid;
        else hi = mid;
      }
    }
  }
}
