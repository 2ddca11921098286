/**
 * Validation worked out once per document (src/graphql/plugins/validation-cache.ts), through a real
 * yoga server: a cached result is reused only while the request's rules are the ones it was worked
 * out with.
 */
import { describe, expect, it } from 'vitest';
import { GraphQLError, type ValidationRule } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { useValidationCache } from '../src/graphql/plugins/validation-cache.js';

function server() {
  const validated: string[] = [];
  const counting: ValidationRule = () => ({ Document: () => void validated.push('counting') });
  // Refuses any field named `secret`; added only for requests that ask for it.
  const noSecrets: ValidationRule = (context) => ({
    Field(node) {
      validated.push('noSecrets');
      if (node.name.value === 'secret') context.reportError(new GraphQLError('secret is refused', { nodes: node }));
    },
  });
  const rules: Plugin = {
    onValidate({ addValidationRule, context }) {
      addValidationRule(counting);
      if ((context as { request: Request }).request.headers.get('x-strict') === '1') addValidationRule(noSecrets);
    },
  };
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { hello: String! secret: String! }', resolvers: { Query: { hello: () => 'world', secret: () => 's' } } }),
    parserAndValidationCache: { validationCache: false },
    logging: false,
    plugins: [rules, useValidationCache()],
  });
  const ask = async (query: string, strict = false) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(strict ? { 'x-strict': '1' } : {}) },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { message: string }[] } };
  };
  return { ask, validated };
}

describe('validation cache', () => {
  it('validates a document once and answers later requests with the same result, an invalid one included', async () => {
    const { ask, validated } = server();
    expect((await ask('{ hello }')).body).toEqual({ data: { hello: 'world' } });
    expect((await ask('{ hello }')).body).toEqual({ data: { hello: 'world' } });
    expect(validated).toEqual(['counting']);

    const first = await ask('{ nope }');
    const second = await ask('{ nope }');
    expect(second).toEqual(first);
    expect(first.body.errors?.[0]?.message).toContain('Cannot query field "nope"');
    expect(validated).toEqual(['counting', 'counting']);
  });

  it('validates again when the rules differ from those a cached result was worked out with', async () => {
    const { ask, validated } = server();
    expect((await ask('{ secret }')).body).toEqual({ data: { secret: 's' } });
    const strict = await ask('{ secret }', true);
    expect(strict.body.errors?.map((error) => error.message)).toEqual(['secret is refused']);
    expect(validated).toEqual(['counting', 'counting', 'noSecrets']);
    // Each rule set keeps answering as it did.
    expect((await ask('{ secret }', true)).body.errors?.map((error) => error.message)).toEqual(['secret is refused']);
    expect((await ask('{ secret }')).body).toEqual({ data: { secret: 's' } });
  });
});
