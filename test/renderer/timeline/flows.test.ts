import { describe, expect, it } from 'vitest';
import type { WhyDto } from '../../../main/contract';
import { GUTTER } from '../../../renderer/src/timeline/draw';
import { drawFlows, flowsOf } from '../../../renderer/src/timeline/flows';
import type { LaneLayout } from '../../../renderer/src/timeline/lanes';

const step = (seq: number, tNs: number, actorId: number, relation: WhyDto['steps'][number]['relation'], explains: number | null) => ({ seq, tNs, kind: 'k', actor: `a${actorId}`, actorId, relation, text: 'x', explains, folded: null });

const why: WhyDto = {
  seq: 30,
  steps: [step(30, 3000, 1, 'event', null), step(20, 2000, 2, 'because_of', 30), step(10, 1000, 3, 'held_by', 20)],
  roots: [10],
  links: [
    { from: 30, to: 20, relation: 'because_of' },
    { from: 20, to: 10, relation: 'held_by' },
    { from: 20, to: 99, relation: 'waits_on' },
  ],
  note: null,
};

const lane = (id: number, y: number): LaneLayout => ({ track: { id, name: `a${id}`, type: 'task' }, y, h: 20, stateY: 0, counterY: null, spanY: null, spanRows: 0, instantY: null });

function fakeCtx() {
  const calls: string[] = [];
  const rec = (name: string) => (...a: unknown[]) => void calls.push(`${name}(${a.map((x) => (typeof x === 'number' ? Math.round(x) : String(x))).join(',')})`);
  const ctx = { canvas: { height: 500 }, save: rec('save'), restore: rec('restore'), beginPath: rec('beginPath'), rect: rec('rect'), clip: rec('clip'), moveTo: rec('moveTo'), bezierCurveTo: rec('bezierCurveTo'), lineTo: rec('lineTo'), closePath: rec('closePath'), stroke: rec('stroke'), fill: rec('fill'), arc: rec('arc'), lineWidth: 0, strokeStyle: '', fillStyle: '' };
  return { ctx: ctx as unknown as CanvasRenderingContext2D, calls };
}

describe('flows', () => {
  it('one arrow per link between steps, from the cause to what it explains; links to no step are left out', () => {
    const f = flowsOf(why);
    expect(f).toEqual([
      { fromActor: 2, fromNs: 2000, toActor: 1, toNs: 3000, relation: 'because_of' },
      { fromActor: 3, fromNs: 1000, toActor: 2, toNs: 2000, relation: 'held_by' },
    ]);
    expect(flowsOf(null)).toEqual([]);
  });

  it('draws each arrow from its lane and time to the other, skipping lanes not laid out and arrows wholly off screen', () => {
    const { ctx, calls } = fakeCtx();
    const width = GUTTER + 1000;
    const view = { fromNs: 0, toNs: 4000 };
    drawFlows(ctx, flowsOf(why), [lane(1, 0), lane(2, 40)], view, width);
    // Only the arrow between lanes 2 and 1 (lane 3 is not laid out): starts at t=2000 on lane 2's middle.
    expect(calls.filter((c) => c.startsWith('bezierCurveTo'))).toHaveLength(1);
    expect(calls).toContain(`moveTo(${GUTTER + 500},49)`);
    const off = fakeCtx();
    drawFlows(off.ctx, flowsOf(why), [lane(1, 0), lane(2, 40)], { fromNs: 5000, toNs: 9000 }, width);
    expect(off.calls.filter((c) => c.startsWith('bezierCurveTo'))).toHaveLength(0);
    const none = fakeCtx();
    drawFlows(none.ctx, [], [lane(1, 0)], view, width);
    expect(none.calls).toEqual([]);
  });
});
