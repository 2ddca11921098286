/**
 * The API key format: `<prefix><body><checksum>`.
 *
 *   prefix    `sim` (standard) or `adm` (admin) — tells humans and secret scanners what it is
 *   body      22 base62 characters from the CSPRNG: 22·log2(62) ≈ 131 bits
 *   checksum  CRC32 of prefix+body as 6 base62 characters, so typos and garbage are rejected
 *             offline, before any database work
 *
 * Base62 needs no URL-encoding (no `/`, `+`, `=`). Keys are stored only as SHA-256 hex.
 */
import { hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

import type { ApiKeyKind } from '../db/enums.js';


const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 22;
const CHECKSUM_LENGTH = 6;
const PREFIX: Record<ApiKeyKind, string> = { STANDARD: 'sim', ADMIN: 'adm' };
const KIND_BY_PREFIX = new Map<string, ApiKeyKind>([
  ['sim', 'STANDARD'],
  ['adm', 'ADMIN'],
]);
/** Every well-formed key's length: anything else is refused before any work. */
export const API_KEY_LENGTH = 3 + BODY_LENGTH + CHECKSUM_LENGTH;
/** A well-formed key's shape (prefix, body, checksum), before its checksum is checked. */
export const KEY_PATTERN = new RegExp(`^(sim|adm)([0-9A-Za-z]{${BODY_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`);

/** Uniform base62 characters by rejection sampling (248 = 4·62: bytes ≥ 248 would bias). */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

function checksum(prefixAndBody: string): string {
  let value = crc32(prefixAndBody);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export function generateApiKey(kind: ApiKeyKind): string {
  const head = PREFIX[kind] + randomBase62(BODY_LENGTH);
  return head + checksum(head);
}

/** The key's kind when it is well-formed and its checksum holds; otherwise null. */
export function parseApiKey(candidate: string): { kind: ApiKeyKind } | null {
  const match = KEY_PATTERN.exec(candidate);
  if (!match) return null;
  const [, prefix, body, sum] = match as unknown as [string, string, string, string];
  if (checksum(prefix + body) !== sum) return null;
  return { kind: KIND_BY_PREFIX.get(prefix)! };
}

export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** What lists show: enough to recognise a key, far too little to use it (`simAbCd…wXyZ`). */
export function maskApiKey(key: string): string {
  return `${key.slice(0, 7)}…${key.slice(-4)}`;
}

/**
 * The key carried by an Authorization header: `Simple <key>`, `Bearer <key>`, or the bare key
 * (Algorithmia's own clients send it bare). Returns undefined when there is no credential at all.
 */
export function keyFromAuthorizationHeader(header: string | null | undefined): string | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  const match = /^(?:simple|bearer)\s+(.*)$/i.exec(value);
  const key = (match ? match[1]! : value).trim();
  return key === '' ? undefined : key;
}
