/**
 * `Idempotency-Key` on a GraphQL mutation, through the gate's claims (gate/idempotency.ts). What is
 * GraphQL's own: two requests are the same when query, variables and operation name are; failed
 * requests (every root field errored) are not stored, so they may be retried; and stored responses
 * never hold a secret: a replay answers `secret: null` and says so.
 */
import { getOperationAST, GraphQLError, visit, type DocumentNode, type ExecutionResult } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { claimIdempotency, idempotentRequestOf, runClaimed } from '../../gate/idempotency.js';
import type { GraphQLContext } from '../context.js';
import { rootFields } from '../root-fields.js';
import { toClientError } from './client-errors.js';
import { refusalError } from './refusal.js';

const REPLAY_WARNING = {
  field: null,
  code: 'NO_EFFECT',
  message: 'Replayed response to an earlier request with this Idempotency-Key: secrets are shown only once, so `secret` is null.',
};

/** The response keys under which the document asks for a `secret` field: its name or any alias. */
function secretResponseKeys(document: DocumentNode): Set<string> {
  const keys = new Set<string>(['secret']);
  visit(document, {
    Field(node) {
      if (node.name.value === 'secret') keys.add(node.alias?.value ?? 'secret');
    },
  });
  return keys;
}

/** A copy of `value` with every secret-bearing field set to null; reports whether any held one. */
function withoutSecrets(value: unknown, secretKeys: Set<string>): { value: unknown; withheld: boolean } {
  let withheld = false;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).map(([field, inner]) => {
        if (secretKeys.has(field) && inner !== null) {
          withheld = true;
          return [field, null];
        }
        return [field, walk(inner)];
      }),
    );
  };
  return { value: walk(value), withheld };
}

interface StoredResponse {
  data: Record<string, unknown> | null;
  errors?: unknown[];
  withheld: boolean;
}

/** The stored response as a replay: marked, and with a warning in every payload that had a secret. */
function asReplay(stored: StoredResponse): ExecutionResult {
  const data = Object.fromEntries(
    Object.entries(stored.data ?? {}).map(([field, payload]) => {
      if (stored.withheld && payload && typeof payload === 'object' && Array.isArray((payload as { warnings?: unknown }).warnings)) {
        const p = payload as { warnings: unknown[] };
        return [field, { ...p, warnings: [...p.warnings, REPLAY_WARNING] }];
      }
      return [field, payload];
    }),
  );
  return {
    data: stored.data === null ? null : data,
    ...(stored.errors ? { errors: stored.errors.map((e) => new GraphQLError(String((e as { message?: string }).message), e as object)) } : {}),
    extensions: { idempotency: { replayed: true, ...(stored.withheld ? { warning: REPLAY_WARNING.message } : {}) } },
  };
}

/** What makes two GraphQL requests the same. */
const sameRequest = (params: GraphQLParams) => () => ({
  query: params.query,
  variables: params.variables ?? null,
  operationName: params.operationName ?? null,
});

export function useIdempotency(deadlineMs: number): Plugin<GraphQLContext & { request: Request; params: GraphQLParams }> {
  return {
    // Not async: most operations are no mutation with an Idempotency-Key, and a promise here would
    // make the rest of their hooks wait on microtasks.
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const context = args.contextValue;
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const idempotent = idempotentRequestOf(context.request, sameRequest(context.params));
      if (idempotent === undefined) return;
      const { db, principal } = context;
      return claimIdempotency(db, principal.keyId, idempotent, deadlineMs).then((claim) => {
        if (claim.kind === 'refused') {
          setResultAndStopExecution({ errors: [refusalError(claim.refusal)] });
          return;
        }
        if (claim.kind === 'replay') {
          setResultAndStopExecution(asReplay(claim.response as StoredResponse));
          return;
        }

        /**
         * Only when every root field failed did nothing happen: then the claim goes, so a retry may
         * run. A root field without an error of its own ran (even when a sibling's error nulled all
         * of `data`): keep the answer, errors included, so a retry cannot redo it.
         */
        const outcome = (result: ExecutionResult): StoredResponse | undefined => {
          const failed = new Set((result.errors ?? []).map((e) => e.path?.[0]).filter((field) => field !== undefined));
          const ran = rootFields(args.document, args.operationName).fields.some((field) => !failed.has(field.alias?.value ?? field.name.value));
          if (!ran) return undefined;
          const { value, withheld } = withoutSecrets(result.data ?? null, secretResponseKeys(args.document));
          // Stored as the client was shown them: an internal error's text never reaches a replay.
          const errors = result.errors
            ?.map((e) => toClientError(e, undefined, context.requestId))
            .map((e) => ({ message: e.message, path: e.path, extensions: { code: e.extensions.code } }));
          return { data: value as StoredResponse['data'], errors, withheld };
        };

        // This wraps the real execution, inside the request deadline (a plugin registered after
        // this one), so a request that ran out of time still records what it did.
        setExecuteFn((executeArgs) => runClaimed(db, claim.claim, async () => (await executeFn(executeArgs)) as ExecutionResult, outcome));
      });
    },
  };
}
