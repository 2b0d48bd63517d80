/**
 * Causal relations the model records beside "scheduled by" (every event's cause_seq): the edges a
 * "Why did this happen?" walk follows. They go to the trace sinks through `TraceSink.edge`, never
 * into the event stream, so recording them changes neither the events nor the digest.
 *
 * An edge goes from the event being explained (`from`) to the event that explains it (`to`); `to`
 * may be later than `from` (a blocked task's wait names the event that ended it, added when that
 * happens).
 *  - `waits_on`: a blocked task waits on a lock's holder (its acquire), on the event that completes
 *    its completion or wakes its wait queue, on the work items a flush_workqueue waits for, on the
 *    SRCU readers a synchronize_srcu waits for; a hung-task report or a deadlock names the blocks.
 *  - `held_by`: memory the allocator could not get is held by an mm, anchored at the event since
 *    which it is pinned (the teardown blocked in release(), or its exit_mmap).
 *  - `because_of`: a decision taken from state names the event that set that state
 *    (MMF_OOM_SKIP set, a victim pending, locked pages the reaper cannot take, a retry before).
 */
export type Relation = 'waits_on' | 'held_by' | 'because_of';

export const RELATIONS: readonly Relation[] = ['waits_on', 'held_by', 'because_of'];

/** Something that can be told about a blocked task's wait: the events it waits on, at block time. */
export interface WaitCauses {
  /** Seqs of the events a task blocking on this now waits on (a holder's acquire, a work item's start). */
  waitCauses?(): readonly number[];
}
