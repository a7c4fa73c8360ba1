import { isIPv6 } from 'node:net';

/**
 * IP addresses as numbers: IPv4 as an unsigned 32-bit integer, IPv6 as a 128-bit bigint.
 *
 * Written by hand rather than with a library because this is the per-event hot path: parsing an IPv4
 * source address must not allocate. IPv6 text is validated by `node:net` before it is expanded.
 * IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are returned as IPv4, as AWS logs the IPv4 form.
 */
export type Ip = { readonly v: 4; readonly n: number } | { readonly v: 6; readonly n: bigint };

/** A network: the address with host bits cleared, and the prefix length. */
export type Cidr = { readonly v: 4; readonly n: number; readonly len: number } | { readonly v: 6; readonly n: bigint; readonly len: number };

const MAX_IP_TEXT = 64;

/**
 * Parses dotted-decimal IPv4 strictly: four decimal octets 0-255 and no leading zeros, so `08.1.2.3`
 * and `010.0.0.1` (octal in some C libraries) are rejected rather than guessed at.
 */
export function parseIpv4(s: string): number | undefined {
  const len = s.length;
  if (len < 7 || len > 15) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let leadingZero = false;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return undefined;
      value = value * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
      leadingZero = false;
    } else if (c >= 48 && c <= 57) {
      if (leadingZero) return undefined;
      if (digits === 0 && c === 48) leadingZero = true;
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

function parseIpv6(s: string): Ip | undefined {
  if (s.length > MAX_IP_TEXT || !isIPv6(s) || s.includes('%')) return undefined;
  let text = s.toLowerCase();
  // Embedded IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`): turn it into two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  const groups = halves.length > 1 ? [...head, ...new Array<string>(missing).fill('0'), ...rest] : head;
  if (groups.length !== 8) return undefined;
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(Number.parseInt(g, 16));
  // IPv4-mapped: ::ffff:a.b.c.d
  if (n >> 32n === 0xffffn) return { v: 4, n: Number(n & 0xffffffffn) };
  return { v: 6, n };
}

/** Parses an IPv4 or IPv6 address; `undefined` for anything else (service names, `AWS Internal`, junk). */
export function parseIp(s: string): Ip | undefined {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_IP_TEXT) return undefined;
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { v: 4, n: v4 };
  if (s.includes(':')) return parseIpv6(s);
  return undefined;
}

/** Masks `n` to its first `len` bits. */
export function maskV4(n: number, len: number): number {
  if (len === 0) return 0;
  return (n & (0xffffffff << (32 - len))) >>> 0;
}

const ALL128 = (1n << 128n) - 1n;
export function maskV6(n: bigint, len: number): bigint {
  if (len === 0) return 0n;
  return n & (ALL128 ^ ((1n << BigInt(128 - len)) - 1n));
}

/**
 * Parses `addr` or `addr/len`. Host bits beyond the prefix are cleared (`10.1.2.3/8` is `10.0.0.0/8`):
 * the intended range is unambiguous, and threat feeds write it both ways.
 */
export function parseCidr(s: string): Cidr | { error: string } {
  const slash = s.indexOf('/');
  const addrText = slash === -1 ? s : s.slice(0, slash);
  const ip = parseIp(addrText);
  if (!ip) return { error: `not an IPv4 or IPv6 address: ${JSON.stringify(truncate(addrText, 80))}` };
  const max = ip.v === 4 ? 32 : 128;
  let len = max;
  if (slash !== -1) {
    const lenText = s.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(lenText)) return { error: `bad prefix length ${JSON.stringify(truncate(lenText, 20))}` };
    len = Number(lenText);
    // An IPv4-mapped IPv6 CIDR (::ffff:0:0/96 + k) becomes an IPv4 CIDR of length k.
    if (ip.v === 4 && addrText.includes(':')) {
      if (len < 96 || len > 128) return { error: `an IPv4-mapped prefix must be /96 to /128, got /${lenText}` };
      len -= 96;
    }
    if (len < 0 || len > max) return { error: `prefix length /${lenText} out of range for IPv${ip.v}` };
  }
  return ip.v === 4 ? { v: 4, n: maskV4(ip.n, len), len } : { v: 6, n: maskV6(ip.n, len), len };
}

/** Canonical text of an address (dotted quad, or RFC 5952 compressed IPv6). */
export function formatIp(ip: Ip): string {
  if (ip.v === 4) return `${ip.n >>> 24}.${(ip.n >>> 16) & 255}.${(ip.n >>> 8) & 255}.${ip.n & 255}`;
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.n >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

const V4_NON_PUBLIC: Array<[number, number]> = [
  [0x00000000, 8], // 0.0.0.0/8 "this network"
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 shared address space (CGNAT)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (IMDS lives here)
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
];

/**
 * True for addresses that never identify a host on the internet: RFC 1918 private, loopback,
 * link-local, CGNAT, unspecified; IPv6 loopback, unspecified, link-local and unique-local.
 * (Documentation and reserved ranges are *not* included: anonymised logs and tests use them as public.)
 */
export function isNonPublic(ip: Ip): boolean {
  if (ip.v === 4) {
    for (const [net, len] of V4_NON_PUBLIC) if (maskV4(ip.n, len) === net) return true;
    return false;
  }
  const n = ip.n;
  if (n === 0n || n === 1n) return true;
  const top10 = n >> 118n;
  if (top10 === 0x3fan) return true; // fe80::/10
  if (n >> 121n === 0x7en) return true; // fc00::/7
  return false;
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
