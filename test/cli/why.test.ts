import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../trace/helpers';
import { cliIn } from './svaLab';

const home = tempDir('sva-cli-why-');

const lab = cliIn(home, 120_000);

let trace: string;
let kill2: number;

beforeAll(() => {
  const r = lab('run', 'oom-bound-victim', '--set', 'mmExit=true', '--set', 'dmaStopMs=3000', '--set', 'lockedMemory=1536', '--seed', '11', '--json');
  expect(r.code, r.stderr).toBe(0);
  trace = (JSON.parse(r.stdout) as { trace: string }).trace;
  const q = lab('query', trace, "SELECT seq FROM event_log WHERE kind = 'oom_kill' ORDER BY seq", '--json');
  kill2 = (JSON.parse(q.stdout) as { rows: number[][] }).rows[1][0];
}, 120_000);

describe('sva-lab why', () => {
  it('--json prints {seq, steps: [{seq, t_ns, kind, actor, relation, text}], roots}, from the event back to the DMA stop', () => {
    const r = lab('why', trace, '--seq', String(kill2), '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const w = JSON.parse(r.stdout) as { seq: number; steps: { seq: number; t_ns: number; kind: string; actor: string; relation: string; text: string }[]; roots: number[] };
    expect(Object.keys(w)).toEqual(['seq', 'steps', 'roots']);
    expect(w.seq).toBe(kill2);
    expect(w.steps[0]).toMatchObject({ seq: kill2, kind: 'oom_kill', actor: 'oom killer', relation: 'event' });
    for (const s of w.steps) expect(Object.keys(s)).toEqual(['seq', 't_ns', 'kind', 'actor', 'relation', 'text']);
    const i = w.steps.findIndex((s) => s.relation === 'held_by');
    const j = w.steps.findIndex((s) => s.kind === 'dma_state' && s.relation === 'waits_on');
    expect(i).toBeGreaterThan(0);
    expect(j).toBeGreaterThan(i);
    expect(j).toBeLessThanOrEqual(5);
    expect(w.steps[i].text).toMatch(/exit_mmap is blocked in release\(\)/);
    expect(w.roots.length).toBeGreaterThan(0);
  });

  it('prints the explanation as indented text', () => {
    const r = lab('why', trace, '--seq', String(kill2));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^why #\d+ \(oom_kill on oom killer\):\nOOM kill #2: /);
    expect(r.stdout).toMatch(/\n {4}<- held by: Memory pinned in mm accel-app/);
    expect(r.stdout).toMatch(/roots: #\d+/);
  });

  it('a bad --seq, or one past the end, is one sentence and exit 2', () => {
    const a = lab('why', trace, '--seq', 'x');
    expect(a.code).toBe(2);
    expect(a.stderr).toBe("sva-lab: --seq must be an event number (a positive integer); got 'x'.\n");
    const b = lab('why', trace, '--seq', '99999999');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^sva-lab: Run '.*' has no event 99999999; its events are numbered 1 to \d+\.\n$/);
  });
});
