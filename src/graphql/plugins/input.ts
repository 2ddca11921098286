/**
 * Refuses what the database could not store or a walk could not finish, with a clear 400 rather
 * than an internal error: NUL characters and lone UTF-16 surrogates anywhere in the request (the
 * document, its variables, the operation name, extensions), and variables nested deeper than any
 * input type. Runs after authentication.
 */
import type { Plugin } from 'graphql-yoga';
import { jsonValueRefusal, NUL_REFUSAL } from '../../gate/body.js';
import { refusalError } from './refusal.js';

// In the document, NUL can also be written as an escape: \u0000 or \u{0}. An escaped lone surrogate
// (\ud800, \u{d800}) is refused by GraphQL's own parser.
const NUL_IN_DOCUMENT = /\\u0000|\\u\{0+\}/i;

export function useStorableInput(): Plugin {
  return {
    onParams({ params }) {
      const refused =
        jsonValueRefusal(params) ?? (typeof params.query === 'string' && NUL_IN_DOCUMENT.test(params.query) ? NUL_REFUSAL : undefined);
      if (refused) throw refusalError(refused);
    },
  };
}
