import { SEVERITY } from '../../core/finding.js';
import type { DnsQuery } from '../../core/network.js';
import { dnsHitBase, dnsInstance } from '../network-common.js';
import type { DnsDetector, Hit, LogCase } from '../types.js';
import { query } from './impact-ec2-malicious-domain-request-custom.js';

/**
 * `Trojan:EC2/DNSDataExfiltration`: an instance sends data out in DNS query names (DNS tunnelling: the labels under
 * an attacker's domain carry encoded data to the attacker's authoritative server).
 *
 * A query qualifies when the longest label left of the base domain (the encoded chunk; tools such as dnscat2 put a
 * short tag first) is at least `EXFIL_MIN_LABEL` characters long and looks encoded: Shannon entropy of at least
 * `EXFIL_MIN_ENTROPY` bits per character (base32/base64-like text), or only hex digits, with both digits and letters,
 * and at least `EXFIL_MIN_HEX_ENTROPY` bits (hex has only 16 symbols). Long low-entropy labels (`aaaa...`) do not
 * qualify. The base domain is approximately the registrable domain: the last two labels, or three under a common
 * second-level suffix (`SECOND_LEVEL_SUFFIXES`: co.uk, com.au, ...; not the full Public Suffix List).
 *
 * Names under `EXFIL_EXCLUDED_SUFFIXES` never qualify: reverse lookups and internal names (they never reach a
 * server outside AWS), AWS and CDN zones (their authoritative servers belong to AWS or the CDN, not to an attacker)
 * and security vendors' DNS reputation services (hash lookups, high entropy by design).
 *
 * `EXFIL_THRESHOLD` distinct qualifying names (or `EXFIL_MIN_BYTES` bytes of encoded labels) from one instance (or
 * source address) under one base domain within `EXFIL_WINDOW_MS` of event time make a finding: one per instance and
 * base domain (`dnsRequestAction.domain` is the base domain; a sample query is in `additionalInfo`). Once over the
 * threshold every further new qualifying name counts into the same finding until the pair has been quiet for a whole
 * window; `count` is the qualifying queries. A name repeated (retries, caching resolvers) counts once. State is
 * bounded (`EXFIL_MAX_KEYS` pairs, `EXFIL_MAX_NAMES_PER_KEY` names each), evictions counted in `stats()`.
 */
export const EXFIL_WINDOW_MS = 10 * 60_000;
export const EXFIL_THRESHOLD = 20;
export const EXFIL_MIN_BYTES = 2048;
export const EXFIL_MIN_LABEL = 30;
export const EXFIL_MIN_ENTROPY = 3.5;
export const EXFIL_MIN_HEX_ENTROPY = 3.0;
export const EXFIL_MAX_KEYS = 50_000;
export const EXFIL_MAX_NAMES_PER_KEY = 256;

/** Second-level suffixes under which the registrable domain has three labels (approximate; not the PSL). */
export const SECOND_LEVEL_SUFFIXES: ReadonlySet<string> = new Set([
  'co.uk',
  'org.uk',
  'ac.uk',
  'gov.uk',
  'com.au',
  'net.au',
  'org.au',
  'co.nz',
  'co.jp',
  'ne.jp',
  'co.kr',
  'co.in',
  'co.za',
  'com.br',
  'com.cn',
  'com.hk',
  'com.mx',
  'com.sg',
  'com.tr',
  'com.tw',
]);

/** Names under these suffixes are never judged (see the module comment). */
export const EXFIL_EXCLUDED_SUFFIXES: readonly string[] = [
  // Reverse lookups and private names: answered inside the VPC or by the resolver.
  'arpa',
  'internal',
  'local',
  'localdomain',
  // AWS zones: AWS's authoritative servers answer them.
  'amazonaws.com',
  'amazonaws.com.cn',
  'api.aws',
  'on.aws',
  'cloudfront.net',
  // CDN zones whose names are long hashes.
  'akamaiedge.net',
  'akamai.net',
  'akamaihd.net',
  'edgekey.net',
  'edgesuite.net',
  // DNS reputation look-ups of security products (file hashes in query names).
  'sophosxl.net',
  'avqs.mcafee.com',
  'avts.mcafee.com',
];

/** The base (approximately registrable) domain of a name, and the labels before it; `undefined` for a bare domain. */
export function splitBaseDomain(name: string): { base: string; sub: string[] } | undefined {
  const labels = name.split('.');
  if (labels.length < 3) return undefined;
  const lastTwo = `${labels[labels.length - 2]}.${labels[labels.length - 1]}`;
  const n = SECOND_LEVEL_SUFFIXES.has(lastTwo) ? 3 : 2;
  if (labels.length <= n) return undefined;
  return { base: labels.slice(-n).join('.'), sub: labels.slice(0, -n) };
}

/** Shannon entropy of `s` in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const HEX = /^[0-9a-f]+$/;

/** True when a label looks like encoded data (see the module comment). */
export function looksEncoded(label: string): boolean {
  if (label.length < EXFIL_MIN_LABEL) return false;
  const h = shannonEntropy(label);
  if (h >= EXFIL_MIN_ENTROPY) return true;
  return HEX.test(label) && /[0-9]/.test(label) && /[a-f]/.test(label) && h >= EXFIL_MIN_HEX_ENTROPY;
}

function excluded(name: string): boolean {
  return EXFIL_EXCLUDED_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`));
}

/** The base domain and encoded size of a qualifying query, or `undefined`. */
export function qualifying(name: string): { base: string; bytes: number } | undefined {
  if (excluded(name)) return undefined;
  const split = splitBaseDomain(name);
  if (!split) return undefined;
  let longest = '';
  let bytes = 0;
  for (const l of split.sub) {
    bytes += l.length;
    if (l.length > longest.length) longest = l;
  }
  return looksEncoded(longest) ? { base: split.base, bytes } : undefined;
}

interface KeyState {
  /** Distinct qualifying names of the window -> event time and encoded bytes, oldest first (bounded). */
  names: Map<string, { time: number; bytes: number }>;
  /** Encoded bytes of `names`. */
  bytes: number;
  fired: boolean;
  last: number;
}

export interface DnsExfilState {
  /** By instance | base domain, least recently active first. */
  keys: Map<string, KeyState>;
  now: number;
  counters: { qualifyingQueries: number; repeatedNames: number; lateQueries: number; expiredKeys: number; evictedKeys: number; evictedNames: number };
}

const SWEEP_PER_QUERY = 4;

export const detector: DnsDetector<DnsExfilState> = {
  meta: {
    id: 'trojan-ec2-dns-data-exfiltration',
    findingType: 'Trojan:EC2/DNSDataExfiltration',
    severity: SEVERITY.High,
    dataSource: 'DNS logs',
    summary: `An EC2 instance is exfiltrating data through DNS queries: ${EXFIL_THRESHOLD} or more distinct names with long, encoded-looking labels under one domain within ${EXFIL_WINDOW_MS / 60_000} minutes.`,
    aggregation: 'instance (or source address) + base domain',
  },

  createState: () => ({
    keys: new Map(),
    now: Number.NEGATIVE_INFINITY,
    counters: { qualifyingQueries: 0, repeatedNames: 0, lateQueries: 0, expiredKeys: 0, evictedKeys: 0, evictedNames: 0 },
  }),

  stats: (s) => ({ ...s.counters, trackedKeys: s.keys.size }),

  evaluate(q: DnsQuery, _ctx, s) {
    const hit = qualifying(q.queryName);
    if (!hit) return undefined;
    s.counters.qualifyingQueries++;
    const t = q.time;
    if (t > s.now) s.now = t;
    sweep(s);

    const source = q.instanceId ?? q.srcText;
    const mapKey = `${source}|${hit.base}`;
    let k = s.keys.get(mapKey);
    if (k) s.keys.delete(mapKey);
    // A pair quiet for a whole window starts over.
    if (!k || t > k.last + EXFIL_WINDOW_MS) k = { names: new Map(), bytes: 0, fired: false, last: t };
    if (t > k.last) k.last = t;
    remember(s, mapKey, k);

    if (!k.fired && t < k.last - EXFIL_WINDOW_MS) {
      s.counters.lateQueries++;
      return undefined;
    }
    if (k.names.has(q.queryName)) {
      s.counters.repeatedNames++;
      return undefined;
    }
    k.names.set(q.queryName, { time: t, bytes: hit.bytes });
    k.bytes += hit.bytes;
    // Oldest first: drop the names that fell out of the window, then beyond the per-key cap.
    const from = k.last - EXFIL_WINDOW_MS;
    for (const [name, v] of k.names) {
      if (v.time >= from && k.names.size <= EXFIL_MAX_NAMES_PER_KEY) break;
      if (v.time >= from) s.counters.evictedNames++;
      k.names.delete(name);
      k.bytes -= v.bytes;
    }

    let count: number;
    let firstSeen: number | undefined;
    if (k.fired) {
      count = 1;
    } else {
      if (k.names.size < EXFIL_THRESHOLD && k.bytes < EXFIL_MIN_BYTES) return undefined;
      count = k.names.size;
      firstSeen = Math.min(...[...k.names.values()].map((v) => v.time));
      k.fired = true;
    }

    const who = dnsInstance(q);
    const result: Hit = {
      type: this.meta.findingType,
      severity: this.meta.severity,
      ...dnsHitBase(q),
      key: [source, hit.base],
      resource: who.resource,
      action: { actionType: 'DNS_REQUEST', dnsRequestAction: { domain: hit.base, protocol: q.transport, blocked: q.firewallRuleAction === 'BLOCK' } },
      resourceRole: 'ACTOR',
      additionalInfo: {
        ...who.note,
        dnsExfiltration: {
          baseDomain: hit.base,
          sampleQuery: q.queryName,
          queriesInWindow: k.names.size,
          encodedBytesInWindow: k.bytes,
          queryThreshold: EXFIL_THRESHOLD,
          byteThreshold: EXFIL_MIN_BYTES,
          minLabelLength: EXFIL_MIN_LABEL,
          minEntropyBitsPerChar: EXFIL_MIN_ENTROPY,
          windowSeconds: EXFIL_WINDOW_MS / 1000,
        },
      },
      title: `${who.name} is exfiltrating data through DNS queries.`,
      description: `${who.name} is querying many names under ${hit.base} whose labels resemble encoded data (e.g. ${q.queryName}): malware can encode data into DNS queries and send it to a DNS server the attacker controls. The instance is likely compromised.`,
      count,
    };
    if (firstSeen !== undefined) result.firstSeen = firstSeen;
    return result;
  },

  cases: cases(),
};

/** Stores `k` as the most recently active pair, evicting the least recently active one beyond the cap. */
function remember(s: DnsExfilState, mapKey: string, k: KeyState): void {
  if (s.keys.size >= EXFIL_MAX_KEYS) {
    const oldest = s.keys.keys().next();
    if (!oldest.done) {
      s.keys.delete(oldest.value);
      s.counters.evictedKeys++;
    }
  }
  s.keys.set(mapKey, k);
}

/** Expires a few of the least recently active pairs when they have been quiet for a whole window. */
function sweep(s: DnsExfilState): void {
  let n = 0;
  for (const [mapKey, k] of s.keys) {
    if (n++ >= SWEEP_PER_QUERY || k.last >= s.now - EXFIL_WINDOW_MS) return;
    s.keys.delete(mapKey);
    s.counters.expiredKeys++;
  }
}

/** A query line (the custom-list module's builder) at `seconds` after 2021-03-08T18:00:00Z. */
export function queryAt(name: string, seconds: number, o: Parameters<typeof query>[1] = {}): string {
  const record = JSON.parse(query(name, o)) as Record<string, unknown>;
  record.query_timestamp = new Date(Date.UTC(2021, 2, 8, 18, 0, 0) + seconds * 1000).toISOString().replace('.000Z', 'Z');
  return JSON.stringify(record);
}

/** `n` deterministic pseudo-random strings of `length` characters of `alphabet` (test data). */
export function encodedChunks(n: number, length: number, alphabet: string, seed = 0x2545f491): string[] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return Array.from({ length: n }, () => Array.from({ length }, () => alphabet[next() % alphabet.length]).join(''));
}

/** `n` distinct encoded-looking names under `base` (base32-like chunks of 52 characters, then a counter label). */
export function exfilNames(n: number, base: string): string[] {
  return encodedChunks(n, 52, 'abcdefghijklmnopqrstuvwxyz234567').map((label, i) => `${label}.${i.toString(36)}.${base}`);
}

function cases(): LogCase[] {
  const base = 'exfil-attacker.example';
  const lines = (names: string[], step = 10, o: Parameters<typeof query>[1] = {}) => names.map((n, i) => queryAt(n, i * step, o));
  const hex = encodedChunks(22, 60, '0123456789abcdef', 7);
  return [
    { name: 'positive: 25 distinct encoded names under one domain in 4 minutes', lines: lines(exfilNames(25, base)), expect: 1 },
    {
      name: 'positive: dnscat2-style hex chunks behind a short tag (co.uk base domain), and a second instance',
      lines: [
        ...Array.from({ length: 22 }, (_, i) => queryAt(`dnscat.${hex[i]}.tunnel.co.uk`, i * 5)),
        ...lines(exfilNames(20, base), 10, { instance: 'i-0123456789abcdef0' }),
      ],
      expect: 2,
    },
    { name: 'negative: 19 distinct encoded names (just below the threshold)', lines: lines(exfilNames(19, base)), expect: 0 },
    {
      name: 'negative: 25 encoded names spread over 50 minutes (never 20 within 10 minutes)',
      lines: lines(exfilNames(25, base), 120),
      expect: 0,
    },
    {
      name: 'negative: long low-entropy labels (aaaa..., 0000...)',
      lines: Array.from({ length: 30 }, (_, i) => queryAt(`${'a'.repeat(40 + i)}.${'0'.repeat(32)}.${base}`, i)),
      expect: 0,
    },
    {
      name: 'negative: CDN and AWS names with long hashed labels, reverse lookups',
      lines: [
        ...exfilNames(25, 'akamaiedge.net').map((n, i) => queryAt(n, i)),
        ...exfilNames(25, 'elb.us-west-2.amazonaws.com').map((n, i) => queryAt(n, i)),
        ...exfilNames(25, 'ip6.arpa').map((n, i) => queryAt(n, i)),
        queryAt('d111111abcdef8.cloudfront.net', 1),
      ],
      expect: 0,
    },
    {
      name: 'negative: one long name repeated 30 times (a health check) counts once',
      lines: Array.from({ length: 30 }, (_, i) => queryAt(exfilNames(1, base)[0]!, i * 10)),
      expect: 0,
    },
  ];
}
