import { describe, expect, it } from 'vitest';
import { excessOver, type KeyPowers } from '../src/auth/escalation.js';

const powers = (overrides: Partial<KeyPowers> = {}): KeyPowers => ({
  algorithmAccess: ['algo://demos/*'],
  manageAlgorithms: false,
  manageAccount: true,
  dataAccess: 'READ',
  callerOrigin: { allowNativeClients: true, allowBrowser: true, referrerHosts: ['*.example.com'] },
  expiresAt: null,
  ...overrides,
});

describe('no escalation', () => {
  it('lets a key grant what it has, or less', () => {
    expect(excessOver(powers(), powers())).toEqual([]);
    expect(
      excessOver(
        powers({
          algorithmAccess: ['algo://demos/sentiment/*'],
          manageAccount: false,
          dataAccess: 'NONE',
          callerOrigin: { allowNativeClients: false, allowBrowser: true, referrerHosts: ['app.example.com'] },
          expiresAt: new Date('2030-01-01'),
        }),
        powers(),
      ),
    ).toEqual([]);
  });

  it('names every permission that goes beyond the calling key', () => {
    const wider = powers({
      algorithmAccess: ['algo://demos/x/*', 'algo://*'],
      manageAlgorithms: true,
      dataAccess: 'READ_WRITE',
      callerOrigin: { allowNativeClients: true, allowBrowser: true, referrerHosts: ['app.example.com', 'evil.net'] },
    });
    expect(excessOver(wider, powers()).map((e) => e.field.join('.'))).toEqual([
      'algorithmAccess.1',
      'manageAlgorithms',
      'dataAccess',
      'callerOrigin.referrerHosts.1',
    ]);
    expect(excessOver(wider, powers())[0]!.message).toBe(
      "algorithmAccess.1: algo://* goes beyond the calling key's own permissions",
    );
  });

  it('treats an empty host list as "any origin", wider than any list', () => {
    const any = powers({ callerOrigin: { allowNativeClients: true, allowBrowser: true, referrerHosts: [] } });
    expect(excessOver(any, powers()).map((e) => e.field.join('.'))).toEqual(['callerOrigin.referrerHosts']);
    expect(excessOver(powers(), any)).toEqual([]);
  });

  it('refuses browser or native use the calling key lacks', () => {
    const nativeOnly = powers({ callerOrigin: { allowNativeClients: true, allowBrowser: false, referrerHosts: [] } });
    const browserOnly = powers({ callerOrigin: { allowNativeClients: false, allowBrowser: true, referrerHosts: ['*.example.com'] } });
    expect(excessOver(powers(), nativeOnly).map((e) => e.field.join('.'))).toEqual(['callerOrigin.allowBrowser']);
    expect(excessOver(powers(), browserOnly).map((e) => e.field.join('.'))).toEqual(['callerOrigin.allowNativeClients']);
  });

  it('keeps a key made by an expiring key from outliving it', () => {
    const limit = powers({ expiresAt: new Date('2030-01-01') });
    expect(excessOver(powers({ expiresAt: null }), limit).map((e) => e.field.join('.'))).toEqual(['expiresAt']);
    expect(excessOver(powers({ expiresAt: new Date('2031-01-01') }), limit).map((e) => e.field.join('.'))).toEqual(['expiresAt']);
    expect(excessOver(powers({ expiresAt: new Date('2029-01-01') }), limit)).toEqual([]);
    expect(excessOver(powers({ expiresAt: null }), limit, false)).toEqual([]);
  });
});
