import { describe, expect, it } from 'vitest';
import { isAllowedExternal, isOwnPageUrl } from '../main/external';

describe('Electron: external links and own pages', () => {
  it('opens only the documentation allowlist in the browser', () => {
    expect(isAllowedExternal('https://docs.kernel.org/mm/oom.html')).toBe(true);
    expect(isAllowedExternal('https://www.kernel.org/doc/html/latest/')).toBe(true);
    for (const u of ['https://evil.example/', 'http://docs.kernel.org/', 'https://docs.kernel.org.evil.example/', 'https://user:pw@docs.kernel.org/', 'file:///etc/passwd', 'javascript:alert(1)', 'https://www.kernel.org/pub/', 'ms-settings:', 'not a url']) {
      expect(isAllowedExternal(u), u).toBe(false);
    }
  });

  it('compares the dev origin exactly, not as a prefix', () => {
    const dev = 'http://localhost:5173';
    expect(isOwnPageUrl('http://localhost:5173/#/run/x', dev)).toBe(true);
    expect(isOwnPageUrl('http://localhost:5173.evil.example/', dev)).toBe(false);
    expect(isOwnPageUrl('http://localhost:51730/', dev)).toBe(false);
    expect(isOwnPageUrl('http://localhost:5173@evil.example/', dev)).toBe(false);
    expect(isOwnPageUrl('app://lab/index.html', undefined)).toBe(true);
    expect(isOwnPageUrl('app://lab.evil/index.html', undefined)).toBe(false);
    expect(isOwnPageUrl('app://evil@lab/', undefined)).toBe(false);
    expect(isOwnPageUrl('https://lab/', undefined)).toBe(false);
  });
});
