/**
 * The LabApi contract: the one module main, preload, the web client and the renderer share.
 * Types, and two values: LAB_METHODS, the list of method names the transports are made from, and
 * designOf, the one rule naming a run's design (main/sim/design.ts, pure), so the renderer names a
 * design as the lab does. Besides that it imports nothing but types. Every method is async and returns plain JSON-able data, so the same interface runs
 * over Electron IPC (preload exposes it as `window.lab`) and over HTTP in `serve` mode.
 *
 * Runs are identified by `RunId`: the trace file's name inside the archive folder (no path
 * separators; the service refuses anything else). Times are integer nanoseconds of virtual time.
 *
 * HTTP transport (serve mode, 127.0.0.1 only):
 *  - `POST /api/<method>` with body `{"args": [...]}` (the method's arguments in order);
 *    the answer is `{"ok": true, "value": ...}` or `{"ok": false, "error": "<one sentence>"}`.
 *  - `GET /api/events`: server-sent events; each `data:` line is one `LabEvent` as JSON.
 *  - Requests whose Origin is not the server's own are refused (403).
 */
import { designOf, type Design } from './sim/design';
import type { TrackType } from './sim/events';
import type { LatencyStats, Metrics } from './sim/metrics';
import type { ParamSpec, ParamValue } from './sim/params';
import type { Summary } from './sim/run';
import type { ModelState } from './sim/state';
import type { Ns } from './sim/time';

/** `Ns`: integer nanoseconds of virtual time (declared once, in main/sim/time.ts). */
export { designOf };
export type { Design, LatencyStats, Metrics, ModelState, Ns, ParamSpec, ParamValue, Summary, TrackType };
/** A trace file name in the archive, e.g. `20261123-201500-oom-bound-victim-mm_exit-s1.sqlite`. */
export type RunId = string;

export interface ScenarioDto {
  id: string;
  title: string;
  story: string;
  /** Parameters with type, default, min/max or values, unit, doc, group, and `range` in words. */
  params: (ParamSpec & { range: string })[];
}

export interface CatalogDto {
  scenarios: ScenarioDto[];
  /** Metric name → one-line definition (hover text of the metric cards). */
  metrics: Record<string, string>;
}

/** 'interrupted': the recording process was killed; the trace keeps every event committed before. */
export type RunStatus = 'running' | 'complete' | 'cancelled' | 'failed' | 'interrupted';

/** One run in the archive list. */
export interface RunListItem {
  id: RunId;
  scenario: string;
  /** `observed`: a real kernel log imported as a run (its params name the source file and format). */
  model: Design | 'observed';
  seed: number;
  params: Record<string, ParamValue>;
  status: RunStatus;
  created: string;
  events: number;
  endTimeNs: Ns;
  /** The run's metrics as it stored them; null where the run has none (e.g. still running). */
  metrics: Metrics | null;
  bytes: number;
  /** Set (and the rest mostly empty) for a file in the archive that is not a readable trace. */
  problem?: string;
  /** The event stream's digest: two runs with the same one recorded the same events (a re-import, a re-run). */
  digest?: string | null;
  /** The sweep whose run this is (its id, from the file's name), or null. */
  sweep?: string | null;
}

export interface RunRequest {
  scenario: string;
  params: Record<string, ParamValue>;
  seed: number;
}

/** A lane of the timeline: one actor. */
export interface TrackDto {
  id: number;
  name: string;
  type: TrackType;
}

/** Everything the run view needs to start: meta, summary and the lanes. */
export interface RunInfo {
  id: RunId;
  summary: Summary;
  status: RunStatus;
  created: string;
  tracks: TrackDto[];
  /** Virtual time span of the run, for fit-all. */
  startNs: Ns;
  endNs: Ns;
  /** Time of the trigger (first SIGKILL or OOM kill), or null. */
  triggerNs: Ns | null;
  /** The run's rare, decisive events (kills, signals, deadlocks, release() entries...), at most 64 per kind, by time. */
  alarms: AlarmDto[];
  /** The lanes grouped: by process (its tasks, mm, PASID entries, device queue), by device, by kernel subsystem. */
  groups: TrackGroupDto[];
  /** Events per time bucket over the whole run (the minimap). */
  density: DensityDto;
}

/** One decisive event, named in the kernel's words ("OOM kill #1: accel-app (pid 2)"). */
export interface AlarmDto {
  seq: number;
  tNs: Ns;
  kind: string;
  actorId: number;
  text: string;
}

/** A group of lanes: every track id of the run is in exactly one group. */
export interface TrackGroupDto {
  id: string;
  name: string;
  kind: 'process' | 'device' | 'subsystem';
  tracks: number[];
}

/** `counts[i]` events in [i·bucketNs, (i+1)·bucketNs). */
export interface DensityDto {
  bucketNs: Ns;
  counts: number[];
}

/** What an area of the timeline (lanes × a time range) holds: counts per kind, span time per lane. */
export interface AreaAggregateDto {
  fromNs: Ns;
  toNs: Ns;
  events: number;
  kinds: { kind: string; count: number }[];
  lanes: { id: number; name: string; events: number; spans: number; totalNs: Ns; maxNs: Ns }[];
}

/**
 * Level-of-detail data for one view: `[fromNs, toNs]` drawn `widthPx` wide. The service rounds the
 * bucket width up to a power of two ns (≥ (toNs - fromNs) / widthPx / 2), so no track returns more
 * than about 2 items per pixel; zoomed out it reads pre-aggregated buckets, never raw events.
 */
export interface WindowDto {
  fromNs: Ns;
  toNs: Ns;
  bucketNs: Ns;
  tracks: TrackWindowDto[];
}

export interface TrackWindowDto {
  id: number;
  /** Spans overlapping the window (release(), DMA stop, reaper passes, locks held, kernel functions, work items); `seq`/`endSeq` their begin and end events. */
  spans: { t0: Ns; t1: Ns | null; name: string; depth: number; count: number; seq?: number; endSeq?: number | null }[];
  /** State intervals (task R/S/D/Z, PASID entry, DMA engine state); `label` says what a blocked task waits on. */
  states: { t0: Ns; t1: Ns | null; state: string; label: string | null }[];
  /** Point events, merged per bucket: `count` events of `kind`, the first one being `seq`. */
  instants: { t: Ns; kind: string; count: number; seq: number }[];
  /** Counter samples per counter name, merged per bucket (min/max/last in the bucket). */
  counters: { name: string; points: { t: Ns; min: number; max: number; last: number }[] }[];
}

/** The model state at a time: `atNs` is the time asked for; `tNs` and `seq` name the last event applied. */
export type StateAtDto = ModelState & { atNs: Ns };

/** One event, named, for the event list and the cause chain. */
export interface EventRowDto {
  seq: number;
  tNs: Ns;
  kind: string;
  actor: string;
  actorId: number;
  causeSeq: number;
  a: number;
  b: number;
  args: Record<string, unknown> | null;
  /** A one-line human description ("mm accel-app:3: mm_users 2 -> 1 (mmput)"). */
  text: string;
}

/** How a step of an explanation explains the step before it (main/sim/causes.ts); `scheduled_by` is cause_seq. */
export type WhyRelation = 'waits_on' | 'held_by' | 'because_of' | 'scheduled_by';

/** One step of "Why did this happen?": an event, or a folded loop of them, in one sentence. */
export interface WhyStepDto {
  seq: number;
  tNs: Ns;
  kind: string;
  actor: string;
  actorId: number;
  /** How it explains the step it follows (`explains`); `event` for the event asked about. */
  relation: WhyRelation | 'event';
  text: string;
  /** Seq of the step this one explains; null for the first step. */
  explains: number | null;
  /** A loop folded into this step: how many events, from which to which (seq and time). */
  folded: { count: number; fromSeq: number; toSeq: number; fromNs: Ns; toNs: Ns } | null;
}

/** A cause between two steps, for the arrows: step `from` is explained by step `to`. */
export interface WhyLinkDto {
  from: number;
  to: number;
  relation: WhyRelation;
}

/** The explanation of event `seq`: steps from it back to its root reasons (`roots`, seqs of steps). */
export interface WhyDto {
  seq: number;
  steps: WhyStepDto[];
  roots: number[];
  /** Every cause between steps (a DAG: more than the tree `explains` gives). */
  links: WhyLinkDto[];
  /** Said above the steps: e.g. "scheduled-by only" for a trace recorded before causal edges. */
  note: string | null;
}

export interface EventQuery {
  /** Centre the list on this seq, or on the first event at or after `atNs`. */
  aroundSeq?: number;
  atNs?: Ns;
  before: number;
  after: number;
}

/** Progress and completion of a run started with `startRun`. */
export type LabEvent =
  | { type: 'run-progress'; runId: RunId; events: number; tNs: Ns; eventsPerSec: number }
  | { type: 'run-finished'; runId: RunId; status: RunStatus; error: string | null }
  | { type: 'archive-changed' }
  /** A run of a sweep finished (the point it belongs to can be drawn). */
  | { type: 'sweep-progress'; sweepId: string; done: number; total: number; point: number; run: RunId | null; status: string }
  | { type: 'sweep-finished'; sweepId: string; status: SweepStatus }
  /** The desktop app's menu asks the renderer to do something (Electron only). */
  | { type: 'menu'; command: 'new-run' | 'open-run' | 'export' }
  /** Open this run (after the menu's Open trace… imported it). */
  | { type: 'open-run'; runId: RunId };

export type Unsubscribe = () => void;

/** One metric compared between run A and run B. */
export interface MetricDiffDto {
  /** Metric name; nested ones are `releaseLatencyNs.max` and the like. */
  name: string;
  a: number | null;
  b: number | null;
  /** b - a, or null when either is missing. */
  delta: number | null;
  /** b / a for non-zero a, else null. */
  ratio: number | null;
  direction: 'up' | 'down' | 'same' | 'appeared' | 'vanished' | 'none';
  /** One line from METRIC_DOCS. */
  doc: string;
}

/** Where two runs' event streams first differ, with both sides named and a sentence saying how. */
export interface DivergenceDto {
  seq: number;
  tNs: Ns;
  a: EventRowDto | null;
  b: EventRowDto | null;
  explanation: string;
}

export interface CompareDto {
  a: RunId;
  b: RunId;
  /** release() latency first, then the OOM, time, device, error and PASID metrics. */
  metrics: MetricDiffDto[];
  firstDivergence: DivergenceDto | null;
}

export interface VerifyDto {
  match: boolean;
  digest: string;
  recordedDigest: string | null;
  events: number;
  recordedEvents: number;
  /** How the recorded run ended (a cancelled or failed run is compared on its recorded prefix). */
  recordedStatus: RunStatus;
  modelVersion: number;
  recordedModelVersion: number;
  note: string | null;
  firstDivergence: DivergenceDto | null;
}

export type AnnotationKind = 'bookmark' | 'note';

/** A bookmark or note saved inside the trace file, at a time and optionally an event. */
export interface AnnotationDto {
  id: number;
  tNs: Ns;
  seq: number | null;
  kind: AnnotationKind;
  text: string;
  created: string;
}

export type ExportFormat = 'chrome-json' | 'csv' | 'sqlite';

/** One scenario and parameters proposed for an observed run, with how well its model run matches. */
export interface MatchCandidateDto {
  /** What to start (`startRun`) to see it: the scenario, the parameters that differ from its defaults, the seed. */
  run: RunRequest;
  /** 0 = the model run shows what the log shows; larger is worse (a sum of log-ratios and penalties). */
  score: number;
  /** What matched and what did not, in words ("kill -> reap 13.3 ms (log 78.4 ms); 1 kill, panic as in the log"). */
  why: string;
  /** The same features measured on the model run (ns for gaps, counts otherwise; null: not there). */
  features: Record<string, number | null>;
}

/** `findMatchingScenario`: the features read from the observed run and the candidates, best first. */
export interface MatchDto {
  runId: RunId;
  /** What the match was made on: `oom` (kill, reap and next OOM gaps), `report` (lockdep/might_sleep/hung-task chains and stacks), `lines` (kinds of lines only). */
  basis: 'oom' | 'report' | 'lines';
  observed: Record<string, number | null>;
  /** The observed run's reports the match looked for, in words ("lockdep: &param->lock --> &param->fault_param->lock --> pasid_mutex"). */
  looking: string[];
  candidates: MatchCandidateDto[];
  /** The model runs tried. */
  tried: number;
  /** A sentence when nothing fits well (e.g. no scenario of this build prints a lockdep splat). */
  note: string | null;
}

// ------------------------------------------------------------------ sweeps (issue 6)

/** A grid: the cartesian product of `vary` values, times seeds 1..N, other parameters `set`. */
export interface SweepDefinitionDto {
  scenario: string;
  vary: { key: string; values: ParamValue[] }[];
  set?: Record<string, ParamValue>;
  seeds?: number;
  metrics?: string[];
  preset?: string;
}

/** How to draw a sweep: `metric` (y) against parameter `x`, one series per value of `series`. */
export interface PlotSpecDto {
  metric: string;
  x: string;
  xScale: 'log' | 'linear' | 'category';
  yScale: 'log' | 'linear';
  series: string;
}

export interface SweepPresetDto {
  name: string;
  title: string;
  story: string;
  definition: SweepDefinitionDto & { preset: string };
  plots: PlotSpecDto[];
}

export type SweepStatus = 'running' | 'complete' | 'cancelled' | 'interrupted';

export interface SweepRunDto {
  seed: number;
  run: RunId | null;
  status: 'pending' | 'running' | 'complete' | 'cancelled' | 'failed';
  error: string | null;
  /** All metrics flattened (`releaseLatencyNs.max`...), null before the run ends. */
  metrics: Record<string, number | null> | null;
}

export interface SweepPointDto {
  index: number;
  /** The varied parameters' values at this grid point. */
  values: Record<string, ParamValue>;
  runs: SweepRunDto[];
}

export interface MetricStatsDto {
  mean: number | null;
  min: number | null;
  max: number | null;
  n: number;
  nulls: number;
}

export interface SweepDto {
  id: string;
  definition: Required<Omit<SweepDefinitionDto, 'preset'>> & { preset: string | null };
  created: string;
  finished: string | null;
  status: SweepStatus;
  total: number;
  done: number;
  points: SweepPointDto[];
  /** Per grid point, mean/min/max over the complete runs of each metric. */
  table: { index: number; values: Record<string, ParamValue>; runs: number; complete: number; stats: Record<string, MetricStatsDto> }[];
}

export interface SweepListItemDto {
  id: string;
  scenario: string;
  preset: string | null;
  vary: { key: string; values: ParamValue[] }[];
  seeds: number;
  status: SweepStatus;
  created: string;
  finished: string | null;
  total: number;
  done: number;
  problem?: string;
}

/**
 * One line of a run's kernel log as dmesg prints it ("[    5.123456] message"), with the event it
 * came from (seq, time) so a view can follow the cursor.
 */
export interface DmesgLineDto {
  seq: number;
  tNs: Ns;
  /** The printk log level (0 KERN_EMERG .. 7 KERN_DEBUG). */
  level: number;
  text: string;
}

export interface LabApi {
  /** Scenarios with their parameters, and the metric definitions. */
  catalog(): Promise<CatalogDto>;
  /** Runs in the archive, newest first. */
  listRuns(): Promise<RunListItem[]>;
  /** Validate and start a run in the worker; progress arrives as LabEvents. */
  startRun(req: RunRequest): Promise<{ runId: RunId }>;
  cancelRun(runId: RunId): Promise<void>;
  /** Validate the parameters without running: one message per bad field (empty when valid). */
  validateRun(req: RunRequest): Promise<Record<string, string>>;
  openRun(runId: RunId): Promise<RunInfo>;
  /** Per-lane data for a view `widthPx` wide; `tracks` (actor ids) limits it to those lanes (all when absent). */
  window(runId: RunId, fromNs: Ns, toNs: Ns, widthPx: number, tracks?: number[]): Promise<WindowDto>;
  /**
   * The whole model state at time t (checkpoint + replay): after every event at t, or, with
   * `seq`, right after that event (a cursor on an event).
   */
  state(runId: RunId, tNs: Ns, seq?: number): Promise<StateAtDto>;
  events(runId: RunId, q: EventQuery): Promise<EventRowDto[]>;
  /** The event after (dir 1) or before (dir -1) `seq`, for stepping the cursor; null at the ends. */
  stepEvent(runId: RunId, seq: number, dir: 1 | -1): Promise<EventRowDto | null>;
  /** The event and its causes, newest first, up to the scenario's first event. */
  causeChain(runId: RunId, seq: number): Promise<EventRowDto[]>;
  /** Import a trace file given as bytes (browser) or a path (Electron dialog); it is validated first. */
  importTrace(file: { name: string; bytesBase64?: string; path?: string }): Promise<RunListItem>;
  deleteRun(runId: RunId): Promise<void>;
  /** Metric diff and first divergence of two runs (A is the reference). */
  compareRuns(a: RunId, b: RunId): Promise<CompareDto>;
  /** The first event of `kind` at or after `fromSeq` (alignment points such as the first oom_kill). */
  findEvent(runId: RunId, kind: string, fromSeq: number): Promise<EventRowDto | null>;
  /** Run the same scenario, parameters and seed under both designs; progress arrives per run. */
  startPair(req: RunRequest): Promise<{ mmExit: RunId; quiet: RunId }>;
  /** Re-run from the recorded scenario, parameters and seed and check the digest. */
  verifyRun(runId: RunId): Promise<VerifyDto>;
  listAnnotations(runId: RunId): Promise<AnnotationDto[]>;
  addAnnotation(runId: RunId, a: { tNs: Ns; seq: number | null; kind: AnnotationKind; text: string }): Promise<AnnotationDto>;
  deleteAnnotation(runId: RunId, id: number): Promise<void>;
  /** The run as Chrome trace JSON (for Perfetto), CSV or the SQLite file itself, as a download. */
  exportRun(runId: RunId, format: ExportFormat): Promise<{ name: string; mime: string; bytesBase64: string }>;
  /** Built-in sweeps that draw the seed commit's arguments. */
  sweepPresets(): Promise<SweepPresetDto[]>;
  listSweeps(): Promise<SweepListItemDto[]>;
  /** Start a sweep (validated first); progress arrives as sweep-progress LabEvents. */
  startSweep(def: SweepDefinitionDto): Promise<{ sweepId: string; total: number }>;
  getSweep(sweepId: string): Promise<SweepDto>;
  cancelSweep(sweepId: string): Promise<void>;
  /** The sweep table as CSV (download). */
  sweepCsv(sweepId: string): Promise<{ name: string; mime: string; bytesBase64: string }>;
  /** The next (dir 1) or previous (dir -1) event after `fromSeq` whose kind, actor or args contain `query` (case-insensitive); null if none. */
  searchEvents(runId: RunId, query: string, fromSeq: number, dir: 1 | -1): Promise<EventRowDto | null>;
  /** Counts per kind and span totals per lane of `tracks` over [fromNs, toNs]. */
  aggregateArea(runId: RunId, fromNs: Ns, toNs: Ns, tracks: number[]): Promise<AreaAggregateDto>;
  /** "Why did this happen?": the explanation of event `seq`, walked over the run's causal edges. */
  explain(runId: RunId, seq: number): Promise<WhyDto>;
  /** The run's kernel log as dmesg prints it, every line (model and observed runs alike). */
  dmesg(runId: RunId): Promise<DmesgLineDto[]>;
  /** An observed run: the scenario and parameters whose model run matches it best (run them with startRun). */
  findMatchingScenario(runId: RunId): Promise<MatchDto>;
  /** Subscribe to LabEvents; returns the unsubscribe function. */
  onEvent(cb: (e: LabEvent) => void): Unsubscribe;
}

/** The LabApi methods that are plain request/response calls (everything but `onEvent`). */
export type LabMethod = Exclude<keyof LabApi, 'onEvent'>;

/**
 * Every request/response method of LabApi, once. The preload's bridge, the HTTP client, the
 * argument schemas and the renderer's test fake are made from it; the object below must name each
 * method exactly once (a missing or unknown name is a type error), so a new method is one line here.
 */
export const LAB_METHODS: readonly LabMethod[] = Object.keys({
  catalog: 1, listRuns: 1, startRun: 1, cancelRun: 1, validateRun: 1, openRun: 1, window: 1, state: 1,
  events: 1, stepEvent: 1, causeChain: 1, importTrace: 1, deleteRun: 1, compareRuns: 1, findEvent: 1,
  startPair: 1, verifyRun: 1, listAnnotations: 1, addAnnotation: 1, deleteAnnotation: 1, exportRun: 1,
  sweepPresets: 1, listSweeps: 1, startSweep: 1, getSweep: 1, cancelSweep: 1, sweepCsv: 1,
  searchEvents: 1, aggregateArea: 1,
  explain: 1,
  dmesg: 1,
  findMatchingScenario: 1,
} satisfies Record<LabMethod, 1>) as LabMethod[];
