/**
 * Whose address a request comes from, for the per-address budgets and the log. By default the
 * socket's: a header anyone can write decides nothing. Behind proxies, TRUST_PROXY says which of
 * them to believe, as Express's `trust proxy` does:
 *
 *   a hop count N   the socket's peer and the N-1 proxies before it (so 1: the load balancer only)
 *   a list          any proxy whose address is in these addresses and CIDR ranges
 *
 * X-Forwarded-For is then read from the right (each proxy appends the address it was called
 * from), past believed proxies, to the first address that is not one: that is the client. What a
 * client writes into the header itself stands to the left of that, and is never reached.
 */
import { BlockList, isIP } from 'node:net';

export type TrustProxy = { hops: number } | { proxies: BlockList };

/** TRUST_PROXY unset: the socket's address and nothing else. */
export const TRUST_NO_PROXY: TrustProxy = { hops: 0 };

const MAX_HOPS = 32;

export const TRUST_PROXY_RULE = `a hop count from 0 to ${MAX_HOPS}, or a comma-separated list of proxy addresses and CIDR ranges (loopback, linklocal and uniquelocal name the usual ones)`;

/** Express's names for the usual private ranges. */
const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const familyOf = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** The setting; or, when it is none, the first entry that is not a hop count, address, range or name. */
export function parseTrustProxy(text: string | undefined): TrustProxy | { unreadable: string } {
  if (text === undefined) return TRUST_NO_PROXY;
  if (/^\d+$/.test(text)) return Number(text) <= MAX_HOPS ? { hops: Number(text) } : { unreadable: text };
  const proxies = new BlockList();
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    for (const range of NAMED_RANGES[entry.toLowerCase()] ?? [entry]) {
      const [, address = '', prefix] = /^([^/]*)(?:\/(\d{1,3}))?$/.exec(range) ?? [];
      const family = isIP(address);
      const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
      if (family === 0 || bits > (family === 6 ? 128 : 32)) return { unreadable: entry };
      proxies.addSubnet(address, bits, familyOf(address));
    }
  }
  return { proxies };
}

/**
 * An address as one client is known by: an IPv4 address written as IPv6 (`::ffff:192.0.2.1`, as
 * dual-stack sockets give them) as IPv4, and without an IPv6 zone; undefined when it is none.
 */
function normalized(address: string | undefined): string | undefined {
  const plain = address?.trim().replace(/%.*$/, '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return plain && isIP(plain) !== 0 ? plain : undefined;
}

/**
 * `normalized` for a socket's peer, remembered for the last one: a keep-alive connection (a
 * gateway's, above all) sends request after request from one peer, and each would otherwise
 * match the same patterns again.
 */
let lastPeer: { address: string | undefined; normalized: string | undefined } = { address: undefined, normalized: undefined };
function normalizedPeer(address: string | undefined): string | undefined {
  if (address !== lastPeer.address) lastPeer = { address, normalized: normalized(address) };
  return lastPeer.normalized;
}

const believed = (trust: TrustProxy, proxy: string, hop: number) =>
  'hops' in trust ? hop < trust.hops : trust.proxies.check(proxy, familyOf(proxy));

/**
 * The client's address: the socket's `peer`, or, while the address at hand is a believed proxy, the
 * address it forwarded for (the next one from the right in `forwardedFor`). An entry that is not an
 * address ends the walk at the proxy that wrote it. Undefined when the peer is unknown.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | null, trust: TrustProxy): string | undefined {
  let client = normalizedPeer(peer);
  if (client === undefined || forwardedFor === null || ('hops' in trust && trust.hops === 0)) return client;
  const hops = forwardedFor.split(',');
  for (let hop = 0; hop < hops.length && believed(trust, client, hop); hop++) {
    const forwarded = normalized(hops[hops.length - 1 - hop]);
    if (forwarded === undefined) break;
    client = forwarded;
  }
  return client;
}

/**
 * Whom a per-address budget counts: an IPv4 address itself, an IPv6 address by its /64, the block
 * one subscriber or host is usually given whole (so moving within it dodges nothing).
 */
export function budgetHolder(address: string): string {
  // No colon, no IPv6 address: the common case answered without isIP's pattern matching.
  if (!address.includes(':') || isIP(address) !== 6) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const before = groups(head);
  const after = groups(tail);
  // An IPv4 tail (64:ff9b::192.0.2.1) lies in the last 32 bits, past the /64.
  const width = after.length + (after.at(-1)?.includes('.') ? 1 : 0);
  const full = tail === undefined ? before : [...before, ...Array<string>(8 - before.length - width).fill('0'), ...after];
  return `${full.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`;
}
