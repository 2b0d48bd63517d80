import { Digest, KIND, type TrackType } from '../sim/events';
import { MetricsFold, type Metrics } from '../sim/metrics';
import type { KernLine, KernLog } from './kernlog/types';
import { OBSERVED, observedMetrics, type ObservedParams } from './observed_meta';
import { TraceRecorder, TraceWriter } from './writer';

export { notObservable, OBSERVED, observedMetrics, type ObservedParams } from './observed_meta';

/**
 * An imported kernel log as a trace: an **observed run**. It is written through the normal
 * recorder and writer, so every view, query, export and comparison reads it as it reads a model
 * run. Its meta says `scenario` = `model` = `observed`, its params name the source file and its
 * format. Every line of the log is one `printk` event carrying the line as it was (`args.text`), on
 * the lane of the task that printed it when the log says so (printk caller id, ftrace TASK-PID),
 * else on `kernel log`. A line the model has a kind for (an OOM kill, a reap, a hung task, a
 * panic, an IOMMU fault, a signal...) is followed by that event too, at the same time, caused by the
 * line, on the lane the model would put it (the OOM killer, the reaper, the task, the IOMMU).
 */

export interface ObservedWritten {
  events: number;
  endTimeNs: number;
  startNs: number;
  digest: string;
  metrics: Metrics;
  notObservable: string[];
  params: ObservedParams;
}

/** The parser kinds that become a model kind's event after their line, where this build has that kind. */
function modelKind(kind: string): number | undefined {
  if (kind === 'printk' || kind === 'ftrace') return undefined;
  return Object.hasOwn(KIND, kind) ? (KIND as Record<string, number>)[kind] : undefined;
}

/** Write `log` as an observed run into `file` (which must not exist, or be empty). */
export function writeObservedTrace(file: string, log: KernLog, h: { appVersion: string; created: string }): ObservedWritten {
  const params: ObservedParams = { source: log.name, format: log.format, clock: log.clock, origin: log.origin ?? '', lines: log.lines.length, reports: log.reports.length };
  const w = new TraceWriter(file, { appVersion: h.appVersion, scenario: OBSERVED, params: params as unknown as Record<string, unknown>, seed: 0, model: OBSERVED, modelVersion: 0, created: h.created });
  const folded = new MetricsFold();
  const digest = new Digest();
  const rec = new TraceRecorder((b) => w.write(b));
  const sinks = [rec, folded];
  const actors = new Map<string, number>();
  const actor = (name: string, track: TrackType): number => {
    let id = actors.get(name);
    if (id === undefined) {
      id = actors.size + 1;
      actors.set(name, id);
      digest.actor(id, name);
      for (const s of sinks) s.actor(id, name, track);
    }
    return id;
  };
  let seq = 0;
  let lastT = Number.NEGATIVE_INFINITY;
  const emit = (t: number, kind: number, a: number, cause: number, x: number, y: number, args: Record<string, unknown> | null): number => {
    seq++;
    const s = args === null ? null : JSON.stringify(args);
    digest.event(seq, t, kind, a, cause, x, y, s);
    for (const k of sinks) k.event(seq, t, kind, a, cause, x, y, s);
    return seq;
  };
  const taskLane = (name: string | null | undefined, pid: number | null | undefined): number | null => {
    if (!name && (pid === null || pid === undefined)) return null;
    return actor(pid === null || pid === undefined ? String(name) : `${name ?? `T${pid}`}:${pid}`, 'task');
  };
  const pidName = new Map<number, string>();
  for (const t of log.tasks) if (t.pid !== null) pidName.set(t.pid, t.name);
  const laneOfPid = (pid: unknown, comm?: unknown) => (typeof pid === 'number' ? taskLane(typeof comm === 'string' ? comm : (pidName.get(pid) ?? null), pid) : null);
  const kernelLog = () => actor('kernel log', 'log');
  const reportKinds: Record<string, number> = {};
  let triggered = false;
  const reportStart = new Set(log.reports.map((r) => r.first));

  for (const l of log.lines) {
    // A trace's time never runs backwards (views and folds rely on it): a line stamped earlier than
    // the one before it (journald records out of order, a clock step) is placed at that time, and
    // keeps its own stamp in args.logTNs.
    const t = Math.max(0, l.tNs, lastT === Number.NEGATIVE_INFINITY ? 0 : lastT);
    lastT = t;
    const lane = taskLane(l.task, l.pid) ?? kernelLog();
    const report = l.report === null ? null : log.reports[l.report];
    const mk = modelKind(l.kind);
    const args: Record<string, unknown> = { msg: l.msg, text: l.text, cls: log.format === 'ftrace' ? 'trace' : l.cls, line: l.n };
    if (l.kind !== 'printk') args.kind = l.kind;
    if (mk === undefined && Object.keys(l.args).length > 0) Object.assign(args, { fields: l.args });
    if (l.report !== null) args.report = l.report;
    if (report && report.first === l.n) args.reportInfo = report;
    if (!l.stamped) args.stamped = false;
    if (t !== l.tNs) args.logTNs = l.tNs;
    if (l.source !== undefined) args.source = l.source;
    if (l.kind === 'lockdep' || l.kind === 'might_sleep') reportKinds[l.kind] = (reportKinds[l.kind] ?? 0) + 1;
    const line = emit(t, KIND.printk, lane, 0, l.level ?? -1, 0, args);
    if (mk !== undefined) modelEvent(l, t, mk, line);
    else if (reportStart.has(l.n) && report && args.reportInfo === undefined) args.reportInfo = report;
  }

  /** The model's event for a line it has a kind for, on the lane the model uses. */
  function modelEvent(l: KernLine, t: number, kind: number, line: number): void {
    const a = l.args;
    const ev = { ...a, observed: true, line: l.n };
    const report = l.report === null ? null : log.reports[l.report];
    const reaper = () => (l.task ? (taskLane(l.task, l.pid) as number) : actor('oom_reaper', 'oom'));
    switch (l.kind) {
      case 'oom_invoke':
        emit(t, kind, actor('oom killer', 'oom'), line, laneOfPid(report?.pid ?? l.pid, a.comm) ?? 0, 0, ev);
        return;
      case 'oom_kill': {
        const victim = laneOfPid(a.pid, a.comm) ?? 0;
        // The model's trigger: the first OOM kill (or SIGKILL); times in the summary are measured from it.
        if (!triggered) {
          triggered = true;
          emit(t, KIND.trigger, actor('scenario', 'scenario'), line, 0, 0, { victim: `${String(a.comm ?? pidName.get(Number(a.pid)) ?? '?')}:${String(a.pid)}`, by: 'oom_kill_process', observed: true });
        }
        const rss = typeof a.anonRss === 'number' ? Math.round(a.anonRss / 4) : undefined;
        emit(t, kind, actor('oom killer', 'oom'), line, victim, 0, rss === undefined ? ev : { ...ev, rssPages: rss });
        return;
      }
      case 'oom_none':
        emit(t, kind, actor('oom killer', 'oom'), line, 0, 0, ev);
        return;
      case 'reap_begin':
        emit(t, kind, reaper(), line, laneOfPid(a.pid) ?? 0, 1, ev);
        return;
      case 'reap_end':
        // a: pages reaped (the log gives kB left, not pages reaped: 0); b: 1 reaped, 2 skipped (model REAP_OUTCOME).
        emit(t, kind, reaper(), line, 0, a.reaped === true ? 1 : 2, ev);
        return;
      case 'oom_reap_fail':
        emit(t, kind, reaper(), line, laneOfPid(a.pid, a.comm) ?? 0, 0, ev);
        return;
      case 'hung_task':
        // a: hung_task_timeout_secs, which the report does not print (0); b: the seconds it prints.
        emit(t, kind, laneOfPid(a.pid, a.comm) ?? kernelLog(), line, 0, Number(a.secs ?? 0), ev);
        return;
      case 'dmar_fault': {
        // a: the PASID as printed (ffffffff: none); b: the model's reason codes do not apply (0).
        const pasid = typeof a.pasid === 'string' && /^[0-9a-f]+$/i.test(a.pasid) ? Number.parseInt(a.pasid, 16) : 0;
        emit(t, kind, actor('iommu DMAR', 'iommu'), line, pasid, 0, ev);
        return;
      }
      case 'smmu_evt':
        // b = 1: printed by the driver (what the model's reportedErrors counts).
        emit(t, kind, actor(`iommu arm-smmu-v3 ${String(a.smmu ?? '')}`.trim(), 'iommu'), line, 0, 1, ev);
        return;
      case 'io_page_fault':
        emit(t, kind, actor(a.iommu === 'amd-vi' ? 'iommu AMD-Vi' : `iommu ${String(a.driver ?? '')} ${String(a.device ?? '')}`.trim(), 'iommu'), line, 0, 0, ev);
        return;
      case 'signal': {
        const target = laneOfPid(a.pid, a.comm) ?? kernelLog();
        if (a.sig === 9 && !triggered) {
          triggered = true;
          emit(t, KIND.trigger, actor('scenario', 'scenario'), line, 0, 0, { victim: `${String(a.comm)}:${String(a.pid)}`, by: l.task ?? '?', observed: true });
        }
        emit(t, kind, target, line, Number(a.sig ?? 0), 0, { ...ev, from: l.task ? `${l.task}:${l.pid}` : '?' });
        return;
      }
      case 'sched_process_exit':
        emit(t, kind, laneOfPid(a.pid, a.comm) ?? kernelLog(), line, 0, 0, ev);
        return;
      default:
        // Any other kind this build has (the lockdep and might_sleep reports, where the model has them): on the report's task.
        emit(t, kind, taskLane(report?.task, report?.pid) ?? taskLane(l.task, l.pid) ?? kernelLog(), line, 0, 0, { ...ev, reportInfo: report ?? undefined });
    }
  }

  const endTimeNs = Math.max(0, lastT);
  rec.finish(endTimeNs);
  const { metrics, notObservable: hidden } = observedMetrics(folded.result(), log.format, reportKinds);
  w.finish({ status: 'complete', error: null, endReason: 'observed', events: seq, endTimeNs, digest: digest.hex(), metrics });
  return { events: seq, endTimeNs, startNs: Math.max(0, log.lines[0]?.tNs ?? 0), digest: digest.hex(), metrics, notObservable: hidden, params };
}
