import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelLog } from '../trace/kernelLogs';
import { tempDir } from '../trace/helpers';
import { cliIn } from './svaLab';

const home = tempDir('sva-cli-observed-');

const lab = cliIn(home, 120_000);

describe('sva-lab import, summary, list and match with a kernel log', () => {
  it('import --json prints {trace, kind, summary} for a kernel log', () => {
    const r = lab('import', kernelLog('06-oom-journald-json-steamdeck.journal.log'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { trace: string; kind: string; summary: { model: string; metrics: Record<string, unknown>; notObservable: string[]; observed: Record<string, unknown> } };
    expect(Object.keys(out)).toEqual(['trace', 'kind', 'summary']);
    expect(out.kind).toBe('kernel-log');
    expect(path.dirname(out.trace)).toBe(home);
    expect(out.summary.model).toBe('observed');
    expect(out.summary.observed).toMatchObject({ source: '06-oom-journald-json-steamdeck.journal.log', format: 'journal-json', lines: 164 });
    expect(out.summary.metrics).toMatchObject({ oomVictims: 1, oomReaped: 1 }); // records 161 and 162
    expect(out.summary.notObservable).toContain('releaseLatencyNs');
    const s = lab('summary', out.trace);
    expect(s.stdout).toMatch(/^observed run of 06-oom-journald-json-steamdeck\.journal\.log {2}\(journal-json log, 164 lines, 1 reports; monotonic clock\)/);
    expect(s.stdout).toMatch(/not in the log: releaseLatencyNs/);
    expect(s.stdout).not.toMatch(/ {4}releaseLatencyNs/);
    const list = lab('list');
    expect(list.stdout).toMatch(/observed +observed +complete/);
  });

  it('match proposes a scenario and --run records it and compares', () => {
    const r = lab('match', kernelLog('16-ftrace-oom-reaper-tracepoints.log'), '--run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { match: { basis: string; candidates: { run: { scenario: string } }[] }; run: { scenario: string; trace: string }; compare: { metrics: { name: string }[] } };
    expect(out.match.basis).toBe('oom');
    expect(out.run.scenario).toBe(out.match.candidates[0].run.scenario);
    expect(fs.existsSync(out.run.trace)).toBe(true);
    // An ftrace capture shows no printk lines: the diff is over what both have.
    expect(out.compare.metrics.map((d) => d.name).sort()).toEqual(['oomReaped', 'oomVictims']);
    const human = lab('match', kernelLog('04-vtd-sva-unbind-deadlock-at-exit-idxd.log'));
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/looking for lockdep \(possible circular locking dependency detected\): &param->lock --> &param->fault_param->lock --> pasid_mutex/);
  });

  it('refuses what is neither a trace nor a kernel log in one sentence', () => {
    const f = path.join(tempDir(), 'notes.md');
    fs.writeFileSync(f, '# Notes\n\nNothing to see.\n');
    for (const cmd of ['import', 'match']) {
      const r = lab(cmd, f);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toBe(`sva-lab: '${f}' is not a kernel log: none of its first lines has a kernel timestamp or reads like a kernel message; expected dmesg, syslog, journalctl or ftrace text.\n`);
    }
  });
});
