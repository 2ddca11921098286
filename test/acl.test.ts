import { describe, expect, it } from 'vitest';
import { aclAllows, aclUncovered, describeAcl, parseAcl } from '../src/auth/acl.js';

describe('parseAcl: normal form', () => {
  it.each([
    ['algo://*', 'algo://*'],
    ['algo://demos/*', 'algo://demos/*'],
    ['algo://demos', 'algo://demos/*'],
    ['algo://demos/sentiment_analysis', 'algo://demos/sentiment_analysis/*'],
    ['algo://demos/sentiment_analysis/*', 'algo://demos/sentiment_analysis/*'],
    ['ALGO://Demos/Sentiment_Analysis', 'algo://demos/sentiment_analysis/*'],
  ])('%s -> %s', (input, normal) => {
    expect(parseAcl([input])).toEqual({ entries: [normal], inputIndexes: [0], errors: [], redundant: [] });
  });

  it('merges entries that are the same once normalised', () => {
    expect(parseAcl(['algo://a/b', 'algo://A/B/*', 'algo://a/b/*', 'algo://c/*'])).toMatchObject({
      entries: ['algo://a/b/*', 'algo://c/*'],
      inputIndexes: [0, 3],
    });
  });

  it('defaults to nothing: an empty list stays empty', () => {
    expect(parseAcl([])).toEqual({ entries: [], inputIndexes: [], errors: [], redundant: [] });
  });
});

describe('parseAcl: bad input names the entry and the rule', () => {
  it.each([
    ['algo://', 'must be algo://*, algo://<owner>/* or algo://<owner>/<algorithm>/*'],
    ['algo:///x', 'must be algo://*, algo://<owner>/* or algo://<owner>/<algorithm>/*'],
    ['algo://a/b/c/d', 'must be algo://*, algo://<owner>/* or algo://<owner>/<algorithm>/*'],
    ['algo://a//', 'must be algo://*, algo://<owner>/* or algo://<owner>/<algorithm>/*'],
    ['http://a/*', 'must start with algo:// (e.g. algo://*, algo://owner/*, algo://owner/algorithm)'],
    ['a/b', 'must start with algo:// (e.g. algo://*, algo://owner/*, algo://owner/algorithm)'],
    ['algo://a b/*', 'must not contain spaces'],
    [' algo://a/*', 'must not contain spaces'],
    ['algo://a/*/*', '"*" is not a valid name: letters, digits and underscores, starting with a letter'],
    ['algo://*/b', '"*" is not a valid name: letters, digits and underscores, starting with a letter'],
    ['algo://9a/*', '"9a" is not a valid name: letters, digits and underscores, starting with a letter'],
    ['algo://a-b/*', '"a-b" is not a valid name: letters, digits and underscores, starting with a letter'],
    [`algo://${'a'.repeat(300)}/*`, 'must be at most 100 characters'],
    [`algo://${'a'.repeat(50)}/*`, `"${'a'.repeat(40)}…" is longer than 30 characters`],
    [`algo://a/${'b'.repeat(31)}`, `"${'b'.repeat(31)}…" is longer than 30 characters`],
  ])('%j', (input, message) => {
    const parsed = parseAcl(['algo://ok/*', input]);
    expect(parsed.errors).toEqual([{ index: 1, message }]);
    expect(parsed.entries).toEqual(['algo://ok/*']);
  });

  it('reports every bad entry, not just the first', () => {
    expect(parseAcl(['bad', 'algo://*', 'worse']).errors.map((e) => e.index)).toEqual([0, 2]);
  });
});

describe('parseAcl: redundancy', () => {
  it('keeps an entry covered by another and names what covers it (the seed\'s example)', () => {
    expect(parseAcl(['algo://demos/sentiment_analysis', 'algo://*'])).toEqual({
      entries: ['algo://demos/sentiment_analysis/*', 'algo://*'],
      inputIndexes: [0, 1],
      errors: [],
      redundant: [{ index: 0, entry: 'algo://demos/sentiment_analysis/*', coveredBy: 'algo://*' }],
    });
  });

  it('sees an owner wildcard cover that owner\'s algorithms, and only that owner\'s', () => {
    const parsed = parseAcl(['algo://demos/*', 'algo://demos/sentiment_analysis/*', 'algo://other/x/*']);
    expect(parsed.redundant).toEqual([{ index: 1, entry: 'algo://demos/sentiment_analysis/*', coveredBy: 'algo://demos/*' }]);
  });

  it('describes stored entries the same way', () => {
    expect(describeAcl(['algo://demos/*', 'algo://demos/x/*', 'algo://y/*'])).toEqual([
      { entry: 'algo://demos/*', coveredBy: null },
      { entry: 'algo://demos/x/*', coveredBy: 'algo://demos/*' },
      { entry: 'algo://y/*', coveredBy: null },
    ]);
  });
});

describe('matching and subsets', () => {
  it('allows exactly what the entries cover, case-insensitively', () => {
    const acl = parseAcl(['algo://demos/*', 'algo://jo/hello']).entries;
    expect(aclAllows(acl, 'demos', 'anything')).toBe(true);
    expect(aclAllows(acl, 'Demos', 'Anything')).toBe(true);
    expect(aclAllows(acl, 'jo', 'hello')).toBe(true);
    expect(aclAllows(acl, 'jo', 'hello2')).toBe(false);
    expect(aclAllows(acl, 'demo', 'x')).toBe(false);
    expect(aclAllows([], 'demos', 'x')).toBe(false);
    expect(aclAllows(['algo://*'], 'any', 'thing')).toBe(true);
  });

  it('finds the entries of a narrower list that a wider one does not cover', () => {
    expect(aclUncovered(['algo://*'], ['algo://a/*', 'algo://b/c/*'])).toEqual([]);
    expect(aclUncovered(['algo://a/*'], ['algo://a/x/*', 'algo://b/*'])).toEqual(['algo://b/*']);
    expect(aclUncovered(['algo://a/x/*'], ['algo://a/*'])).toEqual(['algo://a/*']);
    expect(aclUncovered([], ['algo://*'])).toEqual(['algo://*']);
    expect(aclUncovered([], [])).toEqual([]);
  });
});
