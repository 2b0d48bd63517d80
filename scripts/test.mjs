#!/usr/bin/env node
// `npm test`: the unit and component tests (vitest), then the end-to-end tests (Playwright in
// Debian's Chromium against `sva-lab serve`), then one plain line `N passed, N failed[, N skipped]`
// over both. On a fresh machine it first makes sure better-sqlite3 loads in Node (it may have been
// rebuilt for Electron by `npm start`) and that Chromium is there (installed with apt if missing).
//
//   npm test                 everything
//   npm test -- --unit       vitest only        npm test -- --e2e     Playwright only
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.ci-out');
mkdirSync(out, { recursive: true });
const argv = process.argv.slice(2);
const unit = !argv.includes('--e2e');
const e2e = !argv.includes('--unit');
const bin = (name) => join(root, 'node_modules/.bin', name);
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

function ensureSqliteForNode() {
  const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, encoding: 'utf8' });
  if (probe.status === 0) return;
  console.error('better-sqlite3 does not load in Node (built for Electron?); rebuilding it for Node…');
  const r = run('npm', ['rebuild', 'better-sqlite3']);
  if (r.status !== 0) {
    console.error('test: rebuilding better-sqlite3 for Node failed; run `npm rebuild better-sqlite3` and read its output.');
    process.exit(1);
  }
}

function chromiumPath() {
  const want = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(want)) return want;
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) return null;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  console.error('Chromium is missing; installing Debian\'s chromium for the end-to-end tests (apt-get)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const a = spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-q'], { stdio: 'inherit', env });
  const b = a.status === 0 ? spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-q', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env }) : a;
  return b.status === 0 && existsSync(want) ? want : null;
}

ensureSqliteForNode();
const reports = [];
let ok = true;
if (unit) {
  const r = run(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile=${join(out, 'vitest.json')}`]);
  ok &&= r.status === 0;
  reports.push(join(out, 'vitest.json'));
}
if (e2e) {
  const chromium = chromiumPath();
  if (!chromium) {
    console.error('test: the end-to-end tests need Chromium: install Debian\'s `chromium` package (or set CHROMIUM_PATH to a Chromium binary) and run `npm test` again.');
    ok = false;
  } else {
    const r = run(bin('playwright'), ['test'], { env: { ...process.env, CHROMIUM_PATH: chromium } });
    ok &&= r.status === 0;
    reports.push(join(out, 'playwright.json'));
  }
}
const s = run(process.execPath, [join(root, 'scripts/ci-summary.mjs'), ...reports]);
process.exit(ok && s.status === 0 ? 0 : 1);
