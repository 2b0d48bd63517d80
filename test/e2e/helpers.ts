import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { APIRequestContext, Page } from '@playwright/test';
import type { RunListItem } from '../../main/contract';

export const SHOTS = 'test-results/screens';

/** The server's session token (playwright.config.ts sets it; the request fixture sends it as a header too). */
export const TOKEN_HEADERS = { 'x-sva-lab-token': process.env.E2E_TOKEN ?? '' };

/** Call the LabApi of the server under test, as the page does (with the session token). */
export async function labCall<T>(request: APIRequestContext, method: string, ...args: unknown[]): Promise<T> {
  const res = await request.post(`/api/${method}`, { data: { args }, headers: TOKEN_HEADERS });
  const body = (await res.json()) as { ok: boolean; value?: T; error?: string };
  if (!body.ok) throw new Error(body.error);
  return body.value as T;
}

export async function runs(request: APIRequestContext): Promise<RunListItem[]> {
  return labCall<RunListItem[]>(request, 'listRuns');
}

/** The headless CLI on the same archive, JSON out. */
export function cli<T>(...args: string[]): T {
  const out = execFileSync(process.execPath, [path.resolve('bin/sva-lab.mjs'), ...args, '--json'], {
    env: { ...process.env, SVA_LAB_HOME: process.env.E2E_HOME },
    encoding: 'utf8',
  });
  return JSON.parse(out) as T;
}

export function traceFile(runId: string): string {
  return path.join(process.env.E2E_HOME as string, runId);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}
