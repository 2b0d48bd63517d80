/**
 * The Content-Security-Policy of the lab's page, wherever it is served from (Electron's app://
 * protocol or `serve` mode): scripts and connections only to the page's own origin, no plugins,
 * no framing, no forms.
 */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
