#!/usr/bin/env node
// `npm start`: build the desktop app and launch it in Electron. Where the Electron binary cannot
// be had (no download access), say so in one message and point at `serve` mode instead.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function electronBinary() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const exe = process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron';
    return join(process.env.ELECTRON_OVERRIDE_DIST_PATH, exe);
  }
  // electron 45 downloads its binary on first require; offline that fails noisily, so probe it
  // in a child process and keep its output for the one-line explanation.
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], { cwd: root, encoding: 'utf8' });
  if (probe.status !== 0 || !probe.stdout) {
    const lines = `${probe.stderr ?? ''}`.split('\n').map((l) => l.trim()).filter(Boolean);
    throw new Error(lines.find((l) => /failed|error/i.test(l)) ?? 'the electron package could not provide a binary');
  }
  return probe.stdout;
}

let bin;
try {
  bin = electronBinary();
} catch (e) {
  const why = String(e?.message ?? e).split('\n')[0];
  process.stderr.write(
    `sva-lab: the Electron binary is not available on this machine (${why}). ` +
      'On a machine that can download it, run `npm start` again; here, run `npx sva-lab serve` and open the printed URL in a browser.\n',
  );
  process.exit(1);
}

const run = (cmd, args, env = process.env) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

// better-sqlite3 is built for Node by `npm install`; the app needs it built for Electron's ABI.
// (The tests rebuild it for Node again if they find it built for Electron.)
run(join(root, 'node_modules/.bin/electron-rebuild'), ['-f', '-w', 'better-sqlite3']);
run(join(root, 'node_modules/.bin/electron-vite'), ['build']);
const r = spawnSync(bin, [root], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 0);
