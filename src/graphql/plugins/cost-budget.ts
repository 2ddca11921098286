/**
 * Charges each operation's cost to the caller's budget of points before it runs, and reports it
 * in the response as Shopify does: `extensions.cost { requested actual limit remaining }`.
 *
 * `requested` is the cost `useConnectionCost` worked out (the same figure, not a second count);
 * `actual` is what the budget was charged, which is `requested` (at least 1) for an operation that
 * ran: the cost is charged before execution and never refunded, since counting what an answer
 * really held would cost a check per field. An operation refused for its cost was charged the one
 * point its request spent at authentication. `limit` and `remaining` are the budget's, as the
 * RateLimit-* headers say them.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { after } from '../../core/now-or-later.js';
import type { Authenticator } from '../../gate/authenticate.js';
import type { RequestState } from '../../gate/request.js';
import { operationCostIn } from '../limits.js';
import { refusalError } from './refusal.js';
import type { GateServerContext } from './server-context.js';

export interface CostReport {
  requested: number;
  actual: number;
  limit: number;
  remaining: number;
}

const report = (requested: number, gate: RequestState): CostReport => ({
  requested,
  actual: gate.cost ?? 1,
  limit: gate.budget!.limit,
  remaining: gate.budget!.remaining,
});

const withCost = (result: ExecutionResult, cost: CostReport): ExecutionResult => ({ ...result, extensions: { ...result.extensions, cost } });

export function useCostBudget(authenticator: Authenticator): Plugin<GateServerContext> {
  return {
    // Not async: an in-process budget answers at once, and a promise here would make the rest of
    // the operation's hooks wait on microtasks.
    onExecute({ args, setResultAndStopExecution }) {
      const gate = args.contextValue.gate;
      const requested = operationCostIn(args.contextValue);
      if (requested === undefined || !gate?.principal || !gate.budget) return;
      return after(authenticator.spendCost(gate.principal, Math.max(requested, 1), gate.budget), (outcome) => {
        if (!outcome.charged) {
          if (outcome.refusal) gate.budget = outcome.budget;
          const error = outcome.refusal
            ? refusalError(outcome.refusal)
            : new GraphQLError(
                `This operation costs ${requested} points, more than this key and its owner may spend in a minute (${outcome.limit}): ask for smaller pages, fewer nested lists or fewer fields.`,
                { extensions: { code: 'QUERY_TOO_COMPLEX' } },
              );
          setResultAndStopExecution({ errors: [error], extensions: { cost: report(requested, gate) } });
          return;
        }
        gate.budget = outcome.budget;
        gate.cost = Math.max(requested, 1);
        const cost = report(requested, gate);
        return {
          onExecuteDone({ result, setResult }) {
            if (!(Symbol.asyncIterator in result)) setResult(withCost(result, cost));
          },
        };
      });
    },
  };
}
