import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { innermostFrame, stackFrames } from '../../main/sim/dump_stack';
import { FOLDED_KINDS } from '../../main/sim/metrics';
import { Task, type TaskType } from '../../main/sim/task';

describe('innermostFrame', () => {
  // Names that exercise every rule of stackFrames: inlined functions printed as their caller
  // (__mmput as mmput, except under mmput_async_fn), inlined ones printed as nothing, plain ones.
  const names = ['__mmput', 'mmput_async_fn', 'intel_svm_unbind_mm', 'exit_task_work', 'do_exit', 'exit_mmap', 'intel_svm_drain_prq'];
  const kinds: [TaskType, string][] = [['user', 'p0'], ['kworker', 'kworker/u:iopf'], ['kthread', 'irq/dmar0-prq'], ['kthread', 'oom_reaper']];

  it('is the first frame of the call trace, for every stack of up to 4 of these calls on every kind of task', () => {
    let checked = 0;
    const visit = (stack: string[]): void => {
      for (const [type, comm] of kinds) {
        const t = new Task(1, 2, 2, comm, type);
        t.stack.push(...stack);
        expect(innermostFrame(t), `${type} ${comm} [${stack.join(' > ')}]`).toBe(stackFrames(t)[0]);
        checked++;
      }
      if (stack.length < 4) for (const n of names) visit([...stack, n]);
    };
    visit([]);
    expect(checked).toBe(4 * (1 + 7 + 49 + 343 + 2401));
  });

  it('gives the caller of an inlined function, and nothing for a user task with no traced call', () => {
    const t = new Task(1, 2, 2, 'p0', 'user');
    expect(innermostFrame(t)).toBeUndefined();
    t.stack.push('do_exit', 'exit_mm', '__mmput');
    expect(innermostFrame(t)).toBe('mmput');
    t.stack.splice(0, 3, 'mmput_async_fn', '__mmput');
    expect(innermostFrame(t)).toBe('mmput_async_fn');
    const w = new Task(1, 3, 3, 'kworker/u:0', 'kworker');
    expect(innermostFrame(w)).toBe('process_one_work');
  });
});

describe('MetricsFold', () => {
  it('lists as folded exactly the kinds its switch has cases for', () => {
    const src = fs.readFileSync(path.join(import.meta.dirname, '../../main/sim/metrics.ts'), 'utf8');
    const cases = [...src.matchAll(/case KIND\.(\w+):/g)].map((m) => m[1]);
    expect(cases.length).toBeGreaterThan(20);
    expect(new Set(cases).size).toBe(cases.length);
    expect([...FOLDED_KINDS].sort()).toEqual([...cases].sort());
  });
});
