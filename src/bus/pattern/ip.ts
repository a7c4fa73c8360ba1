/**
 * IP addresses as event-ruler reads them (for `cidr` and for exact pattern strings that are IP literals).
 *
 * - A string is a candidate only if it looks like `d.d.d.d` (digits) or consists of hex digits and colons with at
 *   least one colon; so `::ffff:10.0.0.1` (dotted IPv4-mapped form) is not an address and never matches a CIDR.
 * - IPv4: four decimal parts of at most 255 each. IPv6: up to eight groups of 1-4 hex digits, at most one `::`.
 * - An IPv6 address in the IPv4-mapped range written in hex (`::ffff:a00:1`) is read as the IPv4 address, as Java's
 *   `InetAddress` does.
 * - Addresses are compared as fixed-width hex strings (8 digits for IPv4, 32 for IPv6), so the two families never
 *   match each other.
 * - A CIDR covers the addresses sharing its first mask bits (`10.0.0.5/24` covers 10.0.0.0 to 10.0.0.255). As in
 *   event-ruler, IPv4 masks must be < 32 and IPv6 masks < 128.
 */

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

export function looksLikeIp(s: string): boolean {
  return IPV4_SHAPE.test(s) || IPV6_SHAPE.test(s);
}

function parseV4(s: string): number[] | undefined {
  const parts = s.split('.');
  const out: number[] = [];
  for (const p of parts) {
    if (p.length > 10) return undefined;
    const n = Number.parseInt(p, 10);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseV6(s: string): number[] | undefined {
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl === -1) {
    const all = groupsOf(s);
    if (all?.length !== 8) return undefined;
    groups = all;
  } else {
    const head = groupsOf(s.slice(0, dbl));
    const tail = groupsOf(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/** Parses an address into its bytes (4 or 16), or undefined when it is not one. */
export function ipBytes(s: string): number[] | undefined {
  if (IPV4_SHAPE.test(s)) return parseV4(s);
  if (IPV6_SHAPE.test(s)) return parseV6(s);
  return undefined;
}

export function bytesToHex(bytes: number[]): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
  return out;
}

/** The fixed-width hex form of an address (8 or 32 digits), or undefined. */
export function ipHex(s: string): string | undefined {
  if (!looksLikeIp(s)) return undefined;
  const b = ipBytes(s);
  return b ? bytesToHex(b) : undefined;
}

export interface CidrRange {
  lo: string;
  hi: string;
}

/** Parses a CIDR as event-ruler does; throws an Error with event-ruler's message when it is malformed. */
export function parseCidr(cidr: string): CidrRange {
  // Java's String.split drops trailing empty strings.
  const slashed = cidr.split('/');
  while (slashed.length > 0 && slashed[slashed.length - 1] === '') slashed.pop();
  if (slashed.length !== 2) throw new Error("Malformed CIDR, one '/' required");
  const maskText = slashed[1]!;
  if (!/^[+-]?\d+$/.test(maskText) || Math.abs(Number(maskText)) > 2147483647) {
    throw new Error('Malformed CIDR, mask bits must be an integer');
  }
  const maskBits = Number(maskText);
  if (maskBits < 0) throw new Error('Malformed CIDR, mask bits must not be negative');
  const addr = slashed[0]!;
  if (!looksLikeIp(addr)) throw new Error(`Nonstandard IP address: ${addr}`);
  const ip = ipBytes(addr);
  if (!ip) throw new Error(`Invalid IP address: ${addr}`);
  if (ip.length === 4 && maskBits > 31) throw new Error('IPv4 mask bits must be < 32');
  if (ip.length === 16 && maskBits > 127) throw new Error('IPv6 mask bits must be < 128');
  let hostBits = ip.length * 8 - maskBits;
  const top = new Array<number>(ip.length);
  for (let i = ip.length - 1; i >= 0; i--) {
    if (hostBits >= 8) top[i] = 0xff;
    else if (hostBits <= 0) top[i] = ip[i]!;
    else top[i] = ip[i]! | ((1 << hostBits) - 1);
    hostBits -= 8;
  }
  let maskLeft = maskBits;
  const bottom = ip.map((b) => {
    const keep = Math.max(0, Math.min(8, maskLeft));
    maskLeft -= 8;
    return b & ((0xff << (8 - keep)) & 0xff);
  });
  return { lo: bytesToHex(bottom), hi: bytesToHex(top) };
}
