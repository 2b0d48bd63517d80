import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** ARCHITECTURE.md names files and folders: each one it names must be there. */
const root = path.resolve(import.meta.dirname, '..');
const doc = fs.readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8');
const ROOTS = ['main', 'renderer', 'preload', 'test', 'bench', 'scripts', 'bin'];

/** Every file and folder of the project's source roots, relative to the root, folders ending in '/'. */
function tree(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.push(`${p}/`);
        walk(p);
      } else out.push(p);
    }
  };
  for (const r of ROOTS) if (fs.existsSync(path.join(root, r))) walk(r);
  return out;
}

/** The paths the document cites: backticked tokens shaped like a path, and paths under a source root in its prose. */
function cited(): string[] {
  const found = new Set<string>();
  for (const [, t] of doc.matchAll(/`([^`\s()]+)`/g)) {
    if (t.startsWith('/') || t.includes(':')) continue; // an HTTP route, an IPC channel
    if (t.includes('/') || /\.(ts|vue|mjs|js|json)$/.test(t)) found.add(t);
  }
  for (const [, t] of doc.matchAll(new RegExp(String.raw`(?<![\w\`/.-])((?:${ROOTS.join('|')})/[\w./*…-]*)`, 'g'))) found.add(t.replace(/[.,]+$/, ''));
  return [...found].sort();
}

/**
 * A cited path as a pattern over the tree: rooted (`main/lab/args.ts`) it must be that path; a
 * name relative to the folder the text is about (`workers/pool.ts`, `recorder.ts`) must end some
 * path. `*` is any name, a trailing `…` anything below, and the folder `x` an example folder.
 */
function patternOf(p: string): RegExp {
  const rooted = ROOTS.some((r) => p === r || p.startsWith(`${r}/`));
  const body = p
    .replace(/…$/, '')
    .split('/')
    .map((seg) => (seg === 'x' ? '[^/]+' : seg.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')))
    .join('/');
  // A name with no extension is a folder or a module as an import names it (`main/contract`).
  const end = p.endsWith('/') || p.endsWith('…') ? '' : /\.\w+$/.test(p) ? '$' : String.raw`(?:/|\.(?:ts|vue|mjs|js))?$`;
  return new RegExp(`${rooted ? '^' : '(?:^|/)'}${body}${end}`);
}

describe('ARCHITECTURE.md', () => {
  it('cites only files and folders that exist', () => {
    const files = tree();
    const paths = cited();
    // The document does cite paths of each kind this test reads.
    expect(paths).toEqual(expect.arrayContaining(['main/lab/args.ts', 'workers/pool.ts', 'recorder.ts', 'kernel/*.ts', 'test/lab/workers/…', 'renderer/src/x/']));
    const missing = paths.filter((p) => !files.some((f) => patternOf(p).test(f)));
    expect(missing).toEqual([]);
  });

  it('would notice a path that is not there', () => {
    const files = tree();
    for (const p of ['main/lab/nothing.ts', 'workers/nothing.ts', 'main/nowhere/', 'kernel/*.vue', 'main/contracts', 'main/lab/match.ts']) expect(files.some((f) => patternOf(p).test(f)), p).toBe(false);
  });
});
