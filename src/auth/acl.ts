/**
 * The algorithm whitelist of a standard key (README, "API keys"): `algo://*`, `algo://<owner>/*`,
 * `algo://<owner>/<name>/*`. The forms without the trailing `/*` mean the same and are stored in
 * the normal form above, lower-cased (names are unique case-insensitively). Pure: no I/O.
 */
import { NAME_PATTERN } from '../core/names.js';

export interface AclProblem {
  /** Position of the offending entry in the input list. */
  index: number;
  message: string;
}

export interface AclRedundancy {
  index: number;
  entry: string;
  coveredBy: string;
}

export interface ParsedAcl {
  /** Normalised entries, input order, exact duplicates merged. */
  entries: string[];
  /** For each of `entries`, its position in the input list. */
  inputIndexes: number[];
  errors: AclProblem[];
  /** Entries covered by another entry: kept, but they add nothing. */
  redundant: AclRedundancy[];
}

type Scope = { owner?: undefined; name?: undefined } | { owner: string; name?: string };

const MAX_NAME = 30;
const PREFIX = 'algo://';

function parseEntry(raw: string): { entry: string } | { error: string } {
  if (/\s/.test(raw)) return { error: 'must not contain spaces' };
  if (!raw.toLowerCase().startsWith(PREFIX)) {
    return { error: 'must start with algo:// (e.g. algo://*, algo://owner/*, algo://owner/algorithm)' };
  }
  const rest = raw.slice(PREFIX.length);
  if (rest === '*') return { entry: 'algo://*' };
  const parts = rest.split('/');
  if (parts.at(-1) === '*') parts.pop();
  if (parts.length === 0 || parts.length > 2 || parts.some((part) => part === '')) {
    return { error: 'must be algo://*, algo://<owner>/* or algo://<owner>/<algorithm>/*' };
  }
  for (const part of parts) {
    if (part.length > MAX_NAME) return { error: `"${part.slice(0, 40)}…" is longer than ${MAX_NAME} characters` };
    if (!NAME_PATTERN.test(part)) {
      return { error: `"${part}" is not a valid name: letters, digits and underscores, starting with a letter` };
    }
  }
  return { entry: `${PREFIX}${parts.map((part) => part.toLowerCase()).join('/')}/*` };
}

function scopeOf(entry: string): Scope {
  if (entry === 'algo://*') return {};
  const [owner, name] = entry.slice(PREFIX.length, -2).split('/');
  return name === undefined ? { owner: owner! } : { owner: owner!, name };
}

/** Whether `outer` allows everything `inner` allows. */
export function aclEntryCovers(outer: string, inner: string): boolean {
  const a = scopeOf(outer);
  const b = scopeOf(inner);
  if (a.owner === undefined) return true;
  if (a.owner !== b.owner) return false;
  return a.name === undefined || a.name === b.name;
}

/** Validates and normalises a whitelist, reporting every bad entry and every redundant one. */
export function parseAcl(input: readonly string[]): ParsedAcl {
  const errors: AclProblem[] = [];
  const kept: { index: number; entry: string }[] = [];
  input.forEach((raw, index) => {
    const parsed = parseEntry(raw);
    if ('error' in parsed) errors.push({ index, message: parsed.error });
    else if (!kept.some((k) => k.entry === parsed.entry)) kept.push({ index, entry: parsed.entry });
  });
  const entries = kept.map((k) => k.entry);
  const inputIndexes = kept.map((k) => k.index);
  const redundant = kept.flatMap(({ index, entry }) => {
    const coveredBy = coveringEntry(entries, entry);
    return coveredBy ? [{ index, entry, coveredBy }] : [];
  });
  return { entries, inputIndexes, errors, redundant };
}

/** For stored (normalised) entries: which are redundant, and what covers each. */
export function describeAcl(entries: readonly string[]): { entry: string; coveredBy: string | null }[] {
  return entries.map((entry) => ({ entry, coveredBy: coveringEntry(entries, entry) ?? null }));
}

function coveringEntry(entries: readonly string[], entry: string): string | undefined {
  return entries.find((other) => other !== entry && aclEntryCovers(other, entry));
}

/** Whether a whitelist lets a key call `owner/name`. */
export function aclAllows(entries: readonly string[], owner: string, name: string): boolean {
  const target = `${PREFIX}${owner.toLowerCase()}/${name.toLowerCase()}/*`;
  return entries.some((entry) => aclEntryCovers(entry, target));
}

/** The entries of `inner` that `outer` does not cover: empty when `inner` ⊆ `outer`. */
export function aclUncovered(outer: readonly string[], inner: readonly string[]): string[] {
  return inner.filter((entry) => !outer.some((candidate) => aclEntryCovers(candidate, entry)));
}

/**
 * A whitelist as the owners and the `owner/name` algorithms it covers (lower case), for a SQL
 * predicate that takes them as two array parameters; `all` when it covers everything (`algo://*`).
 */
export function aclTargets(entries: readonly string[]): { all: boolean; owners: string[]; algorithms: string[] } {
  const targets = { all: false, owners: [] as string[], algorithms: [] as string[] };
  for (const entry of entries) {
    const scope = scopeOf(entry);
    if (scope.owner === undefined) targets.all = true;
    else if (scope.name === undefined) targets.owners.push(scope.owner);
    else targets.algorithms.push(`${scope.owner}/${scope.name}`);
  }
  return targets;
}
