import { describe, expect, it } from 'vitest';
import type { MetricDiffDto } from '../../../main/contract';
import { diffRow, diffRows, formatChange, formatMetricValue, formatPercent, isTimeMetric, metricLabel, verdictOf } from '../../../renderer/src/util/diff';

const d = (name: string, a: number | null, b: number | null): MetricDiffDto => {
  const direction: MetricDiffDto['direction'] = a === null && b === null ? 'none' : a === null ? 'appeared' : b === null ? 'vanished' : b > a ? 'up' : b < a ? 'down' : 'same';
  return { name, a, b, delta: a !== null && b !== null ? b - a : null, ratio: a && b !== null ? b / a : null, direction, doc: `doc of ${name}` };
};

describe('metric diff formatting', () => {
  it('reads the long release() against the quiet one as the issue writes it', () => {
    const r = diffRow(d('releaseLatencyNs.max', 5_000_009_500, 9_500));
    expect(r.text).toBe('5 s → 9.5 µs (−99.9998 %)');
    expect(r.label).toBe('release() latency, max');
    expect(r.doc).toBe('doc of releaseLatencyNs.max');
  });

  it('never rounds a change to a round −100 % that is not one, nor to 0 % when something changed', () => {
    expect(formatPercent(60_000_009_500, 9_500)).toBe('−99.99998 %');
    expect(formatPercent(100, 0)).toBe('−100 %');
    expect(formatPercent(1_000_000, 1_000_001)).toBe('+0.0001 %');
    expect(formatPercent(2, 1)).toBe('−50 %');
    expect(formatPercent(13_107_200, 6_663_100)).toBe('−49.2 %');
  });

  it('gives counts as signed differences, growth beyond tenfold as a factor, missing values in words', () => {
    expect(diffRow(d('innocentVictims', 1, 0)).text).toBe('1 → 0 (−1)');
    expect(diffRow(d('oomVictims', 1, 2)).change).toBe('+1');
    expect(formatChange(d('releaseLatencyNs.max', 9_500, 5_000_009_500))).toBe('×526,317');
    expect(diffRow(d('drainNs.max', null, 7_000)).text).toBe('never → 7 µs (appeared)');
    expect(diffRow(d('memoryFreedNs', 59_801_600, null)).text).toBe('59.802 ms → never (vanished)');
    expect(diffRow(d('lockups', 0, 0)).text).toBe('0 → 0');
    expect(formatChange(d('memoryFreedNs', 0, 5_000))).toBe('+5 µs');
  });

  it('tells times from counts: nested counts of a latency are counts', () => {
    expect(isTimeMetric('releaseLatencyNs.max')).toBe(true);
    expect(isTimeMetric('releaseLatencyNs.count')).toBe(false);
    expect(isTimeMetric('oomVictims')).toBe(false);
    expect(formatMetricValue('oomVictims', null)).toBe('—');
    expect(formatMetricValue('pasidFreedNs', null)).toBe('never');
    expect(formatMetricValue('atsNoTranslation', 12345)).toBe('12,345');
    expect(metricLabel('pageResponseLatencyNs.p50')).toBe('page response latency, median');
    expect(metricLabel('someNewMetric')).toBe('someNewMetric');
  });

  it('says a release() that never returned did so, not that its latency is "never"', () => {
    const rows = diffRows([d('releaseLatencyNs.max', null, 9_500), d('releaseUnfinished', 1, 0)], false);
    expect(rows[0].text).toBe('never returned → 9.5 µs (appeared)');
    expect(rows[1].text).toBe('1 → 0 (−1)');
  });

  it('lists what differs in the service order (release() first), the same ones only when asked', () => {
    const ms = [d('releaseLatencyNs.max', 5e9, 9500), d('releaseLatencyNs.count', 1, 1), d('innocentVictims', 1, 0), d('lockups', 0, 0), d('drainNs.max', null, null)];
    expect(diffRows(ms, false).map((r) => r.name)).toEqual(['releaseLatencyNs.max', 'innocentVictims']);
    expect(diffRows(ms, true).map((r) => r.name)).toEqual(['releaseLatencyNs.max', 'innocentVictims', 'releaseLatencyNs.count', 'lockups']);
  });
});

describe('verdicts: better or worse for B, not up or down', () => {
  const m = (name: string, a: number | null, b: number | null) => {
    const direction: MetricDiffDto['direction'] = a === null && b === null ? 'none' : a === null ? 'appeared' : b === null ? 'vanished' : b > a ? 'up' : b < a ? 'down' : 'same';
    return { name, a, b, delta: null, ratio: null, direction, doc: '' };
  };
  it('memory freed never → 93 ms is better; freed → never is worse; an innocent victim is worse', () => {
    expect(verdictOf(m('memoryFreedNs', null, 93e6))).toBe('better');
    expect(verdictOf(m('memoryFreedNs', 93e6, null))).toBe('worse');
    expect(verdictOf(m('memoryFreedNs', 10e6, 93e6))).toBe('worse');
    expect(verdictOf(m('innocentVictims', 1, 0))).toBe('better');
    expect(verdictOf(m('innocentVictims', 0, 1))).toBe('worse');
    expect(verdictOf(m('releaseLatencyNs.max', 60e9, 9500))).toBe('better');
    expect(verdictOf(m('releaseLatencyNs.count', 1, 2))).toBe('neutral');
    expect(verdictOf(m('pageResponses', 10, 20))).toBe('neutral');
    expect(verdictOf(m('lockups', 0, 0))).toBe('same');
  });
  it('no release() return at all is the worst', () => {
    expect(verdictOf(m('releaseUnfinished', 0, 1))).toBe('worst');
    const rows = diffRows([m('releaseLatencyNs.max', 9500, null), m('releaseUnfinished', 0, 1)], false);
    expect(rows.find((r) => r.name === 'releaseLatencyNs.max')).toMatchObject({ b: 'never returned', verdict: 'worst' });
    const back = diffRows([m('releaseLatencyNs.max', null, 9500), m('releaseUnfinished', 1, 0)], false);
    expect(back.find((r) => r.name === 'releaseLatencyNs.max')?.verdict).toBe('better');
  });
});
