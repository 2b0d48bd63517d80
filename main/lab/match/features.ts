import type { RunId, RunRequest } from '../../contract';
import { KINDS, type TraceSink } from '../../sim/events';
import { runScenario } from '../../sim/run';
import { parseKernelLog } from '../../trace/kernlog/parse';
import type { KernReport } from '../../trace/kernlog/types';
import { OBSERVED } from '../../trace/observed_meta';
import { resolveRun } from '../args';
import { UserError } from '../errors';
import type { Readers } from '../readers';

/**
 * What "find a matching scenario" (search.ts) compares: the features of a run, observed or model,
 * folded from its events in one pass. An observed run's are read from its trace; a model run's come
 * from running it here (unrecorded) and parsing its kernel log with the same parser as a real one.
 */

/** What one run (observed or model) shows, for scoring. */
export interface Features {
  /** The observed log's format (what it can show); null for a model run. */
  format: string | null;
  counts: Record<string, number>;
  /** ns from the first OOM kill (null: not there). */
  gaps: { reap: number | null; nextOom: number | null; nextKill: number | null };
  reports: KernReport[];
}

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
export function observedFeatures(readers: Readers, id: RunId): Features {
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
export function modelFeatures(req: RunRequest): Features {
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

/** The observed features in the DTO's flat form. */
export function flat(f: Features): Record<string, number | null> {
  return { ...f.counts, reapGapNs: f.gaps.reap, nextOomGapNs: f.gaps.nextOom, nextKillGapNs: f.gaps.nextKill };
}
