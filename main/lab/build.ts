import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from './errors';

/** Newest modification time under a folder (ms). */
function newest(dir: string): number {
  let t = 0;
  if (!fs.existsSync(dir)) return t;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Build the renderer (electron-vite) when out/renderer is missing or older than renderer/ or the
 * contract, so `serve` on a fresh clone just works. Build output goes to stderr.
 */
export async function ensureRendererBuilt(root: string): Promise<void> {
  const out = path.join(root, 'out/renderer/index.html');
  const src = Math.max(newest(path.join(root, 'renderer')), fs.statSync(path.join(root, 'main/contract.ts')).mtimeMs);
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= src) return;
  process.stderr.write('Building the renderer (electron-vite build)…\n');
  const bin = path.join(root, 'node_modules/.bin/electron-vite');
  const r = spawnSync(bin, ['build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new UserError(`Building the renderer failed (electron-vite build exited ${r.status}); see the output above.`);
}
