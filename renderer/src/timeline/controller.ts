import type { AnnotationDto, EventRowDto, Ns, RunInfo } from '../../../main/contract';
import type { SharedLaneOrder } from './lanes';
import type { Viewport } from './viewport';

/** What was clicked on a lane: a span (by its name) or a state bar. */
export interface BarHit {
  span?: string;
  state?: boolean;
}

/** The scrub cursor: a time, and the event it sits on when it was set by an event. */
export interface Cursor {
  tNs: Ns;
  seq: number | null;
}

/** What is selected on the timeline: a span, a state interval, an instant, a counter sample, or an area (lanes × time). */
export type Selection =
  | { kind: 'span'; trackId: number; t0: Ns; t1: Ns | null; name: string; depth: number; count: number; beginSeq: number | null; endSeq: number | null }
  | { kind: 'state'; trackId: number; t0: Ns; t1: Ns | null; state: string; label: string | null }
  | { kind: 'instant'; trackId: number; seq: number; t: Ns; eventKind: string; count: number }
  | { kind: 'counter'; trackId: number; name: string; t: Ns; min: number; max: number; last: number }
  | { kind: 'area'; tracks: number[]; fromNs: Ns; toNs: Ns };

/** A request to bring a lane into view (its group opened, scrolled to); `n` tells repeated requests apart. */
export interface RevealTrack {
  id: number;
  n: number;
}

/**
 * What a timeline pane reads and drives. The run view's store is one (its own run); the compare
 * view gives each side one that maps the shared, aligned view onto that run's own times. All times
 * here are the run's own virtual ns: the pane never knows about alignment except for the ruler's
 * origin.
 */
export interface TimelineController {
  readonly info: RunInfo | null;
  readonly view: Viewport;
  readonly cursor: Cursor | null;
  readonly selectedSeq: number | null;
  readonly endNs: Ns;
  /** Bookmarks and notes drawn as flags on the ruler and lines across the lanes. */
  readonly annotations?: readonly AnnotationDto[];
  /** Track ids whose lanes are highlighted (the compare view: lanes that differ). */
  readonly highlightTracks?: ReadonlySet<number>;
  /** A lane order shared with another timeline (the compare view's two panes). */
  readonly laneOrder?: SharedLaneOrder;
  /** Ruler labels read `t - rulerOriginNs` (the alignment point in the compare view); default 0. */
  readonly rulerOriginNs?: Ns;
  /** The selection (the run view): outlined on the canvas; the details panel shows it. */
  readonly selection?: Selection | null;
  /** Set by search and the event list: the timeline opens the lane's group and scrolls to it. */
  readonly revealTrack?: RevealTrack | null;
  /**
   * The controller sets a newly opened run's view and cursor before its info (the run view's store):
   * the timeline then draws the run the moment its info comes, so its opening tile requests go out
   * before the rest of the page renders. Otherwise (the compare panes, aligned after both infos)
   * the timeline draws on the next animation frame.
   */
  readonly viewBeforeInfo?: boolean;
  /** Ruler labels relative to the trigger (the run view's "from trigger" toggle). */
  readonly fromTrigger?: boolean;
  /** What the ruler's origin is, in words ("from the alignment point"); default "from the trigger". */
  readonly originLabel?: string;
  setSelection?(s: Selection | null): void;
  /** `m`: a bookmark at the cursor. */
  mark?(): void | Promise<unknown>;
  setView(v: Viewport): void;
  zoom(factor: number, anchorNs?: Ns): void;
  pan(fraction: number): void;
  fit(): void;
  setCursorTime(t: Ns): void;
  jumpTo(row: Pick<EventRowDto, 'seq' | 'tNs'>): void | Promise<void>;
  step(dir: 1 | -1): void | Promise<void>;
  jumpToEnd(which: 'first' | 'last'): void | Promise<void>;
  /** Select the event of `actor` at `tNs` that began a span (`bar.span`, its name) or a state bar, when the pane can. */
  selectEventAt?(actor: number, tNs: Ns, bar?: BarHit): void | Promise<void>;
}

/**
 * What a timeline reports of its lanes, by lane name: what the visible window holds, reduced to a
 * string (two runs' lanes differ where it does), and which lanes have shown something alarming.
 */
export interface LaneReport {
  signatures: Map<string, string>;
  alarmNames: Set<string>;
}
