/**
 * The rules of algorithms and their published versions: who may change them (what they may see is
 * visibility.ts's), what settings go together, and what publishing and deleting allow:
 *
 *   change   the owner, or any member of the owning organization, with a manageAlgorithms key
 *   compile  as change; mints the git hash the next publish gives its version
 *   publish  PUBLIC for an organization: an OWNER of it (or the organization's own key)
 *   delete   not once a PUBLIC version exists, except on the admin plane
 *
 * Invisible algorithms do not exist for the caller: null, or NOT_FOUND in mutations. Each change is
 * one transaction with its audit event; a change that alters what deciding a call sees (a new
 * algorithm, a version, a deletion) announces it in that transaction (call-sheets.ts). Reads are
 * catalogue.ts's; all SQL is store.ts's.
 */
import type { Principal } from '../../auth/principal.js';
import { actorOf } from '../../auth/principal.js';
import { requirePermission, type AdminActor } from '../../auth/permissions.js';
import { callerFromOrigin, type Caller } from '../../auth/origin.js';
import type { Db } from '../../db/connect.js';
import { violatedUniqueConstraint } from '../../db/errors.js';
import { ServiceError, userError, type UserErrorData } from '../../core/errors.js';
import { boundedArgument, changesBetween, parse } from '../../core/validation.js';
import { isUuid } from '../../core/ids.js';
import { refuseOverQuota } from '../../core/limits.js';
import { quoted } from '../../core/names.js';
import { recordAudit } from '../audit/service.js';
import type { OwnerSummary } from '../../db/records.js';
import { roleIn } from '../organizations/service.js';
import { lockOwner } from '../owners/store.js';
import { decideAlgorithmCall } from './access.js';
import { changingAlgorithms, type SheetCache, type SheetSource } from './call-sheets.js';
import {
  createAlgorithmSchema,
  publishAlgorithmSchema,
  updateAlgorithmSchema,
  type AccessDecision,
  type AlgorithmRecord,
  type CreateAlgorithmInput,
  type Details,
  type PublishAlgorithmInput,
  type Settings,
  type SettingsInput,
  type UpdateAlgorithmInput,
  type VersionRecord,
} from './model.js';
import type { AlgorithmRow } from '../../db/records.js';
import {
  countAlgorithmsOf,
  countVersionsOf,
  deleteAlgorithmRow,
  findOwner,
  insertAlgorithm,
  insertVersion,
  lastVersion,
  lockAlgorithm,
  toVersion,
  updateAlgorithmRow,
} from './store.js';
import { formatVersion, MAX_REF_LENGTH, newGitHash, nextVersion, parseAlgorithmRef } from './versions.js';

// ---------------------------------------------------------------------------------------------
// Settings

const DEFAULT_SETTINGS: Settings = {
  license: 'APL',
  networkAccess: 'ISOLATED',
  pipelineEnabled: false,
  sourceVisibility: 'CLOSED',
  language: null,
  environment: null,
  packageSet: null,
  royaltyMicrocredits: 0,
};

/** Given settings over current ones; null clears language/environment/packageSet, other nulls keep. */
function mergeSettings(current: Settings, given: SettingsInput | null | undefined): Settings {
  const pick = <K extends keyof Settings>(key: K, clearable: boolean): Settings[K] => {
    const value = given?.[key];
    if (value === undefined || (value === null && !clearable)) return current[key];
    return value as Settings[K];
  };
  return {
    license: pick('license', false),
    networkAccess: pick('networkAccess', false),
    pipelineEnabled: pick('pipelineEnabled', false),
    sourceVisibility: pick('sourceVisibility', false),
    language: pick('language', true),
    environment: pick('environment', true),
    packageSet: pick('packageSet', true),
    royaltyMicrocredits: pick('royaltyMicrocredits', false),
  };
}

/** The rules that tie settings together. */
function settingsProblems(settings: Settings): UserErrorData[] {
  const problems: UserErrorData[] = [];
  const problem = (field: string, message: string) =>
    problems.push({ code: 'INVALID', field: ['settings', field], message: `settings.${field}: ${message}` });
  if (settings.sourceVisibility === 'CLOSED' && settings.license !== 'APL') {
    problem('sourceVisibility', `closed source needs the APL license (license is ${settings.license})`);
  }
  if (!settings.language && !settings.packageSet) problem('language', 'set a language or a packageSet');
  if (settings.language && !settings.environment) problem('environment', 'is required when a language is set');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Changes

/** An algorithm as a change returns it: whoever may change it has full access to it. */
const changed = (row: AlgorithmRow, owner: OwnerSummary): AlgorithmRecord => ({ ...row, ...owner, fullAccess: true });

interface Managed {
  algorithm: AlgorithmRow;
  owner: OwnerSummary;
  /** The caller's standing with the owner: the owner itself, or its role in the owning organization. */
  standing: 'OWNER' | 'MEMBER';
}

/** The owner the caller names for a new algorithm: its own by default, or an organization it belongs to. */
async function ownerForNewAlgorithm(tx: Db, principal: Principal, name: string | null | undefined): Promise<OwnerSummary> {
  const own = name === undefined || name === null;
  const owner = await findOwner(tx, own ? { id: principal.ownerId } : { name });
  if (!owner) throw userError('NOT_FOUND', `owner: no user or organization named ${quoted(name ?? principal.ownerName)}`, ['owner']);
  if (owner.ownerId === principal.ownerId || (owner.ownerKind === 'ORGANIZATION' && (await roleIn(tx, owner.ownerId, principal.userId)))) {
    return owner;
  }
  // Owners are public (their profiles are), so saying this one is not the key's reveals nothing.
  throw userError('FORBIDDEN', `owner: this key may create algorithms only for its own user and the organizations it belongs to`, ['owner']);
}

/** An algorithm the caller may change (row-locked); NOT_FOUND when it may not even see it. */
async function managedAlgorithm(tx: Db, principal: Principal, id: string): Promise<Managed> {
  const notFound = userError('NOT_FOUND', 'id: no such algorithm', ['id']);
  if (!isUuid(id)) throw notFound;
  const found = await lockAlgorithm(tx, id);
  if (!found) throw notFound;
  const { row: algorithm, owner } = found;
  if (algorithm.ownerId === principal.ownerId) return { algorithm, owner, standing: 'OWNER' };
  // Only an organization has members: a user's algorithm needs no membership query.
  const role = owner.ownerKind === 'ORGANIZATION' ? await roleIn(tx, algorithm.ownerId, principal.userId) : null;
  if (role) return { algorithm, owner, standing: role };
  if (!algorithm.hasPublicVersion) throw notFound;
  throw userError('FORBIDDEN', 'id: only the owner, or members of the owning organization, may change this algorithm', ['id']);
}

/** The name a new algorithm takes: whatever was remembered under it (there was no such algorithm) is stale. */
const newName = ({ algorithm }: { algorithm: AlgorithmRecord }) => ({ ownerName: algorithm.ownerName, name: algorithm.name });

export async function createAlgorithm(
  db: Db,
  principal: Principal,
  input: CreateAlgorithmInput,
  sheets: SheetCache,
): Promise<{ algorithm: AlgorithmRecord }> {
  requirePermission(principal, 'createAlgorithm', 'manageAlgorithms');
  const data = parse(createAlgorithmSchema, input);
  const settings = mergeSettings(DEFAULT_SETTINGS, data.settings);
  const problems = settingsProblems(settings);
  if (problems.length > 0) throw new ServiceError(problems);
  return changingAlgorithms(db, sheets, async (tx) => {
    const owner = await ownerForNewAlgorithm(tx, principal, data.owner);
    await lockOwner(tx, owner.ownerId);
    refuseOverQuota('algorithmsPerOwner', await countAlgorithmsOf(tx, owner.ownerId));
    let created: AlgorithmRow;
    try {
      created = await insertAlgorithm(tx, {
        ownerId: owner.ownerId,
        name: data.name,
        label: data.details.label,
        summary: data.details.summary ?? null,
        tagline: data.details.tagline ?? null,
        ...settings,
        sampleInput: data.versionInfo?.sampleInput ?? null,
      });
    } catch (error) {
      if (violatedUniqueConstraint(error) === 'algorithms_owner_name_ci_key') {
        throw userError('TAKEN', `name: this owner already has an algorithm named ${quoted(data.name)}`, ['name']);
      }
      throw error;
    }
    await recordAudit(tx, actorOf(principal), 'ALGORITHM_CREATED', { type: 'ALGORITHM', id: created.id }, {
      ownerId: owner.ownerId,
      name: data.name,
    });
    return { algorithm: changed(created, owner) };
  }, newName);
}

/** Changes only the fields given; the name and owner never change. */
export async function updateAlgorithm(db: Db, principal: Principal, input: UpdateAlgorithmInput): Promise<{ algorithm: AlgorithmRecord }> {
  requirePermission(principal, 'updateAlgorithm', 'manageAlgorithms');
  const data = parse(updateAlgorithmSchema, input);
  return db.transaction(async (tx) => {
    const { algorithm, owner } = await managedAlgorithm(tx, principal, data.id);
    return { algorithm: changed(await applyChanges(tx, principal, algorithm, data), owner) };
  });
}

/** Given details, settings and sample input over an algorithm's (only those given), checked and audited; the row as it is then. */
async function applyChanges(
  tx: Db,
  principal: Principal,
  algorithm: AlgorithmRow,
  data: { details?: Partial<Details> | null; settings?: SettingsInput | null; versionInfo?: { sampleInput?: string | null } | null },
): Promise<AlgorithmRow> {
  const settings = mergeSettings(algorithm, data.settings);
  const problems = settingsProblems(settings);
  if (problems.length > 0) throw new ServiceError(problems);
  const values = {
    label: data.details?.label ?? algorithm.label,
    summary: data.details?.summary === undefined ? algorithm.summary : data.details.summary,
    tagline: data.details?.tagline === undefined ? algorithm.tagline : data.details.tagline,
    ...settings,
    sampleInput: data.versionInfo?.sampleInput === undefined ? algorithm.sampleInput : data.versionInfo.sampleInput,
  };
  const changes = changesBetween(algorithm, values);
  if (Object.keys(changes).length === 0) return algorithm;
  const updated = await updateAlgorithmRow(tx, algorithm.id, { ...values, updatedAt: new Date() });
  await recordAudit(tx, actorOf(principal), 'ALGORITHM_UPDATED', { type: 'ALGORITHM', id: algorithm.id }, { changes });
  return updated;
}

/**
 * Algorithmia's compile, on a server that builds nothing: mints the git hash the next publish gives
 * its version, unless a compile since the last publish already has (then it answers that one again).
 * Not audited: it changes nothing that anyone sees or relies on but that hash.
 */
export async function compileAlgorithm(
  db: Db,
  principal: Principal,
  input: { id: string },
): Promise<{ algorithm: AlgorithmRecord & { pendingBuildHash: string } }> {
  requirePermission(principal, 'compileAlgorithm', 'manageAlgorithms');
  return db.transaction(async (tx) => {
    const { algorithm, owner } = await managedAlgorithm(tx, principal, input.id);
    const pendingBuildHash = algorithm.pendingBuildHash ?? newGitHash();
    const compiled = algorithm.pendingBuildHash ? algorithm : await updateAlgorithmRow(tx, algorithm.id, { pendingBuildHash });
    return { algorithm: { ...changed(compiled, owner), pendingBuildHash } };
  });
}

/**
 * Publishes an immutable snapshot as the next version. Callability stays what it was unless the
 * caller sets it, and may change only with a MAJOR version (the first version may be either). Its
 * git hash is the one a compile minted, if any (then spent), else a new one.
 */
export async function publishAlgorithm(
  db: Db,
  principal: Principal,
  input: PublishAlgorithmInput,
  sheets: SheetCache,
): Promise<{ algorithm: AlgorithmRecord; version: VersionRecord }> {
  requirePermission(principal, 'publishAlgorithm', 'manageAlgorithms');
  const data = parse(publishAlgorithmSchema, input);
  return changingAlgorithms(db, sheets, async (tx) => {
    const managed = await managedAlgorithm(tx, principal, data.id);
    // Counted under the algorithm's row lock, which every publish of it takes first.
    refuseOverQuota('versionsPerAlgorithm', await countVersionsOf(tx, managed.algorithm.id));
    const { owner, standing } = managed;
    // Changes sent with the publish are made first, so the version is what the caller described.
    const algorithm = await applyChanges(tx, principal, managed.algorithm, data);
    const last = await lastVersion(tx, algorithm.id);
    const callability = data.callability ?? last?.callability ?? 'PRIVATE';
    if (last && callability !== last.callability && data.versionType !== 'MAJOR') {
      throw userError(
        'INVALID',
        `callability: changing it from ${last.callability} to ${callability} needs a MAJOR version (this is ${data.versionType})`,
        ['callability'],
      );
    }
    if (callability === 'PUBLIC' && standing !== 'OWNER') {
      throw userError('FORBIDDEN', "callability: only an owner of the organization may publish its algorithms PUBLIC", ['callability']);
    }
    const semver = nextVersion(last ?? null, data.versionType);
    const version = await insertVersion(tx, {
      algorithmId: algorithm.id,
      ...semver,
      // The hash a compile promised this version (Algorithmia's clients look the version up by it).
      gitHash: algorithm.pendingBuildHash ?? newGitHash(),
      versionType: data.versionType,
      callability,
      releaseNotes: data.releaseNotes ?? null,
      sampleInput: data.sampleInput ?? algorithm.sampleInput,
      sampleOutput: data.sampleOutput ?? null,
      details: { label: algorithm.label, summary: algorithm.summary, tagline: algorithm.tagline },
      settings: {
        license: algorithm.license,
        networkAccess: algorithm.networkAccess,
        pipelineEnabled: algorithm.pipelineEnabled,
        sourceVisibility: algorithm.sourceVisibility,
        language: algorithm.language,
        environment: algorithm.environment,
        packageSet: algorithm.packageSet,
        royaltyMicrocredits: algorithm.royaltyMicrocredits,
      },
      publishedByUserId: principal.userId,
      publishedByKeyId: principal.keyId,
    });
    const updated = await updateAlgorithmRow(tx, algorithm.id, {
      callability,
      hasPublicVersion: algorithm.hasPublicVersion || callability === 'PUBLIC',
      // Each publish is the newest version (nextVersion), and the newest PUBLIC one if it is PUBLIC.
      latestVersionId: version.id,
      latestVersionSummaryJson: version.summaryJson,
      ...(callability === 'PUBLIC' && { latestPublicVersionId: version.id, latestPublicVersionSummaryJson: version.summaryJson }),
      pendingBuildHash: null,
      updatedAt: new Date(),
    });
    await recordAudit(tx, actorOf(principal), 'ALGORITHM_PUBLISHED', { type: 'ALGORITHM', id: algorithm.id }, {
      version: formatVersion(semver),
      versionType: data.versionType,
      callability,
    });
    return { algorithm: changed(updated, owner), version: toVersion(version, true) };
  }, ({ algorithm }) => ({ id: algorithm.id }));
}

const deleted = ({ deletedAlgorithmId }: { deletedAlgorithmId: string }) => ({ id: deletedAlgorithmId });

export async function deleteAlgorithm(db: Db, principal: Principal, input: { id: string }, sheets: SheetCache): Promise<{ deletedAlgorithmId: string }> {
  requirePermission(principal, 'deleteAlgorithm', 'manageAlgorithms');
  return changingAlgorithms(db, sheets, async (tx) => {
    const { algorithm, standing } = await managedAlgorithm(tx, principal, input.id);
    if (algorithm.hasPublicVersion) {
      throw userError('FORBIDDEN', 'id: this algorithm has a PUBLIC version, so callers may depend on it; only an admin can delete it', ['id']);
    }
    if (standing !== 'OWNER') throw userError('FORBIDDEN', 'id: only an owner of the organization may delete its algorithms', ['id']);
    await deleteAlgorithmRow(tx, algorithm.id);
    await recordAudit(tx, actorOf(principal), 'ALGORITHM_DELETED', { type: 'ALGORITHM', id: algorithm.id }, {
      ownerId: algorithm.ownerId,
      name: algorithm.name,
    });
    return { deletedAlgorithmId: algorithm.id };
  }, deleted);
}

/** Admin plane: deletes any algorithm, public versions and all. */
export async function adminDeleteAlgorithm(db: Db, actor: AdminActor, input: { id: string }, sheets: SheetCache): Promise<{ deletedAlgorithmId: string }> {
  const notFound = userError('NOT_FOUND', 'id: no such algorithm', ['id']);
  if (!isUuid(input.id)) throw notFound;
  return changingAlgorithms(db, sheets, async (tx) => {
    const removed = await deleteAlgorithmRow(tx, input.id);
    if (!removed) throw notFound;
    await recordAudit(tx, actor, 'ALGORITHM_DELETED', { type: 'ALGORITHM', id: removed.id }, {
      ownerId: removed.ownerId,
      name: removed.name,
      hadPublicVersion: removed.hasPublicVersion,
    });
    return { deletedAlgorithmId: removed.id };
  }, deleted);
}

// ---------------------------------------------------------------------------------------------
// May this key call it?

/** An origin is a scheme and a host name (at most 253 characters) and a port. */
const MAX_ORIGIN_LENGTH = 300;

/**
 * `algorithmAccess`: what the execution tier (or a gateway, through the authorizer) would be told
 * of a call of `ref` with this key; `origin`, when given, stands in for the request's own caller.
 * The decision is access.ts's, the one the authorizer makes.
 */
export async function decideAccess(
  sheets: SheetSource,
  principal: Principal,
  input: { ref: string; origin?: string | null },
  requestCaller: Caller,
): Promise<AccessDecision> {
  const parsed = parseAlgorithmRef(boundedArgument('ref', input.ref, MAX_REF_LENGTH));
  if (!parsed) throw userError('INVALID', 'ref: must be owner/name[/version] or algo://owner/name[/version]', ['ref']);
  const origin = boundedArgument('origin', input.origin, MAX_ORIGIN_LENGTH);
  const caller = origin ? callerFromOrigin(origin) : requestCaller;
  const target = { by: 'name' as const, owner: parsed.owner, name: parsed.name };
  const verdict = await decideAlgorithmCall(sheets, principal, caller, { target, version: parsed.version });
  return verdict.allowed
    ? { allowed: true, reason: 'ALLOWED', algorithmId: verdict.algorithm.id, semanticVersion: verdict.version.semanticVersion }
    : { allowed: false, reason: verdict.reason, algorithmId: verdict.algorithm?.id ?? null, semanticVersion: null };
}
