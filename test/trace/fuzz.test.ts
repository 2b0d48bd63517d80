import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordInline, tempDir } from './helpers';
import { generateCases, type FuzzCase } from './fuzz/generate';

/**
 * The fuzz suite: seeded hostile files (generate.ts) through every lab operation (runner.ts, in a
 * child process this test can kill). Each answer is either a result or one clean sentence (a
 * UserError of one line naming the file, never "internal error"); no operation runs past
 * OP_TIMEOUT_MS (a hang is a failure, and the child is killed and restarted past it); the input
 * files are byte-for-byte unchanged. Bounded: the whole suite takes well under a minute.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const OP_TIMEOUT_MS = 10_000;

interface Step {
  case: string;
  op: string;
  ok?: boolean;
  user?: boolean;
  message?: string;
  ms?: number;
  hung?: boolean;
}

const root = tempDir('sva-fuzz-');
const genStart = performance.now();
const base = path.join(root, 'base.sqlite');
recordInline(base, 'sigkill-during-dma', { mmExit: true }, 3);
const cases: FuzzCase[] = generateCases(base, path.join(root, 'cases'), SEED);
const genMs = performance.now() - genStart;
const results = new Map<string, Step[]>();
const before = new Map<string, string>();
let suiteMs = 0;

function hash(f: string): string {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(f);
  } catch {
    return 'absent';
  }
  if (!st.isFile()) return `special:${st.mode}`;
  return crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
}
const watched = (c: FuzzCase) => c.unchanged ?? [c.file, ...['-wal', '-shm', '-journal'].map((s) => c.file + s)];

/** Run `todo` in a runner child; resolves with the cases not reached when a step hung (the child killed). */
function runChild(todo: FuzzCase[], home: string): Promise<FuzzCase[]> {
  const file = path.join(root, `cases-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(todo));
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/trace/fuzz/runner.ts', file, home], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.resume();
  return new Promise((resolve) => {
    let current: Step | null = null;
    let timer: NodeJS.Timeout | null = null;
    let done = false;
    const arm = () => {
      if (timer) clearTimeout(timer);
      // Starting the child (tsx) and the first op of each case get the same bound.
      timer = setTimeout(() => {
        if (done) return;
        done = true;
        child.kill('SIGKILL');
        const hungCase = current?.case;
        if (current) (results.get(current.case) ?? results.set(current.case, []).get(current.case))?.push({ ...current, hung: true });
        const i = todo.findIndex((c) => c.name === hungCase);
        resolve(i >= 0 ? todo.slice(i + 1) : []);
      }, OP_TIMEOUT_MS + 5000);
    };
    arm();
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      let m: Step & { start?: boolean; done?: boolean };
      try {
        m = JSON.parse(line) as Step & { start?: boolean; done?: boolean };
      } catch {
        return;
      }
      if (m.done) return;
      if (m.start) {
        current = m;
        arm();
        return;
      }
      current = null;
      (results.get(m.case) ?? results.set(m.case, []).get(m.case))?.push(m);
    });
    child.on('exit', () => {
      if (timer) clearTimeout(timer);
      if (!done) {
        done = true;
        resolve([]);
      }
    });
  });
}

beforeAll(async () => {
  const t0 = performance.now() - genMs;
  for (const c of cases) for (const f of watched(c)) before.set(`${c.name}|${f}`, hash(f));
  const home = path.join(root, 'home');
  fs.mkdirSync(home);
  let todo = cases;
  while (todo.length > 0) todo = await runChild(todo, home);
  suiteMs = performance.now() - t0;
}, 120_000);

describe(`fuzz: hostile trace files (seed ${SEED})`, () => {
  it('runs every case in bounded time', () => {
    expect(cases.length).toBeGreaterThan(50);
    expect(suiteMs).toBeLessThan(60_000);
    process.stderr.write(`fuzz: ${cases.length} cases, ${[...results.values()].reduce((n, s) => n + s.length, 0)} operations in ${Math.round(suiteMs)} ms (seed ${SEED})\n`);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const steps = results.get(c.name) ?? [];
    const label = `${c.name}: `;
    expect(steps.map((s) => s.op), `${label}every operation answered`).toEqual(c.ops.map((o) => (typeof o === 'string' ? o : 'export')));
    for (const s of steps) {
      const what = `${label}${s.op}`;
      expect(s.hung, `${what} hung`).toBeFalsy();
      expect(s.ms ?? 0, `${what} took too long`).toBeLessThan(OP_TIMEOUT_MS);
      if (s.ok) {
        expect(c.refuse ?? [], `${what} should have been refused`).not.toContain(s.op);
        continue;
      }
      const msg = s.message ?? '';
      expect(s.user, `${what} failed with a non-user error: ${msg}`).toBe(true);
      expect(msg, `${what}`).not.toMatch(/internal error/i);
      expect(msg.split('\n'), `${what}: one line`).toHaveLength(1);
      expect(msg.trim().endsWith('.'), `${what}: a sentence: ${msg}`).toBe(true);
      // It names the file (the trace, or the export's output).
      expect(msg.includes(path.basename(c.file)) || msg.includes(path.basename(c.file).replace(/\.sqlite$/, '')), `${what} names the file: ${msg}`).toBe(true);
      if (c.says && (c.refuse ?? []).includes(s.op)) expect(msg.toLowerCase(), what).toContain(c.says.toLowerCase());
    }
    for (const f of watched(c)) expect(hash(f), `${label}${f} unchanged`).toBe(before.get(`${c.name}|${f}`));
  });
});
