/**
 * Every operation of the REST API's own OpenAPI document against every kind of key: none,
 * malformed, bad checksum, unknown, expired, disabled, revoked, the other plane's, one without
 * "manage my algorithms", another user's, the owner's narrow one (a whitelist that misses), one
 * that may not be used from browsers, and the right one. The table of how to call each is test/helpers/rest-auth-matrix.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN_REFUSAL_MESSAGES } from '../src/auth/origin.js';
import { startTestApp } from './helpers/app.js';
import { badChecksum, unknownKey } from './helpers/auth-matrix.js';
import {
  createMatrixFixtures,
  expectEnvelope,
  MATRIX,
  openApiDocument,
  operationsOf,
  prepareCall,
  rightKey,
  wrongPlaneKey,
  type MatrixFixtures,
  type PreparedCall,
} from './helpers/rest-auth-matrix.js';

const t = await startTestApp();
afterAll(() => t.close());
const operations = operationsOf(await openApiDocument(t));

let fx: MatrixFixtures;
beforeAll(async () => {
  fx = await createMatrixFixtures(t);
});

const NOT_AUTHORIZED = 'Caller is not authorized to perform the operation.';

describe('the matrix itself', () => {
  it('has an entry for every operation of the document, and names no other', () => {
    expect(operations.length).toBeGreaterThan(0);
    const documented = operations.map((operation) => operation.operationId);
    expect(new Set(documented).size, 'operationIds are unique').toBe(documented.length);
    expect(Object.keys(MATRIX).sort()).toEqual([...documented].sort());
  });

  it.each(operations)("gives $method $path the plane of the document's security", (operation) => {
    expect(MATRIX[operation.operationId]?.plane, operation.operationId).toBe(operation.plane);
  });
});

describe.each(operations.filter((operation) => MATRIX[operation.operationId]))('$operationId: $method $path ($plane)', (operation) => {
  const entry = MATRIX[operation.operationId]!;
  let call: PreparedCall;
  beforeAll(async () => {
    call = await prepareCall(fx, operation, entry);
  });

  it('refuses a request without a key: 401 2002 "authorization required"', async () => {
    const answer = await call.send(undefined);
    expectEnvelope(answer, 401, 2002, 'authorization required');
    expect(answer.headers.get('www-authenticate')).toMatch(/^Simple/);
  });

  const invalidKeys: [string, () => string][] = [
    ['a malformed key', () => 'not-a-key'],
    ['a key with a bad checksum', () => badChecksum(rightKey(fx, entry.plane))],
    ['an unknown key', () => unknownKey(entry.plane === 'admin' ? 'ADMIN' : 'STANDARD')],
    ['an expired key', () => fx.expiredKey],
    ['a disabled key', () => fx.disabledKey],
    ['a revoked key', () => fx.revokedKey],
  ];
  it.each(invalidKeys)('refuses %s: 401 2002 "Unknown or invalid API key."', async (_label, key) => {
    for (const form of [key(), `Simple ${key()}`]) expectEnvelope(await call.send(form), 401, 2002, 'Unknown or invalid API key.');
  });

  if (entry.plane !== 'any') {
    it(`refuses the ${entry.plane === 'admin' ? 'standard' : 'admin'} plane's key: 403 2001`, async () => {
      expectEnvelope(await call.send(wrongPlaneKey(fx, entry.plane)), 403, 2001, NOT_AUTHORIZED);
    });
  }

  if (entry.manageAlgorithms) {
    it('refuses a standard key without manageAlgorithms: 403 2001', async () => {
      expectEnvelope(await call.send(fx.readOnlyKey), 403, 2001, NOT_AUTHORIZED);
    });
  }

  if (entry.foreign === 404) {
    it.each([
      ["another user's key", () => fx.other.key],
      ["the owner's own key without manageAlgorithms whose whitelist misses it", () => fx.narrowKey],
    ])('keeps %s out of what it may not see: 404', async (_label, key) => {
      const answer = await call.send(key());
      if (entry.legacyNotFound) {
        expect(answer.status).toBe(404);
        expect(answer.text).toBe('{"error":"No such algorithm"}');
      } else {
        expectEnvelope(answer, 404, entry.notFoundCode ?? 1000);
      }
    });
  }
  if (entry.foreign === 403) {
    it("refuses another user's key on an owner it does not act for: 403 2001", async () => {
      expectEnvelope(await call.send(fx.other.key), 403, 2001, NOT_AUTHORIZED);
    });
  }

  const browserPlanes = entry.plane === 'any' ? (['standard', 'admin'] as const) : ([entry.plane] as const);
  it.each(browserPlanes)('refuses a browser call with a %s key that does not allow browsers: 403 2001, no ACAO', async (plane) => {
    const answer = await call.send(fx.noBrowser[plane], { origin: 'https://app.example.com' });
    expectEnvelope(answer, 403, 2001, ORIGIN_REFUSAL_MESSAGES.BROWSER_NOT_ALLOWED);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  // Last: a successful write may consume what the call was prepared with.
  if (entry.plane !== 'admin' && !entry.manageAlgorithms) {
    it('allows a standard key without manageAlgorithms', async () => {
      const answer = await call.send(fx.readOnlyKey);
      expect(answer.status, answer.text).toBeGreaterThanOrEqual(200);
      expect(answer.status, answer.text).toBeLessThan(300);
    });
  }
  if (entry.plane === 'any') {
    it('allows an admin key', async () => {
      const answer = await call.send(t.adminKey);
      expect(answer.status, answer.text).toBeGreaterThanOrEqual(200);
      expect(answer.status, answer.text).toBeLessThan(300);
    });
  }
  it(`allows the ${entry.plane === 'admin' ? 'admin' : 'standard'} key`, async () => {
    const answer = await call.send(rightKey(fx, entry.plane));
    expect(answer.status, answer.text).toBeGreaterThanOrEqual(200);
    expect(answer.status, answer.text).toBeLessThan(300);
  });
});
