/**
 * The OpenAPI document at GET /v1/openapispec: served without a key, a valid OpenAPI 3.1 document,
 * and true to the API: every operation is called (as test/helpers/rest-auth-matrix.ts says how) so
 * that it succeeds and so that it fails in the ways every operation can, and each answer's status
 * must be a response of the operation in the document, its body fitting that response's schema.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './helpers/app.js';
import {
  createMatrixFixtures,
  MATRIX,
  operationsOf,
  prepareCall,
  rightKey,
  wrongPlaneKey,
  type MatrixFixtures,
  type Operation,
  type PreparedCall,
} from './helpers/rest-auth-matrix.js';
import { rest, type RestAnswer } from './helpers/rest.js';

const MAX_BODY_BYTES = 2048;
const t = await startTestApp({ env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
afterAll(() => t.close());

const served = await rest(t, 'GET', '/v1/openapispec');
const document: Record<string, any> = served.body;
const operations = operationsOf(document);

describe('the document', () => {
  it('is served without a key, as JSON, OpenAPI 3.1', () => {
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^application\/json/);
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it('is a valid OpenAPI document', async () => {
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('names every operation, once, and gives each a security requirement', () => {
    expect(operations.length).toBeGreaterThan(0);
    for (const operation of operations) {
      expect(operation.operationId, `${operation.method} ${operation.path}`).toBeTruthy();
      expect(['standard', 'admin', 'any'], operation.operationId).toContain(operation.plane);
    }
    expect(new Set(operations.map((operation) => operation.operationId)).size).toBe(operations.length);
  });

  it('has a matrix entry for every operation, and the matrix names no other', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(operations.map((operation) => operation.operationId).sort());
  });
});

// ---------------------------------------------------------------------------------------------
// Answers against the document

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

/** `node` with every local `$ref` replaced by what it points to (the document has no cycles to follow). */
function resolveRefs(node: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(node)) return node.map((item) => resolveRefs(item, seen));
  if (node === null || typeof node !== 'object') return node;
  const { $ref, ...rest } = node as Record<string, unknown>;
  if (typeof $ref === 'string') {
    if (!$ref.startsWith('#/')) throw new Error(`not a local $ref: ${$ref}`);
    if (seen.includes($ref)) throw new Error(`a $ref cycle through ${$ref}`);
    const target = $ref
      .slice(2)
      .split('/')
      .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<any>((at, segment) => at?.[segment], document);
    if (target === undefined) throw new Error(`a $ref to nothing: ${$ref}`);
    return resolveRefs({ ...target, ...rest }, [...seen, $ref]);
  }
  return Object.fromEntries(Object.entries(rest).map(([name, value]) => [name, resolveRefs(value, seen)]));
}

/** Fails unless the document has a response of `operation` for the answer's status that its body fits. */
function expectDocumented(operation: Operation, answer: RestAnswer, label: string): void {
  const where = `${operation.operationId} ${label}: ${answer.status} ${answer.text}`;
  const response = operation.spec.responses?.[String(answer.status)] ?? operation.spec.responses?.[`${String(answer.status)[0]}XX`];
  expect(response, `${where}: the document has no ${answer.status} response`).toBeDefined();
  const resolved = resolveRefs(response) as { content?: Record<string, { schema?: unknown }> };
  if (!resolved.content) {
    expect(answer.text, `${where}: the document says no body`).toBe('');
    return;
  }
  const media = resolved.content['application/json'];
  expect(media?.schema, `${where}: the document has no JSON schema for it`).toBeDefined();
  expect(answer.headers.get('content-type'), where).toMatch(/^application\/json/);
  const validate = ajv.compile(media!.schema as object);
  expect(validate(answer.body) ? [] : validate.errors, where).toEqual([]);
}

let fx: MatrixFixtures;
beforeAll(async () => {
  fx = await createMatrixFixtures(t);
});

const WRITES = new Set(['POST', 'PUT', 'DELETE']);
const HAS_BODY = new Set(['POST', 'PUT']);

describe.each(operations.filter((operation) => MATRIX[operation.operationId]))('$operationId: $method $path', (operation) => {
  const entry = MATRIX[operation.operationId]!;
  let call: PreparedCall;
  beforeAll(async () => {
    call = await prepareCall(fx, operation, entry);
  });

  it('fails as the document says', async () => {
    const failures: [string, RestAnswer][] = [['without a key', await call.send(undefined)]];
    const wrongPlane = wrongPlaneKey(fx, entry.plane);
    if (wrongPlane) failures.push(["with the other plane's key", await call.send(wrongPlane)]);
    if (entry.manageAlgorithms) failures.push(['without manageAlgorithms', await call.send(fx.readOnlyKey)]);
    if (entry.foreign) failures.push(["with another user's key", await call.send(fx.other.key)]);
    const key = rightKey(fx, entry.plane);
    if (HAS_BODY.has(operation.method)) {
      failures.push(['with a JSON array for a body', await call.send(key, {}, [])]);
      const padded = { ...(call.body as object), padding: 'x'.repeat(MAX_BODY_BYTES) };
      failures.push(['with a body over MAX_BODY_BYTES', await call.send(key, {}, padded)]);
    }
    for (const [label, answer] of failures) {
      expect(answer.status, `${label}: ${answer.text}`).toBeGreaterThanOrEqual(400);
      expectDocumented(operation, answer, label);
    }
  });

  it('succeeds as the document says, and so does its Idempotency-Key', async () => {
    const key = rightKey(fx, entry.plane);
    const headers: Record<string, string> = WRITES.has(operation.method) ? { 'idempotency-key': `openapi-${operation.operationId}` } : {};
    const answer = await call.send(key, headers);
    expect(answer.status, answer.text).toBeGreaterThanOrEqual(200);
    expect(answer.status, answer.text).toBeLessThan(300);
    expectDocumented(operation, answer, 'with the right key');
    // The check is not vacuous: an error envelope does not pass for the success's body.
    const schema = (resolveRefs(operation.spec.responses[String(answer.status)]) as any).content?.['application/json']?.schema;
    if (schema) expect(ajv.validate(schema, { error: { id: 'x', code: 2001, message: 'no' } })).toBe(false);
    if (!WRITES.has(operation.method)) return;
    const replay = await call.send(key, headers);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expectDocumented(operation, replay, 'replayed');
    if (HAS_BODY.has(operation.method)) {
      const reused = await call.send(key, headers, { ...(call.body as object), another: 'body' });
      expect(reused.status, reused.text).toBe(422);
      expectDocumented(operation, reused, 'with the Idempotency-Key of another body');
    }
  });
});
