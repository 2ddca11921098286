import { defineConfig } from 'vitest/config';

export default defineConfig({
  // vitest would load graphql's ESM build while Pothos and yoga load the CJS one: two graphql
  // realms, and every GraphQLError masked as "Unexpected error." under test only.
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: 'forks',
  },
});
