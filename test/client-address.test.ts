/**
 * TRUST_PROXY, as Express's `trust proxy` reads it: the setting's parsing, the walk through
 * X-Forwarded-For, and the /64 the per-address budgets count IPv6 clients by (pure logic; the same
 * through HTTP is in rate-limits.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { budgetHolder, clientAddress, parseTrustProxy, type TrustProxy } from '../src/core/client-address.js';
import { ConfigError, loadConfig } from '../src/config.js';

function trust(text: string): TrustProxy {
  const parsed = parseTrustProxy(text);
  if ('unreadable' in parsed) throw new Error(`unreadable: ${parsed.unreadable}`);
  return parsed;
}

describe('TRUST_PROXY', () => {
  it('is off when unset: the socket address decides, whatever X-Forwarded-For says', () => {
    const off = loadConfig({}).trustProxy;
    expect(clientAddress('198.51.100.7', '203.0.113.1, 203.0.113.2', off)).toBe('198.51.100.7');
    expect(clientAddress('198.51.100.7', null, trust('0'))).toBe('198.51.100.7');
  });

  it('with a hop count N, believes the socket and the N-1 proxies before it, reading from the right', () => {
    // client 203.0.113.9 -> CDN 192.0.2.10 -> load balancer 10.0.0.2 -> us; the client wrote "1.1.1.1" itself.
    const header = '1.1.1.1, 203.0.113.9, 192.0.2.10';
    expect(clientAddress('10.0.0.2', header, trust('1'))).toBe('192.0.2.10');
    expect(clientAddress('10.0.0.2', header, trust('2'))).toBe('203.0.113.9');
    // Trusting more hops than there are reaches the leftmost entry, as Express does.
    expect(clientAddress('10.0.0.2', header, trust('5'))).toBe('1.1.1.1');
    expect(clientAddress('10.0.0.2', null, trust('2'))).toBe('10.0.0.2');
  });

  it('with addresses and ranges, skips believed proxies from the right and stops at the first other address', () => {
    const proxies = trust('10.0.0.0/8, 192.0.2.10, 2001:db8:ffff::/48');
    expect(clientAddress('10.0.0.2', '1.1.1.1, 203.0.113.9, 192.0.2.10', proxies)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.2', '203.0.113.9, 10.9.9.9', proxies)).toBe('203.0.113.9');
    expect(clientAddress('2001:db8:ffff::1', '2001:db8:1::5', proxies)).toBe('2001:db8:1::5');
    // A socket outside the list is the client: its header is a claim, not a fact.
    expect(clientAddress('198.51.100.7', '203.0.113.9', proxies)).toBe('198.51.100.7');
    // Named ranges, as Express names them.
    expect(clientAddress('127.0.0.1', '203.0.113.9', trust('loopback'))).toBe('203.0.113.9');
    expect(clientAddress('::1', '203.0.113.9', trust('loopback'))).toBe('203.0.113.9');
    expect(clientAddress('172.20.1.1', '203.0.113.9', trust('uniquelocal'))).toBe('203.0.113.9');
    expect(clientAddress('fd12::1', '203.0.113.9', trust('uniquelocal'))).toBe('203.0.113.9');
    expect(clientAddress('169.254.3.3', '203.0.113.9', trust('linklocal'))).toBe('203.0.113.9');
    expect(clientAddress('192.168.1.1', '203.0.113.9', trust('loopback, linklocal'))).toBe('192.168.1.1');
  });

  it('reads IPv4 written as IPv6 (dual-stack sockets) as IPv4, and an entry that is no address ends the walk', () => {
    expect(clientAddress('::ffff:10.0.0.2', '203.0.113.9', trust('10.0.0.0/8'))).toBe('203.0.113.9');
    expect(clientAddress('::ffff:198.51.100.7', null, trust('0'))).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.2', 'unknown', trust('10.0.0.0/8'))).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', '203.0.113.9, garbage', trust('2'))).toBe('10.0.0.2');
    expect(clientAddress(undefined, '203.0.113.9', trust('1'))).toBeUndefined();
  });

  it('refuses anything else at start-up, on one line naming the variable and the entry at fault', () => {
    for (const [value, culprit] of [
      ['true', undefined],
      ['33', undefined],
      ['10.0.0.0/33', undefined],
      ['10.0.0.0/8, 10.0.0.0/33', '10.0.0.0/33'],
      ['10.0.0.1, proxy.internal', 'proxy.internal'],
      ['::1/129', undefined],
      ['10.0.0.1,', ''],
    ] as const) {
      let error: unknown;
      try {
        loadConfig({ TRUST_PROXY: value });
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^TRUST_PROXY must be a hop count from 0 to 32, or a comma-separated list of proxy addresses and CIDR ranges/);
      expect(problems[0]).toContain(`(got ${JSON.stringify(value)}`);
      if (culprit !== undefined) expect(problems[0]).toContain(`${JSON.stringify(culprit)} is none of these`);
      expect(problems[0]).not.toContain('\n');
    }
  });
});

describe('budgets per address', () => {
  it('count an IPv6 client by its /64, an IPv4 client by its address', () => {
    expect(budgetHolder('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(budgetHolder('2001:db8:1:2::ffff')).toBe('2001:db8:1:2::/64');
    expect(budgetHolder('2001:0DB8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(budgetHolder('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(budgetHolder('::1')).toBe('0:0:0:0::/64');
    expect(budgetHolder('fe80::')).toBe('fe80:0:0:0::/64');
    expect(budgetHolder('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(budgetHolder('2001:db8:1:3::1')).not.toBe(budgetHolder('2001:db8:1:2::1'));
    expect(budgetHolder('198.51.100.7')).toBe('198.51.100.7');
    expect(budgetHolder('unknown')).toBe('unknown');
  });
});
