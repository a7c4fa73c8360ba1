import { describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers.js';
import { type Cidr, type Ip, maskV4, maskV6, parseCidr, parseIp } from '../core/ip.js';
import { IpIndex } from './ip-index.js';

function cidr(s: string): Cidr {
  const r = parseCidr(s);
  if ('error' in r) throw new Error(`test setup: ${s}: ${r.error}`);
  return r;
}

function ip(s: string): Ip {
  const r = parseIp(s);
  if (!r) throw new Error(`test setup: ${s}`);
  return r;
}

function build<T>(entries: Array<[string, T]>): IpIndex<T> {
  const index = new IpIndex<T>();
  for (const [c, v] of entries) index.add(cidr(c), v);
  return index;
}

const sorted = <T>(values: T[] | undefined) => (values ? [...values].sort() : undefined);

describe('IpIndex', () => {
  it('matches an exact address', () => {
    const index = build([['198.51.100.7', 'a']]);
    expect(index.lookup(ip('198.51.100.7'))).toEqual(['a']);
    expect(index.has(ip('198.51.100.7'))).toBe(true);
    expect(index.lookup(ip('198.51.100.8'))).toBeUndefined();
    expect(index.lookup(ip('198.51.100.6'))).toBeUndefined();
    expect(index.has(ip('198.51.100.8'))).toBe(false);
  });

  it('matches every address in a CIDR and none outside it', () => {
    const index = build([['192.0.2.0/24', 'doc']]);
    for (const a of ['192.0.2.0', '192.0.2.1', '192.0.2.128', '192.0.2.255']) expect(index.lookup(ip(a))).toEqual(['doc']);
    for (const a of ['192.0.1.255', '192.0.3.0', '0.0.0.0', '255.255.255.255']) expect(index.has(ip(a))).toBe(false);
  });

  it('matches a network added with host bits set (parseCidr masks them)', () => {
    const index = build([['10.1.2.3/8', true]]);
    expect(index.has(ip('10.200.0.1'))).toBe(true);
    expect(index.has(ip('11.0.0.0'))).toBe(false);
  });

  it('returns the union of the values of overlapping networks', () => {
    const index = build<string>([
      ['10.0.0.0/8', 'wide'],
      ['10.1.0.0/16', 'mid'],
      ['10.1.2.3', 'host'],
      ['10.1.2.3/32', 'host-again'],
      ['10.1.0.0/16', 'wide'], // a value already present through another network is not repeated
    ]);
    expect(sorted(index.lookup(ip('10.1.2.3')))).toEqual(['host', 'host-again', 'mid', 'wide']);
    expect(sorted(index.lookup(ip('10.1.9.9')))).toEqual(['mid', 'wide']);
    expect(sorted(index.lookup(ip('10.2.0.0')))).toEqual(['wide']);
    expect(index.lookup(ip('11.0.0.0'))).toBeUndefined();
  });

  it('keeps one value once when the same network is added twice with it', () => {
    const index = build([
      ['203.0.113.0/24', 'x'],
      ['203.0.113.0/24', 'x'],
      ['203.0.113.9/24', 'x'],
    ]);
    expect(index.lookup(ip('203.0.113.1'))).toEqual(['x']);
    expect(index.size).toBe(1);
  });

  it('matches the /0 network for every address of its family only', () => {
    const index = build([['0.0.0.0/0', 'all-v4']]);
    expect(index.lookup(ip('1.2.3.4'))).toEqual(['all-v4']);
    expect(index.lookup(ip('255.255.255.255'))).toEqual(['all-v4']);
    expect(index.lookup(ip('2001:db8::1'))).toBeUndefined();
    const six = build([['::/0', 'all-v6']]);
    expect(six.lookup(ip('2001:db8::1'))).toEqual(['all-v6']);
    expect(six.lookup(ip('1.2.3.4'))).toBeUndefined();
  });

  it('handles IPv6 networks and addresses', () => {
    const index = build<string>([
      ['2001:db8::/32', 'doc'],
      ['2001:db8:1::/48', 'site'],
      ['2001:db8:1::7', 'host'],
      ['2600:1f18::/36', 'aws'],
    ]);
    expect(sorted(index.lookup(ip('2001:db8:1::7')))).toEqual(['doc', 'host', 'site']);
    expect(sorted(index.lookup(ip('2001:db8:1:ffff::1')))).toEqual(['doc', 'site']);
    expect(index.lookup(ip('2001:db8:ffff::1'))).toEqual(['doc']);
    expect(index.lookup(ip('2001:db9::1'))).toBeUndefined();
    expect(index.has(ip('2600:1f18:0fff::1'))).toBe(true);
    expect(index.has(ip('2600:1f18:1000::1'))).toBe(false);
    expect(index.size).toBe(4);
  });

  it('keeps IPv4 and IPv6 apart, and finds IPv4-mapped addresses in IPv4 networks', () => {
    const index = build([
      ['192.0.2.0/24', 'v4'],
      ['::c000:200/120', 'v6-compat'],
    ]);
    expect(index.lookup(ip('192.0.2.1'))).toEqual(['v4']);
    expect(index.lookup(ip('::ffff:192.0.2.1'))).toEqual(['v4']);
    expect(index.lookup(ip('::192.0.2.1'))).toEqual(['v6-compat']);
  });

  it('has() agrees with lookup() and does not need the values', () => {
    const index = build([
      ['10.0.0.0/8', true],
      ['2001:db8::/32', true],
    ]);
    for (const a of ['10.0.0.1', '11.0.0.1', '2001:db8::5', '2001:db9::5']) {
      expect(index.has(ip(a))).toBe(index.lookup(ip(a)) !== undefined);
    }
  });

  it('counts distinct networks in size', () => {
    const index = new IpIndex<string>();
    expect(index.size).toBe(0);
    index.add(cidr('10.0.0.0/8'), 'a');
    index.add(cidr('10.0.0.0/8'), 'b'); // same network, another value
    index.add(cidr('10.0.0.0/16'), 'a'); // same address, another length
    index.add(cidr('10.9.9.9/8'), 'c'); // same network after masking
    index.add(cidr('::/0'), 'a');
    index.add(cidr('::/0'), 'a');
    index.add(cidr('::1'), 'a');
    expect(index.size).toBe(4);
  });

  it('is empty-safe', () => {
    const index = new IpIndex();
    expect(index.has(ip('1.2.3.4'))).toBe(false);
    expect(index.lookup(ip('::1'))).toBeUndefined();
  });

  it('agrees with a naive linear scan on random networks and addresses (seeded)', () => {
    const rnd = prng(20240501);
    const lists = ['l0', 'l1', 'l2', 'l3', 'l4'];
    const networks: Array<{ cidr: Cidr; value: string }> = [];
    const randomV6 = () => {
      let n = 0n;
      // A few shared prefixes so that IPv6 networks overlap and addresses fall inside them.
      const head = [0x2001n, 0x2600n, 0xfd00n][Math.floor(rnd() * 3)] as bigint;
      n = head;
      for (let g = 1; g < 8; g++) n = (n << 16n) | BigInt(rnd() < 0.3 ? 0 : Math.floor(rnd() * 0x10000));
      return n;
    };
    const randomV4 = () => {
      // Concentrate on a few /8s so that networks overlap.
      const first = [10, 52, 198, 203][Math.floor(rnd() * 4)] as number;
      return ((first << 24) | Math.floor(rnd() * 0x1000000)) >>> 0;
    };
    for (let i = 0; i < 2000; i++) {
      const value = lists[Math.floor(rnd() * lists.length)] as string;
      if (rnd() < 0.7) {
        const len = rnd() < 0.01 ? 1 + Math.floor(rnd() * 8) : 12 + Math.floor(rnd() * 21);
        networks.push({ cidr: { v: 4, n: maskV4(randomV4(), len), len }, value });
      } else {
        const len = rnd() < 0.01 ? 1 + Math.floor(rnd() * 16) : 24 + Math.floor(rnd() * 105);
        networks.push({ cidr: { v: 6, n: maskV6(randomV6(), len), len }, value });
      }
    }
    const index = new IpIndex<string>();
    for (const { cidr: c, value } of networks) index.add(c, value);
    expect(index.size).toBe(new Set(networks.map((x) => `${x.cidr.v}/${x.cidr.n}/${x.cidr.len}`)).size);

    const naive = (a: Ip): string[] | undefined => {
      const out = new Set<string>();
      for (const { cidr: c, value } of networks) {
        if (c.v !== a.v) continue;
        const inside = c.v === 4 ? maskV4(a.n as number, c.len) === c.n : maskV6(a.n as bigint, c.len) === c.n;
        if (inside) out.add(value);
      }
      return out.size > 0 ? [...out].sort() : undefined;
    };

    let hits = 0;
    let misses = 0;
    for (let i = 0; i < 5000; i++) {
      let a: Ip;
      const pick = rnd();
      if (pick < 0.5) {
        // An address inside a random network: random host bits.
        const net = networks[Math.floor(rnd() * networks.length)] as { cidr: Cidr };
        if (net.cidr.v === 4) {
          const host = Math.floor(rnd() * 2 ** 32);
          const hostMask = net.cidr.len === 32 ? 0 : net.cidr.len === 0 ? 0xffffffff : (0xffffffff >>> net.cidr.len) >>> 0;
          a = { v: 4, n: ((net.cidr.n | (host & hostMask)) >>> 0) as number };
        } else {
          const hostBits = (1n << BigInt(128 - net.cidr.len)) - 1n;
          a = { v: 6, n: net.cidr.n | (randomV6() & hostBits) };
        }
      } else if (pick < 0.7) a = { v: 4, n: randomV4() };
      else if (pick < 0.8) a = { v: 4, n: Math.floor(rnd() * 2 ** 32) };
      else a = { v: 6, n: randomV6() };
      const expected = naive(a);
      expect(sorted(index.lookup(a))).toEqual(expected);
      expect(index.has(a)).toBe(expected !== undefined);
      if (expected) hits++;
      else misses++;
    }
    // The sample exercises both outcomes.
    expect(hits).toBeGreaterThan(1000);
    expect(misses).toBeGreaterThan(100);
  });

  it('builds an index of 250,000 random entries; size is the number of distinct networks', () => {
    const rnd = prng(250_000);
    const index = new IpIndex<string>();
    const distinct = new Set<string>();
    for (let i = 0; i < 250_000; i++) {
      let c: Cidr;
      if (i % 10 === 9) {
        const len = 16 + Math.floor(rnd() * 113);
        let n = 0x2001n;
        for (let g = 1; g < 8; g++) n = (n << 16n) | BigInt(Math.floor(rnd() * 0x10000));
        c = { v: 6, n: maskV6(n, len), len };
      } else {
        const len = i % 3 === 0 ? 24 : 32;
        c = { v: 4, n: maskV4(Math.floor(rnd() * 2 ** 32), len), len };
      }
      index.add(c, 'big');
      distinct.add(`${c.v}/${c.n}/${c.len}`);
    }
    expect(index.size).toBe(distinct.size);
    expect(index.size).toBeGreaterThan(240_000);
    expect(index.has(ip('203.0.113.1'))).toBe(index.lookup(ip('203.0.113.1')) !== undefined);
  });

  it('lookup() returns a copy: changing the result does not change the index (bug: a single match returns the internal array)', () => {
    const index = build([['192.0.2.0/24', 'x']]);
    const first = index.lookup(ip('192.0.2.1'));
    first?.push('injected');
    expect(index.lookup(ip('192.0.2.1'))).toEqual(['x']);
  });
});
