import { EventHeap, type HeapEntry } from './heap';
import { RngStreams } from './rng';
import type { Ns } from './time';
import { Digest, fnArgs, KIND, KINDS, onArgs, TASK_STATE, TS_D, TS_R, TS_S, TS_X, TS_Z, type TraceSink, type TrackType } from './events';
import { BLOCK, FatalSignal, Task, type Gen, type TaskType, type Waitable } from './task';
import type { Relation } from './causes';
import type { LockdepHooks } from './lockdep';

/** Heap priorities: at equal times hardware and interrupts go before wake-ups, daemons last. */
export const PRIO_HW = 0;
export const PRIO_WAKE = 1;
export const PRIO_TIMER = 2;
export const PRIO_DAEMON = 3;

/** Options of `Sim.call`: the integers and args of `fn_begin`, and what `fn_end` carries. */
export interface CallOpts<R> {
  a?: number;
  b?: number;
  args?: Record<string, unknown>;
  end?: (r: R) => { a?: number; b?: number; args?: Record<string, unknown> };
}

/** A body that runs at once, as a generator `Sim.call` can take: never yielding is its point. */
// eslint-disable-next-line require-yield
function* atOnce<R>(body: () => R): Gen<R> {
  return body();
}

/** Why `Sim.run` returned. */
export type EndReason = 'quiescent' | 'horizon' | 'budget' | 'stopped' | 'panic';

/** What `Sim.run` calls while it runs: the one polling path for progress and cancellation. */
export interface RunHooks {
  /** Events between two polls (default 65536). */
  every?: number;
  /** Polled every `every` events; returning true stops the run with 'stopped'. */
  tick?: () => boolean;
  /** Called every `every` events and once when the run ends, with (events, virtual time). */
  progress?: (events: number, tNs: Ns) => void;
}

/** A broken model invariant (negative refcount, double free). The run fails loudly. */
export class InvariantError extends Error {}

/**
 * The discrete-event core, SimPy-style: `schedule`, `step`, `run(until)`. Tasks are generators
 * that yield CPU time or block on waitables; kernel primitives wake them. Every event records the
 * seq of the event that caused it.
 */
export class Sim {
  now: Ns = 0;
  readonly rng: RngStreams;
  readonly digest = new Digest();
  readonly tasks: Task[] = [];
  /** Seq of the last trace event; events are numbered from 1. */
  seq = 0;
  /** Cause for the next event: the last event emitted in this step, or what scheduled the step. */
  cause = 0;
  current: Task | null = null;
  /** Deadlock cycles found (each cycle once, when the task closing it blocks). */
  deadlocks = 0;
  failed: string | null = null;
  /** Set by `halt` (a kernel panic): the run stops after the current event. */
  private halted: 'panic' | null = null;
  /** Events emitted per kind; cheap counters the summary and tests read. */
  readonly kindCounts: Uint32Array;

  private readonly heap = new EventHeap();
  private hseq = 0;
  /** Live entries that are not background daemons: zero means nothing more can happen. */
  private foreground = 0;
  private readonly actorIds = new Map<string, number>();
  private nextPid = 1;
  private readonly sinks: TraceSink[];
  /** The sinks that take causal edges; when there are none the model computes no edges (`edges` false). */
  private readonly edgeSinks: TraceSink[];
  /** Some sink records causal edges: code that has to work to find an edge's ends checks this first. */
  readonly edges: boolean;
  /** Set by the kernel layer: what a user task runs when a fatal signal ends its user code. */
  exitPath: ((t: Task) => Gen) | null = null;
  /** Lock debugging (lockdep, might_sleep), set by the kernel layer; the primitives call it. */
  lockdep: LockdepHooks | null = null;
  /** Called when the quiescence test wants to know whether blocked tasks were all reported. */
  quiescentHook: (() => boolean) | null = null;

  constructor(seed: number, sinks: TraceSink[] = []) {
    this.rng = new RngStreams(seed);
    this.sinks = sinks;
    this.edgeSinks = sinks.filter((s) => s.edge !== undefined);
    this.edges = this.edgeSinks.length > 0;
    this.kindCounts = new Uint32Array(KINDS.length);
  }

  // ---------------------------------------------------------------- events and actors

  /** The id of a named actor (lane), declared to the sinks on first use. */
  actor(name: string, track: TrackType): number {
    let id = this.actorIds.get(name);
    if (id === undefined) {
      id = this.actorIds.size + 1;
      this.actorIds.set(name, id);
      this.digest.actor(id, name);
      for (const s of this.sinks) s.actor(id, name, track);
    }
    return id;
  }

  /** Emit one trace event; returns its seq. */
  emit(kind: number, actor: number, a = 0, b = 0, args?: object): number {
    return this.emitJson(kind, actor, a, b, args === undefined ? null : JSON.stringify(args));
  }

  /** Emit with args already serialised (hot paths cache their JSON). */
  emitJson(kind: number, actor: number, a: number, b: number, json: string | null): number {
    const seq = ++this.seq;
    this.digest.event(seq, this.now, kind, actor, this.cause, a, b, json);
    for (let i = 0; i < this.sinks.length; i++) this.sinks[i].event(seq, this.now, kind, actor, this.cause, a, b, json);
    this.kindCounts[kind]++;
    this.cause = seq;
    return seq;
  }

  /**
   * Record a causal edge (causes.ts): event `from` is explained by event `to`. Not part of the
   * event stream or the digest. Seqs of 0 (no such event, e.g. hardware has no block event) are dropped.
   */
  edge(from: number, to: number, rel: Relation, args?: object): void {
    if (!this.edges || from <= 0 || to <= 0 || from === to) return;
    const json = args === undefined ? null : JSON.stringify(args);
    for (let i = 0; i < this.edgeSinks.length; i++) this.edgeSinks[i].edge!(from, to, rel, json);
  }

  /** A blocked task's wait is explained by event `to` (the event that completed or woke it). */
  waitedOn(t: Task, to: number): void {
    if (this.edges && t.blockSeq > 0) this.edge(t.blockSeq, to, 'waits_on', { stack: t.stack.length ? t.stack.join(' > ') : undefined });
  }

  /** Record a broken invariant and stop the run. */
  invariant(msg: string): never {
    this.emit(KIND.invariant, this.actor('kernel', 'log'), 0, 0, { msg });
    this.failed = msg;
    throw new InvariantError(msg);
  }

  /**
   * A traced kernel call on task t: `fn_begin`, the body, `fn_end`, with `fn` on the task's call
   * stack while the body runs. `a`/`b` are the events' integers (mm actor, PASID); `end` computes
   * what `fn_end` carries from the body's result (a return code, a branch taken).
   * Use as `const r = yield* sim.call(t, 'exit_mmap', exit_mmap_body(k, t, mm), { a: mm.actor })`.
   */
  *call<R>(t: Task, fn: string, body: Gen<R>, o: CallOpts<R> = {}): Gen<R> {
    const a = o.a ?? 0;
    const b = o.b ?? 0;
    this.emitJson(KIND.fn_begin, t.actor, a, b, o.args ? JSON.stringify({ fn, ...o.args }) : fnArgs(fn));
    t.stack.push(fn);
    let r: R;
    try {
      r = yield* body;
    } finally {
      // A fatal signal or a failed run unwinds through here; a task blocked for good never does.
      t.stack.pop();
    }
    const e = o.end?.(r);
    const args = e?.args ?? o.args;
    this.emitJson(KIND.fn_end, t.actor, e?.a ?? a, e?.b ?? b, args ? JSON.stringify({ fn, ...args }) : fnArgs(fn));
    return r;
  }

  /**
   * `call` for a kernel function that cannot sleep (a free callback, a put): the same fn_begin and
   * fn_end, the body runs at once. It is `call` itself, driven to its end here: a body that never
   * yields finishes in the first step.
   */
  callNow<R>(t: Task, fn: string, body: () => R, o: CallOpts<R> = {}): R {
    const step = this.call(t, fn, atOnce(body), o).next();
    if (!step.done) throw new Error(`callNow(${fn}): the body yielded`); // cannot happen: atOnce never yields
    return step.value;
  }

  // ---------------------------------------------------------------- scheduling

  /**
   * Run `fn` at absolute time t. Background entries (daemons) do not keep a run alive and run after
   * the foreground ones at the same time. A time in the past (or not a number) is a broken model
   * invariant: the run fails rather than silently moving the event to now.
   */
  at(t: Ns, fn: () => void, prio = PRIO_TIMER, background = false): HeapEntry {
    if (!(t >= this.now)) this.invariant(`event scheduled at ${t} ns, before the current time ${this.now} ns`);
    const e: HeapEntry = { t, prio, seq: ++this.hseq, background, live: true, run: fn, cause: this.cause };
    if (!background) this.foreground++;
    this.heap.push(e);
    return e;
  }

  /** Run `fn` dt from now (dt >= 0). */
  after(dt: Ns, fn: () => void, prio = PRIO_TIMER, background = false): HeapEntry {
    if (!(dt >= 0)) this.invariant(`event scheduled ${dt} ns from now: a delay must be >= 0`);
    return this.at(this.now + dt, fn, prio, background);
  }

  cancel(e: HeapEntry | null): void {
    if (e && e.live) {
      e.live = false;
      if (!e.background) this.foreground--;
    }
  }

  // ---------------------------------------------------------------- tasks

  /** Create a task and start `body` at the current time. */
  spawn(comm: string, type: TaskType, body: (t: Task) => Gen, opts: { tgid?: number; track?: TrackType } = {}): Task {
    const pid = this.nextPid++;
    const actor = this.actor(type === 'hw' ? comm : `${comm}:${pid}`, opts.track ?? (type === 'hw' ? 'device' : 'task'));
    const t = new Task(actor, pid, opts.tgid ?? pid, comm, type);
    this.tasks.push(t);
    this.emit(KIND.task_new, actor, pid, t.tgid, { comm, type });
    t.gen = this.wrap(t, body);
    this.at(this.now, () => this.step(t, undefined), PRIO_WAKE);
    return t;
  }

  private *wrap(t: Task, body: (t: Task) => Gen): Gen {
    if (t.type !== 'user' || !this.exitPath) {
      yield* body(t);
      return;
    }
    try {
      yield* body(t);
    } catch (e) {
      if (!(e instanceof FatalSignal)) throw e;
    }
    yield* this.exitPath(t);
  }

  /** Resume a task's generator until it yields again. */
  private step(t: Task, value: unknown): void {
    const gen = t.gen;
    if (!gen || t.exited) return;
    this.current = t;
    t.timer = null;
    t.blockedOn = null;
    t.sleepLabel = null;
    if (t.state !== TS_R) this.setState(t, TS_R);
    let r: IteratorResult<unknown, void>;
    try {
      r = value !== undefined && value instanceof FatalSignal ? gen.throw(value) : gen.next(value);
    } finally {
      this.current = null;
    }
    if (r.done) {
      t.gen = null;
      if (t.state !== TS_Z && t.state !== TS_X) this.setState(t, TS_X);
      t.exited = true;
      return;
    }
    if (typeof r.value === 'number') {
      // CPU time: the task keeps running.
      const dt = r.value;
      t.timer = this.at(this.now + dt, () => this.step(t, undefined), PRIO_TIMER);
      return;
    }
    if (r.value === BLOCK) {
      t.nvcsw++;
      if (t.blockedOn) this.detectDeadlock(t);
      return;
    }
    this.invariant(`task ${t.label} yielded ${String(r.value)}`);
  }

  setState(t: Task, state: number, on?: string): void {
    if (t.state === state && on === undefined) return;
    t.state = state;
    // Hardware modelled as a process has no task state to show: its lane shows the device's own.
    if (t.type === 'hw') return;
    this.emitJson(KIND.task_state, t.actor, state, 0, on === undefined ? null : onArgs(on));
  }

  /**
   * Block the current task on `w` until someone calls `wake`. D state unless `interruptible`.
   * Use as `yield* sim.block(t, w)`; returns the value passed to `wake`.
   */
  *block(t: Task, w: Waitable, interruptible = false): Gen<unknown> {
    t.blockedOn = w;
    t.blockedSince = this.now;
    this.setState(t, interruptible ? TS_S : TS_D, w.label);
    t.blockSeq = t.type === 'hw' ? 0 : this.seq;
    if (this.edges && t.blockSeq > 0 && w.waitCauses) for (const to of w.waitCauses()) this.waitedOn(t, to);
    const since = this.now;
    const seq = t.blockSeq;
    this.lockdep?.schedule(t);
    const v = yield BLOCK;
    t.blockedOn = null;
    this.noteBlock(t, seq, this.now - since);
    return v;
  }

  /** Sleep for dt (schedule_timeout). A context switch; D state unless interruptible. */
  *sleep(t: Task, dt: Ns, label: string, interruptible = false, background = false): Gen {
    t.sleepLabel = label;
    t.blockedSince = this.now;
    this.setState(t, interruptible ? TS_S : TS_D, label);
    t.blockSeq = t.type === 'hw' ? 0 : this.seq;
    const seq = t.blockSeq;
    this.lockdep?.schedule(t);
    t.timer = this.at(this.now + dt, () => this.step(t, undefined), background ? PRIO_DAEMON : PRIO_TIMER, background);
    yield BLOCK;
    t.sleepLabel = null;
    this.noteBlock(t, seq, dt);
  }

  /**
   * User-mode execution for dt. SIGKILL interrupts it: the generator gets a FatalSignal thrown in
   * and the task goes to do_exit (the kernel checks signals on return to user mode).
   */
  *user(t: Task, dt: Ns): Gen {
    if (t.sigkill) throw new FatalSignal();
    t.inUser = true;
    yield dt;
    t.inUser = false;
    if (t.sigkill) throw new FatalSignal();
  }

  /**
   * User mode with nothing scheduled (waiting for input, or computing with no end in sight): the
   * task holds no timer, so it does not keep a run alive; SIGKILL ends it.
   */
  *userIdle(t: Task, what = 'user: idle'): Gen {
    if (t.sigkill) throw new FatalSignal();
    t.inUser = true;
    yield* this.block(t, { label: what, holders: () => [] }, true);
    t.inUser = false;
    if (t.sigkill) throw new FatalSignal();
  }

  /** Keep a task's longest sleep (causes.ts: what made a teardown slow). */
  private noteBlock(t: Task, seq: number, ns: Ns): void {
    if (seq > 0 && ns > t.longestBlockNs) {
      t.longestBlockNs = ns;
      t.longestBlockSeq = seq;
    }
  }

  /** Make a blocked task runnable now; `value` is what its `block` returns. */
  wake(t: Task, value?: unknown): void {
    if (t.exited) return;
    this.cancel(t.timer);
    t.timer = this.at(this.now, () => this.step(t, value), PRIO_WAKE);
  }

  /** Send SIGKILL. A task in user mode is interrupted at once; in the kernel it stays pending. */
  sigkill(t: Task, from: string): void {
    this.emit(KIND.signal, t.actor, 9, 0, { from });
    if (t.sigkill || t.exited) return;
    t.sigkill = true;
    if (t.inUser) {
      t.inUser = false;
      this.wake(t, new FatalSignal());
    }
  }

  newPid(): number {
    return this.nextPid++;
  }

  // ---------------------------------------------------------------- deadlock detection

  /**
   * Walk the wait-for graph from a task that just blocked. Every edge added since the last check
   * starts at this task, so any new cycle passes through it.
   */
  private detectDeadlock(start: Task): void {
    const first = start.blockedOn?.holders();
    if (!first || first.length === 0) return;
    const path: Task[] = [];
    const seen = new Set<Task>();
    const dfs = (t: Task): boolean => {
      const w = t.blockedOn;
      if (!w) return false;
      path.push(t);
      for (const h of w.holders()) {
        if (h === start) return true;
        if (!seen.has(h)) {
          seen.add(h);
          if (dfs(h)) return true;
        }
      }
      path.pop();
      return false;
    };
    if (!dfs(start)) return;
    this.deadlocks++;
    const cycle = path.map((t, i) => {
      const next = path[(i + 1) % path.length];
      return `${t.label} waits on ${t.blockedOn?.label} held by ${next.label}`;
    });
    const d = this.emit(KIND.deadlock, start.actor, path.length, 0, { cycle });
    // The cycle, as edges: the deadlock is each of its tasks' wait (each names its holder's acquire).
    for (const t of path) this.edge(d, t.blockSeq, 'waits_on', { task: t.label, on: t.blockedOn?.label });
  }

  // ---------------------------------------------------------------- running

  /**
   * Run until the horizon, an event budget, quiescence (no foreground work is left and every blocked
   * task has been reported, by the quiescence hook, normally khungtaskd), a kernel panic, or a stop
   * request. `hooks.tick` is the one place a caller polls: it runs every `hooks.every` events and
   * returns true to stop the run ('stopped'); `hooks.progress` runs at the same points and once at
   * the end.
   */
  run(horizon: Ns, maxEvents = Number.MAX_SAFE_INTEGER, hooks: RunHooks = {}): EndReason {
    const heap = this.heap;
    const every = hooks.every ?? 65_536;
    const polled = hooks.tick !== undefined || hooks.progress !== undefined;
    let nextPoll = polled ? this.seq + every : Number.MAX_SAFE_INTEGER;
    const end = (r: EndReason): EndReason => {
      hooks.progress?.(this.seq, this.now);
      return r;
    };
    for (;;) {
      if (this.halted) return end(this.halted);
      if (this.foreground === 0 && (!this.quiescentHook || this.quiescentHook())) return end('quiescent');
      const e = heap.pop();
      if (!e) return end('quiescent');
      if (!e.live) continue;
      if (e.t > horizon) {
        this.now = horizon;
        return end('horizon');
      }
      if (!e.background) this.foreground--;
      e.live = false;
      this.now = e.t;
      this.cause = e.cause;
      e.run();
      if (this.halted) return end(this.halted);
      if (this.seq >= maxEvents) return end('budget');
      if (this.seq >= nextPoll) {
        nextPoll = this.seq + every;
        hooks.progress?.(this.seq, this.now);
        if (hooks.tick?.()) return 'stopped';
      }
    }
  }

  /**
   * The kernel stops (panic()): no further event runs; `run` returns `reason`. The caller has
   * emitted what the kernel prints.
   */
  halt(reason: 'panic'): void {
    this.halted = reason;
  }

  /** Tasks blocked in D state now. */
  blockedTasks(): Task[] {
    return this.tasks.filter((t) => !t.exited && t.state === TS_D && t.type !== 'hw');
  }

  stateName(t: Task): string {
    return TASK_STATE[t.state];
  }
}

export { TS_D, TS_R, TS_S, TS_X, TS_Z };
