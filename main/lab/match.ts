import type { MatchCandidateDto, MatchDto, RunId, RunRequest } from '../contract';
import { KINDS, type TraceSink } from '../sim/events';
import type { ParamValue } from '../sim/params';
import { runScenario } from '../sim/run';
import { SCENARIOS } from '../sim/scenarios/index';
import { fmtNs } from '../sim/time';
import { parseKernelLog } from '../trace/kernlog/parse';
import type { KernReport } from '../trace/kernlog/types';
import { OBSERVED } from '../trace/observed_meta';
import { resolveRun } from './args';
import { UserError } from './errors';
import type { Readers } from './readers';

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

/** What one run (observed or model) shows, for scoring. */
interface Features {
  /** The observed log's format (what it can show); null for a model run. */
  format: string | null;
  counts: Record<string, number>;
  /** ns from the first OOM kill (null: not there). */
  gaps: { reap: number | null; nextOom: number | null; nextKill: number | null };
  reports: KernReport[];
}

/** The counted kinds; faults are the printk lines of class `fault`. */
const COUNTED = ['oom_kill', 'reaped', 'sigkill', 'oom_reap_fail', 'oom_none', 'panic', 'hung_task', 'dmar_fault', 'smmu_evt', 'io_page_fault', 'faults', 'lockdep', 'might_sleep'] as const;
/** The counted kinds an ftrace capture can show (tracepoints: oom:*, signal:*, iommu:io_page_fault). */
const FTRACE_SHOWS = new Set(['oom_kill', 'reaped', 'sigkill', 'io_page_fault']);
const WEIGHT: Record<string, number> = { oom_kill: 2, panic: 2, oom_none: 2, lockdep: 3, might_sleep: 3, hung_task: 2 };

/** Folds a stream of (t, kind, b, args) into Features; `lines` collects the printk messages to parse afterwards (model runs). */
class FeatureFold {
  readonly counts: Record<string, number> = {};
  private kills: number[] = [];
  private reaps: number[] = [];
  private invokes: number[] = [];
  readonly lines: [number, string][] = [];
  constructor(private readonly keepLines: boolean) {}
  private inc(k: string): void {
    this.counts[k] = (this.counts[k] ?? 0) + 1;
  }
  add(t: number, kind: string, a: number, b: number, args: () => Record<string, unknown> | null): void {
    switch (kind) {
      case 'oom_kill':
        this.inc(kind);
        this.kills.push(t);
        return;
      case 'oom_invoke':
        // Only the invocations the kernel prints (dump_header: a kill, or nothing left to kill):
        // the model's out_of_memory() that aborts for an exiting victim prints nothing, so for a
        // model run these are counted from its "invoked oom-killer" lines instead.
        if (!this.keepLines) this.invokes.push(t);
        return;
      case 'signal':
        // A SIGKILL someone sent (the OOM killer's own shows in a log as the kill, not as a signal).
        if (a === 9 && args()?.from !== 'oom_kill_process') this.inc('sigkill');
        return;
      case 'reap_end':
        if (b === 1) {
          this.inc('reaped');
          this.reaps.push(t);
        }
        return;
      case 'oom_reap_fail':
      case 'oom_none':
      case 'panic':
      case 'hung_task':
      case 'dmar_fault':
      case 'smmu_evt':
      case 'io_page_fault':
        if (kind !== 'smmu_evt' || b === 1) this.inc(kind);
        return;
      case 'printk': {
        const a = args();
        if (a?.cls === 'fault') this.inc('faults');
        if (this.keepLines && typeof a?.msg === 'string') {
          this.lines.push([t, a.msg]);
          if (a.msg.includes(' invoked oom-killer: ')) this.invokes.push(t);
        }
        else if (a && (a.kind === 'lockdep' || a.kind === 'might_sleep')) this.inc(a.kind);
        return;
      }
      default:
    }
  }
  result(reports: KernReport[], format: string | null = null): Features {
    const k0 = this.kills[0] ?? null;
    const after = (l: number[]) => (k0 === null ? null : (l.find((t) => t > k0 || (t === k0 && l !== this.kills)) ?? null));
    const firstAfter = (l: number[]) => {
      const t = after(l);
      return t === null || k0 === null ? null : t - k0;
    };
    const nextKill = k0 !== null && this.kills.length > 1 ? this.kills[1] - k0 : null;
    // The next OOM invocation: the first one after the kill (its own dump_header printed before it).
    const nextOom = k0 === null ? null : ((): number | null => {
      const t = this.invokes.find((x) => x > k0);
      return t === undefined ? null : t - k0;
    })();
    for (const r of reports) if (r.kind === 'lockdep' || r.kind === 'might_sleep') this.counts[r.kind] = Math.max(this.counts[r.kind] ?? 0, reports.filter((x) => x.kind === r.kind).length);
    return { format, counts: this.counts, gaps: { reap: firstAfter(this.reaps), nextOom, nextKill }, reports };
  }
}

/** The observed run's features, from its trace. */
function observedFeatures(readers: Readers, id: RunId): Features {
  return readers.with(id, (r) => {
    const m = r.meta();
    if (m.model !== OBSERVED) throw new UserError(`'${id}' is a model run (${m.scenario}); find a matching scenario for an observed run, a kernel log imported with sva-lab import.`);
    const f = new FeatureFold(false);
    const reports: KernReport[] = [];
    const last = r.countRows();
    for (let s = 1; s <= last; s += 4096) {
      for (const e of r.eventsBetween(s, Math.min(last, s + 4095))) {
        f.add(e.tNs, e.kind, e.a, e.b, () => e.args);
        const info = e.args?.reportInfo as KernReport | undefined;
        if (e.kind === 'printk' && info && typeof info === 'object') reports.push(info);
      }
    }
    return f.result(reports, String(m.params.format ?? ''));
  });
}

/** A model run's features: its events folded, its kernel log parsed as a real one would be. */
function modelFeatures(req: RunRequest): Features {
  const run = resolveRun(req);
  const f = new FeatureFold(true);
  const sink: TraceSink = {
    actor() {},
    event(_seq, t, kind, _actor, _cause, a, b, args) {
      f.add(t, KINDS[kind]?.name ?? '', a, b, () => (args === null ? null : (JSON.parse(args) as Record<string, unknown>)));
    },
  };
  runScenario(run.scenario, run.params, run.seed, { sinks: [sink] });
  let reports: KernReport[] = [];
  if (f.lines.length > 0) {
    const text = f.lines.map(([t, msg]) => `[${(t / 1e9).toFixed(6).padStart(12)}] ${msg}`).join('\n');
    try {
      reports = parseKernelLog('model', text).reports;
    } catch {
      reports = [];
    }
  }
  return f.result(reports);
}

const jaccard = (a: readonly string[], b: readonly string[]): number => {
  const A = new Set(a);
  const B = new Set(b);
  if (A.size === 0 && B.size === 0) return 1;
  let n = 0;
  for (const x of A) if (B.has(x)) n++;
  return n / (A.size + B.size - n);
};

/** How alike two reports of one kind are, 0..1. */
function reportSimilarity(o: KernReport, m: KernReport): number {
  if (o.kind === 'lockdep' && o.lockdep && m.lockdep) {
    const lo = o.lockdep;
    const lm = m.lockdep;
    const chain = lo.chainExists.length > 0 && lo.chainExists.join(' ') === lm.chainExists.join(' ') ? 1 : jaccard(lo.chainExists, lm.chainExists);
    const locks = jaccard([...lo.chain.map((c) => c.lock), ...lo.held.map((h) => h.name)], [...lm.chain.map((c) => c.lock), ...lm.held.map((h) => h.name)]);
    const fns = jaccard(lo.chain.flatMap((c) => c.stack), lm.chain.flatMap((c) => c.stack));
    return 0.5 * chain + 0.25 * locks + 0.25 * fns;
  }
  return jaccard(o.stack, m.stack);
}

/** Reports compared one by one (a panic is counted; its call trace says where the allocation was, not what went wrong). */
const REPORTED = new Set(['lockdep', 'might_sleep', 'hung_task']);

/** Lower is better: line kinds, OOM gaps, reports. */
function score(o: Features, m: Features): { score: number; why: string[] } {
  let s = 0;
  const why: string[] = [];
  // What the log can show at all: dmesg prints no signals; an ftrace capture holds no printk lines.
  const shown = (k: string) => (o.format === 'ftrace' ? FTRACE_SHOWS.has(k) : k !== 'sigkill');
  for (const k of COUNTED) {
    if (!shown(k)) continue;
    const co = o.counts[k] ?? 0;
    const cm = m.counts[k] ?? 0;
    if (co === 0 && cm === 0) continue;
    s += (WEIGHT[k] ?? 1) * Math.abs(Math.log((co + 1) / (cm + 1)));
    why.push(co === cm ? `${co} ${k} as in the log` : `${cm} ${k} (log ${co})`);
  }
  const gapWords = { reap: 'kill -> reap', nextOom: 'kill -> next OOM', nextKill: 'kill -> next kill' } as const;
  for (const g of Object.keys(gapWords) as (keyof typeof gapWords)[]) {
    const go = o.gaps[g];
    const gm = m.gaps[g];
    if (go === null && gm === null) continue;
    if (go === null || gm === null) {
      s += 2;
      why.push(`${gapWords[g]} ${gm === null ? 'never' : fmtNs(gm)} (log ${go === null ? 'never' : fmtNs(go)})`);
      continue;
    }
    s += Math.abs(Math.log((go + 1e6) / (gm + 1e6)));
    why.push(`${gapWords[g]} ${fmtNs(gm)} (log ${fmtNs(go)})`);
  }
  for (const r of o.reports.filter((x) => REPORTED.has(x.kind))) {
    const same = m.reports.filter((x) => x.kind === r.kind);
    if (same.length === 0) {
      s += 3;
      why.push(`no ${r.kind} report`);
      continue;
    }
    const best = Math.max(...same.map((x) => reportSimilarity(r, x)));
    s += 3 * (1 - best);
    why.push(`${r.kind} report ${Math.round(best * 100)}% alike`);
  }
  return { score: Math.round(s * 1000) / 1000, why };
}

/** The observed features in the DTO's flat form. */
function flat(f: Features): Record<string, number | null> {
  return { ...f.counts, reapGapNs: f.gaps.reap, nextOomGapNs: f.gaps.nextOom, nextKillGapNs: f.gaps.nextKill };
}

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
