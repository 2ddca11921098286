/**
 * A mutation's payload shows the object as that mutation left it, even when the same request read
 * it before or changed it again: the request's read cache never answers for a changed algorithm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let key: string;
let id: string;

beforeAll(async () => {
  t = await startTestApp();
  ({ key } = await createUser(t));
  const created = await t.gql<{ createAlgorithm: { algorithm: { id: string } } }>(
    `mutation { createAlgorithm(input: { name: "twice", details: { label: "First" }, settings: { language: PYTHON3, environment: CPU } }) { algorithm { id } } }`,
    { key },
  );
  id = created.body.data!.createAlgorithm.algorithm.id;
});
afterAll(() => t.close());

describe('mutation payloads', () => {
  it('show each change of one request as it left the algorithm', async () => {
    const answer = await t.gql(
      `mutation($id: ID!) {
        a: updateAlgorithm(input: { id: $id, details: { label: "Second" } }) { algorithm { details { label } settings { language } } }
        b: updateAlgorithm(input: { id: $id, details: { label: "Third" }, settings: { language: RUST } }) { algorithm { details { label } settings { language } } }
        p1: publishAlgorithm(input: { id: $id, versionType: MINOR }) { algorithm { latestVersion { semanticVersion } versions(last: 5) { totalCount } } }
        p2: publishAlgorithm(input: { id: $id, versionType: MINOR }) { algorithm { latestVersion { semanticVersion } versions(last: 5) { totalCount } } }
      }`,
      { key, variables: { id } },
    );
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toEqual({
      a: { algorithm: { details: { label: 'Second' }, settings: { language: 'PYTHON3' } } },
      b: { algorithm: { details: { label: 'Third' }, settings: { language: 'RUST' } } },
      p1: { algorithm: { latestVersion: { semanticVersion: '0.1.0' }, versions: { totalCount: 1 } } },
      p2: { algorithm: { latestVersion: { semanticVersion: '0.2.0' }, versions: { totalCount: 2 } } },
    });
  });
});
