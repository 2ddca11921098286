/**
 * Algorithmia's user endpoints (REST-CONTRACT.md §4), admin keys only: over the same services and
 * store reads as GraphQL's admin plane. A new user gets its `default-key` as in GraphQL, but the
 * User object has no key field, so its secret is never shown here (an admin mints a key to hand out).
 */
import { createRoute } from '@hono/zod-openapi';
import { adminActorOf } from '../../auth/permissions.js';
import type { UserRecord } from '../../db/records.js';
import { jsonBody, jsonResponse, originOf, serve, z, type ErrorMapping, type RestApp } from '../../rest/api.js';
import { MAX_NAME_LENGTH } from '../../core/names.js';
import { restError } from '../../rest/envelope.js';
import { pagedResults, pageQuery, restPage } from '../../rest/paging.js';
import { createUser, deleteUser, updateUser } from './service.js';
import { findUserByUsername, listUsers } from './store.js';

const TAGS = ['users'];

const userSchema = z
  .object({
    id: z.string().openapi({ description: "The user's immutable id (a UUID, 36 characters).", example: '8d1b4c2e-1f0a-4f4e-9a63-2b8f0c4e7d11' }),
    username: z.string().openapi({ description: 'Letters, digits and underscores, starting with a letter; at most 30. Never changes.', example: 'ada' }),
    email: z.string().openapi({ description: 'Unique among users, case-insensitively.', example: 'ada@example.com' }),
    fullname: z.string().nullable().openapi({ description: "The user's full name; null when not given." }),
    company_name: z.string().nullable().openapi({ description: "The user's company; null when not given." }),
    company_role: z.string().nullable().openapi({ description: "The user's role in the company; null when not given." }),
    self_link: z.string().openapi({ description: 'The URL of this user.', example: 'https://api.example.com/v1/users/ada' }),
    resource_type: z.literal('user').openapi({ description: 'Always `user`.' }),
  })
  .openapi('User');

type RestUser = z.infer<typeof userSchema>;

/** The user as Algorithmia's API shows it; links point at the server the request came to. */
const userView = (origin: string, user: UserRecord): RestUser => ({
  id: user.id,
  username: user.username,
  email: user.email,
  fullname: user.fullName,
  company_name: user.companyName,
  company_role: user.companyRole,
  self_link: `${origin}/v1/users/${user.username}`,
  resource_type: 'user',
});

const text = (description: string) => z.string().nullish().openapi({ description });
const profileFields = {
  fullname: text('Free text, at most 200 characters; null or blank clears it.'),
  company_name: text('Free text, at most 100 characters; null or blank clears it.'),
  company_role: text('Free text, at most 200 characters; null or blank clears it.'),
};

// Unknown fields are ignored: the Python and Java clients send `passwordHash` and `shouldCreateHello`.
const createBody = z
  .object({
    username: z.string().openapi({ description: 'Letters, digits and underscores, starting with a letter; at most 30. Never reissued.' }),
    email: z.string().openapi({ description: 'At most 254 characters; unique among users, case-insensitively, and never reissued.' }),
    ...profileFields,
  })
  .loose()
  .openapi('UserCreation');

const updateBody = z
  .object({
    username: z.string().optional().openapi({ description: 'If given, must be the username of the path: a username never changes.' }),
    email: z.string().nullish().openapi({ description: 'A new email, unique among users; absent or null keeps the current one.' }),
    ...profileFields,
  })
  .loose()
  .openapi('UserUpdate');

const usernameParam = z.object({
  username: z.string().max(MAX_NAME_LENGTH).openapi({ param: { name: 'username', in: 'path' }, description: 'The username, matched case-insensitively.', example: 'ada' }),
});

/** How the users services' errors read: their fields by Algorithmia's names. */
const USER_ERRORS: ErrorMapping = {
  invalid: 'malformedUser',
  notFound: { '*': 'userNotFound' },
  conflict: { username: [409, 'usernameTaken'], email: [409, 'emailTaken'] },
  fields: { fullName: 'fullname' },
};

export function userRoutes(app: RestApp): void {
  serve(
    app,
    {
      route: createRoute({
        method: 'get',
        path: '/v1/users',
        operationId: 'getUsers',
        tags: TAGS,
        summary: 'List users',
        description: `Every user, oldest first, a page at a time: pass \`marker\` (or follow \`next_link\`) for the next page. Admin keys only.`,
        request: { query: z.object(pageQuery) },
        responses: { 200: jsonResponse(pagedResults(userSchema, 'PagedUserList'), 'A page of users.') },
      }),
      plane: 'admin',
      errors: USER_ERRORS,
    },
    async (c) => {
      const { db } = c.env;
      const origin = originOf(c);
      return c.json(await restPage(new URL(c.req.url), c.req.valid('query'), (args) => listUsers(db, args), (user) => userView(origin, user)), 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'post',
        path: '/v1/users',
        operationId: 'createUser',
        tags: TAGS,
        summary: 'Create a user',
        description:
          'Creates a user. `username` and `email` are required; unknown fields are ignored. The user also gets its `default-key`, whose secret is not shown: mint a key for the user with `POST /v1/admin/users/{username}/keys`. Admin keys only.',
        request: jsonBody(createBody),
        responses: { 200: jsonResponse(userSchema, 'The new user.') },
      }),
      plane: 'admin',
      errors: { ...USER_ERRORS, missing: 'missingUserFields' },
    },
    async (c) => {
      const input = c.req.valid('json');
      const { user } = await createUser(c.env.db, adminActorOf(c.env.principal, 'createUser'), {
        username: input.username,
        email: input.email,
        fullName: input.fullname,
        companyName: input.company_name,
        companyRole: input.company_role,
      });
      return c.json(userView(originOf(c), user), 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'get',
        path: '/v1/users/{username}',
        operationId: 'getUser',
        tags: TAGS,
        summary: 'Get a user',
        description: 'A live user by username. Admin keys only.',
        request: { params: usernameParam },
        responses: { 200: jsonResponse(userSchema, 'The user.') },
      }),
      plane: 'admin',
      errors: USER_ERRORS,
    },
    async (c) => {
      const user = await findUserByUsername(c.env.db, c.req.valid('param').username);
      if (!user) throw restError(404, 'userNotFound');
      return c.json(userView(originOf(c), user), 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'put',
        path: '/v1/users/{username}',
        operationId: 'updateUser',
        tags: TAGS,
        summary: 'Update a user',
        description:
          'Changes the fields given; absent fields keep their value. The username never changes: a `username` in the body must be the one in the path. Admin keys only.',
        request: { params: usernameParam, ...jsonBody(updateBody) },
        responses: { 200: jsonResponse(userSchema, 'The user, after the change.') },
      }),
      plane: 'admin',
      errors: USER_ERRORS,
    },
    async (c) => {
      const { username } = c.req.valid('param');
      const input = c.req.valid('json');
      // The path names the user; a body naming another one asks for a rename, which there is not.
      if (input.username !== undefined && input.username.toLowerCase() !== username.toLowerCase()) throw restError(400, 'usernameMismatch');
      const { user } = await updateUser(
        c.env.db,
        adminActorOf(c.env.principal, 'updateUser'),
        { username, email: input.email, fullName: input.fullname, companyName: input.company_name, companyRole: input.company_role },
        c.env.keys,
      );
      return c.json(userView(originOf(c), user), 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'delete',
        path: '/v1/users/{username}',
        operationId: 'deleteUser',
        tags: TAGS,
        summary: 'Delete a user',
        description:
          "Deletes a user: its keys stop working at once, its memberships and private algorithms are removed, and its username and email are never reissued. Refused (409) while it owns algorithms with public versions, is an organization's last owner or the last cluster administrator. Admin keys only.",
        request: { params: usernameParam },
        responses: { 204: { description: 'The user was deleted.' } },
      }),
      plane: 'admin',
      // Refusals here are about the user's standing, not its JSON: the service's message says why.
      errors: { ...USER_ERRORS, invalid: 'invalidRequest', conflict: {} },
    },
    async (c) => {
      await deleteUser(c.env.db, adminActorOf(c.env.principal, 'deleteUser'), c.req.valid('param'), c.env.keys);
      return c.body(null, 204);
    },
  );
}
