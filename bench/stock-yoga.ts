/**
 * The stack's floor: graphql-yoga as installed, with its defaults and no plugin of ours, answering
 * `{ hello }` over node:http. Everything algoplane does per request comes on top of this.
 */
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { hello: String! }', resolvers: { Query: { hello: () => 'world' } } }),
  logging: false,
});
createServer(yoga).listen(Number(process.env.PORT), '127.0.0.1');
