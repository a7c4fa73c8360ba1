import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejected, tempDir } from '../../test/helpers.js';
import { IntelError } from '../core/errors.js';
import { type Ip, parseIp } from '../core/ip.js';
import {
  type AwsRanges,
  awsServiceOf,
  BUNDLED_AWS_RANGES,
  compileAwsRanges,
  loadAwsRanges,
  resolveAwsRanges,
  updateAwsRanges,
  userAwsRangesPath,
} from './aws-ranges.js';

function ip(s: string): Ip {
  const r = parseIp(s);
  if (!r) throw new Error(`test setup: ${s}`);
  return r;
}

/** A small, valid ip-ranges.json document. */
function doc(createDate: string, v4: string[] = ['52.94.76.0/22', '3.5.140.0/22'], v6: string[] = ['2600:1f18::/36']): string {
  return JSON.stringify({
    syncToken: String(Date.parse(`${createDate.slice(0, 10)}T00:00:00Z`) / 1000),
    createDate,
    prefixes: v4.map((p) => ({ ip_prefix: p, region: 'us-east-1', service: 'EC2', network_border_group: 'us-east-1' })),
    ipv6_prefixes: v6.map((p) => ({ ipv6_prefix: p, region: 'us-east-1', service: 'EC2', network_border_group: 'us-east-1' })),
  });
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

const BUNDLED_DATE = '2026-08-22-21-17-05';

describe('the bundled ranges', () => {
  let bundled: AwsRanges;
  let raw: { createDate: string; syncToken: string; prefixes: Array<{ ip_prefix: string }>; ipv6_prefixes: Array<{ ipv6_prefix: string }> };

  beforeAll(async () => {
    bundled = await loadAwsRanges(BUNDLED_AWS_RANGES);
    raw = JSON.parse(readFileSync(BUNDLED_AWS_RANGES, 'utf8'));
  });

  it('compile with the document date and every prefix counted', () => {
    expect(raw.createDate).toBe(BUNDLED_DATE);
    expect(raw.prefixes).toHaveLength(10_666);
    expect(raw.ipv6_prefixes).toHaveLength(6_160);
    expect(bundled.createDate).toBe(BUNDLED_DATE);
    expect(bundled.syncToken).toBe(raw.syncToken);
    expect(bundled.prefixCount).toBe(16_826);
    expect(bundled.path).toBe(BUNDLED_AWS_RANGES);
    // The same prefix is listed once per service; the index keeps each network once.
    const distinct = new Set([...raw.prefixes.map((p) => p.ip_prefix), ...raw.ipv6_prefixes.map((p) => p.ipv6_prefix)]).size;
    expect(bundled.index.size).toBe(distinct);
  });

  it('hold EC2 addresses (IPv4 and IPv6)', () => {
    // 3.5.140.0/22 and 2406:daba:f000::/40 are EC2 prefixes in this document.
    expect(bundled.index.has(ip('3.5.140.1'))).toBe(true);
    expect(bundled.index.has(ip('3.5.143.254'))).toBe(true);
    expect(bundled.index.has(ip('2406:daba:f000::1'))).toBe(true);
    expect(bundled.index.has(ip('::ffff:3.5.140.1'))).toBe(true);
  });

  it('do not hold addresses outside AWS', () => {
    for (const a of ['192.0.2.1', '198.51.100.7', '203.0.113.1', '10.0.0.1', '127.0.0.1', '1.1.1.1', '2001:db8::1', '::1']) {
      expect(bundled.index.has(ip(a)), a).toBe(false);
    }
  });

  it('carry the service and region of each prefix', () => {
    // 3.5.140.0/22 is listed three times (AMAZON, S3, EC2) in ap-northeast-2.
    expect(awsServiceOf(bundled, ip('3.5.140.1'))).toEqual({ service: 'S3', region: 'ap-northeast-2', services: ['AMAZON', 'EC2', 'S3'] });
    expect(awsServiceOf(bundled, ip('2406:daba:f000::1'))).toEqual({ service: 'EC2', region: 'ap-southeast-4', services: ['AMAZON', 'EC2'] });
    expect(awsServiceOf(bundled, ip('1.1.1.1'))).toBeUndefined();
    // Every entry of the document is in the index under its prefix.
    for (const p of raw.prefixes as Array<{ ip_prefix: string; service: string; region: string }>) {
      const values = bundled.index.lookup(ip(p.ip_prefix.split('/')[0] as string)) ?? [];
      expect(
        values.some((v) => v.service === p.service && v.region === p.region),
        p.ip_prefix,
      ).toBe(true);
    }
  });

  it('agree with the document prefix by prefix (every listed network address is in the index)', () => {
    for (const p of raw.prefixes) expect(bundled.index.has(ip(p.ip_prefix.split('/')[0] as string))).toBe(true);
    for (const p of raw.ipv6_prefixes) expect(bundled.index.has(ip(p.ipv6_prefix.split('/')[0] as string))).toBe(true);
  });
});

describe('compileAwsRanges', () => {
  it('compiles a small document', () => {
    const r = compileAwsRanges(doc('2027-01-02-03-04-05'), 'small.json');
    expect(r.createDate).toBe('2027-01-02-03-04-05');
    expect(r.prefixCount).toBe(3);
    expect(r.path).toBe('small.json');
    expect(r.index.has(ip('52.94.76.1'))).toBe(true);
    expect(r.index.has(ip('2600:1f18::1'))).toBe(true);
    expect(r.index.has(ip('52.94.80.0'))).toBe(false);
    expect(r.index.lookup(ip('52.94.76.1'))).toEqual([{ service: 'EC2', region: 'us-east-1' }]);
  });

  it('prefers the specific service of the longest prefix over AMAZON, and interns the values', () => {
    const text = JSON.stringify({
      syncToken: '1',
      createDate: '2027-01-02-03-04-05',
      prefixes: [
        { ip_prefix: '10.0.0.0/8', region: 'us-east-1', service: 'AMAZON' },
        { ip_prefix: '10.1.0.0/16', region: 'eu-west-1', service: 'AMAZON' },
        { ip_prefix: '10.1.0.0/16', region: 'eu-west-1', service: 'CLOUDFRONT' },
        { ip_prefix: '10.2.0.0/16', region: 'us-east-1', service: 'AMAZON' },
      ],
      ipv6_prefixes: [],
    });
    const r = compileAwsRanges(text, 'x.json');
    expect(awsServiceOf(r, ip('10.1.2.3'))).toEqual({ service: 'CLOUDFRONT', region: 'eu-west-1', services: ['AMAZON', 'CLOUDFRONT'] });
    expect(awsServiceOf(r, ip('10.9.9.9'))).toEqual({ service: 'AMAZON', region: 'us-east-1', services: ['AMAZON'] });
    const [a] = r.index.lookup(ip('10.2.0.1')) ?? [];
    const [b] = r.index.lookup(ip('10.9.0.1')) ?? [];
    expect(a).toBe(b);
  });

  it.each([
    ['not JSON', 'Not JSON at all', /not valid JSON/],
    ['truncated JSON', doc('2027-01-02-03-04-05').slice(0, 60), /not valid JSON/],
    ['an array', '[]', /not an AWS ip-ranges\.json document/],
    ['missing prefixes', JSON.stringify({ syncToken: '1', createDate: '2027-01-02-03-04-05', ipv6_prefixes: [] }), /prefixes/],
    ['missing ipv6_prefixes', JSON.stringify({ syncToken: '1', createDate: '2027-01-02-03-04-05', prefixes: [] }), /ipv6_prefixes/],
    ['prefixes not an array', JSON.stringify({ syncToken: '1', createDate: '2027-01-02-03-04-05', prefixes: {}, ipv6_prefixes: [] }), /prefixes/],
    ['a bad createDate', doc('2027-01-02'), /createDate: expected YYYY-MM-DD-hh-mm-ss/],
    [
      'a prefix without ip_prefix',
      JSON.stringify({ syncToken: '1', createDate: '2027-01-02-03-04-05', prefixes: [{ region: 'x', service: 'y' }], ipv6_prefixes: [] }),
      /prefixes\.0\.ip_prefix/,
    ],
    ['a bad prefix', doc('2027-01-02-03-04-05', ['52.94.76.0/22', '52.94.999.0/22']), /bad prefix "52\.94\.999\.0\/22"/],
    ['a bad prefix length', doc('2027-01-02-03-04-05', ['52.94.76.0/33']), /bad prefix "52\.94\.76\.0\/33".*out of range/],
    ['a bad IPv6 prefix', doc('2027-01-02-03-04-05', [], ['2600:1f18::/36', 'zzzz::/36']), /bad prefix "zzzz::\/36"/],
    ['no prefixes at all', doc('2027-01-02-03-04-05', [], []), /has no prefixes/],
  ])('rejects %s with a clear message', (_label, text, message) => {
    const err = thrown(() => compileAwsRanges(text, '/tmp/ranges.json'));
    expect(err).toBeInstanceOf(IntelError);
    expect((err as IntelError).code).toBe('E_INTEL');
    expect(err.message).toContain('/tmp/ranges.json');
    expect(err.message).toMatch(message);
  });
});

describe('loadAwsRanges', () => {
  it('names the path of a missing file', async () => {
    const path = join(tempDir(), 'nope.json');
    const err = await rejected(loadAwsRanges(path));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/cannot read AWS IP ranges/);
  });
});

describe('userAwsRangesPath', () => {
  it('uses TRAILHOUND_HOME, else XDG_DATA_HOME/trailhound', () => {
    expect(userAwsRangesPath({ TRAILHOUND_HOME: '/th' })).toBe(join('/th', 'aws-ip-ranges.json'));
    expect(userAwsRangesPath({ XDG_DATA_HOME: '/xdg' })).toBe(join('/xdg', 'trailhound', 'aws-ip-ranges.json'));
    expect(userAwsRangesPath({ TRAILHOUND_HOME: '/th', XDG_DATA_HOME: '/xdg' })).toBe(join('/th', 'aws-ip-ranges.json'));
  });
});

describe('updateAwsRanges', () => {
  let server: Server;
  let base: string;
  const served: Record<string, { status: number; body: string }> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      const r = served[req.url ?? ''];
      if (!r) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(r.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    served['/ip-ranges.json'] = { status: 200, body: doc('2027-03-01-00-00-00') };
    served['/older.json'] = { status: 200, body: doc('2025-01-01-00-00-00') };
    served['/broken'] = { status: 500, body: 'Internal Server Error' };
    served['/html'] = { status: 200, body: '<html>captive portal</html>' };
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('copies a valid FILE to --out and reports what it wrote', async () => {
    const dir = tempDir();
    const from = join(dir, 'downloaded.json');
    const text = doc('2027-01-01-00-00-00');
    writeFileSync(from, text);
    const out = join(dir, 'nested', 'deeper', 'aws-ip-ranges.json');
    const { ranges, previous } = await updateAwsRanges(from, out);
    expect(previous).toBeUndefined();
    expect(ranges.createDate).toBe('2027-01-01-00-00-00');
    expect(ranges.path).toBe(out);
    expect(ranges.prefixCount).toBe(3);
    expect(readFileSync(out, 'utf8')).toBe(text);
    // Atomic: nothing but the file itself is left behind.
    expect(readdirSync(join(dir, 'nested', 'deeper'))).toEqual(['aws-ip-ranges.json']);
  });

  it('downloads from an http URL', async () => {
    const dir = tempDir();
    const out = join(dir, 'aws-ip-ranges.json');
    const { ranges, previous } = await updateAwsRanges(`${base}/ip-ranges.json`, out);
    expect(previous).toBeUndefined();
    expect(ranges.createDate).toBe('2027-03-01-00-00-00');
    expect(readFileSync(out, 'utf8')).toBe(served['/ip-ranges.json']?.body);
    expect(readdirSync(dir)).toEqual(['aws-ip-ranges.json']);
  });

  it('replaces an older copy and reports its date', async () => {
    const dir = tempDir();
    const out = join(dir, 'aws-ip-ranges.json');
    writeFileSync(out, doc('2026-01-01-00-00-00'));
    const { ranges, previous } = await updateAwsRanges(`${base}/ip-ranges.json`, out);
    expect(previous).toBe('2026-01-01-00-00-00');
    expect(ranges.createDate).toBe('2027-03-01-00-00-00');
    expect(JSON.parse(readFileSync(out, 'utf8')).createDate).toBe('2027-03-01-00-00-00');
    expect(readdirSync(dir)).toEqual(['aws-ip-ranges.json']);
  });

  it('accepts the same createDate again', async () => {
    const dir = tempDir();
    const out = join(dir, 'aws-ip-ranges.json');
    writeFileSync(out, doc('2027-03-01-00-00-00'));
    await expect(updateAwsRanges(`${base}/ip-ranges.json`, out)).resolves.toMatchObject({ previous: '2027-03-01-00-00-00' });
  });

  it('refuses a document older than the existing copy, leaving it untouched', async () => {
    const dir = tempDir();
    const out = join(dir, 'aws-ip-ranges.json');
    const existing = doc('2026-08-22-21-17-05');
    writeFileSync(out, existing);
    const err = await rejected(updateAwsRanges(`${base}/older.json`, out));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toMatch(/is older \(2025-01-01-00-00-00\) than the copy at .*\(2026-08-22-21-17-05\); not replaced/);
    expect(err.message).toContain(out);
    expect(readFileSync(out, 'utf8')).toBe(existing);
    expect(readdirSync(dir)).toEqual(['aws-ip-ranges.json']);

    const fromFile = join(dir, 'old-download.json');
    writeFileSync(fromFile, doc('2025-01-01-00-00-00'));
    await expect(updateAwsRanges(fromFile, out)).rejects.toThrow(/is older/);
    expect(readFileSync(out, 'utf8')).toBe(existing);
  });

  it('replaces an unreadable (corrupt) existing copy instead of failing on it (bug: updateAwsRanges loads the old copy and throws)', async () => {
    const dir = tempDir();
    const out = join(dir, 'aws-ip-ranges.json');
    writeFileSync(out, '{"trunc');
    const { ranges } = await updateAwsRanges(`${base}/ip-ranges.json`, out);
    expect(ranges.createDate).toBe('2027-03-01-00-00-00');
    expect(readFileSync(out, 'utf8')).toBe(served['/ip-ranges.json']?.body);
  });

  it('gives a clear error for HTTP 500 and writes nothing', async () => {
    const dir = tempDir();
    const out = join(dir, 'aws-ip-ranges.json');
    const err = await rejected(updateAwsRanges(`${base}/broken`, out));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toContain(`${base}/broken`);
    expect(err.message).toMatch(/download failed: HTTP 500/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives a clear error for a 404', async () => {
    const out = join(tempDir(), 'aws-ip-ranges.json');
    await expect(updateAwsRanges(`${base}/nothing-here`, out)).rejects.toThrow(/download failed: HTTP 404/);
  });

  it('refuses a download that is not an ip-ranges document, and keeps the old copy', async () => {
    const dir = tempDir();
    const out = join(dir, 'aws-ip-ranges.json');
    const existing = doc('2026-01-01-00-00-00');
    writeFileSync(out, existing);
    await expect(updateAwsRanges(`${base}/html`, out)).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(out, 'utf8')).toBe(existing);
  });

  it('gives a clear error when the server cannot be reached', async () => {
    // A port that was just free: connecting is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = await rejected(updateAwsRanges(`http://127.0.0.1:${port}/ip-ranges.json`, join(tempDir(), 'out.json')));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toMatch(/download failed/);
  });

  it('names a missing FILE', async () => {
    const from = join(tempDir(), 'missing.json');
    const err = await rejected(updateAwsRanges(from, join(tempDir(), 'out.json')));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toContain(from);
    expect(err.message).toMatch(/cannot read/);
  });
});

describe('resolveAwsRanges', () => {
  it('uses the bundled copy when there is no user copy', async () => {
    const r = await resolveAwsRanges(undefined, { TRAILHOUND_HOME: tempDir() });
    expect(r.path).toBe(BUNDLED_AWS_RANGES);
    expect(r.createDate).toBe(BUNDLED_DATE);
  });

  it('uses the user copy when it is newer than the bundled one', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'aws-ip-ranges.json'), doc('2027-01-01-00-00-00'));
    const r = await resolveAwsRanges(undefined, { TRAILHOUND_HOME: home });
    expect(r.path).toBe(join(home, 'aws-ip-ranges.json'));
    expect(r.createDate).toBe('2027-01-01-00-00-00');
    expect(r.prefixCount).toBe(3);
  });

  it('uses the bundled copy when the user copy is older', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'aws-ip-ranges.json'), doc('2025-06-01-00-00-00'));
    const r = await resolveAwsRanges(undefined, { TRAILHOUND_HOME: home });
    expect(r.path).toBe(BUNDLED_AWS_RANGES);
  });

  it('finds the copy written by updateAwsRanges to the default path', async () => {
    const home = join(tempDir(), 'th-home');
    mkdirSync(home);
    const env = { TRAILHOUND_HOME: home };
    const from = join(tempDir(), 'dl.json');
    writeFileSync(from, doc('2027-05-05-05-05-05'));
    await updateAwsRanges(from, userAwsRangesPath(env));
    const r = await resolveAwsRanges(undefined, env);
    expect(r.createDate).toBe('2027-05-05-05-05-05');
  });

  it('uses an explicit path whatever its date', async () => {
    const path = join(tempDir(), 'explicit.json');
    writeFileSync(path, doc('2020-01-01-00-00-00'));
    const home = tempDir();
    writeFileSync(join(home, 'aws-ip-ranges.json'), doc('2027-01-01-00-00-00'));
    const r = await resolveAwsRanges(path, { TRAILHOUND_HOME: home });
    expect(r.path).toBe(path);
    expect(r.createDate).toBe('2020-01-01-00-00-00');
  });
});
