import { isIPv4, isIPv6 } from 'node:net';

/**
 * A small MaxMind DB (format 2.0) writer for tests: builds `.mmdb` files (GeoLite2-City-like, DB-IP-city-like, ...)
 * in memory so that the readers' parsing can be tested without shipping 100 MB databases.
 * Spec: https://maxmind.github.io/MaxMind-DB/
 *
 * File layout:
 *   search tree (node_count nodes, two records each) | 16 zero bytes | data section | "\xAB\xCD\xEFMaxMind.com" | metadata
 * A record is a node number (< node_count), "no data" (= node_count), or a data pointer
 * (node_count + 16 + offset in the data section). The metadata is a map in the data section's encoding.
 *
 * Not written for speed or size: a binary trie of JavaScript objects, every bit a step.
 */

/** An error in the writer's input (bad network, duplicate, value that has no MaxMind type). */
export class MmdbWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MmdbWriteError';
  }
}

/** A number (or bigint) with an explicit MaxMind type. Plain numbers get a default type (see `encodeValue`). */
export class MmdbTyped {
  constructor(
    readonly type: 'double' | 'float' | 'uint16' | 'uint32' | 'int32' | 'uint64' | 'uint128',
    readonly value: number | bigint,
  ) {}
}

export const mmdbType = {
  double: (n: number) => new MmdbTyped('double', n),
  float: (n: number) => new MmdbTyped('float', n),
  uint16: (n: number) => new MmdbTyped('uint16', n),
  uint32: (n: number) => new MmdbTyped('uint32', n),
  int32: (n: number) => new MmdbTyped('int32', n),
  uint64: (n: number | bigint) => new MmdbTyped('uint64', n),
  uint128: (n: number | bigint) => new MmdbTyped('uint128', n),
};

export type MmdbValue = string | number | boolean | bigint | Uint8Array | MmdbTyped | MmdbValue[] | { [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** `a.b.c.d/len` or an IPv6 CIDR (`2001:db8::/32`). IPv4 networks go under `::/96` in an IPv6 database. */
  network: string;
  data: MmdbValue;
}

export interface MmdbMetadata {
  database_type: string;
  /** 6 (default): IPv4 networks stored under ::/96, as MaxMind does. 4: an IPv4-only tree. */
  ip_version?: 4 | 6;
  record_size?: 24 | 28 | 32;
  languages?: string[];
  description?: Record<string, string>;
  /** Seconds since the epoch (or a Date). */
  build_epoch: number | Date;
}

export interface MmdbWriteOptions {
  /**
   * IPv6 databases only: make `::ffff:0:0/96` (IPv4-mapped) and `2002::/16` (6to4) lead to the IPv4 subtree,
   * as MaxMind's databases do. Default true.
   */
  aliasIpv4?: boolean;
  /** Write a string that was already written as a pointer to it when that is shorter. Default true. */
  pointers?: boolean;
}

const DATA_SEPARATOR = 16;
const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // \xAB\xCD\xEF then "MaxMind.com"

// ---------------------------------------------------------------------------------------------------------------
// Addresses

interface Prefix {
  /** The address as a `bits`-wide number. */
  address: bigint;
  /** Prefix length within the tree (an IPv4 /24 is /120 in an IPv6 tree). */
  length: number;
}

function ipv4ToBigint(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigint(text: string): bigint {
  let s = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const dot = s.lastIndexOf(':');
  if (s.includes('.')) {
    const v4 = ipv4ToBigint(s.slice(dot + 1));
    s = `${s.slice(0, dot + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** Parses a CIDR into its place in a tree of `treeBits` (32 or 128) bits. */
export function parseNetwork(cidr: string, treeBits: 32 | 128): Prefix {
  const slash = cidr.indexOf('/');
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  const lenText = slash < 0 ? '' : cidr.slice(slash + 1);
  const v4 = isIPv4(addr);
  if (!v4 && (!isIPv6(addr) || addr.includes('%'))) throw new MmdbWriteError(`${JSON.stringify(cidr)}: not an IPv4 or IPv6 address`);
  const bits = v4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) throw new MmdbWriteError(`${JSON.stringify(cidr)}: expected a prefix length /0../${bits}`);
  const len = Number(lenText);
  const address = v4 ? ipv4ToBigint(addr) : ipv6ToBigint(addr);
  if (address & ((1n << BigInt(bits - len)) - 1n)) throw new MmdbWriteError(`${JSON.stringify(cidr)}: host bits are set`);
  if (treeBits === 32) {
    if (!v4) throw new MmdbWriteError(`${JSON.stringify(cidr)}: an IPv6 network in an IPv4 (ip_version 4) database`);
    return { address, length: len };
  }
  // IPv4 in an IPv6 tree: ::a.b.c.d, i.e. the first 96 bits are zero.
  return v4 ? { address, length: 96 + len } : { address, length: len };
}

// ---------------------------------------------------------------------------------------------------------------
// The search tree

interface Leaf {
  kind: 'leaf';
  /** Where the data was written in the data section. */
  offset: number;
  /** The network that put it there (for error messages and duplicate detection). */
  network: string;
  length: number;
}

interface TreeNode {
  kind: 'node';
  /** [bit 0, bit 1]; undefined = no data. */
  children: [Child, Child];
}

type Child = TreeNode | Leaf | undefined;

function newNode(left: Child = undefined, right: Child = undefined): TreeNode {
  return { kind: 'node', children: [left, right] };
}

function bitAt(p: Prefix, depth: number, treeBits: number): 0 | 1 {
  return ((p.address >> BigInt(treeBits - 1 - depth)) & 1n) === 1n ? 1 : 0;
}

/**
 * Puts `leaf` at `p`. Networks must come shortest prefix first: a leaf met on the way down (a broader network)
 * is split into a node whose two halves keep it, so the narrower network only overrides its own part.
 */
function insert(root: TreeNode, p: Prefix, leaf: Leaf, treeBits: number): void {
  let node = root;
  for (let depth = 0; depth < p.length - 1; depth++) {
    const bit = bitAt(p, depth, treeBits);
    const child = node.children[bit];
    if (child === undefined) node.children[bit] = newNode();
    else if (child.kind === 'leaf') node.children[bit] = newNode(child, child);
    node = node.children[bit] as TreeNode;
  }
  const bit = bitAt(p, p.length - 1, treeBits);
  const existing = node.children[bit];
  if (existing?.kind === 'leaf' && existing.length === p.length) {
    throw new MmdbWriteError(`${leaf.network}: duplicate network (already given as ${existing.network})`);
  }
  if (existing?.kind === 'node') throw new MmdbWriteError(`${leaf.network}: internal error, a narrower network was inserted first`);
  node.children[bit] = leaf;
}

/** The child at `p` (following nodes only), or undefined when the path ends early. */
function childAt(root: TreeNode, p: Prefix, treeBits: number): Child {
  let node: Child = root;
  for (let depth = 0; depth < p.length; depth++) {
    if (node?.kind !== 'node') return undefined;
    node = node.children[bitAt(p, depth, treeBits)];
  }
  return node;
}

/** Makes the empty place `p` lead to `target` (an alias); refuses when networks already occupy it. */
function alias(root: TreeNode, p: Prefix, target: Child, what: string): void {
  let node = root;
  for (let depth = 0; depth < p.length - 1; depth++) {
    const bit = bitAt(p, depth, 128);
    const child = node.children[bit];
    if (child?.kind === 'leaf') throw new MmdbWriteError(`${child.network} covers ${what}, which is aliased to the IPv4 space (pass aliasIpv4: false)`);
    if (child === undefined) node.children[bit] = newNode();
    node = node.children[bit] as TreeNode;
  }
  const bit = bitAt(p, p.length - 1, 128);
  if (node.children[bit] !== undefined) throw new MmdbWriteError(`networks inside ${what}, which is aliased to the IPv4 space (pass aliasIpv4: false)`);
  node.children[bit] = target;
}

/** Node numbers, breadth first from the root (0). An aliased node is numbered once. */
function numberNodes(root: TreeNode): TreeNode[] {
  const order: TreeNode[] = [];
  const seen = new Set<TreeNode>();
  const queue: TreeNode[] = [root];
  seen.add(root);
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as TreeNode;
    order.push(node);
    for (const child of node.children) {
      if (child?.kind === 'node' && !seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return order;
}

function writeRecords(buf: Buffer, at: number, left: number, right: number, recordSize: 24 | 28 | 32): void {
  if (recordSize === 24) {
    buf.writeUIntBE(left, at, 3);
    buf.writeUIntBE(right, at + 3, 3);
  } else if (recordSize === 28) {
    // 7 bytes: left's low 24 bits, a middle byte (left's top nibble | right's top nibble), right's low 24 bits.
    buf.writeUIntBE(left & 0xffffff, at, 3);
    buf[at + 3] = ((left >>> 24) << 4) | (right >>> 24);
    buf.writeUIntBE(right & 0xffffff, at + 4, 3);
  } else {
    buf.writeUInt32BE(left, at);
    buf.writeUInt32BE(right, at + 4);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The data section encoding

const TYPE = {
  pointer: 1,
  utf8: 2,
  double: 3,
  bytes: 4,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  uint128: 10,
  array: 11,
  boolean: 14,
  float: 15,
} as const;

/** Control byte(s): type in the top 3 bits (0 = extended, the type - 7 in the next byte), then the size. */
function control(type: number, size: number): Buffer {
  const sizeBytes: number[] = [];
  let sizeBits: number;
  if (size < 29) sizeBits = size;
  else if (size < 29 + 256) {
    sizeBits = 29;
    sizeBytes.push(size - 29);
  } else if (size < 285 + 65_536) {
    sizeBits = 30;
    sizeBytes.push((size - 285) >> 8, (size - 285) & 0xff);
  } else if (size < 65_821 + 16_777_216) {
    sizeBits = 31;
    const n = size - 65_821;
    sizeBytes.push(n >> 16, (n >> 8) & 0xff, n & 0xff);
  } else throw new MmdbWriteError(`a value of ${size} bytes or entries is too large`);
  const head = type <= 7 ? [(type << 5) | sizeBits] : [sizeBits, type - 7];
  return Buffer.from([...head, ...sizeBytes]);
}

/** A pointer to `offset` in the data section: 001SSVVV plus 1-4 bytes. */
function pointer(offset: number): Buffer {
  if (offset < 2048) return Buffer.from([(TYPE.pointer << 5) | (offset >> 8), offset & 0xff]);
  if (offset < 2048 + 524_288) {
    const n = offset - 2048;
    return Buffer.from([(TYPE.pointer << 5) | (1 << 3) | (n >> 16), (n >> 8) & 0xff, n & 0xff]);
  }
  if (offset < 526_336 + 134_217_728) {
    const n = offset - 526_336;
    return Buffer.from([(TYPE.pointer << 5) | (2 << 3) | (n >> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  }
  const b = Buffer.alloc(5);
  b[0] = (TYPE.pointer << 5) | (3 << 3);
  b.writeUInt32BE(offset, 1);
  return b;
}

/** An unsigned integer in as few big-endian bytes as it needs (0 takes none). */
function uintBytes(value: bigint, maxBytes: number, what: string): Buffer {
  if (value < 0n || value >= 1n << BigInt(8 * maxBytes)) throw new MmdbWriteError(`${value} does not fit a ${what}`);
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Buffer.from(bytes);
}

function integer(value: number | bigint, what: string): bigint {
  if (typeof value === 'number' && !Number.isInteger(value)) throw new MmdbWriteError(`${value} is not an integer (${what})`);
  return BigInt(value);
}

/**
 * Appends encoded values to a growing data section. With `pointers`, a string written before is written again as
 * a pointer to its first copy when the pointer is shorter (map keys repeat in every record).
 */
class DataSection {
  private chunks: Buffer[] = [];
  private size = 0;
  private strings = new Map<string, number>();
  private records = new Map<string, number>();

  constructor(private readonly usePointers: boolean) {}

  get length(): number {
    return this.size;
  }

  /** Writes a record's data; identical data is written once. Returns its offset. */
  addRecord(value: MmdbValue): number {
    // Encoded without pointers to compare by content.
    const key = encodeStandalone(value).toString('hex');
    const known = this.records.get(key);
    if (known !== undefined) return known;
    const offset = this.size;
    this.write(value);
    this.records.set(key, offset);
    return offset;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  /** Appends one value (no record de-duplication). */
  write(value: MmdbValue): void {
    if (typeof value === 'string' && this.usePointers) {
      const earlier = this.strings.get(value);
      const encoded = encodeString(value);
      if (earlier !== undefined && pointer(earlier).length < encoded.length) {
        this.push(pointer(earlier));
        return;
      }
      if (earlier === undefined) this.strings.set(value, this.size);
      this.push(encoded);
      return;
    }
    if (Array.isArray(value)) {
      this.push(control(TYPE.array, value.length));
      for (const v of value) this.write(v);
      return;
    }
    if (isMap(value)) {
      const entries = Object.entries(value);
      this.push(control(TYPE.map, entries.length));
      for (const [k, v] of entries) {
        this.write(k);
        this.write(v);
      }
      return;
    }
    this.push(encodeScalar(value));
  }
}

function isMap(value: MmdbValue): value is { [key: string]: MmdbValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof MmdbTyped);
}

function encodeString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([control(TYPE.utf8, bytes.length), bytes]);
}

/**
 * Scalars. Default types: string -> utf8_string, boolean -> boolean, bigint -> uint64, Uint8Array -> bytes,
 * a number -> uint32 when it is an integer in [0, 2^32), double otherwise. `MmdbTyped` chooses explicitly.
 */
function encodeScalar(value: MmdbValue): Buffer {
  if (typeof value === 'string') return encodeString(value);
  if (typeof value === 'boolean') return control(TYPE.boolean, value ? 1 : 0);
  if (typeof value === 'bigint') return encodeScalar(mmdbType.uint64(value));
  if (value instanceof Uint8Array) return Buffer.concat([control(TYPE.bytes, value.length), Buffer.from(value)]);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) return encodeScalar(mmdbType.uint32(value));
    return encodeScalar(mmdbType.double(value));
  }
  if (value instanceof MmdbTyped) {
    const { type, value: v } = value;
    switch (type) {
      case 'double':
      case 'float': {
        if (typeof v !== 'number') throw new MmdbWriteError(`a ${type} must be a number, got ${typeof v}`);
        const size = type === 'double' ? 8 : 4;
        const b = Buffer.alloc(size);
        if (size === 8) b.writeDoubleBE(v);
        else b.writeFloatBE(v);
        return Buffer.concat([control(TYPE[type], size), b]);
      }
      case 'uint16':
      case 'uint32':
      case 'uint64':
      case 'uint128': {
        const max = { uint16: 2, uint32: 4, uint64: 8, uint128: 16 }[type];
        const b = uintBytes(integer(v, type), max, type);
        return Buffer.concat([control(TYPE[type], b.length), b]);
      }
      case 'int32': {
        const n = integer(v, type);
        if (n < -(2n ** 31n) || n >= 2n ** 31n) throw new MmdbWriteError(`${n} does not fit an int32`);
        // Positive values are written in as few bytes as they need; negative ones take all four (two's complement).
        if (n >= 0n) {
          const b = uintBytes(n, 4, type);
          return Buffer.concat([control(TYPE.int32, b.length), b]);
        }
        const b = Buffer.alloc(4);
        b.writeInt32BE(Number(n));
        return Buffer.concat([control(TYPE.int32, 4), b]);
      }
    }
  }
  throw new MmdbWriteError(`a value of type ${value === null ? 'null' : typeof value} has no MaxMind DB type`);
}

/** A value encoded on its own, without pointers (the metadata section, and record identity). */
function encodeStandalone(value: MmdbValue): Buffer {
  const section = new DataSection(false);
  section.write(value);
  return section.toBuffer();
}

// ---------------------------------------------------------------------------------------------------------------
// The file

/** Builds a MaxMind DB file. Networks may come in any order; a narrower network overrides a broader one inside it. */
export function writeMmdb(networks: MmdbNetwork[], metadata: MmdbMetadata, options: MmdbWriteOptions = {}): Buffer {
  const ipVersion = metadata.ip_version ?? 6;
  const recordSize = metadata.record_size ?? 28;
  if (ipVersion !== 4 && ipVersion !== 6) throw new MmdbWriteError(`ip_version must be 4 or 6, got ${ipVersion}`);
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) throw new MmdbWriteError(`record_size must be 24, 28 or 32, got ${recordSize}`);
  const treeBits = ipVersion === 4 ? 32 : 128;

  const parsed = networks.map((n) => ({ ...n, prefix: parseNetwork(n.network, treeBits) }));
  for (const n of parsed) {
    if (n.prefix.length === 0) throw new MmdbWriteError(`${n.network}: a network covering the whole tree cannot be stored (the root must be a node)`);
  }
  // Broadest first, so that narrower networks split the broader leaves they fall in.
  parsed.sort((a, b) => a.prefix.length - b.prefix.length);

  const data = new DataSection(options.pointers ?? true);
  const root = newNode();
  for (const n of parsed) {
    const leaf: Leaf = { kind: 'leaf', offset: data.addRecord(n.data), network: n.network, length: n.prefix.length };
    insert(root, n.prefix, leaf, treeBits);
  }

  if (ipVersion === 6 && (options.aliasIpv4 ?? true)) {
    const ipv4Root = childAt(root, { address: 0n, length: 96 }, 128);
    if (ipv4Root !== undefined) {
      alias(root, { address: 0xffffn << 32n, length: 96 }, ipv4Root, '::ffff:0:0/96');
      alias(root, { address: 0x2002n << 112n, length: 16 }, ipv4Root, '2002::/16');
    }
  }

  const nodes = numberNodes(root);
  const nodeCount = nodes.length;
  const numbers = new Map(nodes.map((n, i) => [n, i]));
  const dataBytes = data.toBuffer();
  const maxRecord = nodeCount + DATA_SEPARATOR + dataBytes.length;
  if (maxRecord >= 2 ** recordSize)
    throw new MmdbWriteError(`record_size ${recordSize} cannot address ${nodeCount} nodes and ${dataBytes.length} bytes of data`);
  const recordOf = (c: Child): number => {
    if (c === undefined) return nodeCount;
    if (c.kind === 'node') return numbers.get(c) as number;
    return nodeCount + DATA_SEPARATOR + c.offset;
  };

  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  nodes.forEach((n, i) => {
    writeRecords(tree, i * nodeBytes, recordOf(n.children[0]), recordOf(n.children[1]), recordSize);
  });

  const epoch = metadata.build_epoch instanceof Date ? Math.floor(metadata.build_epoch.getTime() / 1000) : metadata.build_epoch;
  const meta = encodeStandalone({
    binary_format_major_version: mmdbType.uint16(2),
    binary_format_minor_version: mmdbType.uint16(0),
    build_epoch: mmdbType.uint64(epoch),
    database_type: metadata.database_type,
    description: metadata.description ?? {},
    ip_version: mmdbType.uint16(ipVersion),
    languages: metadata.languages ?? [],
    node_count: mmdbType.uint32(nodeCount),
    record_size: mmdbType.uint16(recordSize),
  });

  return Buffer.concat([tree, Buffer.alloc(DATA_SEPARATOR), dataBytes, METADATA_MARKER, meta]);
}
