#!/usr/bin/env node
// Electron fuses of the packaged app, flipped in its binary at packaging time (scripts/package.mjs
// calls setFuses; `node scripts/fuses.mjs <electron binary or .app>` flips them on any build and
// prints the wire). Fuses are bits in the binary itself, so no environment or command line can
// turn them back on:
//   RunAsNode off                           ELECTRON_RUN_AS_NODE cannot make the app a plain Node
//   EnableNodeOptionsEnvironmentVariable off NODE_OPTIONS (--require a script) is ignored
//   EnableNodeCliInspectArguments off        --inspect / --inspect-brk are ignored (no debugger attach)
//   EnableEmbeddedAsarIntegrityValidation on app.asar is checked against its hash (macOS, Windows)
//   OnlyLoadAppFromAsar on                   the app loads only from app.asar, never a loose app/ folder
//   EnableCookieEncryption on                cookies on disk are encrypted with the OS key store
import { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } from '@electron/fuses';
import constants from '@electron/fuses/dist/constants.js';

const { FuseState } = constants;

export const SVA_LAB_FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
};

/** Flip the lab's fuses in the Electron binary (or .app) at `path`; returns the wire as read back, by fuse name. */
export async function setFuses(path) {
  await flipFuses(path, SVA_LAB_FUSES);
  const wire = await getCurrentFuseWire(path);
  const out = {};
  for (const [k, v] of Object.entries(wire)) {
    if (k === 'version') continue;
    out[FuseV1Options[Number(k)]] = v === FuseState.ENABLE ? 'on' : v === FuseState.DISABLE ? 'off' : v === FuseState.REMOVED ? 'removed' : 'inherit';
  }
  // Read back: a fuse that did not take is a packaging failure, not a warning.
  for (const [k, want] of Object.entries(SVA_LAB_FUSES)) {
    if (k === 'version') continue;
    const name = FuseV1Options[Number(k)];
    if (out[name] !== undefined && out[name] !== 'removed' && out[name] !== (want ? 'on' : 'off')) throw new Error(`fuse ${name} is ${out[name]} after flipping; expected ${want ? 'on' : 'off'}`);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.argv[2];
  if (!target) {
    process.stderr.write('usage: node scripts/fuses.mjs <path to the Electron binary or .app>\n');
    process.exit(2);
  }
  try {
    const wire = await setFuses(target);
    for (const [k, v] of Object.entries(wire)) process.stdout.write(`${k.padEnd(40)} ${v}\n`);
  } catch (e) {
    process.stderr.write(`fuses: cannot set the fuses of '${target}': ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
