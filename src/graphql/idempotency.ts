/**
 * `Idempotency-Key` on a mutation: the first response is stored and replayed for retries of the
 * same request (same key, same body) for 24 hours. A different body with the same key is refused;
 * a retry while the first is still running gets 409, so duplicates never both execute. Failed
 * requests (top-level errors) are not stored: they may be retried. Stored responses never hold a
 * secret: a replay answers `secret: null` and says so.
 */
import { createHash } from 'node:crypto';
import { getOperationAST, GraphQLError, type ExecutionResult } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
} from '../modules/idempotency/service.js';
import type { GraphQLContext } from './context.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

const REPLAY_WARNING = {
  field: null,
  code: 'NO_EFFECT',
  message: 'Replayed response to an earlier request with this Idempotency-Key: secrets are shown only once, so `secret` is null.',
};

export function requestHash(params: GraphQLParams): string {
  return createHash('sha256')
    .update(JSON.stringify({ query: params.query, variables: params.variables ?? null, operationName: params.operationName ?? null }))
    .digest('hex');
}

/** A copy of `value` with every `secret` field set to null; reports whether any held one. */
function withoutSecrets(value: unknown): { value: unknown; withheld: boolean } {
  let withheld = false;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).map(([field, inner]) => {
        if (field === 'secret' && inner !== null) {
          withheld = true;
          return [field, null];
        }
        return [field, walk(inner)];
      }),
    );
  };
  return { value: walk(value), withheld };
}

/** The stored response as a replay: marked, and with a warning in every payload that had a secret. */
function asReplay(stored: { data: Record<string, unknown>; withheld: boolean }): ExecutionResult {
  const data = Object.fromEntries(
    Object.entries(stored.data).map(([field, payload]) => {
      if (stored.withheld && payload && typeof payload === 'object' && Array.isArray((payload as { warnings?: unknown }).warnings)) {
        const p = payload as { warnings: unknown[] };
        return [field, { ...p, warnings: [...p.warnings, REPLAY_WARNING] }];
      }
      return [field, payload];
    }),
  );
  return {
    data,
    extensions: { idempotency: { replayed: true, ...(stored.withheld ? { warning: REPLAY_WARNING.message } : {}) } },
  };
}

const refuse = (status: number, code: string, message: string): ExecutionResult => ({
  errors: [new GraphQLError(message, { extensions: { code, http: { status } } })],
});

export function useIdempotency(): Plugin<GraphQLContext> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue;
      const key = context.idempotencyKey;
      if (key === undefined) return;
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      if (!KEY_PATTERN.test(key)) {
        setResultAndStopExecution(refuse(400, 'BAD_USER_INPUT', 'Idempotency-Key must be 1 to 255 visible ASCII characters.'));
        return;
      }
      const { db, principal } = context;
      const claim = await claimIdempotencyKey(db, principal.keyId, key, context.requestHash);
      switch (claim.kind) {
        case 'replay':
          setResultAndStopExecution(asReplay(claim.response as { data: Record<string, unknown>; withheld: boolean }));
          return;
        case 'different-request':
          setResultAndStopExecution(refuse(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request.'));
          return;
        case 'in-progress':
          setResultAndStopExecution(refuse(409, 'IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running; retry shortly.'));
          return;
        case 'claimed':
          return {
            async onExecuteDone({ result }) {
              if (Symbol.asyncIterator in result) return;
              if (result.errors?.length || !result.data) {
                await releaseIdempotencyKey(db, principal.keyId, key);
                return;
              }
              const { value, withheld } = withoutSecrets(result.data);
              await completeIdempotencyKey(db, principal.keyId, key, { data: value, withheld });
            },
          };
      }
    },
  };
}
