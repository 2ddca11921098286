/**
 * What an algorithm and its versions are, as records, enums and input schemas. The database enums
 * (db/schema.ts) are the one definition of each enum: the input schemas here and the GraphQL enums
 * read their values from them.
 */
import { z } from 'zod';
import { nameText, optionalText } from '../../core/validation.js';
import { MAX_NAME_LENGTH, NAME_PATTERN, nameReference } from '../../core/names.js';
import { callability, environment, language, license, networkAccess, sourceVisibility, versionType } from '../../db/enums.js';
import type { AlgorithmRow, OwnerSummary, VersionRow } from '../../db/records.js';

export const ENUMS = {
  license: license.enumValues,
  networkAccess: networkAccess.enumValues,
  sourceVisibility: sourceVisibility.enumValues,
  language: language.enumValues,
  environment: environment.enumValues,
  callability: callability.enumValues,
  versionType: versionType.enumValues,
} as const;

export type Callability = (typeof callability.enumValues)[number];


/** What every read of a visible algorithm has: enough to name, page and authorize it. */
export type AlgorithmSummary = Pick<AlgorithmRow, 'id' | 'ownerId' | 'name' | 'hasPublicVersion' | 'createdAt'> &
  OwnerSummary & {
    /** Whether the caller sees it from inside (owner, member, admin): all its versions, and its state. */
    fullAccess: boolean;
  };

/**
 * The algorithm as it is now, which its owner and members see (outsiders see its latest PUBLIC
 * version's). `pendingBuildHash` is null in what outsiders are given: the catalogue never reads it for them.
 * Its latest versions are not state: reads show the one the caller may see.
 */
export type AlgorithmState = Omit<
  AlgorithmRow,
  | 'id'
  | 'ownerId'
  | 'name'
  | 'hasPublicVersion'
  | 'createdAt'
  | 'latestVersionId'
  | 'latestPublicVersionId'
  | 'latestVersionSummaryJson'
  | 'latestPublicVersionSummaryJson'
  | 'summaryJson'
>;

/** An algorithm with all of its state, as lookups and changes return it. */
export type AlgorithmRecord = AlgorithmSummary & AlgorithmState;

export type Settings = Pick<
  AlgorithmRow,
  'license' | 'networkAccess' | 'pipelineEnabled' | 'sourceVisibility' | 'language' | 'environment' | 'packageSet' | 'royaltyMicrocredits'
>;
export type Details = Pick<AlgorithmRow, 'label' | 'summary' | 'tagline'>;

/** What lists and lookups show of a version; its contents are read only when a client asks for them. */
export type VersionSummary = Pick<
  VersionRow,
  'id' | 'algorithmId' | 'major' | 'minor' | 'patch' | 'gitHash' | 'versionType' | 'callability' | 'publishedAt' | 'publishedByUserId'
>;

export type VersionRecord = VersionSummary & {
  /** The keyset of version pages: versions are created when published. */
  createdAt: Date;
  semanticVersion: string;
  /** Whether the caller sees the algorithm from inside (owner, member): who published is shown only then. */
  fullAccess: boolean;
};

/** A version's snapshot of the algorithm, as published. */
export type VersionContents = Pick<VersionRow, 'releaseNotes' | 'sampleInput' | 'sampleOutput'> & {
  details: Details;
  settings: Settings;
};

/** Which versions of an algorithm a `versions` page selects, besides what the caller may see. */
export interface VersionFilter {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  callability?: Callability | null;
  published?: boolean | null;
}

/** A version as deciding a call sees it. */
export type CallableVersion = Pick<VersionRow, 'major' | 'minor' | 'patch' | 'callability' | 'gitHash'> & { semanticVersion: string };

/**
 * What deciding any key's call to one algorithm needs, and no more: who owns it, whether outsiders
 * see it, and its versions, newest first. Never a deleted owner's algorithm. Cached per algorithm
 * (call-sheets.ts), so a decision reads nothing.
 */
export type CallSheet = Pick<AlgorithmRow, 'id' | 'name' | 'ownerId' | 'hasPublicVersion'> &
  OwnerSummary & {
    versions: readonly CallableVersion[];
  };

/** Why a key may not call an algorithm: one list for `algorithmAccess` and for the gateway authorizer. */
export const ACCESS_REFUSALS = ['ORIGIN_NOT_ALLOWED', 'NOT_IN_ACL', 'NOT_FOUND', 'NO_PUBLIC_VERSION', 'VERSION_NOT_FOUND', 'LATEST_PRIVATE_NOT_ALLOWED'] as const;
export type AccessRefusal = (typeof ACCESS_REFUSALS)[number];

export const ACCESS_REASONS = ['ALLOWED', ...ACCESS_REFUSALS] as const;
export type AccessReason = (typeof ACCESS_REASONS)[number];

/** What each reason means, said once: GraphQL's enum is described by it, and the authorizer answers it. */
export const ACCESS_REASON_TEXT: Record<AccessReason, string> = {
  ALLOWED: 'The key may call the resolved version.',
  ORIGIN_NOT_ALLOWED: "The key's caller-origin rules refuse this origin (or native clients).",
  NOT_IN_ACL: "The key's algorithmAccess does not cover the algorithm.",
  NOT_FOUND: 'No such algorithm, or not one the key may see.',
  NO_PUBLIC_VERSION: 'The algorithm has no PUBLIC version to resolve `latest` to.',
  VERSION_NOT_FOUND: 'No version the key may call matches the reference.',
  LATEST_PRIVATE_NOT_ALLOWED: 'latestPrivate resolves only for the owner of the algorithm and the members of its organization.',
};

/** `algorithmAccess`'s answer: the algorithm (once it was found visible) and the version, by their ids and semver. */
export interface AccessDecision {
  allowed: boolean;
  reason: AccessReason;
  algorithmId: string | null;
  semanticVersion: string | null;
}

// ---------------------------------------------------------------------------------------------
// Input: what a transport hands over is `Unchecked`; the schemas say what is required and allowed.

/** Input before `parse` checks it: any field may be missing or null. */
type Unchecked<T> = {
  [K in keyof T]?: (NonNullable<T[K]> extends string | number | boolean ? NonNullable<T[K]> : Unchecked<NonNullable<T[K]>>) | null;
};

const detailsSchema = z.object({
  label: nameText(100).min(1, 'is required'),
  summary: optionalText(10_000),
  tagline: optionalText(200),
});

export const settingsSchema = z.object({
  license: z.enum(ENUMS.license).nullish(),
  networkAccess: z.enum(ENUMS.networkAccess).nullish(),
  pipelineEnabled: z.boolean().nullish(),
  sourceVisibility: z.enum(ENUMS.sourceVisibility).nullish(),
  language: z.enum(ENUMS.language).nullish(),
  environment: z.enum(ENUMS.environment).nullish(),
  packageSet: optionalText(100),
  royaltyMicrocredits: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(1_000_000_000, 'must be at most 1000000000').nullish(),
});
export type SettingsInput = z.output<typeof settingsSchema>;

const algorithmNameSchema = z
  .string()
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
  .regex(NAME_PATTERN, 'must start with a letter and contain only letters, digits and underscores');

const versionInfoSchema = z.object({ sampleInput: optionalText(100_000) });

export const createAlgorithmSchema = z.object({
  owner: nameReference.nullish(),
  name: algorithmNameSchema,
  details: detailsSchema,
  settings: settingsSchema.nullish(),
  versionInfo: versionInfoSchema.nullish(),
});
export type CreateAlgorithmInput = Unchecked<z.input<typeof createAlgorithmSchema>>;

export const updateAlgorithmSchema = z.object({
  id: z.string(),
  details: detailsSchema.partial().nullish(),
  settings: settingsSchema.nullish(),
  versionInfo: versionInfoSchema.nullish(),
});
export type UpdateAlgorithmInput = Unchecked<z.input<typeof updateAlgorithmSchema>>;

export const publishAlgorithmSchema = z.object({
  id: z.string(),
  /** Changes to make before the snapshot, in the same transaction (as `updateAlgorithm` would). */
  details: detailsSchema.partial().nullish(),
  settings: settingsSchema.nullish(),
  versionType: z.enum(ENUMS.versionType),
  callability: z.enum(ENUMS.callability).nullish(),
  releaseNotes: optionalText(100_000),
  sampleInput: optionalText(100_000),
  sampleOutput: optionalText(100_000),
});
export type PublishAlgorithmInput = Unchecked<z.input<typeof publishAlgorithmSchema>>;
