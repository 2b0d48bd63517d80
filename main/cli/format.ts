import type { DivergenceDto, EventRowDto, ScenarioDto, Summary, WhyDto } from '../contract';
import { fmtNs } from '../lab/index';

const TIME_METRICS = new Set(['oomSkipSetNs', 'memoryFreedNs', 'pasidFreedNs', 'triggerNs']);

function fmtMetric(key: string, v: unknown): string {
  if (v === null) return 'never';
  if (typeof v === 'number') return TIME_METRICS.has(key) ? fmtNs(v) : String(v);
  if (typeof v === 'object' && v !== null && 'count' in v) {
    const s = v as { count: number; max: number | null; p50: number | null };
    return s.count === 0 ? 'none' : `count ${s.count}, p50 ${fmtNs(s.p50)}, max ${fmtNs(s.max)}`;
  }
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${k} ${x}`)
    .join(', ');
}

/** The human form of a run summary. */
export function formatSummary(s: Summary, docs: Record<string, string>, verbose = false): string {
  const lines: string[] = [];
  lines.push(`${s.scenario}  (${s.model === 'mm_exit' ? 'mm_exit model' : 'quiet-release model'}, seed ${s.seed})`);
  lines.push(`  status    ${s.status}${s.error ? `: ${s.error}` : ''} (${s.endReason})`);
  lines.push(`  events    ${s.events}`);
  lines.push(`  end time  ${fmtNs(s.endTimeNs)}`);
  lines.push(`  digest    ${s.digest}`);
  lines.push(`  model     version ${s.modelVersion}`);
  for (const w of s.warnings) lines.push(`  warning   ${w}`);
  lines.push('  metrics (times from the trigger)');
  const w = Math.max(...Object.keys(s.metrics).map((k) => k.length));
  for (const [k, v] of Object.entries(s.metrics)) {
    lines.push(`    ${k.padEnd(w)}  ${fmtMetric(k, v)}${verbose && docs[k] ? `\n    ${''.padEnd(w)}  (${docs[k]})` : ''}`);
  }
  return lines.join('\n');
}

export function formatScenarios(list: ScenarioDto[]): string {
  const out: string[] = [];
  for (const s of list) {
    out.push(`${s.id}\n  ${s.title}\n  ${s.story}\n  parameters:`);
    const w = Math.max(...s.params.map((p) => p.key.length));
    for (const p of s.params) {
      out.push(`    ${p.key.padEnd(w)}  default ${String(p.default)}${p.unit ? ` ${p.unit}` : ''}; ${p.range}. ${p.doc}`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** A plain text table: header, a rule, rows; columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(w[i]))).join('  ').trimEnd();
  return `${[line(header), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n')}\n`;
}

/** The first divergence between two event streams, one line per side. */
export function formatDivergence(d: DivergenceDto): string {
  const side = (e: EventRowDto | null) =>
    e === null ? '(no event: the stream has ended)' : `${fmtNs(e.tNs)} ${e.kind} ${e.actor} a=${e.a} b=${e.b} cause=${e.causeSeq}${e.args === null ? '' : ` ${JSON.stringify(e.args)}`}`;
  return `first divergence at seq ${d.seq} (${fmtNs(d.tNs)}):\n  a: ${side(d.a)}\n  b: ${side(d.b)}`;
}

/**
 * An explanation as text: the event asked about, then each step indented under the step it
 * explains, with its relation, time and seq, so the chain reads top-down as "because".
 */
export function formatWhy(w: WhyDto): string {
  const depth = new Map<number, number>();
  const lines: string[] = [];
  for (const s of w.steps) {
    const d = s.explains === null ? 0 : (depth.get(s.explains) ?? 0) + 1;
    if (!depth.has(s.seq)) depth.set(s.seq, d);
    const rel = s.relation === 'event' ? '' : `${s.relation.replace('_', ' ')}: `;
    const fold = s.folded ? ` (#${s.folded.fromSeq}..#${s.folded.toSeq})` : '';
    lines.push(`${'  '.repeat(d)}${d ? '<- ' : ''}${rel}${s.text}  [#${s.seq}${fold}, ${fmtNs(s.tNs)}]`);
  }
  const head = `why #${w.seq} (${w.steps[0]?.kind ?? '?'} on ${w.steps[0]?.actor ?? '?'}):`;
  return [head, ...lines, `roots: ${w.roots.map((r) => `#${r}`).join(', ') || 'none'}`].join('\n');
}
