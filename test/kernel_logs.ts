import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the real kernel logs are: `../shared/kernel-logs` beside the project root (for /work/main:
 * /work/shared/kernel-logs). A git worktree of the project (its `.git` is a file naming
 * `<main>/.git/worktrees/<name>`) resolves it beside the main checkout; `SVA_KERNEL_LOGS` overrides
 * both (a CI clone elsewhere). The logs are test data read from there, never copied into the project.
 */
export function kernelLogsDir(): string {
  // import.meta.url, not __dirname: Playwright loads the specs as ES modules (no __dirname there).
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const tried: string[] = [];
  const candidates: string[] = [];
  if (process.env.SVA_KERNEL_LOGS) candidates.push(resolve(process.env.SVA_KERNEL_LOGS));
  candidates.push(join(root, '..', 'shared', 'kernel-logs'));
  const dotGit = join(root, '.git');
  if (existsSync(dotGit) && statSync(dotGit).isFile()) {
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    // <main>/.git/worktrees/<name> → <main>
    if (m) candidates.push(join(dirname(dirname(dirname(resolve(root, m[1].trim())))), '..', 'shared', 'kernel-logs'));
  }
  // This workplace's shared folder, for a clone made somewhere else on the machine (CI clones main
  // into a fresh directory whose parent has no shared/).
  candidates.push('/work/shared/kernel-logs');
  for (const c of candidates) {
    tried.push(c);
    if (existsSync(join(c, 'SOURCES.md'))) return c;
  }
  throw new Error(`The real kernel logs (test data) were not found: looked for SOURCES.md in ${tried.join(', ')}. Put them at ../shared/kernel-logs beside the project, or set SVA_KERNEL_LOGS to their folder.`);
}

export function readKernelLog(name: string): string {
  return readFileSync(join(kernelLogsDir(), name), 'utf8');
}
