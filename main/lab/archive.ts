import os from 'node:os';
import path from 'node:path';

/**
 * The archive folder: `SVA_LAB_HOME` if set, else the platform's user-data folder for "sva-lab"
 * (Linux `$XDG_DATA_HOME/sva-lab` or `~/.local/share/sva-lab`; macOS
 * `~/Library/Application Support/sva-lab`; Windows `%APPDATA%/sva-lab`).
 */
export function archiveDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.SVA_LAB_HOME) return path.resolve(env.SVA_LAB_HOME);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'sva-lab');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'sva-lab');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'sva-lab');
}

/** A file name for a new run: sortable by start time, readable at a glance. */
export function runFileName(scenario: string, model: string, seed: number, created: Date): string {
  const stamp = created.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');
  return `${stamp}-${scenario}-${model}-s${seed}.sqlite`;
}
