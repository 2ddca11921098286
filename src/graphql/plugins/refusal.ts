/** A gate refusal as GraphQL-over-HTTP says it: a coded error whose `extensions.http` sets the status. */
import { GraphQLError, type GraphQLErrorOptions } from 'graphql';
import type { Refusal } from '../../gate/refusal.js';
import type { RequestState } from '../../gate/request.js';

/** A refusal's error, keeping its cause for metrics (never sent: only message, path and extensions are). */
export class RefusalGraphQLError extends GraphQLError {
  readonly refusalCause: string | undefined;

  constructor(refusal: Refusal, options: GraphQLErrorOptions) {
    super(refusal.message, options);
    this.refusalCause = refusal.cause;
  }
}

export const refusalError = (refusal: Refusal) =>
  new RefusalGraphQLError(refusal, {
    extensions: { code: refusal.code, http: refusal.headers ? { status: refusal.status, headers: refusal.headers } : { status: refusal.status } },
  });

/** A refusal answered before GraphQL is involved at all (no parse, no context), noted on the request's state. */
export function refusalResponse(refusal: Refusal, state: RequestState): Response {
  state.refusedFor ??= refusal.cause;
  return Response.json({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] }, { status: refusal.status, headers: refusal.headers });
}
