import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { rejected, tempDir } from '../../test/helpers.js';
import { IntelError } from '../core/errors.js';
import { type Ip, parseIp } from '../core/ip.js';
import { type AwsRanges, BUNDLED_AWS_RANGES, loadAwsRanges } from './aws-ranges.js';
import { countryName, Enricher } from './enrich.js';

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

  it('a configured country mmdb replaces the default; a city mmdb as countryDb also works', async () => {
    const e = await Enricher.open({ countryDb: COUNTRY_MMDB, asnDb: join(FIXTURES, 'asn-text.csv') });
    expect(e.lookup(ip('8.8.8.8')).country).toEqual({ countryCode: 'US', countryName: 'United States' });
    expect(e.describe()[0]).toMatchObject({ role: 'country', source: 'configured', paths: [COUNTRY_MMDB] });
  });

  it('a city mmdb fills country, city and location (ip-location-db city schema); lookups without city keep the rest', async () => {
    // No city database is packaged: a country mmdb stands in to check the path is used and nothing is invented.
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
