/**
 * Each document's validation, worked out once. Yoga's own cache (parserAndValidationCache) keys it
 * by a string it builds on every request by joining the names of the thirty-odd validation rules,
 * then hashes that string to look it up: a measurable share of a small request (BENCHMARKS.md).
 * This one keeps, with each result, the rules it was worked out with, and reuses it
 * while a request's rules have the same names in the same order: yoga's key, compared name by name
 * with nothing built. The parsed document is the key (yoga's document cache hands the same object
 * for the same text), so a result goes when its document leaves that cache.
 *
 * Placed after every plugin that adds a rule, as yoga places its own.
 */
import type { DocumentNode, GraphQLSchema, ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

interface Validated {
  rules: readonly ValidationRule[];
  result: readonly Error[];
}

/** Whether `rules` are `known`'s by name, in order. Most are the very same functions, which settles it without reading a name. */
function sameRules(known: Validated, rules: readonly ValidationRule[]): boolean {
  if (known.rules.length !== rules.length) return false;
  for (let i = 0; i < rules.length; i++) {
    if (rules[i] !== known.rules[i] && rules[i]!.name !== known.rules[i]!.name) return false;
  }
  return true;
}

export function useValidationCache(): Plugin {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Validated>>();
  return {
    onValidate({ params, setResult }) {
      const { schema, documentAST } = params;
      // As yoga's own cache: no schema, nothing kept.
      if (!schema) return;
      const applied: readonly ValidationRule[] = params.rules ?? [];
      let byDocument = bySchema.get(schema);
      if (!byDocument) bySchema.set(schema, (byDocument = new WeakMap()));
      const known = byDocument.get(documentAST);
      if (known && sameRules(known, applied)) {
        setResult(known.result);
        return;
      }
      // The rules as they stand now: a plugin after this one that added a rule would be in the result, not the key.
      const rules = [...applied];
      return ({ result }) => {
        byDocument.set(documentAST, { rules, result });
      };
    },
  };
}
