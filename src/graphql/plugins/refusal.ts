/** A gate refusal as GraphQL-over-HTTP says it: a coded error whose `extensions.http` sets the status. */
import { GraphQLError } from 'graphql';
import type { Refusal } from '../../gate/refusal.js';

export const refusalError = (refusal: Refusal) =>
  new GraphQLError(refusal.message, {
    extensions: { code: refusal.code, http: refusal.headers ? { status: refusal.status, headers: refusal.headers } : { status: refusal.status } },
  });

/** A refusal answered before GraphQL is involved at all (no parse, no context). */
export const refusalResponse = (refusal: Refusal) =>
  Response.json({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] }, { status: refusal.status, headers: refusal.headers });
