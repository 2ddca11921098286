/**
 * Algorithmia's management REST API under /v1: the one file that gathers the modules' routes
 * (`modules/<m>/rest.ts`), and the OpenAPI document generated from them.
 */
import { createRestApp, type RestApp } from './api.js';
import { asRestError, envelope, restError } from './envelope.js';
import { algorithmRoutes } from '../modules/algorithms/rest.js';
import { apiKeyRoutes } from '../modules/api-keys/rest.js';
import { organizationRoutes } from '../modules/organizations/rest.js';
import { userRoutes } from '../modules/users/rest.js';

/** Where Algorithmia served its own OpenAPI document; answered to anyone, like the GraphQL schema's introspection is not. */
export const OPENAPI_PATH = '/v1/openapispec';

export interface RestApi {
  app: RestApp;
  /** Paths answered without a key. */
  publicPaths: ReadonlySet<string>;
}

export function createRestApi(version: string): RestApi {
  const app = createRestApp();
  const schemes = app.openAPIRegistry;
  schemes.registerComponent('securitySchemes', 'ApiKeyAuth', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'A standard key (sim…), bare, or as `Simple <key>` or `Bearer <key>`.',
  });
  schemes.registerComponent('securitySchemes', 'AdminApiKeyAuth', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'An admin key (adm…), bare, or as `Simple <key>` or `Bearer <key>`.',
  });

  algorithmRoutes(app);
  userRoutes(app);
  organizationRoutes(app);
  apiKeyRoutes(app);

  app.onError((error, c) => envelope(asRestError(error, c.env.log, c.env.gate.id, c.req.path), c.env.gate));
  app.notFound((c) => envelope(restError(404, 'invalidRequest', `No such endpoint: ${c.req.method} ${c.req.path}`), c.env.gate));

  // Made once, on first request, and answered as the same bytes after: it is public, so it must cost nothing.
  let document: string | undefined;
  app.get(OPENAPI_PATH, (c) => {
    document ??= JSON.stringify(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'algoplane: Algorithmia management API',
          version,
          description:
            "Algorithmia's management REST API, served by algoplane over the same services and rules as its GraphQL API. Errors are `{\"error\":{\"id\",\"code\",\"message\"}}`.",
        },
      }),
    );
    return c.body(document, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' });
  });
  return { app, publicPaths: new Set([OPENAPI_PATH]) };
}
