/**
 * What the desktop app may hand to the user's browser (shell.openExternal) and which pages are
 * its own. Pure functions of URLs (no electron import), so they are tested without Electron.
 */

/**
 * The documentation the app may open in the browser: https pages under these prefixes, nothing
 * else (a link in a trace's text or a compromised page cannot open arbitrary URLs, file: or
 * custom protocol handlers). The app's pages link to the kernel documentation the model cites.
 */
export const DOC_PREFIXES: readonly string[] = ['https://docs.kernel.org/', 'https://www.kernel.org/doc/'];

/** May `url` be opened in the user's browser? Compared after parsing (no `startsWith` on raw text). */
export function isAllowedExternal(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '') return false;
  return DOC_PREFIXES.some((p) => {
    const d = new URL(p);
    return u.origin === d.origin && u.pathname.startsWith(d.pathname);
  });
}

/**
 * Is `url` one of the app's own pages: the dev server's exact origin in development, else the
 * app:// scheme's `lab` host. Origins are compared parsed and whole, so
 * `http://localhost:5173.evil.example` is not `http://localhost:5173`.
 */
export function isOwnPageUrl(url: string, devUrl: string | undefined, scheme = 'app', host = 'lab'): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (devUrl) {
    let d: URL;
    try {
      d = new URL(devUrl);
    } catch {
      return false;
    }
    return (d.protocol === 'http:' || d.protocol === 'https:') && u.origin === d.origin;
  }
  // A custom scheme's URL has an opaque origin in WHATWG terms: compare its parts.
  return u.protocol === `${scheme}:` && u.host === host && u.username === '' && u.password === '' && u.port === '';
}
