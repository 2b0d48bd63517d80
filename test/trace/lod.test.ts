import { describe, expect, it } from 'vitest';
import { decodeLod, LodBuilder, type LodChunk } from '../../main/trace/lod';
import { LOD_LEVELS, LOD_RECORD } from '../../main/trace/schema';

function build(events: [actor: number, seq: number, t: number, v: number][]): LodChunk[] {
  const out: LodChunk[] = [];
  const b = new LodBuilder((c) => out.push(c));
  for (const [a, s, t, v] of events) b.add(a, s, t, 8, v);
  b.finish();
  return out;
}

const decode = (c: LodChunk) => decodeLod(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength), c.data.BYTES_PER_ELEMENT);

describe('LodBuilder', () => {
  it('merges buckets up the levels: every level counts every event once', () => {
    const w0 = 2 ** LOD_LEVELS[0];
    const ev: [number, number, number, number][] = [];
    for (let i = 1; i <= 1000; i++) ev.push([1 + (i % 3), i, Math.floor(i * w0 * 0.37), i % 50]);
    const chunks = build(ev);
    for (const level of LOD_LEVELS) {
      const at = chunks.filter((c) => c.level === level);
      expect(at.reduce((n, c) => n + c.n, 0), `level ${level}`).toBe(1000);
      for (const c of at) {
        const d = decode(c);
        for (let o = 0; o < d.length; o += LOD_RECORD) {
          expect(d[o + 4]).toBeLessThanOrEqual(d[o + 5]);
          expect(d[o + 2]).toBeLessThanOrEqual(d[o + 3]);
        }
      }
    }
  });

  it('packs int32 records when the numbers fit, float64 when they do not; NaN means no value', () => {
    const small = build([[1, 1, 10, NaN], [1, 2, 20, 5]]);
    expect(small[0].data).toBeInstanceOf(Int32Array);
    const d = decode(small[0]);
    expect([d[1], d[4], d[5], d[6]]).toEqual([2, 5, 5, 5]);
    const none = decode(build([[1, 1, 10, NaN]])[0]);
    expect(Number.isNaN(none[4])).toBe(true);
    const big = build([[1, 1, 10, 2 ** 40]]);
    expect(big[0].data).toBeInstanceOf(Float64Array);
    expect(decode(big[0])[4]).toBe(2 ** 40);
  });
});
