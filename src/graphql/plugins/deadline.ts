/**
 * The gate's deadline around execution: a request past it answers 503 and stops (see
 * gate/deadline.ts). The cut is an execution result, so the client-errors plugin shapes and logs it
 * under the request's id like any other failure, and yoga never sees it as an error of its own.
 */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DeadlineExceeded, workWithinDeadline } from '../../gate/deadline.js';

export function useRequestDeadline(ms: number): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn(
        (args) =>
          workWithinDeadline(() => executeFn(args), ms).catch((error: unknown) => {
            if (!(error instanceof DeadlineExceeded)) throw error;
            return { errors: [new GraphQLError(error.message, { originalError: error })] };
          }) as ReturnType<typeof executeFn>,
      );
    },
  };
}
