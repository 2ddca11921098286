import { describe, expect, it } from 'vitest';
import {
  callerFromHeaders,
  hostMatches,
  hostPatternCovers,
  originRefusal,
  parseHostPattern,
} from '../src/auth/origin.js';

const headers = (values: Record<string, string>) => new Headers(values);

describe('who is calling', () => {
  it('treats a request with Origin as a browser call from that host, port ignored', () => {
    expect(callerFromHeaders(headers({ origin: 'https://App.Example.com:8443' }))).toEqual({ kind: 'browser', host: 'app.example.com' });
  });

  it('falls back to Referer when there is no Origin', () => {
    expect(callerFromHeaders(headers({ referer: 'http://app.example.com/page?q=1' }))).toEqual({ kind: 'browser', host: 'app.example.com' });
  });

  it('sees Origin: null as a browser call whose host is hidden', () => {
    expect(callerFromHeaders(headers({ origin: 'null' }))).toEqual({ kind: 'browser', host: null });
  });

  it('treats a request with neither as a native client', () => {
    expect(callerFromHeaders(headers({}))).toEqual({ kind: 'native' });
  });
});

describe('caller-origin rules', () => {
  const browser = (host: string | null) => ({ kind: 'browser' as const, host });
  const rules = (allowNativeClients: boolean, allowBrowser: boolean, referrerHosts: string[] = []) => ({
    allowNativeClients,
    allowBrowser,
    referrerHosts,
  });

  it('lets native clients in only when allowed', () => {
    expect(originRefusal(rules(true, false), { kind: 'native' })).toBeNull();
    expect(originRefusal(rules(false, true), { kind: 'native' })).toBe('NATIVE_NOT_ALLOWED');
  });

  it('lets browsers in only when allowed, from any host when the list is empty', () => {
    expect(originRefusal(rules(true, false), browser('a.com'))).toBe('BROWSER_NOT_ALLOWED');
    expect(originRefusal(rules(false, true), browser('a.com'))).toBeNull();
    expect(originRefusal(rules(false, true), browser(null))).toBeNull();
  });

  it('restricts browsers to the listed hosts and wildcards', () => {
    const restricted = rules(false, true, ['app.example.com', '*.example.org']);
    expect(originRefusal(restricted, browser('app.example.com'))).toBeNull();
    expect(originRefusal(restricted, browser('x.example.org'))).toBeNull();
    expect(originRefusal(restricted, browser('a.b.example.org'))).toBeNull();
    expect(originRefusal(restricted, browser('example.org'))).toBe('HOST_NOT_ALLOWED');
    expect(originRefusal(restricted, browser('evil.example.com'))).toBe('HOST_NOT_ALLOWED');
    expect(originRefusal(restricted, browser('app.example.com.evil.net'))).toBe('HOST_NOT_ALLOWED');
    expect(originRefusal(restricted, browser('notexample.org'))).toBe('HOST_NOT_ALLOWED');
    expect(originRefusal(restricted, browser(null))).toBe('HOST_NOT_ALLOWED');
  });
});

describe('host patterns', () => {
  it.each([
    ['app.example.com', 'app.example.com'],
    ['App.Example.COM', 'app.example.com'],
    ['*.example.com', '*.example.com'],
    ['localhost', 'localhost'],
    ['127.0.0.1', '127.0.0.1'],
  ])('accepts %j as %j', (raw, host) => expect(parseHostPattern(raw)).toEqual({ host }));

  it.each([
    ['https://app.example.com', 'without scheme, port or path'],
    ['app.example.com:8080', 'without scheme, port or path'],
    ['app.example.com/path', 'without scheme, port or path'],
    ['app example.com', 'without scheme, port or path'],
    ['-bad.example.com', 'without scheme, port or path'],
    ['a..b', 'without scheme, port or path'],
    ['*', 'leave the list empty to allow any origin'],
    ['*.com', 'a wildcard must cover a domain'],
    ['ex*.com', 'without scheme, port or path'],
  ])('refuses %j', (raw, message) => {
    const parsed = parseHostPattern(raw);
    expect('error' in parsed && parsed.error).toContain(message);
  });

  it('knows which patterns cover which', () => {
    expect(hostMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostPatternCovers('*.example.com', 'app.example.com')).toBe(true);
    expect(hostPatternCovers('*.example.com', '*.app.example.com')).toBe(true);
    expect(hostPatternCovers('*.example.com', '*.example.com')).toBe(true);
    expect(hostPatternCovers('*.example.com', 'example.com')).toBe(false);
    expect(hostPatternCovers('*.example.com', '*.example.org')).toBe(false);
    expect(hostPatternCovers('app.example.com', '*.example.com')).toBe(false);
  });
});
