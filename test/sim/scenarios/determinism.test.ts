import { describe, expect, it } from 'vitest';
import { run } from '../helpers';

describe('determinism', () => {
  it.each(['oom-bound-victim', 'iopf-last-mmput', 'sigkill-during-dma'])('%s: the same seed gives the same digest and events', (id) => {
    const a = run(id, {}, 17);
    const b = run(id, {}, 17);
    expect(a.s.digest).toBe(b.s.digest);
    expect(a.s.events).toBe(b.s.events);
    expect(a.ev.events.slice(-50)).toEqual(b.ev.events.slice(-50));
  });

  it.each([
    ['stress', { events: 20_000 }],
    ['lock-inversion', {}],
    ['oom-bound-victim', {}],
  ] as const)('%s: a different seed gives a different digest (randomness is involved)', (id, p) => {
    expect(run(id, p, 1).s.digest).not.toBe(run(id, p, 2).s.digest);
  });

  it('stress stops near its event budget', () => {
    const { s } = run('stress', { events: 30_000 }, 3);
    expect(s.endReason).toBe('budget');
    expect(s.events).toBeGreaterThanOrEqual(30_000);
    expect(s.events).toBeLessThan(30_100);
    expect(s.status).toBe('complete');
  });
});
