/**
 * Caller origin (README, "Security model"). A request with an Origin header (or, without one, a Referer) comes
 * from a browser; anything else is a native client. Native-client detection is advisory: a native
 * client can send any header it likes. Pure: no I/O.
 */
import type { CallerOriginRules } from './principal.js';

export type Caller =
  | { kind: 'native' }
  /** `host` is null when the browser hid it (Origin: null, from sandboxed frames and file: pages). */
  | { kind: 'browser'; host: string | null };

export function callerFromHeaders(headers: { get(name: string): string | null }): Caller {
  const origin = headers.get('origin');
  if (origin !== null) return { kind: 'browser', host: hostOf(origin) };
  const referer = headers.get('referer');
  if (referer !== null) return { kind: 'browser', host: hostOf(referer) };
  return { kind: 'native' };
}

/** The caller described by an origin the client names (e.g. `algorithmAccess(origin:)`), or native. */
export function callerFromOrigin(origin: string | null | undefined): Caller {
  return origin ? { kind: 'browser', host: hostOf(origin) } : { kind: 'native' };
}

function hostOf(url: string): string | null {
  try {
    const { hostname } = new URL(url);
    return hostname === '' ? null : hostname.toLowerCase();
  } catch {
    return null;
  }
}

export type OriginRefusal = 'NATIVE_NOT_ALLOWED' | 'BROWSER_NOT_ALLOWED' | 'HOST_NOT_ALLOWED';

/** Why `rules` refuse this caller, or null when they allow it. */
export function originRefusal(rules: CallerOriginRules, caller: Caller): OriginRefusal | null {
  if (caller.kind === 'native') return rules.allowNativeClients ? null : 'NATIVE_NOT_ALLOWED';
  if (!rules.allowBrowser) return 'BROWSER_NOT_ALLOWED';
  if (rules.referrerHosts.length === 0) return null;
  const { host } = caller;
  return host !== null && rules.referrerHosts.some((pattern) => hostMatches(pattern, host)) ? null : 'HOST_NOT_ALLOWED';
}

export const ORIGIN_REFUSAL_MESSAGES: Record<OriginRefusal, string> = {
  NATIVE_NOT_ALLOWED: 'This key may be used only from web browsers.',
  BROWSER_NOT_ALLOWED: 'This key may not be used from web browsers.',
  HOST_NOT_ALLOWED: 'This key may not be used from this origin.',
};

/** `*.example.com` matches any subdomain of example.com (not example.com itself). */
export function hostMatches(pattern: string, host: string): boolean {
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern;
}

/** Whether host pattern `outer` admits every host that `inner` admits. */
export function hostPatternCovers(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  if (!outer.startsWith('*.')) return false;
  return hostMatches(outer, inner.startsWith('*.') ? inner.slice(2) : inner);
}

/** A DNS name is at most 253 characters. */
const MAX_HOST_LENGTH = 253;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A normalised host pattern (lower case), or the rule it breaks. */
export function parseHostPattern(raw: string): { host: string } | { error: string } {
  const value = raw.trim().toLowerCase();
  if (value === '*' || value === '') return { error: 'must be a hostname; leave the list empty to allow any origin' };
  if (value.length > MAX_HOST_LENGTH) return { error: `must be at most ${MAX_HOST_LENGTH} characters` };
  if (/[/:@?#\s]/.test(value)) {
    return { error: 'must be a hostname like app.example.com or *.example.com, without scheme, port or path' };
  }
  const wildcard = value.startsWith('*.');
  const labels = (wildcard ? value.slice(2) : value).split('.');
  if (labels.some((label) => !LABEL.test(label))) {
    return { error: 'must be a hostname like app.example.com or *.example.com, without scheme, port or path' };
  }
  if (wildcard && labels.length < 2) return { error: 'a wildcard must cover a domain, like *.example.com' };
  return { host: value };
}
