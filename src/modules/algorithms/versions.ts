/**
 * Algorithm references, semantic versions and git hashes (README, "Algorithms"). No I/O.
 *
 *   ref       owner/name[/version] or algo://owner/name[/version]
 *   version   (none) | latest     the latest PUBLIC version
 *             latestPrivate      the latest version of any callability (owner and members only)
 *             1.2.3              exactly that version
 *             1.2.* | 1.*        the latest PUBLIC version under that prefix
 *             <git hash>         the version published with that hash (Algorithmia's "Git SHA")
 */
import { randomBytes } from 'node:crypto';
import { MAX_NAME_LENGTH, NAME_PATTERN } from '../../core/names.js';

export type VersionType = 'MAJOR' | 'MINOR' | 'REVISION';

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
}

export type VersionRef =
  | { kind: 'latest' }
  | { kind: 'latestPrivate' }
  | { kind: 'exact'; version: SemVer }
  | { kind: 'prefix'; major: number; minor?: number }
  | { kind: 'gitHash'; gitHash: string };

export interface AlgorithmRef {
  owner: string;
  name: string;
  version: VersionRef;
}

/** The longest reference: `algo://`, two names and the longest version (three 9-digit parts), with room to spare. */
export const MAX_REF_LENGTH = 200;
/** The longest version reference: three 9-digit parts, with room to spare. */
export const MAX_VERSION_LENGTH = 50;

const PART = '(0|[1-9]\\d{0,8})';
const EXACT = new RegExp(`^${PART}\\.${PART}\\.${PART}$`);
const MINOR_PREFIX = new RegExp(`^${PART}\\.${PART}\\.\\*$`);
const MAJOR_PREFIX = new RegExp(`^${PART}\\.\\*$`);

export function formatVersion(v: SemVer): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function parseVersionRef(raw: string | undefined): VersionRef | null {
  if (raw === undefined || raw === '' || raw === 'latest') return { kind: 'latest' };
  if (raw === 'latestPrivate') return { kind: 'latestPrivate' };
  let match = EXACT.exec(raw);
  if (match) return { kind: 'exact', version: { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) } };
  match = MINOR_PREFIX.exec(raw);
  if (match) return { kind: 'prefix', major: Number(match[1]), minor: Number(match[2]) };
  match = MAJOR_PREFIX.exec(raw);
  if (match) return { kind: 'prefix', major: Number(match[1]) };
  return isGitHash(raw) ? { kind: 'gitHash', gitHash: raw } : null;
}

/** `owner/name[/version]`, with or without `algo://`; null when it is not one. */
export function parseAlgorithmRef(raw: string): AlgorithmRef | null {
  const path = raw.trim().replace(/^algo:\/\//i, '');
  const [owner, name, version, ...rest] = path.split('/');
  if (!owner || !name || rest.length > 0 || !NAME_PATTERN.test(owner) || !NAME_PATTERN.test(name)) return null;
  if (owner.length > MAX_NAME_LENGTH || name.length > MAX_NAME_LENGTH) return null;
  const versionRef = parseVersionRef(version);
  return versionRef ? { owner, name, version: versionRef } : null;
}

/** The version a publish of `type` creates after `last` (none yet: 1.0.0, 0.1.0 or 0.0.1). */
export function nextVersion(last: SemVer | null, type: VersionType): SemVer {
  const base = last ?? { major: 0, minor: 0, patch: 0 };
  switch (type) {
    case 'MAJOR':
      return { major: base.major + 1, minor: 0, patch: 0 };
    case 'MINOR':
      return { major: base.major, minor: base.minor + 1, patch: 0 };
    case 'REVISION':
      return { major: base.major, minor: base.minor, patch: base.patch + 1 };
  }
}

export const GIT_HASH_LENGTH = 40;
const GIT_HASH = new RegExp(`^[0-9a-f]{${GIT_HASH_LENGTH}}$`);

/**
 * A version's address as Algorithmia gives it (`…/versions/{git_hash}`): 40 hex digits, like a git
 * commit's. Nothing is built here, so it names no commit: it is random, and unique (an index says so).
 */
export const newGitHash = (): string => randomBytes(20).toString('hex');

/** Whether `value` could be a version's git hash (lower-case, as they are stored). */
export const isGitHash = (value: string): boolean => GIT_HASH.test(value);
