import { type Cidr, type Ip, maskV4, maskV6 } from '../core/ip.js';

/**
 * A set of networks compiled for lookup: one hash table per prefix length in use, and for IPv4 a bitmap of
 * the /24 blocks that any network touches (2 MiB, one bit per /24).
 *
 * An IPv4 lookup first reads one bit: an address in a /24 that no network touches (almost every address, even
 * with two 250,000-entry lists: those mark a few percent of the 16.7 million /24s) is answered at once, at the
 * same cost whatever the list size. Only addresses in a marked /24 probe the hash tables, one probe per distinct
 * prefix length present (at most 33; IPv6: at most 129, in practice a handful).
 * Each entry carries values (e.g. the names of the threat lists that hold it); a lookup returns the union
 * over all matching networks.
 */
export class IpIndex<T = true> {
  private v4 = new Map<number, Map<number, T[]>>();
  private v6 = new Map<number, Map<bigint, T[]>>();
  private v4Lens: number[] = [];
  private v6Lens: number[] = [];
  private entries = 0;
  /** Bit i set = some IPv4 network overlaps the /24 block i. */
  private v4Blocks: Uint8Array | undefined;

  get size(): number {
    return this.entries;
  }

  add(cidr: Cidr, value: T): void {
    if (cidr.v === 4) {
      this.markBlocks(cidr.n, cidr.len);
      if (this.insert(this.v4, cidr.len, cidr.n, value)) this.v4Lens = [...this.v4.keys()].sort((a, b) => b - a);
    } else if (this.insert(this.v6, cidr.len, cidr.n, value)) {
      this.v6Lens = [...this.v6.keys()].sort((a, b) => b - a);
    }
  }

  /** Adds `value` under `key` in the table for `len`; true when that prefix length is new. */
  private insert<K>(tables: Map<number, Map<K, T[]>>, len: number, key: K, value: T): boolean {
    let table = tables.get(len);
    const created = !table;
    if (!table) {
      table = new Map();
      tables.set(len, table);
    }
    const existing = table.get(key);
    if (!existing) {
      table.set(key, [value]);
      this.entries++;
    } else if (!existing.includes(value)) existing.push(value);
    return created;
  }

  private markBlocks(n: number, len: number): void {
    this.v4Blocks ??= new Uint8Array(1 << 21);
    const bits = this.v4Blocks;
    const first = n >>> 8;
    const count = len >= 24 ? 1 : 1 << (24 - len);
    let i = first;
    const end = first + count;
    // Whole bytes at once where possible (a /13 or wider covers whole bytes of the bitmap).
    while (i < end && (i & 7) !== 0) {
      bits[i >>> 3] = (bits[i >>> 3] as number) | (1 << (i & 7));
      i++;
    }
    if (end - i >= 8) {
      bits.fill(0xff, i >>> 3, end >>> 3);
      i = end & ~7;
    }
    while (i < end) {
      bits[i >>> 3] = (bits[i >>> 3] as number) | (1 << (i & 7));
      i++;
    }
  }

  /** False when no IPv4 network touches the address's /24 block (one bit read). */
  private mayHoldV4(n: number): boolean {
    const bits = this.v4Blocks;
    if (!bits) return false;
    const block = n >>> 8;
    return ((bits[block >>> 3] as number) & (1 << (block & 7))) !== 0;
  }

  /** True when any network in the index contains `ip`. */
  has(ip: Ip): boolean {
    if (ip.v === 4) {
      if (!this.mayHoldV4(ip.n)) return false;
      for (const len of this.v4Lens) if ((this.v4.get(len) as Map<number, T[]>).has(maskV4(ip.n, len))) return true;
      return false;
    }
    for (const len of this.v6Lens) if ((this.v6.get(len) as Map<bigint, T[]>).has(maskV6(ip.n, len))) return true;
    return false;
  }

  /** The values of every network that contains `ip`, or `undefined` when none does. */
  lookup(ip: Ip): T[] | undefined {
    let found: T[] | undefined;
    if (ip.v === 4) {
      if (!this.mayHoldV4(ip.n)) return undefined;
      for (const len of this.v4Lens) {
        const hit = (this.v4.get(len) as Map<number, T[]>).get(maskV4(ip.n, len));
        if (hit) found = found ? union(found, hit) : [...hit];
      }
    } else {
      for (const len of this.v6Lens) {
        const hit = (this.v6.get(len) as Map<bigint, T[]>).get(maskV6(ip.n, len));
        if (hit) found = found ? union(found, hit) : [...hit];
      }
    }
    return found;
  }
}

function union<T>(a: T[], b: T[]): T[] {
  const out = [...a];
  for (const v of b) if (!out.includes(v)) out.push(v);
  return out;
}
