import type { EventRowDto, WhyRelation, WhyStepDto } from '../contract';
import { DMA_STATE, MM_FLAG, REAP_BUSY, REAP_REAPED, TASK_STATE } from '../sim/events';
import { fmtNs } from '../sim/time';

/** Pages of 4 KiB per MiB. */
const PAGES_PER_MIB = 256;

/** What a sentence is made from: the event, how it was reached, its own edges, the step it explains. */
export interface StepContext {
  event: EventRowDto;
  relation: WhyRelation | 'event';
  /** Args of the edge that led here (held_by: {mm, pages, locked, stack}; waits_on: {stack}...). */
  inArgs: Record<string, unknown> | null;
  /** The event's own edges (rel and args), e.g. an oom_invoke's held_by edges. */
  out: { rel: WhyRelation; args: Record<string, unknown> | null }[];
  parent: WhyStepDto | null;
  name: (actor: number) => string;
  eventAt: (seq: number) => EventRowDto | null;
}

const mib = (pages: number): string => `${Math.round(pages / PAGES_PER_MIB)} MiB`;
const at = (t: number): string => `at ${fmtNs(t)}`;
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

/** A call stack stored outermost first ("do_exit > exit_mm > ... > stop_queue"), printed innermost first like a call trace. */
function callTrace(stack: string, max = 7): string {
  const fns = stack.split(' > ').filter(Boolean).reverse();
  return fns.length > max ? `${fns.slice(0, max).join(' ← ')} ← …` : fns.join(' ← ');
}

/** The release() a teardown stack is inside: the notifier callback after __mmu_notifier_release. */
function releaseFn(stack: string): string | null {
  const fns = stack.split(' > ');
  const i = fns.indexOf('__mmu_notifier_release');
  const after = i >= 0 ? fns.slice(i + 1) : fns;
  return after.find((f) => /_release$/.test(f)) ?? null;
}

/** The driver's mm_exit on a stack (the pre-v5.8 iommu_sva_ops callback), if any. */
function mmExitFn(stack: string): string | null {
  return stack.split(' > ').find((f) => f === 'uacce_sva_exit' || /_mm_exit$/.test(f)) ?? null;
}

/** What a blocked task waits on, in words: a device stop's completion is "the DMA stop of …". */
function waitTarget(on: string): string {
  const m = /^completion (.*) stopped$/.exec(on);
  return m ? `the DMA stop of ${m[1]} (${on})` : on;
}

function blockText(c: StepContext): string {
  const e = c.event;
  const on = str(e.args?.on);
  const stack = str(c.inArgs?.stack) || str(c.out.find((o) => o.args?.stack)?.args?.stack);
  const state = TASK_STATE[e.a] ?? String(e.a);
  const where = stack ? ` in ${callTrace(stack)}` : '';
  const mmExit = stack ? mmExitFn(stack) : null;
  const why = mmExit ? ` — the driver's mm_exit (${mmExit}) waiting for ${waitTarget(on)}` : `, waiting on ${waitTarget(on)}`;
  if (c.relation === 'held_by') {
    const mm = c.name(num(c.inArgs?.mm));
    const rel = stack ? releaseFn(stack) : null;
    const pinned = `Memory pinned in ${mm}: ${mib(num(c.inArgs?.pages))} (${mib(num(c.inArgs?.locked))} locked) cannot come back`;
    const blocked = rel && stack.includes('exit_mmap') ? `while its exit_mmap is blocked in release() (${rel})` : 'while its teardown is blocked';
    return `${pinned} ${blocked}: ${e.actor} has been in ${state} state since ${fmtNs(e.tNs)}${where}${why}.`;
  }
  const waited = num(c.inArgs?.waitedNs);
  const head = c.relation === 'because_of' && waited > 0 ? `Its teardown waited ${fmtNs(waited)} here: ` : '';
  return `${head}${e.actor} went to ${state} state ${at(e.tNs)}${where}${why}.`;
}

function heldByText(c: StepContext): string {
  const e = c.event;
  const mm = c.name(num(c.inArgs?.mm));
  const pinned = `Memory pinned in ${mm}: ${mib(num(c.inArgs?.pages))} (${mib(num(c.inArgs?.locked))} locked) is still held`;
  if (e.kind === 'fn_begin') return `${pinned}: its exit_mmap has been running on ${e.actor} since ${fmtNs(e.tNs)}.`;
  if (e.kind === 'oom_kill') return `${pinned}: its owner was killed ${at(e.tNs)} and has not reached exit_mmap yet.`;
  return `${pinned} since ${fmtNs(e.tNs)} (${e.text}).`;
}

/** One sentence, in kernel terms, for one step of an explanation. */
export function stepText(c: StepContext): string {
  const e = c.event;
  const a = e.args ?? {};
  const outArg = (k: string): unknown => c.out.find((o) => o.args && k in o.args)?.args?.[k];
  if (e.kind === 'task_state' && (c.relation === 'held_by' || e.a === 1 || e.a === 2)) return blockText(c);
  if (c.relation === 'held_by') return heldByText(c);
  const parentActor = c.parent?.actorId;
  switch (e.kind) {
    case 'oom_kill': {
      const n = outArg('kill');
      const head = c.relation === 'because_of' ? `${str(a.comm)}:${str(a.pid)} has been an OOM victim since ${fmtNs(e.tNs)}` : `${n ? `OOM kill #${String(n)}: ` : ''}oom_kill_process killed ${str(a.comm)} (pid ${str(a.pid)}) ${at(e.tNs)}`;
      return `${head}, ${mib(num(a.rssPages))} resident of which ${mib(num(a.lockedPages))} locked, badness ${e.b}.`;
    }
    case 'oom_invoke': {
      const rounds = outArg('rounds');
      const held = c.out.filter((o) => o.rel === 'held_by');
      const pinned = held.reduce((s, o) => s + num(o.args?.pages), 0);
      const after = rounds ? ` after ${String(rounds)} reclaim rounds without progress` : '';
      const holders = held.length ? `; ${mib(pinned)} is still held by ${held.length === 1 ? c.name(num(held[0].args?.mm)) : `${held.length} mms being torn down`}` : '';
      return `The allocation failed: ${c.name(e.a)} could not get memory${after}, so __alloc_pages_may_oom called out_of_memory() ${at(e.tNs)}${holders}.`;
    }
    case 'alloc_stall':
      return `${e.actor} asked for ${mib(e.a)} (${e.a} pages) with ${mib(e.b)} free ${at(e.tNs)} and entered __alloc_pages_slowpath.`;
    case 'oom_skip':
      return `select_bad_process skipped ${c.name(e.a)}, an earlier victim, because its mm has MMF_OOM_SKIP: the OOM killer no longer waits for that memory and chooses someone else.`;
    case 'oom_abort':
      return `select_bad_process aborted the scan ${at(e.tNs)}: ${c.name(e.a)}, an earlier victim, has no MMF_OOM_SKIP yet, so its memory is still expected back and nobody new is killed.`;
    case 'oom_none':
      return `out_of_memory found no killable process ${at(e.tNs)} ("Out of memory and no killable processes...").`;
    case 'mm_flag': {
      const by = outArg('reaper') ? ' by the oom_reaper after its pass' : '';
      return `${MM_FLAG[e.a] ?? e.a} was set on ${e.actor} ${at(e.tNs)}${by}.`;
    }
    case 'reap_end': {
      if (e.b === REAP_BUSY) return `The oom_reaper could not take mmap_lock for read ${at(e.tNs)} (mmap_read_trylock failed) and will try again.`;
      const locked = outArg('locked');
      if (e.b === REAP_REAPED) return `The oom_reaper reaped ${mib(e.a)} ${at(e.tNs)} but skips mlocked mappings (VM_LOCKED)${locked ? `: ${mib(num(locked))} stay pinned` : ''}.`;
      return `The oom_reaper skipped the mm ${at(e.tNs)}: MMF_OOM_SKIP was already set.`;
    }
    case 'oom_reap_fail':
      return `"oom_reaper: unable to reap" ${c.name(e.a)} after ${e.b} attempts ${at(e.tNs)}.`;
    case 'mm_new': {
      const locked = num(a.lockedPages);
      return locked > 0 ? `${e.actor} has had ${mib(locked)} mlocked (VM_LOCKED) since it was created ${at(e.tNs)}: no reaper can free it, only exit_mmap.` : `${e.actor} was created ${at(e.tNs)}.`;
    }
    case 'lock_acquire': {
      const self = c.relation === 'waits_on' && parentActor !== undefined && c.parent?.actor === c.name(e.a);
      const mode = e.b ? 'for read' : c.relation === 'because_of' && e.actor.startsWith('rwsem') ? 'for write' : '';
      return `${e.actor} is held${mode ? ` ${mode}` : ''} by ${c.name(e.a)}, who took it ${at(e.tNs)}${self ? ' — the waiter itself, so it waits for itself' : ''}.`;
    }
    case 'work_begin': {
      const self = c.relation === 'waits_on' && parentActor === e.actorId;
      return `Work item #${e.a} ${str(a.fn)} has been running on ${e.actor} since ${fmtNs(e.tNs)}${self ? ' — the very task that is flushing: flush_workqueue waits for the work item it is running, and never returns' : ''}.`;
    }
    case 'work_queue':
      return `Work item #${e.a} ${str(a.fn)} was queued on ${e.actor} ${at(e.tNs)}${c.relation === 'waits_on' ? ' and has not run yet' : ''}.`;
    case 'srcu_read_lock':
      return `${c.name(e.a)} has been inside a read-side section of ${e.actor} since ${fmtNs(e.tNs)} (srcu_read_lock).`;
    case 'hung_task':
      return `khungtaskd reported ${e.actor} ${at(e.tNs)}: "INFO: task ${e.actor} blocked for more than ${e.b} seconds."`;
    case 'deadlock': {
      const cycle = Array.isArray(a.cycle) ? (a.cycle as unknown[]).map(str) : [];
      return `The wait-for graph closed a cycle of ${e.a} task${e.a === 1 ? '' : 's'} ${at(e.tNs)}: ${cycle.join('; ')}.`;
    }
    case 'dma_state': {
      const st = DMA_STATE[e.a] ?? String(e.a);
      if (c.relation === 'waits_on') return `${e.actor} went ${st} ${at(e.tNs)}${st === 'STOPPED' ? ': the DMA stop, which ended the wait' : ', which ended the wait'}.`;
      if (st === 'STOPPING' && c.parent?.kind === 'dma_state') return `The stop of ${e.actor} was requested ${at(e.tNs)} (stop_queue); the device took ${fmtNs(c.parent.tNs - e.tNs)} to stop DMA.`;
      return `${e.actor} went ${st} ${at(e.tNs)}.`;
    }
    case 'signal':
      return `${e.actor} got SIGKILL from ${str(a.from)} ${at(e.tNs)}.`;
    case 'mm_freed':
      return `${e.actor} returned all its memory (${mib(e.a)}) ${at(e.tNs)}, at the end of exit_mmap.`;
    case 'release_begin':
      return `${e.actor} entered release() of ${c.name(e.a)} (${str(a.fn)}) ${at(e.tNs)}.`;
    default:
      return c.relation === 'waits_on' ? `${e.text} ${at(e.tNs)}, which ended the wait.` : `${e.text} ${at(e.tNs)}.`;
  }
}

/** One sentence for a folded loop: `count` events of one kind on one actor from `fromNs` to `toNs`. */
export function foldText(f: { kind: string; actor: string; count: number; fromNs: number; toNs: number; relation: WhyRelation; sample: EventRowDto; retryOf?: EventRowDto; name?: (id: number) => string; atLeast?: boolean }): string {
  const span = `from ${fmtNs(f.fromNs)} to ${fmtNs(f.toNs)}`;
  const n = f.atLeast ? `at least ${f.count}` : String(f.count);
  const times = `${n} time${f.count === 1 ? '' : 's'}`;
  switch (f.kind) {
    case 'oom_invoke': {
      const who = f.name ? f.name(f.sample.a) : 'the allocating task';
      return `The allocator retried ${times} ${span}: ${who} called out_of_memory() each time and got no memory back.`;
    }
    case 'dma_tx':
      return `${f.actor} issued ${n} DMA transactions ${span}.`;
    case 'oom_abort':
      return `select_bad_process aborted ${times} ${span}: an earlier victim was still pending.`;
    default:
      return `${f.sample.text}: repeated ${times} ${span}.`;
  }
}
