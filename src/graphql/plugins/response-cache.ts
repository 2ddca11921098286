/**
 * Public pages from cache (../response-cache.ts says which, and for whom). Runs in execution, after
 * everything a request owes whatever answers it: authentication, caller origin, the key's and the
 * owner's budgets (counted before the document is even parsed), usage and lastUsedAt, the cost
 * limit. A hit skips only the execution. A request whose document cannot be shared costs one
 * WeakMap lookup here. An answer is shared only once the caller is confirmed an outsider afresh
 * (`Outsiders.confirm`), and only if nothing cleared the store while it was worked out (`mark`).
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import type { LookupCounts } from '../../core/metrics.js';
import type { Outsiders } from '../../modules/algorithms/outsiders.js';
import type { GraphQLContext } from '../context.js';
import { entryKey, isShareable, type SharedData, type SharedResponses } from '../response-cache.js';

export interface PublicPages {
  store: SharedResponses;
  outsiders: Outsiders;
  /** Plain numbers for the metrics, bumped here and read when scraped. */
  counts: LookupCounts;
}

export function useResponseCache({ store, outsiders, counts }: PublicPages): Plugin<GraphQLContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (!isShareable(args.schema, args.document, args.operationName)) return;
      const context = args.contextValue as GraphQLContext & YogaInitialContext;
      const query = context.params.query;
      if (query === undefined) return;
      // Taken before anything is read: an answer worked out across a change is not stored.
      const mark = store.mark();
      return Promise.resolve(outsiders.of(context.principal)).then(async (outsider) => {
        if (!outsider) return;
        const key = entryKey(query, args.operationName, args.variableValues);
        const data = await store.get(key);
        if (data) {
          counts.hits++;
          setResultAndStopExecution({ data });
          return;
        }
        counts.misses++;
        return {
          onExecuteDone({ result }) {
            const { data, errors } = result as ExecutionResult<SharedData>;
            if (!data || errors?.length) return;
            // Awaited (one indexed statement, on a miss only), so the next outsider's request finds it.
            return outsiders.confirm(context.principal).then(
              (confirmed) => {
                if (confirmed) store.set(key, data, JSON.stringify(data), mark);
              },
              () => {},
            );
          },
        };
      });
    },
  };
}
