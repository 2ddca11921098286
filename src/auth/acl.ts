/**
 * The algorithm whitelist of a standard key (README, "API keys"): `algo://*`, `algo://<owner>/*`,
 * `algo://<owner>/<name>/*`. The forms without the trailing `/*` mean the same and are stored in
 * the normal form above, lower-cased (names are unique case-insensitively). Pure: no I/O.
 */
import { MAX_NAME_LENGTH, NAME_PATTERN } from '../core/names.js';

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

const PREFIX = 'algo://';
const ALL = 'algo://*';
/** The longest entry, `algo://` + two names + `/*`, is 70 characters; this leaves room for the forms written otherwise. */
const MAX_ENTRY_LENGTH = 100;

function parseEntry(raw: string): { entry: string } | { error: string } {
  if (raw.length > MAX_ENTRY_LENGTH) return { error: `must be at most ${MAX_ENTRY_LENGTH} characters` };
  if (/\s/.test(raw)) return { error: 'must not contain spaces' };
  if (!raw.toLowerCase().startsWith(PREFIX)) {
    return { error: 'must start with algo:// (e.g. algo://*, algo://owner/*, algo://owner/algorithm)' };
  }
  const rest = raw.slice(PREFIX.length);
  if (rest === '*') return { entry: ALL };
  const parts = rest.split('/');
  if (parts.at(-1) === '*') parts.pop();
  if (parts.length === 0 || parts.length > 2 || parts.some((part) => part === '')) {
    return { error: 'must be algo://*, algo://<owner>/* or algo://<owner>/<algorithm>/*' };
  }
  for (const part of parts) {
    if (part.length > MAX_NAME_LENGTH) return { error: `"${part.slice(0, 40)}…" is longer than ${MAX_NAME_LENGTH} characters` };
    if (!NAME_PATTERN.test(part)) {
      return { error: `"${part}" is not a valid name: letters, digits and underscores, starting with a letter` };
    }
  }
  return { entry: `${PREFIX}${parts.map((part) => part.toLowerCase()).join('/')}/*` };
}

/** What a stored (normalised) entry names: everything, an owner's algorithms, or one algorithm. */
function scopeOf(entry: string): { owner?: string; name?: string } {
  if (entry === ALL) return {};
  const [owner, name] = entry.slice(PREFIX.length, -2).split('/');
  return name === undefined ? { owner } : { owner, name };
}

/**
 * The entry of `held`, other than `entry` itself, that covers `entry`: `algo://*` covers every other
 * entry, and `algo://<owner>/*` covers its owner's algorithms. Nothing else can cover anything, so
 * two set lookups decide it: comparing every pair of entries was quadratic (5,000 entries, 6 s).
 */
function wildcardCovering(held: ReadonlySet<string>, entry: string): string | undefined {
  if (entry === ALL) return undefined;
  if (held.has(ALL)) return ALL;
  const { owner, name } = scopeOf(entry);
  if (name === undefined) return undefined;
  const ownerEntry = `${PREFIX}${owner}/*`;
  return held.has(ownerEntry) ? ownerEntry : undefined;
}

/** Validates and normalises a whitelist, reporting every bad entry and every redundant one. */
export function parseAcl(input: readonly string[]): ParsedAcl {
  const errors: AclProblem[] = [];
  const inputIndexOf = new Map<string, number>();
  input.forEach((raw, index) => {
    const parsed = parseEntry(raw);
    if ('error' in parsed) errors.push({ index, message: parsed.error });
    else if (!inputIndexOf.has(parsed.entry)) inputIndexOf.set(parsed.entry, index);
  });
  const held = new Set(inputIndexOf.keys());
  const redundant = [...inputIndexOf].flatMap(([entry, index]) => {
    const coveredBy = wildcardCovering(held, entry);
    return coveredBy ? [{ index, entry, coveredBy }] : [];
  });
  return { entries: [...held], inputIndexes: [...inputIndexOf.values()], errors, redundant };
}

/** Keyed by the stored array: a key read under many aliases in one request is analysed once. */
const described = new WeakMap<readonly string[], { entry: string; coveredBy: string | null }[]>();

/** For stored (normalised) entries: which are redundant, and what covers each. */
export function describeAcl(entries: readonly string[]): { entry: string; coveredBy: string | null }[] {
  let description = described.get(entries);
  if (!description) {
    const held = new Set(entries);
    description = entries.map((entry) => ({ entry, coveredBy: wildcardCovering(held, entry) ?? null }));
    described.set(entries, description);
  }
  return description;
}

/** Whether a whitelist covers every algorithm (`algo://*`). */
export const aclCoversAll = (entries: readonly string[]): boolean => entries.includes(ALL);

/** Whether a whitelist lets a key call `owner/name`. */
export function aclAllows(entries: readonly string[], owner: string, name: string): boolean {
  // On every algorithm-call decision: three lookups in the stored list, no set built per call.
  const lowerOwner = owner.toLowerCase();
  return aclCoversAll(entries) || entries.includes(`${PREFIX}${lowerOwner}/*`) || entries.includes(`${PREFIX}${lowerOwner}/${name.toLowerCase()}/*`);
}

/** The entries of `inner` that `outer` does not cover: empty when `inner` ⊆ `outer`. */
export function aclUncovered(outer: readonly string[], inner: readonly string[]): string[] {
  const held = new Set(outer);
  return inner.filter((entry) => !held.has(entry) && wildcardCovering(held, entry) === undefined);
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
