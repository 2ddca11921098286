/**
 * Refuses, as a validation error, an operation whose type the schema does not have (this API has
 * no subscriptions). graphql-js 16 does not check it (17's KnownOperationTypesRule will), and the
 * executor then fails with an internal error.
 */
import { GraphQLError, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const KnownOperationTypes: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (context.getSchema().getRootType(node.operation)) return;
    context.reportError(new GraphQLError(`This API has no ${node.operation}s: send a query or a mutation.`, { nodes: node }));
  },
});

export function useKnownOperationTypes(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(KnownOperationTypes);
    },
  };
}
