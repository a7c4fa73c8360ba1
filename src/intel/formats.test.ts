import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED } from '../../test/helpers.js';
import { type Cidr, formatIp } from '../core/ip.js';
import {
  csvRecords,
  detectFormat,
  type ListFormat,
  normaliseDomain,
  type ParseListOptions,
  parseList,
  parseListFormat,
  parseStixPattern,
  rangeToCidrs,
} from './formats.js';

const SAMPLES = join(SHARED, 'reference', 'examples', 'threat-lists');
const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'intel');
const sample = (f: string) => readFileSync(join(SAMPLES, f), 'utf8');
const fixture = (f: string) => readFileSync(join(FIXTURES, f), 'utf8');
const text = (c: Cidr) => `${formatIp(c.v === 4 ? { v: 4, n: c.n } : { v: 6, n: c.n })}/${c.len}`;
const parse = (body: string, path: string, o: Partial<ParseListOptions> = {}) => parseList(body, path, { maxEntries: 250_000, ...o });
const locations = (r: { errors: Array<{ location: string }> }) => r.errors.map((e) => e.location);

const ALL = ['192.0.2.0/24', '198.51.100.1/32', '203.0.113.1/32'];
const NO_CIDR = ['198.51.100.1/32', '203.0.113.1/32'];

describe('the reference samples (shared/reference/examples/threat-lists)', () => {
  const cases: Array<[string, ListFormat, string[]]> = [
    ['TXT.txt', 'TXT', ALL],
    ['STIX.xml', 'STIX', ALL],
    ['OTX_CSV.csv', 'OTX_CSV', ALL],
    ['FIRE_EYE.csv', 'FIRE_EYE', ALL],
    ['PROOF_POINT.csv', 'PROOF_POINT', NO_CIDR],
    ['ALIEN_VAULT.txt', 'ALIEN_VAULT', NO_CIDR],
  ];
  for (const [file, format, expected] of cases) {
    it(`${file} is detected as ${format} and holds the documented entries`, () => {
      const body = sample(file);
      expect(detectFormat(body, file)).toBe(format);
      const detected = parse(body, file, { kind: 'ip' });
      expect(detected.format).toBe(format);
      expect(detected.errors).toEqual([]);
      expect(detected.ips.map(text)).toEqual(expected);
      expect(detected.domains).toEqual([]);
      const given = parse(body, file, { format, kind: 'ip' });
      expect(given.ips.map(text)).toEqual(expected);
    });
  }
});

describe('detectFormat', () => {
  it('recognises each format from the content, whatever the file is called', () => {
    expect(detectFormat('198.51.100.1\n', 'x.csv')).toBe('TXT');
    expect(detectFormat('# only comments\n\n', 'x')).toBe('TXT');
    expect(detectFormat('', 'x')).toBe('TXT');
    expect(detectFormat('\ufeff  evil.example.com\n', 'x')).toBe('TXT');
    expect(detectFormat(fixture('domains-stix.xml'), 'x.txt')).toBe('STIX');
    expect(detectFormat(fixture('stix2.json'), 'x.txt')).toBe('STIX2');
    expect(detectFormat(fixture('domains-otx.csv'), 'x')).toBe('OTX_CSV');
    expect(detectFormat(fixture('domains-proofpoint.csv'), 'x')).toBe('PROOF_POINT');
    expect(detectFormat(fixture('domains-fireeye.csv'), 'x')).toBe('FIRE_EYE');
    expect(detectFormat(fixture('domains-alienvault.txt'), 'x')).toBe('ALIEN_VAULT');
  });

  it('a TXT line with a trailing comment is not AlienVault', () => {
    expect(detectFormat('198.51.100.1 # seen 2024\n', 'x')).toBe('TXT');
    expect(detectFormat('198.51.100.1#comment\n', 'x')).toBe('TXT');
  });

  it('gives undefined for XML, JSON and CSV it does not know', () => {
    expect(detectFormat('<?xml version="1.0"?><rss></rss>', 'x.xml')).toBeUndefined();
    expect(detectFormat('{"type": "report"}', 'x.json')).toBeUndefined();
    expect(detectFormat('{not json', 'x.json')).toBeUndefined();
    expect(detectFormat('address, note\n198.51.100.1, x\n', 'x.csv')).toBeUndefined();
  });

  it('parseList reports an unrecognised format with the path', () => {
    const r = parse('a, b\n1, 2\n', 'feed.csv');
    expect(r.format).toBeUndefined();
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^feed\.csv: unrecognised list format/)]);
  });

  it('parses format names in any case', () => {
    expect(parseListFormat('otx_csv')).toBe('OTX_CSV');
    expect(parseListFormat(' Stix ')).toBe('STIX');
    expect(parseListFormat('CSV')).toBeUndefined();
  });
});

describe('domains', () => {
  it('normalises: lower case, no trailing dot, IDNA, wildcard as a suffix rule', () => {
    expect(normaliseDomain('Evil.Example.COM.')).toEqual({ domain: 'evil.example.com' });
    expect(normaliseDomain('*.Example.com')).toEqual({ domain: '*.example.com' });
    expect(normaliseDomain('*.tk')).toEqual({ domain: '*.tk' });
    expect(normaliseDomain('xn--bcher-kva.example')).toEqual({ domain: 'xn--bcher-kva.example' });
    expect(normaliseDomain('bücher.example')).toEqual({ domain: 'xn--bcher-kva.example' });
    expect(normaliseDomain('_dmarc.example.com')).toEqual({ domain: '_dmarc.example.com' });
  });

  it('rejects bad label syntax, single labels, numeric TLDs and misplaced wildcards', () => {
    for (const bad of [
      'bad..example.com',
      '-dash.example.com',
      'dash-.example.com',
      'a.*.example.com',
      '*',
      'localhost',
      '1.2.3.999',
      `${'a'.repeat(64)}.com`,
      'sp ace.com',
      'evil.example.com/path',
      '',
    ]) {
      expect(normaliseDomain(bad), bad).toHaveProperty('error');
    }
    expect(normaliseDomain(`${'a.'.repeat(126)}com`)).toHaveProperty('error'); // 255 characters
  });

  const DOMAINS = ['evil.example.com', 'malware.example.net'];
  const cases: Array<[string, ListFormat, string[]]> = [
    ['domains.txt', 'TXT', ['evil.example.com', 'malware.example.net', '*.c2.example.org', 'xn--bcher-kva.example']],
    ['domains-stix.xml', 'STIX', ['evil.example.com', 'malware.example.net', '*.c2.example.org']],
    ['domains-otx.csv', 'OTX_CSV', DOMAINS],
    ['domains-proofpoint.csv', 'PROOF_POINT', DOMAINS],
    ['domains-fireeye.csv', 'FIRE_EYE', DOMAINS],
    ['domains-alienvault.txt', 'ALIEN_VAULT', DOMAINS],
    ['stix2.json', 'STIX2', ['evil.example.com']],
  ];
  for (const [file, format, expected] of cases) {
    it(`reads the domains of ${file} (${format})`, () => {
      const r = parse(fixture(file), file, { kind: 'domain' });
      expect(r.format).toBe(format);
      expect(r.errors).toEqual([]);
      expect(r.domains).toEqual(expected);
      expect(r.ips).toEqual([]);
    });
  }

  it('an IP list skips the domains of typed formats, and a domain list the addresses', () => {
    const otxIp = parse(fixture('domains-otx.csv'), 'd.csv', { kind: 'ip' });
    expect(otxIp.errors).toEqual([]);
    expect(otxIp.ips.map(text)).toEqual(['198.51.100.1/32']);
    expect(otxIp.ignored).toBe(4); // two domains, a hash and a URL
    const otxDomain = parse(fixture('domains-otx.csv'), 'd.csv', { kind: 'domain' });
    expect(otxDomain.ignored).toBe(3); // the address, a hash and a URL
    const fe = parse(fixture('domains-fireeye.csv'), 'f.csv', { kind: 'any' });
    expect(fe.ips.map(text)).toEqual(['198.51.100.1/32']);
    expect(fe.domains).toEqual(['evil.example.com', 'malware.example.net']);
    expect(fe.ignored).toBe(1); // the md5 row
  });

  it('in TXT a domain is an error for an IP list (no type column to say otherwise)', () => {
    const r = parse('198.51.100.1\nevil.example.com\n', 'l.txt', { kind: 'ip' });
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^l\.txt:2: a domain name is not an entry of an IP list: "evil\.example\.com"/)]);
    expect(r.ips.map(text)).toEqual(['198.51.100.1/32']);
    const any = parse('198.51.100.1\nevil.example.com\n', 'l.txt');
    expect(any.errors).toEqual([]);
    expect(any.domains).toEqual(['evil.example.com']);
  });

  it('reports each bad domain with its line and keeps the rest', () => {
    const r = parse(fixture('bad-domains.txt'), 'bad-domains.txt', { kind: 'domain' });
    expect(locations(r)).toEqual(['bad-domains.txt:2', 'bad-domains.txt:3', 'bad-domains.txt:4', 'bad-domains.txt:5']);
    expect(r.errors[4 - 4]?.message).toMatch(/empty label/);
    expect(r.errors[3]?.message).toMatch(/at least two labels/);
    expect(r.domains).toEqual(['evil.example.com', 'good.example.net']);
  });

  it('keeps each domain once', () => {
    expect(parse('a.example.com\nA.example.com.\na.example.com\n', 'x', { kind: 'domain' }).domains).toEqual(['a.example.com']);
  });
});

describe('malformed entries are reported with their line, the rest kept', () => {
  it('OTX_CSV', () => {
    const r = parse(fixture('bad-otx.csv'), 'bad-otx.csv', { kind: 'ip' });
    expect(locations(r)).toEqual(['bad-otx.csv:3', 'bad-otx.csv:4']);
    expect(r.errors[1]?.message).toMatch(/\/40/);
    expect(r.ips.map(text)).toEqual(NO_CIDR);
  });

  it('PROOF_POINT', () => {
    const r = parse(fixture('bad-proofpoint.csv'), 'bad-proofpoint.csv', { kind: 'ip' });
    expect(locations(r)).toEqual(['bad-proofpoint.csv:3']);
    expect(r.errors[0]?.message).toContain('not-an-ip');
    expect(r.ips.map(text)).toEqual(NO_CIDR);
  });

  it('ALIEN_VAULT', () => {
    const r = parse(fixture('bad-alienvault.txt'), 'bad-alienvault.txt', { kind: 'ip' });
    expect(locations(r)).toEqual(['bad-alienvault.txt:2']);
    expect(r.ips.map(text)).toEqual(NO_CIDR);
  });

  it('FIRE_EYE', () => {
    const r = parse(fixture('bad-fireeye.csv'), 'bad-fireeye.csv', { kind: 'ip' });
    expect(locations(r)).toEqual(['bad-fireeye.csv:3']);
    expect(r.errors[0]?.message).toContain('198.51.100.1.5');
    expect(r.ips.map(text)).toEqual(['192.0.2.0/24', '203.0.113.1/32']);
  });

  it('TXT', () => {
    const r = parse('192.0.2.1\nnope\n1.2.3.4/33\n203.0.113.1\n', 't.txt', { kind: 'ip' });
    expect(locations(r)).toEqual(['t.txt:2', 't.txt:3']);
    expect(r.ips.map(text)).toEqual(['192.0.2.1/32', '203.0.113.1/32']);
  });

  it('STIX 1.x: the value element line; other address categories are skipped; ranges become CIDRs', () => {
    const r = parse(fixture('stix-bad.xml'), 'stix-bad.xml', { kind: 'ip' });
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^stix-bad\.xml:9: not an IPv4 or IPv6 address: "198\.51\.100\.300"/),
      expect.stringMatching(/^stix-bad\.xml:12: range start is after its end/),
      expect.stringMatching(/^stix-bad\.xml:18: unsupported condition "StartsWith"/),
    ]);
    expect(r.ignored).toBe(1); // the e-mail address
    expect(r.ips.map(text)).toEqual(['198.51.100.1/32', '192.0.2.1/32', '192.0.2.2/31', '192.0.2.4/31', '192.0.2.6/32']);
  });

  it('STIX 1.x: malformed XML is reported with its line and DTDs are refused', () => {
    const broken = parse('<stix:STIX_Package xmlns:stix="http://stix.mitre.org/stix-1">\n<a>\n</b>\n</stix:STIX_Package>', 'b.xml', { format: 'STIX' });
    expect(broken.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^b\.xml:3: malformed XML: end tag <\/b> does not match <a>/)]);
    const dtd = parse('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<x>&a;</x>', 'd.xml', { format: 'STIX' });
    expect(dtd.errors[0]?.message).toMatch(/^d\.xml:2: malformed XML: document type definitions are not supported/);
  });

  it('STIX 2.1: the line of the indicator id, else its index; unsupported patterns reported, other observables skipped', () => {
    const ok = parse(fixture('stix2.json'), 'stix2.json', { kind: 'any' });
    expect(ok.errors).toEqual([]);
    expect(ok.ips.map(text)).toEqual([...ALL, '2001:db8::/32']);
    expect(ok.ignored).toBe(1); // the file-hash indicator
    const r = parse(fixture('stix2-bad.json'), 'stix2-bad.json', { kind: 'ip' });
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^stix2-bad\.json:13: unsupported pattern: .*AND/),
      expect.stringMatching(/^stix2-bad\.json:19: not an IPv4 or IPv6 address: "999\.1\.1\.1"/),
      expect.stringMatching(/^stix2-bad\.json#objects\[3\]: unsupported pattern: only = comparisons/),
    ]);
    expect(r.ips.map(text)).toEqual(['198.51.100.1/32']);
  });

  it('STIX 2.1 patterns: ORs and parentheses; everything else refused', () => {
    expect(parseStixPattern("([ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'it\\'s.example.com'])")).toEqual({
      values: [
        { object: 'ipv4-addr', value: '1.2.3.4' },
        { object: 'domain-name', value: "it's.example.com" },
      ],
    });
    for (const p of [
      "[ipv4-addr:value != '1.2.3.4']",
      "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']",
      "[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS",
      "[ipv4-addr:value ISSUBSET '1.2.3.0/24']",
      "[domain-name:resolves_to_refs[*].value = '1.2.3.4']",
      "[ipv4-addr:value = '1.2.3.4'",
    ]) {
      expect(parseStixPattern(p), p).toHaveProperty('error');
    }
  });
});

describe('limits', () => {
  it('an over-limit list is reported naming the path', () => {
    const r = parse('192.0.2.1\n192.0.2.2\n192.0.2.3\n', 'l.txt', { maxEntries: 2 });
    expect(r.errors.map((e) => e.message)).toEqual(["l.txt: 3 entries; a list holds at most 2 (GuardDuty's limit)"]);
  });

  it('a text over 35 MB is refused before parsing', () => {
    const r = parse('1'.repeat(35 * 1024 * 1024 + 1), 'big.txt');
    expect(r.errors[0]?.message).toMatch(/^big\.txt: list is 36700161 bytes; the limit is 36700160/);
  });

  it('keeps at most 1000 errors in detail and counts the rest', () => {
    const r = parse(Array.from({ length: 1500 }, () => 'nope').join('\n'), 'junk.txt', { kind: 'ip' });
    expect(r.errors).toHaveLength(1001);
    expect(r.errors[1000]?.message).toBe('junk.txt: 500 more invalid entries not listed');
  });
});

describe('helpers', () => {
  it('rangeToCidrs covers a range with the fewest CIDRs', () => {
    const cidrs = (a: string, b: string) => {
      const r = rangeToCidrs(a, b);
      if ('error' in r) throw new Error(r.error);
      return r.map(text);
    };
    expect(cidrs('192.0.2.0', '192.0.2.255')).toEqual(['192.0.2.0/24']);
    expect(cidrs('0.0.0.0', '255.255.255.255')).toEqual(['0.0.0.0/0']);
    expect(cidrs('198.51.100.7', '198.51.100.7')).toEqual(['198.51.100.7/32']);
    expect(cidrs('2001:db8::', '2001:db8::ffff')).toEqual(['2001:db8::/112']);
    expect(cidrs('255.255.255.254', '255.255.255.255')).toEqual(['255.255.255.254/31']);
    expect(rangeToCidrs('192.0.2.1', '2001:db8::1')).toHaveProperty('error');
  });

  it('csvRecords handles quotes, doubled quotes, embedded newlines and CRLF, with starting lines', () => {
    expect([...csvRecords('a, "b, c"\r\n\r\n"x ""y""", "multi\nline", z\r\nlast')]).toEqual([
      { line: 1, fields: ['a', 'b, c'] },
      { line: 3, fields: ['x "y"', 'multi\nline', 'z'] },
      { line: 5, fields: ['last'] },
    ]);
  });
});
