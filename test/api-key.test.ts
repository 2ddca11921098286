import { describe, expect, it } from 'vitest';
import {
  generateApiKey,
  hashApiKey,
  keyFromAuthorizationHeader,
  maskApiKey,
  parseApiKey,
} from '../src/auth/api-key.js';

describe('API key format', () => {
  it('makes standard keys with the sim prefix and admin keys with adm, 31 base62 characters', () => {
    const standard = generateApiKey('STANDARD');
    const admin = generateApiKey('ADMIN');
    expect(standard).toMatch(/^sim[0-9A-Za-z]{28}$/);
    expect(admin).toMatch(/^adm[0-9A-Za-z]{28}$/);
    expect(parseApiKey(standard)).toEqual({ kind: 'STANDARD' });
    expect(parseApiKey(admin)).toEqual({ kind: 'ADMIN' });
  });

  it('never repeats and spreads characters over the whole alphabet', () => {
    const keys = Array.from({ length: 2000 }, () => generateApiKey('STANDARD'));
    expect(new Set(keys).size).toBe(keys.length);
    const seen = new Set(keys.flatMap((key) => [...key.slice(3, 25)]));
    expect(seen.size).toBe(62);
  });

  it('rejects any single-character change through the checksum', () => {
    const key = generateApiKey('STANDARD');
    for (let i = 3; i < key.length; i++) {
      const changed = key.slice(0, i) + (key[i] === 'x' ? 'y' : 'x') + key.slice(i + 1);
      expect(parseApiKey(changed), `position ${i}`).toBeNull();
    }
  });

  it('rejects a key whose prefix was swapped, even though the body is intact', () => {
    const key = generateApiKey('STANDARD');
    expect(parseApiKey(`adm${key.slice(3)}`)).toBeNull();
  });

  it.each(['', 'sim', 'simple', 'sim/abc+def', `sim${'a'.repeat(40)}`, 'xyz' + 'a'.repeat(28), ' sim' + 'a'.repeat(28)])(
    'rejects malformed input %j',
    (candidate) => expect(parseApiKey(candidate)).toBeNull(),
  );

  it('masks to prefix, four characters, an ellipsis and the last four', () => {
    const key = generateApiKey('STANDARD');
    const mask = maskApiKey(key);
    expect(mask).toBe(`${key.slice(0, 7)}…${key.slice(-4)}`);
    expect(mask).not.toContain(key.slice(7, -4));
  });

  it('hashes with SHA-256 (hex), the same key to the same digest', () => {
    const key = generateApiKey('ADMIN');
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).toBe(hashApiKey(key));
    expect(hashApiKey(key)).not.toBe(hashApiKey(generateApiKey('ADMIN')));
  });
});

describe('Authorization header', () => {
  const key = 'simAbCdEfGhIjKlMnOpQrStUv123456';
  it.each([
    [`Simple ${key}`, key],
    [`simple ${key}`, key],
    [`Bearer ${key}`, key],
    [`BEARER   ${key}  `, key],
    [key, key],
    [`  ${key}`, key],
  ])('reads %j', (header, expected) => expect(keyFromAuthorizationHeader(header)).toBe(expected));

  it.each([null, undefined, '', '   '])('finds no credential in %j', (header) => {
    expect(keyFromAuthorizationHeader(header)).toBeUndefined();
  });
});
