import { describe, expect, it } from 'vitest';
import { formatVersion, nextVersion, parseAlgorithmRef } from '../src/modules/algorithms/versions.js';

describe('algorithm references', () => {
  it.each([
    ['demos/hello', { owner: 'demos', name: 'hello', version: { kind: 'latest' } }],
    ['algo://demos/hello', { owner: 'demos', name: 'hello', version: { kind: 'latest' } }],
    ['demos/hello/latest', { owner: 'demos', name: 'hello', version: { kind: 'latest' } }],
    ['demos/hello/latestPrivate', { owner: 'demos', name: 'hello', version: { kind: 'latestPrivate' } }],
    ['demos/hello/1.2.3', { owner: 'demos', name: 'hello', version: { kind: 'exact', version: { major: 1, minor: 2, patch: 3 } } }],
    ['demos/hello/1.2.*', { owner: 'demos', name: 'hello', version: { kind: 'prefix', major: 1, minor: 2 } }],
    ['algo://demos/hello/1.*', { owner: 'demos', name: 'hello', version: { kind: 'prefix', major: 1 } }],
  ])('reads %j', (raw, parsed) => expect(parseAlgorithmRef(raw)).toEqual(parsed));

  it.each(['demos', 'demos/', '/hello', 'demos/hello/1.2', 'demos/hello/01.2.3', 'demos/hello/*', 'demos/hello/1.2.3/x', 'de mos/hello', 'http://demos/hello', `demos/${'a'.repeat(31)}`])(
    'refuses %j',
    (raw) => expect(parseAlgorithmRef(raw)).toBeNull(),
  );
});

describe('versions', () => {
  it('starts at 1.0.0, 0.1.0 or 0.0.1', () => {
    expect(formatVersion(nextVersion(null, 'MAJOR'))).toBe('1.0.0');
    expect(formatVersion(nextVersion(null, 'MINOR'))).toBe('0.1.0');
    expect(formatVersion(nextVersion(null, 'REVISION'))).toBe('0.0.1');
  });

  it('bumps the last version', () => {
    const last = { major: 1, minor: 4, patch: 2 };
    expect(formatVersion(nextVersion(last, 'MAJOR'))).toBe('2.0.0');
    expect(formatVersion(nextVersion(last, 'MINOR'))).toBe('1.5.0');
    expect(formatVersion(nextVersion(last, 'REVISION'))).toBe('1.4.3');
  });
});
