import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, recordInline, tempDir } from '../trace/helpers';

// `sva-lab query`: in a reader worker with a deadline; --json and --csv stream any number of rows.
const file = path.join(tempDir(), 'q.sqlite');
let events = 0;
beforeAll(() => {
  events = recordInline(file, 'sigkill-during-dma', { mmExit: true }, 1).events;
});
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/sva-lab.mjs', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });

describe('sva-lab query', () => {
  it('streams every row as CSV and as JSON, past the table limit', () => {
    const before = fingerprint(file);
    const csv = cli('query', file, 'SELECT seq, kind, args FROM events ORDER BY seq', '--csv', '--limit', '50000000');
    expect(csv.status).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('seq,kind,args');
    expect(lines).toHaveLength(events + 1);
    const json = cli('query', file, 'SELECT seq FROM events ORDER BY seq', '--json', '--limit', '5');
    const doc = JSON.parse(json.stdout) as { columns: string[]; rows: number[][]; truncated: boolean };
    expect(doc).toEqual({ columns: ['seq'], rows: [[1], [2], [3], [4], [5]], truncated: true });
    expect(fingerprint(file)).toBe(before);
  });

  // User SQL runs in a child process that the deadline kills (a worker thread stuck in SQLite's
  // native loop could not be stopped, and Node joins it at exit: the CLI used to hang here).
  it('stops an endless query at its deadline with one sentence, exit 2', () => {
    const before = fingerprint(file);
    const t0 = Date.now();
    const r = cli('query', file, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c', '--timeout', '1');
    expect(r.status).toBe(2);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.stderr.trim()).toMatch(/^sva-lab: The query on '.*q\.sqlite' ran longer than 1 s and was stopped; narrow it/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fingerprint(file)).toBe(before);
  });

  it('refuses a table of more rows than it shows, saying how to stream', () => {
    const r = cli('query', file, 'SELECT 1', '--limit', '10000000');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/use --json or --csv to stream more/);
  });
});
