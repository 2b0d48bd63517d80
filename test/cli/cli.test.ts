import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../main/sim/run';
import { fingerprint, tempDir } from '../trace/helpers';
import { BIN, cliIn } from './svaLab';

const home = tempDir('sva-cli-home-');

const lab = cliIn(home, 60_000);

/** `--json` prints exactly one JSON document on stdout. */
function json<T = Record<string, unknown>>(args: string[]): T {
  const r = lab(...args, '--json');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(r.stdout) as T;
}

let trace: string;

beforeAll(() => {
  const run = json<{ trace: string; metrics: unknown; digest: string }>(['run', 'sigkill-during-dma', '--set', 'mmExit=true']);
  trace = run.trace;
  const inline = runScenario('sigkill-during-dma', { mmExit: true }, 1);
  expect(run.metrics).toEqual(inline.metrics);
  expect(run.digest).toBe(inline.digest);
});

describe('sva-lab CLI over a recorded trace', () => {
  it('run records into SVA_LAB_HOME, prints no progress bar when stderr is not a TTY, and list shows it', () => {
    expect(path.dirname(trace)).toBe(home);
    const r = lab('run', 'oom-bound-victim');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/trace\s+\S+oom-bound-victim/);
    const list = json<{ runs: { scenario: string }[] }>(['list']);
    expect(list.runs.map((x) => x.scenario).sort()).toEqual(['oom-bound-victim', 'sigkill-during-dma']);
    expect(lab('list').stdout).toMatch(/sigkill-during-dma\s+mm_exit\s+complete/);
  });

  it('summary, compare, verify, export, query, state and window work from the CLI', () => {
    const s = json<{ trace: string; digest: string }>(['summary', trace]);
    expect(s.trace).toBe(trace);
    const c = json<{ firstDivergence: unknown }>(['compare', trace, trace]);
    expect(c.firstDivergence).toBeNull();
    const v = lab('verify', trace);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^verified:/);
    const out = path.join(tempDir(), 't.json');
    expect(lab('export', trace, '--format', 'chrome-json', '--out', out).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).traceEvents.length).toBeGreaterThan(0);
    const q = json<{ columns: string[]; rows: unknown[][] }>(['query', trace, 'SELECT count(*) AS n FROM event_log']);
    expect(q.columns).toEqual(['n']);
    const st = json<unknown>(['state', trace, '--at', '25ms', '--at', '1000']);
    expect(Array.isArray(st) && st.map((x) => (x as { atNs: number }).atNs)).toEqual([25_000_000, 1000]);
    const w = json<{ tracks: unknown[] }[]>(['window', trace, '--range', '0:40ms', '--range', '20ms:21ms', '--width', '500']);
    expect(w).toHaveLength(2);
  });

  it('refuses a write query with one sentence, exit 2, and leaves the file untouched', () => {
    const before = fingerprint(trace);
    const r = lab('query', trace, 'DELETE FROM events');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/refused/);
    expect(fingerprint(trace)).toBe(before);
  });

  it('refuses bad files with one sentence naming the file, no stack trace', () => {
    const dir = tempDir();
    const notSqlite = path.join(dir, 'notes.txt');
    fs.writeFileSync(notSqlite, 'just text\n'.repeat(20));
    for (const [f, re] of [[path.join(dir, 'missing.sqlite'), /does not exist/], [notSqlite, /not an SQLite database/]] as const) {
      for (const cmd of [['summary', f], ['verify', f], ['state', f, '--at', '1ms'], ['import', f]]) {
        const r = lab(...cmd);
        expect(r.code, cmd.join(' ')).toBe(2);
        expect(r.stderr.trim().split('\n'), cmd.join(' ')).toHaveLength(1);
        expect(r.stderr).toContain(f);
        // A file that is not SQLite is read by import as a kernel log (an observed run): not one either.
        expect(r.stderr).toMatch(cmd[0] === 'import' && f === notSqlite ? /is not a kernel log: .*; expected dmesg, syslog, journalctl or ftrace text\./ : re);
        expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
      }
    }
  });

  it('verify exits non-zero and prints the first divergence for a trace that does not reproduce', async () => {
    const bad = path.join(tempDir(), 'bad.sqlite');
    fs.copyFileSync(trace, bad);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(bad);
    db.prepare('UPDATE events SET t_ns = t_ns + 1 WHERE seq >= 500').run();
    db.close();
    const r = lab('verify', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/MISMATCH/);
    expect(r.stdout).toMatch(/first divergence at seq 500/);
  });

  it('Ctrl-C (SIGINT) cancels a run: exit 130, the trace is readable and marked cancelled', async () => {
    const out = path.join(tempDir(), 'cancel.sqlite');
    const child = spawn(process.execPath, [BIN, 'run', 'stress', '--set', 'events=50000000', '--out', out, '--json'], { env: { ...process.env, SVA_LAB_HOME: home } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Wait until some batches are on disk, then interrupt.
    for (let i = 0; i < 200 && !(fs.existsSync(`${out}-wal`) && fs.statSync(`${out}-wal`).size > 1_000_000); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(130);
    const s = JSON.parse(stdout) as { status: string; events: number; trace: string };
    expect(s.status).toBe('cancelled');
    expect(s.trace).toBe(out);
    const q = json<{ rows: number[][] }>(['query', out, "SELECT (SELECT count(*) FROM events), event_count, status = 'cancelled' FROM meta"]);
    expect(q.rows[0]).toEqual([s.events, s.events, 1]);
  });
});
