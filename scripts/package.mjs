#!/usr/bin/env node
// `npm run package`: the desktop app as a folder under out/package/sva-lab-<platform>-<arch>:
// Electron's own distribution, the built app packed into resources/app.asar (better-sqlite3's
// native module unpacked beside it), its integrity hash where the platform checks it (macOS:
// Info.plist ElectronAsarIntegrity), then the fuses flipped (scripts/fuses.mjs). Where the
// Electron binary cannot be had (no download access) it says so in one sentence.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import asar from '@electron/asar';
import { setFuses } from './fuses.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const fail = (msg) => {
  process.stderr.write(`package: ${msg}\n`);
  process.exit(1);
};

function electronDist() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('path').dirname(require('electron')))"], { cwd: root, encoding: 'utf8' });
  if (probe.status !== 0 || !probe.stdout) return null;
  return process.platform === 'darwin' ? path.resolve(probe.stdout, '../../..') : probe.stdout;
}

const dist = electronDist();
if (!dist || !fs.existsSync(dist)) fail('the Electron distribution is not available on this machine (it downloads on first use); run this where it can be downloaded, or set ELECTRON_OVERRIDE_DIST_PATH.');

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(path.join(root, 'node_modules/.bin/electron-rebuild'), ['-f', '-w', 'better-sqlite3']);
run(path.join(root, 'node_modules/.bin/electron-vite'), ['build']);

const out = path.join(root, 'out/package', `sva-lab-${process.platform}-${process.arch}`);
fs.rmSync(out, { recursive: true, force: true });
fs.cpSync(dist, out, { recursive: true, verbatimSymlinks: true });
const mac = process.platform === 'darwin';
const appDir = mac ? path.join(out, 'Electron.app') : out;
const resources = mac ? path.join(appDir, 'Contents/Resources') : path.join(out, 'resources');
fs.rmSync(path.join(resources, 'default_app.asar'), { force: true });

// The app as Electron loads it: package.json, the build, the runtime dependencies.
const stage = fs.mkdtempSync(path.join(root, 'out/.package-'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, main: pkg.main, type: pkg.type, dependencies: pkg.dependencies }, null, 2));
fs.cpSync(path.join(root, 'out/main'), path.join(stage, 'out/main'), { recursive: true });
fs.cpSync(path.join(root, 'out/preload'), path.join(stage, 'out/preload'), { recursive: true });
fs.cpSync(path.join(root, 'out/renderer'), path.join(stage, 'out/renderer'), { recursive: true });
for (const dep of Object.keys(pkg.dependencies)) {
  const from = path.join(root, 'node_modules', dep);
  if (fs.existsSync(from)) fs.cpSync(from, path.join(stage, 'node_modules', dep), { recursive: true, dereference: true });
}
const archive = path.join(resources, 'app.asar');
await asar.createPackageWithOptions(stage, archive, { unpack: '**/*.node' });
fs.rmSync(stage, { recursive: true, force: true });

if (mac) {
  // Electron checks app.asar against this hash of its header when the integrity fuse is on.
  const header = asar.getRawHeader(archive).headerString;
  const hash = crypto.createHash('sha256').update(header).digest('hex');
  const plist = path.join(appDir, 'Contents/Info.plist');
  const text = fs.readFileSync(plist, 'utf8');
  const entry = `<key>ElectronAsarIntegrity</key><dict><key>Resources/app.asar</key><dict><key>algorithm</key><string>SHA256</string><key>hash</key><string>${hash}</string></dict></dict>`;
  fs.writeFileSync(plist, text.replace(/<\/dict>\s*<\/plist>\s*$/, `${entry}</dict></plist>\n`));
}
// Windows checks the hash from a resource in the executable (what @electron/packager writes with
// rcedit); this script does not write it, so there the integrity fuse has nothing to check against.

const binary = mac ? appDir : path.join(out, process.platform === 'win32' ? 'electron.exe' : 'electron');
let wire;
try {
  wire = await setFuses(binary);
} catch (e) {
  fail(`cannot set the fuses of '${binary}': ${e instanceof Error ? e.message : String(e)}`);
}
process.stdout.write(`packaged ${out}\n`);
for (const [k, v] of Object.entries(wire)) process.stdout.write(`  fuse ${k.padEnd(40)} ${v}\n`);
