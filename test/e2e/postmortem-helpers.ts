import type { Page } from '@playwright/test';

/**
 * Drop files on an element as a file manager would: a `drop` event whose DataTransfer holds them
 * (Playwright has no native file drag, so the page builds the DataTransfer itself).
 */
export async function dropFiles(page: Page, selector: string, files: { name: string; text: string; type?: string }[]): Promise<void> {
  // Runs in the page: DataTransfer and File are the browser's (this file is typed for Node).
  type Browser = { DataTransfer: new () => { items: { add(f: unknown): void } }; File: new (parts: string[], name: string, o: { type: string }) => unknown };
  const dt = await page.evaluateHandle((fs) => {
    const g = globalThis as unknown as Browser;
    const d = new g.DataTransfer();
    for (const f of fs) d.items.add(new g.File([f.text], f.name, { type: f.type ?? 'application/octet-stream' }));
    return d;
  }, files);
  await page.dispatchEvent(selector, 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent(selector, 'dragover', { dataTransfer: dt });
  await page.dispatchEvent(selector, 'drop', { dataTransfer: dt });
}

/** The number in "… after event N" of the state panel's header. */
export async function stateEvent(page: Page): Promise<number> {
  const header = await page.getByRole('complementary', { name: 'Model state' }).getByRole('heading').first().textContent();
  return Number(/after event (\d+)/.exec(header ?? '')?.[1] ?? NaN);
}
