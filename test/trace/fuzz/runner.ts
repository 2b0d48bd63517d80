/**
 * The fuzz suite's runner, a child process of fuzz.test.ts: runs each case's operations through
 * the lab (the same door the CLI, IPC and HTTP use) and prints one JSON line per step, so the
 * parent can tell a hang (no line for too long: it kills this process) from an answer.
 *   node --import tsx test/trace/fuzz/runner.ts <cases.json> <home>
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLab, UserError } from '../../../main/lab/index';
import type { FuzzCase, Op } from './generate';

const [casesFile, home] = process.argv.slice(2);
const cases = JSON.parse(fs.readFileSync(casesFile, 'utf8')) as FuzzCase[];
const say = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);

const opName = (op: Op) => (typeof op === 'string' ? op : 'export');

async function runOp(lab: ReturnType<typeof createLab>, c: FuzzCase, op: Op): Promise<void> {
  const id = lab.runOf(c.file);
  if (typeof op !== 'string') {
    await lab.exportTo(id, op.format, op.export);
    return;
  }
  switch (op) {
    case 'open':
      await lab.openRun(id);
      return;
    case 'summary':
      await lab.summary(id);
      return;
    case 'window':
      await lab.window(id, 0, 1e9, 800);
      await lab.window(id, 0, 2e6, 800);
      return;
    case 'state':
      await lab.state(id, 0);
      await lab.state(id, 5_000_000);
      return;
    case 'query':
      await lab.query(id, 'SELECT count(*) FROM events', 10, { deadlineMs: 5000 });
      return;
    case 'query-endless':
      await lab.query(id, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c', 10, { deadlineMs: 1500 });
      return;
    case 'query-huge':
      await lab.query(id, 'SELECT * FROM events', 10_000_000);
      return;
    case 'import': {
      const other = createLab(fs.mkdtempSync(path.join(home, 'import-')));
      await other.importTrace({ name: c.file, path: c.file });
      return;
    }
    case 'annotate':
      await lab.addAnnotation(id, { tNs: 0, seq: null, kind: 'note', text: 'fuzz' });
      return;
    case 'verify':
      await lab.verifyRun(id);
      return;
    case 'list': {
      // A list over an archive holding this file answers, whatever the file is.
      const h = fs.mkdtempSync(path.join(home, 'list-'));
      try {
        fs.symlinkSync(c.file, path.join(h, 'x.sqlite'));
      } catch {
        return;
      }
      const items = await createLab(h).listRuns();
      if (items.length !== 1) throw new Error(`list gave ${items.length} items for one file`);
      return;
    }
  }
}

const lab = createLab(home);
for (const c of cases) {
  for (const op of c.ops) {
    const t0 = performance.now();
    say({ case: c.name, op: opName(op), start: true });
    try {
      await runOp(lab, c, op);
      say({ case: c.name, op: opName(op), ok: true, ms: performance.now() - t0 });
    } catch (e) {
      say({ case: c.name, op: opName(op), ok: false, user: e instanceof UserError, message: e instanceof Error ? e.message : String(e), ms: performance.now() - t0 });
    }
  }
}
await lab.close();
say({ done: true });
process.exit(0);
