/**
 * Refuses what the database could not store or a walk could not finish, with a clear 400 rather
 * than an internal error: NUL characters in the document or the variables, and variables nested
 * deeper than any input type. Runs after authentication.
 */
import type { Plugin } from 'graphql-yoga';
import { jsonValueRefusal, NUL_REFUSAL } from '../../gate/body.js';
import { refusalError } from './refusal.js';

// In the document, NUL can also be written as an escape: \u0000 or \u{0}.
const NUL_IN_DOCUMENT = /\u0000|\\u0000|\\u\{0+\}/i;

export function useNoNulCharacters(): Plugin {
  return {
    onParams({ params }) {
      const refused =
        jsonValueRefusal(params.variables) ?? (typeof params.query === 'string' && NUL_IN_DOCUMENT.test(params.query) ? NUL_REFUSAL : undefined);
      if (refused) throw refusalError(refused);
    },
  };
}
