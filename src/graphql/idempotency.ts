/**
 * `Idempotency-Key` on a mutation: the first response is stored and replayed for retries of the
 * same request (same key, same body) for 24 hours. A different body with the same key is refused;
 * a retry while the first is still running gets 409, so duplicates never both execute. Failed
 * requests (top-level errors) are not stored: they may be retried. Stored responses never hold a
 * secret: a replay answers `secret: null` and says so.
 */
import { createHash } from 'node:crypto';
import { getOperationAST, GraphQLError, Kind, visit, type DocumentNode, type ExecutionResult, type SelectionNode } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
} from '../modules/idempotency/service.js';
import type { GraphQLContext } from './context.js';
import { withDeadline } from './plugins.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

const REPLAY_WARNING = {
  field: null,
  code: 'NO_EFFECT',
  message: 'Replayed response to an earlier request with this Idempotency-Key: secrets are shown only once, so `secret` is null.',
};

/** The request's Idempotency-Key and a hash of its body; hashed only when the header is sent. */
export function idempotencyOf(request: Request, params: GraphQLParams): { key: string; requestHash: string } | undefined {
  const key = request.headers.get('idempotency-key');
  if (key === null) return undefined;
  const body = JSON.stringify({ query: params.query, variables: params.variables ?? null, operationName: params.operationName ?? null });
  return { key, requestHash: createHash('sha256').update(body).digest('hex') };
}

/** The response keys of the operation's root fields (aliases included, through fragments). */
function rootResponseKeys(document: DocumentNode, operationName: string | undefined): string[] {
  const operation = getOperationAST(document, operationName);
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const keys: string[] = [];
  const collect = (selections: readonly SelectionNode[], seen: Set<string>) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) keys.push(selection.alias?.value ?? selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet.selections, seen);
      else if (!seen.has(selection.name.value)) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet.selections, new Set([...seen, selection.name.value]));
      }
    }
  };
  if (operation) collect(operation.selectionSet.selections, new Set());
  return keys;
}

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

const refuse = (status: number, code: string, message: string): ExecutionResult => ({
  errors: [new GraphQLError(message, { extensions: { code, http: { status } } })],
});

export function useIdempotency(deadlineMs: number): Plugin<GraphQLContext> {
  return {
    async onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const context = args.contextValue;
      if (context.idempotency === undefined) return;
      const { key, requestHash } = context.idempotency;
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      if (!KEY_PATTERN.test(key)) {
        setResultAndStopExecution(refuse(400, 'BAD_USER_INPUT', 'Idempotency-Key must be 1 to 255 visible ASCII characters.'));
        return;
      }
      const { db, principal } = context;
      const claim = await withDeadline(claimIdempotencyKey(db, principal.keyId, key, requestHash), deadlineMs);
      switch (claim.kind) {
        case 'replay':
          setResultAndStopExecution(asReplay(claim.response as StoredResponse));
          return;
        case 'different-request':
          setResultAndStopExecution(refuse(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request.'));
          return;
        case 'in-progress':
          setResultAndStopExecution(refuse(409, 'IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running; retry shortly.'));
          return;
        case 'claimed':
          break;
      }

      /**
       * Only when every root field failed did nothing happen: then the claim goes, so a retry may
       * run. A root field without an error of its own ran (even when a sibling's error nulled all
       * of `data`): keep the answer, errors included, so a retry cannot redo it.
       */
      const record = async (result: ExecutionResult) => {
        const failed = new Set((result.errors ?? []).map((e) => e.path?.[0]).filter((field) => field !== undefined));
        const ran = rootResponseKeys(args.document, args.operationName ?? undefined).some((field) => !failed.has(field));
        if (!ran) {
          await releaseIdempotencyKey(db, principal.keyId, key);
          return;
        }
        const { value, withheld } = withoutSecrets(result.data ?? null, secretResponseKeys(args.document));
        const errors = result.errors?.map((e) => ({ message: e.message, path: e.path, extensions: { code: e.extensions?.code } }));
        await completeIdempotencyKey(db, principal.keyId, key, { data: value, errors, withheld });
      };

      // Record the outcome when the work itself finishes, not when the client is answered: this
      // wraps the real execution, inside the request deadline (a plugin registered after this
      // one), so a request that ran out of time still records what it did.
      setExecuteFn(async (executeArgs) => {
        const result = (await executeFn(executeArgs)) as ExecutionResult;
        await record(result);
        return result;
      });
    },
  };
}
