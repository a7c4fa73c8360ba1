import { describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers.js';
import { type Cidr, formatIp, type Ip, isNonPublic, maskV4, maskV6, parseCidr, parseIp, parseIpv4 } from './ip.js';

/** Deterministic PRNG (mulberry32), so property checks are reproducible. */

function v4(s: string): number {
  const n = parseIpv4(s);
  if (n === undefined) throw new Error(`test setup: ${s} is not IPv4`);
  return n;
}

function ip(s: string): Ip {
  const r = parseIp(s);
  if (!r) throw new Error(`test setup: ${s} is not an address`);
  return r;
}

function cidr(s: string): Cidr {
  const r = parseCidr(s);
  if ('error' in r) throw new Error(`test setup: ${s}: ${r.error}`);
  return r;
}

describe('parseIpv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['1.2.3.4', 0x01020304],
    ['10.0.0.1', 0x0a000001],
    ['192.0.2.1', 0xc0000201],
    ['255.255.255.255', 0xffffffff],
    ['100.64.0.0', 0x64400000],
  ])('parses %s', (text, n) => {
    expect(parseIpv4(text)).toBe(n);
  });

  it('returns unsigned values (never negative) for addresses above 128.0.0.0', () => {
    expect(parseIpv4('128.0.0.0')).toBe(2 ** 31);
    expect(parseIpv4('255.255.255.255')).toBeGreaterThan(0);
  });

  it.each([
    ['08.1.250.216', 'leading zero (anonymised CloudTrail address)'],
    ['010.0.0.1', 'leading zero (octal in some C libraries)'],
    ['1.02.3.4', 'leading zero in the second octet'],
    ['1.2.3.00', 'double zero'],
    ['001.2.3.4', 'two leading zeros'],
    ['256.1.1.1', 'octet 256'],
    ['1.2.3.256', 'last octet 256'],
    ['1.2.3.999', 'octet 999'],
    ['1.2.3', 'too few octets'],
    ['1.2', 'two octets'],
    ['1.2.3.4.5', 'too many octets'],
    ['1..2.3', 'empty octet'],
    ['.1.2.3', 'leading dot'],
    ['1.2.3.', 'trailing dot'],
    ['1.2.3.4.', 'trailing dot after four octets'],
    [' 1.2.3.4', 'leading space'],
    ['1.2.3.4 ', 'trailing space'],
    ['1.2. 3.4', 'inner space'],
    ['1.2.3.4\n', 'trailing newline'],
    ['', 'empty'],
    ['1.2.3.-4', 'sign'],
    ['+1.2.3.4', 'plus sign'],
    ['0x1.2.3.4', 'hex'],
    ['1.2.3.4/32', 'CIDR is not an address'],
    ['16909060', 'a bare integer'],
    ['a.b.c.d', 'letters'],
  ])('rejects %j (%s)', (text) => {
    expect(parseIpv4(text)).toBeUndefined();
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseIp: IPv6', () => {
  it.each([
    ['::', 0n],
    ['::1', 1n],
    ['2001:db8::1', 0x20010db8000000000000000000000001n],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 0x20010db8000000000000000000000001n],
    ['2001:DB8::1', 0x20010db8000000000000000000000001n],
    ['2001:Db8:0:0:0:0:0:1', 0x20010db8000000000000000000000001n],
    ['fe80::1', 0xfe800000000000000000000000000001n],
    ['1::', 0x00010000000000000000000000000000n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', (1n << 128n) - 1n],
    ['1:2:3:4:5:6:7:8', 0x00010002000300040005000600070008n],
    ['64:ff9b::192.0.2.1', 0x0064ff9b0000000000000000c0000201n],
    ['::192.0.2.1', 0xc0000201n],
    ['1:2:3:4:5:6:1.2.3.4', 0x00010002000300040005000601020304n],
  ])('parses %s', (text, n) => {
    expect(parseIp(text)).toEqual({ v: 6, n });
  });

  it.each([
    ['::ffff:192.0.2.1', 0xc0000201],
    ['::FFFF:192.0.2.1', 0xc0000201],
    ['0:0:0:0:0:ffff:192.0.2.1', 0xc0000201],
    ['::ffff:c000:201', 0xc0000201],
    ['::ffff:0.0.0.0', 0],
    ['::ffff:255.255.255.255', 0xffffffff],
  ])('returns the IPv4-mapped address %s as IPv4', (text, n) => {
    expect(parseIp(text)).toEqual({ v: 4, n });
  });

  it('returns the same value for the mapped and the plain form', () => {
    expect(parseIp('::ffff:198.51.100.7')).toEqual(parseIp('198.51.100.7'));
  });

  it.each([
    ['fe80::1%eth0', 'zone id'],
    ['fe80::1%1', 'numeric zone id'],
    ['fe80::%25eth0', 'URL-encoded zone'],
    [':::', 'three colons'],
    ['1::2::3', 'two ::'],
    ['1:2:3:4:5:6:7:8:9', 'nine groups'],
    ['1:2:3:4:5:6:7', 'seven groups'],
    ['12345::1', 'five hex digits'],
    ['g::1', 'not hex'],
    ['::ffff:1.2.3.04', 'leading zero in embedded IPv4'],
    ['::ffff:256.1.1.1', 'embedded octet 256'],
    ['::ffff:1.2.3', 'short embedded IPv4'],
    ['::ffff:1.2.3.4.5', 'long embedded IPv4'],
    ['[::1]', 'brackets'],
    ['::1/128', 'CIDR is not an address'],
    [' ::1', 'leading space'],
    ['::1 ', 'trailing space'],
    ['AWS Internal', 'AWS Internal'],
    ['ec2.amazonaws.com', 'a service name'],
    ['garbage', 'garbage'],
    [':', 'one colon'],
  ])('rejects %j (%s)', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('formatIp', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    // RFC 5952 4.2.2: a single 16-bit 0 field is not shortened.
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['0:2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    // RFC 5952 4.2.3: the longest run is shortened; on a tie, the first.
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
    // RFC 5952 4.3: lower case.
    ['ABCD:EF01::', 'abcd:ef01::'],
    // Leading zeros within a group are dropped (4.1).
    ['2001:0db8:00aa:000b::0001', '2001:db8:aa:b::1'],
    ['fe80::1', 'fe80::1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
  ])('%s is written %s', (text, formatted) => {
    expect(formatIp(ip(text))).toBe(formatted);
  });

  it('round-trips random IPv4 addresses', () => {
    const rnd = prng(4);
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(rnd() * 2 ** 32);
      const text = formatIp({ v: 4, n });
      expect(parseIpv4(text)).toBe(n);
    }
  });

  it('round-trips random IPv6 addresses and agrees with the WHATWG URL serializer (RFC 5952)', () => {
    const rnd = prng(6);
    for (let i = 0; i < 2000; i++) {
      let n = 0n;
      // Half of the groups zero, so that runs of zeros (and ties between runs) are common.
      for (let g = 0; g < 8; g++) n = (n << 16n) | (rnd() < 0.5 ? 0n : BigInt(Math.floor(rnd() * 0x10000)));
      if (n >> 32n === 0xffffn) continue; // IPv4-mapped: parsed as IPv4 by design
      const text = formatIp({ v: 6, n });
      expect(parseIp(text)).toEqual({ v: 6, n });
      // Node's URL parser implements the WHATWG IPv6 serializer, which compresses the same way as RFC 5952.
      expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
    }
  });
});

describe('parseCidr', () => {
  it('parses a bare address as a host network', () => {
    expect(parseCidr('192.0.2.1')).toEqual({ v: 4, n: v4('192.0.2.1'), len: 32 });
    expect(parseCidr('2001:db8::1')).toEqual({ v: 6, n: 0x20010db8000000000000000000000001n, len: 128 });
  });

  it('clears host bits beyond the prefix', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ v: 4, n: v4('10.0.0.0'), len: 8 });
    expect(parseCidr('192.0.2.255/24')).toEqual({ v: 4, n: v4('192.0.2.0'), len: 24 });
    expect(parseCidr('255.255.255.255/1')).toEqual({ v: 4, n: v4('128.0.0.0'), len: 1 });
    expect(parseCidr('2001:db8::ff/120')).toEqual({ v: 6, n: 0x20010db8000000000000000000000000n, len: 120 });
    expect(parseCidr('2001:db8:ffff:ffff::1/32')).toEqual({ v: 6, n: 0x20010db8000000000000000000000000n, len: 32 });
  });

  it('accepts /0, /32 and /128', () => {
    expect(parseCidr('0.0.0.0/0')).toEqual({ v: 4, n: 0, len: 0 });
    expect(parseCidr('203.0.113.9/0')).toEqual({ v: 4, n: 0, len: 0 });
    expect(parseCidr('203.0.113.9/32')).toEqual({ v: 4, n: v4('203.0.113.9'), len: 32 });
    expect(parseCidr('255.255.255.255/32')).toEqual({ v: 4, n: 0xffffffff, len: 32 });
    expect(parseCidr('::/0')).toEqual({ v: 6, n: 0n, len: 0 });
    expect(parseCidr('2001:db8::1/0')).toEqual({ v: 6, n: 0n, len: 0 });
    expect(parseCidr('2001:db8::1/128')).toEqual({ v: 6, n: 0x20010db8000000000000000000000001n, len: 128 });
  });

  it('turns an IPv4-mapped IPv6 CIDR into an IPv4 CIDR', () => {
    expect(parseCidr('::ffff:192.0.2.0/120')).toEqual({ v: 4, n: v4('192.0.2.0'), len: 24 });
    expect(parseCidr('::ffff:192.0.2.77/120')).toEqual({ v: 4, n: v4('192.0.2.0'), len: 24 });
    expect(parseCidr('::ffff:192.0.2.1/128')).toEqual({ v: 4, n: v4('192.0.2.1'), len: 32 });
    expect(parseCidr('::ffff:192.0.2.1')).toEqual({ v: 4, n: v4('192.0.2.1'), len: 32 });
    expect(parseCidr('::ffff:0:0/96')).toEqual({ v: 4, n: 0, len: 0 });
    // Shorter than /96 would cover addresses that are not IPv4-mapped: refused.
    expect(parseCidr('::ffff:192.0.2.0/64')).toHaveProperty('error');
  });

  it.each([
    ['1.2.3.4/33', /out of range/],
    ['1.2.3.4/64', /out of range/],
    ['2001:db8::/129', /out of range/],
    ['1.2.3.4/-1', /bad prefix length/],
    ['1.2.3.4/', /bad prefix length/],
    ['1.2.3.4/ 8', /bad prefix length/],
    ['1.2.3.4/8 ', /bad prefix length/],
    ['1.2.3.4/1000', /bad prefix length/],
    ['1.2.3.4/24/8', /bad prefix length/],
    ['1.2.3.4/x', /bad prefix length/],
    ['1.2.3.4/1e1', /bad prefix length/],
    ['/8', /not an IPv4 or IPv6 address/],
    ['8', /not an IPv4 or IPv6 address/],
    ['010.0.0.0/8', /not an IPv4 or IPv6 address/],
    ['1.2.3.4-1.2.3.9', /not an IPv4 or IPv6 address/],
    ['', /not an IPv4 or IPv6 address/],
    ['fe80::1%eth0/64', /not an IPv4 or IPv6 address/],
  ])('rejects %j', (text, message) => {
    const r = parseCidr(text);
    expect(r).toHaveProperty('error');
    expect((r as { error: string }).error).toMatch(message);
  });

  it('keeps its error message short for a very long input', () => {
    const r = parseCidr(`${'9'.repeat(100_000)}/8`);
    expect('error' in r && r.error.length).toBeLessThan(200);
    const r2 = parseCidr(`1.2.3.4/${'9'.repeat(100_000)}`);
    expect('error' in r2 && r2.error.length).toBeLessThan(200);
  });
});

describe('maskV4 / maskV6', () => {
  it('masks to the prefix and stays unsigned', () => {
    expect(maskV4(0xffffffff, 0)).toBe(0);
    expect(maskV4(0xffffffff, 1)).toBe(0x80000000);
    expect(maskV4(0xffffffff, 31)).toBe(0xfffffffe);
    expect(maskV4(0xffffffff, 32)).toBe(0xffffffff);
    expect(maskV4(0xc0000201, 24)).toBe(0xc0000200);
    expect(maskV6((1n << 128n) - 1n, 0)).toBe(0n);
    expect(maskV6((1n << 128n) - 1n, 128)).toBe((1n << 128n) - 1n);
    expect(maskV6((1n << 128n) - 1n, 1)).toBe(1n << 127n);
  });
});

describe('isNonPublic', () => {
  it.each([
    '0.0.0.0',
    '0.255.255.255',
    '10.0.0.0',
    '10.255.255.255',
    '100.64.0.0',
    '100.64.0.1',
    '100.127.255.255',
    '127.0.0.1',
    '127.255.255.255',
    '169.254.0.0',
    '169.254.169.254',
    '169.254.255.255',
    '172.16.0.0',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.0',
    '192.168.255.255',
    '::',
    '::1',
    'fe80::1',
    'febf:ffff::1',
    'fc00::1',
    'fd12:3456:789a::1',
    'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
  ])('%s is not public', (text) => {
    expect(isNonPublic(ip(text))).toBe(true);
  });

  it.each([
    '1.0.0.0',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.1',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.1',
    '172.15.255.255',
    '172.32.0.1',
    '192.167.255.255',
    '192.169.0.0',
    // Documentation ranges count as public by design: anonymised logs and tests use them.
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.1',
    '8.8.8.8',
    '255.255.255.255',
    '::2',
    'fe7f:ffff::1',
    'fec0::1',
    'fbff:ffff::1',
    'fe00::1',
    '2001:db8::1',
    '2600:1f18::1',
    '64:ff9b::10.0.0.1',
  ])('%s is public', (text) => {
    expect(isNonPublic(ip(text))).toBe(false);
  });
});

describe('hostile input never throws', () => {
  const hostile = [
    '1'.repeat(1_000_000),
    `${'1.'.repeat(500_000)}1`,
    ':'.repeat(100_000),
    `::ffff:${'1'.repeat(10_000)}`,
    `${'f'.repeat(10_000)}::1`,
    '１.２.３.４',
    '١.٢.٣.٤',
    '𝟏.𝟐.𝟑.𝟒',
    '1.2.3.4\u0000',
    '\u0000',
    '\u0000\u0000\u0000\u0000\u0000\u0000\u0000',
    '::1\u0000',
    '1.2.3.\u0000',
    '\ud800.1.2.3',
    '1.2.3.4\u202e',
    '\u200b1.2.3.4',
    '1.2.3.4%eth0',
    '::ffff:1.2.3.4%x',
    '%',
    '/',
    '//',
    '1.2.3.4//',
    '\ufeff1.2.3.4',
    '1.2.3.4\r',
    '\t',
    '１::1',
    '::ffff:１.２.３.４',
  ];

  it.each(hostile.map((s) => [JSON.stringify(s).slice(0, 40), s] as const))('%s', (_label, s) => {
    expect(() => parseIpv4(s)).not.toThrow();
    expect(parseIp(s)).toBeUndefined();
    const c = parseCidr(s);
    expect(c).toHaveProperty('error');
    expect(() => parseCidr(`${s}/24`)).not.toThrow();
    expect(() => parseCidr(`1.2.3.4/${s}`)).not.toThrow();
  });

  it('returns undefined for values that are not strings', () => {
    expect(parseIp(undefined as unknown as string)).toBeUndefined();
    expect(parseIp(null as unknown as string)).toBeUndefined();
    expect(parseIp(1234 as unknown as string)).toBeUndefined();
  });
});

describe('CIDR containment agrees with the parsed forms', () => {
  it('an address is in the network it was masked to, and its neighbours outside are not', () => {
    const net = cidr('172.16.0.0/12');
    expect(maskV4(v4('172.31.255.255'), net.len)).toBe(net.n);
    expect(maskV4(v4('172.32.0.0'), net.len)).not.toBe(net.n);
    expect(maskV4(v4('172.15.255.255'), net.len)).not.toBe(net.n);
  });
});
