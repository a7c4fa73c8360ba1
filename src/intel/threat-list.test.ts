import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejected, SHARED, tempDir, tempFile } from '../../test/helpers.js';
import { IntelError } from '../core/errors.js';
import { type Cidr, formatIp, parseCidr } from '../core/ip.js';
import {
  type DomainList,
  type IpList,
  type ListChange,
  ListRefusedError,
  loadDomainList,
  loadIpList,
  MAX_LIST_BYTES,
  MAX_THREAT_LIST_ENTRIES,
  parseListSpec,
  parseTxtList,
  watchDomainList,
  watchList,
} from './threat-list.js';

const SAMPLES = join(SHARED, 'reference', 'examples', 'threat-lists');
const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'intel');

const text = (c: Cidr) => `${formatIp(c.v === 4 ? { v: 4, n: c.n } : { v: 6, n: c.n })}/${c.len}`;

function cidr(s: string): Cidr {
  const r = parseCidr(s);
  if ('error' in r) throw new Error(`test setup: ${s}: ${r.error}`);
  return r;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parseListSpec', () => {
  it('splits NAME=FILE', () => {
    expect(parseListSpec('bad-actors=/lists/threats.txt')).toEqual({ name: 'bad-actors', path: '/lists/threats.txt' });
    expect(parseListSpec('x=y')).toEqual({ name: 'x', path: 'y' });
  });

  it('keeps everything after the first = as the path', () => {
    expect(parseListSpec('name=dir/a=b.txt')).toEqual({ name: 'name', path: 'dir/a=b.txt' });
  });

  it('names a plain FILE after its base name without extension', () => {
    expect(parseListSpec('/lists/threats.txt')).toEqual({ name: 'threats', path: '/lists/threats.txt' });
    expect(parseListSpec('threats.txt')).toEqual({ name: 'threats', path: 'threats.txt' });
    expect(parseListSpec('lists/threats')).toEqual({ name: 'threats', path: 'lists/threats' });
    expect(parseListSpec('feeds/list.tar.gz')).toEqual({ name: 'list.tar', path: 'feeds/list.tar.gz' });
  });

  it('treats a path with = after a slash as a plain FILE', () => {
    expect(parseListSpec('/data/k=v/feed.txt')).toEqual({ name: 'feed', path: '/data/k=v/feed.txt' });
    expect(parseListSpec('./lists/a=b.txt')).toEqual({ name: 'a=b', path: './lists/a=b.txt' });
    expect(parseListSpec('lists/a=b.txt')).toEqual({ name: 'a=b', path: 'lists/a=b.txt' });
  });

  it('does not take a leading = as an empty name', () => {
    expect(parseListSpec('=x.txt')).toEqual({ name: '=x', path: '=x.txt' });
  });
});

describe('parseTxtList', () => {
  it('parses addresses and CIDRs, IPv4 and IPv6, skipping comments and blank lines', () => {
    const entries = parseTxtList(
      [
        '# a threat list',
        '',
        '192.0.2.0/24',
        '198.51.100.1   # trailing comment',
        '   203.0.113.1   ',
        '\t',
        '2001:db8::/32',
        '2001:db8:1::7 # v6 host',
        '#198.51.100.99',
        '10.1.2.3/8',
        '::ffff:203.0.113.0/120',
      ].join('\n'),
      'list.txt',
    );
    expect(entries.map(text)).toEqual([
      '192.0.2.0/24',
      '198.51.100.1/32',
      '203.0.113.1/32',
      '2001:db8::/32',
      '2001:db8:1::7/128',
      '10.0.0.0/8',
      '203.0.113.0/24',
    ]);
  });

  it('accepts CRLF line endings, a trailing newline and a byte-order mark', () => {
    const entries = parseTxtList('\ufeff192.0.2.1\r\n# c\r\n\r\n2001:db8::1\r\n198.51.100.0/24 # c\r\n', 'list.txt');
    expect(entries.map(text)).toEqual(['192.0.2.1/32', '2001:db8::1/128', '198.51.100.0/24']);
  });

  it('returns an empty list for a file of comments', () => {
    expect(parseTxtList('# nothing\n\n# here\n', 'empty.txt')).toEqual([]);
    expect(parseTxtList('', 'empty.txt')).toEqual([]);
  });

  it('reports every invalid line as file:line and refuses the list', () => {
    const body = [
      '192.0.2.1', // 1
      '# ok', // 2
      '08.1.250.216', // 3 leading zero
      '198.51.100.0/24', // 4
      '', // 5
      '2001:db8::1', // 6
      'evil.example.com', // 7
      '1.2.3.4/33', // 8
      '1.2.3.4-1.2.3.9', // 9
      '203.0.113.1', // 10
    ].join('\r\n');
    const err = thrown(() => parseTxtList(body, 'list.txt'));
    expect(err).toBeInstanceOf(IntelError);
    expect((err as IntelError).code).toBe('E_INTEL');
    expect(err.message).toContain('list.txt:3:');
    expect(err.message).toContain('list.txt:7:');
    expect(err.message).toContain('list.txt:8:');
    expect(err.message).toContain('list.txt:9:');
    expect(err.message).toContain('08.1.250.216');
    expect(err.message).toContain('evil.example.com');
    expect(err.message).toMatch(/list\.txt:8: .*\/33/);
    for (const good of [1, 2, 4, 5, 6, 10]) expect(err.message).not.toContain(`list.txt:${good}:`);
  });

  it('stops after 20 invalid lines and says so', () => {
    const body = Array.from({ length: 30 }, (_, i) => `bad-${i + 1}`).join('\n');
    const err = thrown(() => parseTxtList(body, 'junk.txt'));
    expect(err.message).toContain('junk.txt:1:');
    expect(err.message).toContain('junk.txt:20:');
    expect(err.message).not.toContain('junk.txt:21:');
    expect(err.message).toMatch(/stopped after 20 invalid lines/);
  });

  it('keeps each reported line short even for a huge line', () => {
    const err = thrown(() => parseTxtList(`192.0.2.1\n${'x'.repeat(1_000_000)}\n`, 'huge.txt'));
    expect(err.message).toContain('huge.txt:2:');
    expect(err.message.length).toBeLessThan(500);
  });

  it('refuses more entries than the limit, and accepts exactly the limit', () => {
    const body = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '# comment', '192.0.2.4'].join('\n');
    expect(parseTxtList(body, 'four.txt', 4)).toHaveLength(4);
    const err = thrown(() => parseTxtList(body, 'four.txt', 3));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toContain('four.txt');
    expect(err.message).toMatch(/4 entries; a list holds at most 3/);
  });

  it("has GuardDuty's limits by default", () => {
    expect(MAX_THREAT_LIST_ENTRIES).toBe(250_000);
    expect(MAX_LIST_BYTES).toBe(35 * 1024 * 1024);
  });
});

describe('loadIpList', () => {
  it('loads a file, names it, and reports its SHA-256', async () => {
    const body = '# list\n192.0.2.0/24\n2001:db8::/32\n';
    const path = tempFile('bad-actors.txt', body);
    const list = await loadIpList(path);
    expect(list.name).toBe('bad-actors');
    expect(list.path).toBe(path);
    expect(list.entries).toEqual([cidr('192.0.2.0/24'), cidr('2001:db8::/32')]);
    expect(list.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(list.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes the name from NAME=FILE', async () => {
    const path = tempFile('x.txt', '198.51.100.1\n');
    const list = await loadIpList(`MyFeed=${path}`);
    expect(list.name).toBe('MyFeed');
    expect(list.path).toBe(path);
  });

  it('hashes the file bytes as they are (CRLF and all)', async () => {
    const body = Buffer.from('192.0.2.1\r\n198.51.100.1\r\n');
    const path = tempFile('crlf.txt', body);
    expect((await loadIpList(path)).sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('gives an IntelError naming the path of a missing file', async () => {
    const path = join(tempDir(), 'missing.txt');
    const err = await rejected(loadIpList(`feed=${path}`));
    expect(err).toBeInstanceOf(IntelError);
    expect((err as IntelError).location).toBe(path);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/cannot read list/);
  });

  it('gives an IntelError for a directory', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'lists.txt'));
    const err = await rejected(loadIpList(join(dir, 'lists.txt')));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toContain(join(dir, 'lists.txt'));
  });

  it('reports invalid lines with the file path', async () => {
    const path = tempFile('feed.txt', '192.0.2.1\nnope\n');
    const err = await rejected(loadIpList(path));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toContain(`${path}:2:`);
  });

  it('refuses an over-limit list', async () => {
    const path = tempFile('feed.txt', '192.0.2.1\n192.0.2.2\n192.0.2.3\n');
    await expect(loadIpList(path, 2)).rejects.toThrow(/3 entries; a list holds at most 2/);
    await expect(loadIpList(path, 3)).resolves.toMatchObject({ name: 'feed' });
  });

  it('refuses an empty or over-long name', async () => {
    const path = tempFile('x.txt', '192.0.2.1\n');
    await expect(loadIpList('')).rejects.toThrow(/list name must be 1-300 characters/);
    await expect(loadIpList(`${'n'.repeat(301)}=${path}`)).rejects.toThrow(/list name must be 1-300 characters/);
    await expect(loadIpList(`${'n'.repeat(300)}=${path}`)).resolves.toMatchObject({ name: 'n'.repeat(300) });
  });

  it('loads the reference TXT example as {192.0.2.0/24, 198.51.100.1, 203.0.113.1}', async () => {
    const path = join(SHARED, 'reference', 'examples', 'threat-lists', 'TXT.txt');
    const list = await loadIpList(path);
    expect(list.name).toBe('TXT');
    expect(list.entries.map(text)).toEqual(['192.0.2.0/24', '198.51.100.1/32', '203.0.113.1/32']);
    expect(list.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
  });
});

describe('loadIpList: every format', () => {
  const ALL = ['192.0.2.0/24', '198.51.100.1/32', '203.0.113.1/32'];
  for (const [file, expected] of [
    ['STIX.xml', ALL],
    ['OTX_CSV.csv', ALL],
    ['FIRE_EYE.csv', ALL],
    ['PROOF_POINT.csv', ALL.slice(1)],
    ['ALIEN_VAULT.txt', ALL.slice(1)],
  ] as const) {
    it(`detects and loads ${file}`, async () => {
      const list = await loadIpList(join(SAMPLES, file));
      expect(list.entries.map(text)).toEqual(expected);
      expect(list.format).toBe(file.replace(/\.\w+$/, ''));
      expect(list.sha256).toBe(
        createHash('sha256')
          .update(readFileSync(join(SAMPLES, file)))
          .digest('hex'),
      );
    });
  }

  it('takes { name, path, format }', async () => {
    const list = await loadIpList({ name: 'otx', path: join(SAMPLES, 'OTX_CSV.csv'), format: 'OTX_CSV' });
    expect(list.name).toBe('otx');
    expect(list.entries.map(text)).toEqual(ALL);
    const named = await loadIpList({ path: join(SAMPLES, 'TXT.txt') });
    expect(named.name).toBe('TXT');
  });

  it('a format given that does not fit the content: every line reported', async () => {
    const err = await rejected(loadIpList({ name: 'x', path: join(SAMPLES, 'OTX_CSV.csv'), format: 'TXT' }));
    expect(err).toBeInstanceOf(ListRefusedError);
    expect((err as ListRefusedError).errors).toHaveLength(4);
  });

  it('refuses a list with any bad entry, in every format, naming each (the TXT rule)', async () => {
    for (const [file, lines] of [
      ['bad-otx.csv', [3, 4]],
      ['bad-proofpoint.csv', [3]],
      ['bad-alienvault.txt', [2]],
      ['bad-fireeye.csv', [3]],
      ['stix-bad.xml', [9, 12, 18]],
      ['stix2-bad.json', [13, 19]],
    ] as const) {
      const path = join(FIXTURES, file);
      const err = await rejected(loadIpList(path));
      expect(err, file).toBeInstanceOf(ListRefusedError);
      expect((err as IntelError).location).toBe(path);
      for (const line of lines) expect(err.message, file).toContain(`${path}:${line}:`);
      expect((err as ListRefusedError).errors.length).toBeGreaterThanOrEqual(lines.length);
    }
  });

  it('refuses a list with nothing usable, with all its errors', async () => {
    const path = tempFile('junk.txt', 'nope\nnada\n');
    const err = (await rejected(loadIpList(path))) as ListRefusedError;
    expect(err.errors.map((e) => e.location)).toEqual([`${path}:1`, `${path}:2`]);
  });

  it('refuses content of no known format', async () => {
    const path = tempFile('feed.csv', 'address, note\n198.51.100.1, x\n');
    await expect(loadIpList(path)).rejects.toThrow(/unrecognised list format/);
  });
});

describe('loadDomainList', () => {
  it('loads domains from each format, skipping addresses', async () => {
    const txt = await loadDomainList(`bad-domains=${join(FIXTURES, 'domains.txt')}`);
    expect(txt).toMatchObject({
      name: 'bad-domains',
      format: 'TXT',
      domains: ['evil.example.com', 'malware.example.net', '*.c2.example.org', 'xn--bcher-kva.example'],
    });
    expect(txt.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(FIXTURES, 'domains.txt')))
        .digest('hex'),
    );
    const otx = await loadDomainList(join(FIXTURES, 'domains-otx.csv'));
    expect(otx.domains).toEqual(['evil.example.com', 'malware.example.net']);
    const stix = await loadDomainList({ name: 's', path: join(FIXTURES, 'domains-stix.xml'), format: 'STIX' });
    expect(stix.domains).toEqual(['evil.example.com', 'malware.example.net', '*.c2.example.org']);
    const ips = await loadDomainList(join(SAMPLES, 'TXT.txt'));
    expect(ips.domains).toEqual([]);
  });

  it('refuses a domain list with a bad entry, naming its line', async () => {
    const path = join(FIXTURES, 'bad-domains.txt');
    const err = await rejected(loadDomainList(path));
    expect(err).toBeInstanceOf(ListRefusedError);
    for (const line of [2, 3, 4, 5]) expect(err.message).toContain(`${path}:${line}:`);
  });
});

describe('watchList', () => {
  const INTERVAL = 20;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Waits for the next change the watcher reports. */
  function recorder<L>() {
    const changes: Array<ListChange<L>> = [];
    let wake: (() => void) | undefined;
    return {
      changes,
      onChange: (c: ListChange<L>) => {
        changes.push(c);
        wake?.();
      },
      async next(count: number, timeoutMs = 5000): Promise<ListChange<L>> {
        const end = Date.now() + timeoutMs;
        while (changes.length < count) {
          if (Date.now() > end) throw new Error(`no change ${count} within ${timeoutMs} ms`);
          await new Promise<void>((r) => {
            wake = r;
            setTimeout(r, 50);
          });
        }
        return changes[count - 1] as ListChange<L>;
      },
    };
  }

  it('reloads a rewritten file, and keeps the old list when the new content is refused', async () => {
    const dir = tempDir();
    const path = join(dir, 'feed.txt');
    writeFileSync(path, '198.51.100.1\n');
    const rec = recorder<IpList>();
    const w = await watchList(`feed=${path}`, rec.onChange, { intervalMs: INTERVAL });
    try {
      expect(w.current.entries.map(text)).toEqual(['198.51.100.1/32']);

      writeFileSync(path, '198.51.100.1\n203.0.113.0/24\n');
      const first = await rec.next(1);
      expect('list' in first && first.list.entries.map(text)).toEqual(['198.51.100.1/32', '203.0.113.0/24']);
      expect('list' in first && first.previous.entries.map(text)).toEqual(['198.51.100.1/32']);
      expect(w.current.name).toBe('feed');
      expect(w.current.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));

      writeFileSync(path, '198.51.100.1\nnot an address\n');
      const second = await rec.next(2);
      expect('error' in second && second.error.message).toContain(`${path}:2:`);
      expect(w.current.entries.map(text)).toEqual(['198.51.100.1/32', '203.0.113.0/24']);

      // The same bad content is reported once, not at every poll.
      await sleep(INTERVAL * 8);
      expect(rec.changes).toHaveLength(2);

      // A fix is picked up; the format is detected again (now OTX).
      const next = join(dir, 'next.csv');
      writeFileSync(next, 'Indicator type, Indicator, Description\nIPv4, 192.0.2.7, x\n');
      renameSync(next, path);
      const third = await rec.next(3);
      expect('list' in third && third.list.entries.map(text)).toEqual(['192.0.2.7/32']);
      expect('list' in third && third.list.format).toBe('OTX_CSV');
      expect(w.current.entries.map(text)).toEqual(['192.0.2.7/32']);
    } finally {
      w.stop();
    }
  });

  it('reports a removed file once and keeps the list; a touch without change is no change', async () => {
    const dir = tempDir();
    const path = join(dir, 'feed.txt');
    writeFileSync(path, '198.51.100.1\n');
    const rec = recorder<IpList>();
    const w = await watchList(path, rec.onChange, { intervalMs: INTERVAL });
    try {
      writeFileSync(path, '198.51.100.1\n'); // same bytes, new mtime
      await sleep(INTERVAL * 8);
      expect(rec.changes).toEqual([]);
      rmSync(path);
      const gone = await rec.next(1);
      expect('error' in gone && gone.error.message).toMatch(/cannot read list/);
      await sleep(INTERVAL * 5);
      expect(rec.changes).toHaveLength(1);
      expect(w.current.entries.map(text)).toEqual(['198.51.100.1/32']);
      writeFileSync(path, '198.51.100.2\n');
      const back = await rec.next(2);
      expect('list' in back && back.list.entries.map(text)).toEqual(['198.51.100.2/32']);
    } finally {
      w.stop();
    }
  });

  it('watches a domain list', async () => {
    const path = tempFile('domains.txt', 'evil.example.com\n');
    const rec = recorder<DomainList>();
    const w = await watchDomainList(path, rec.onChange, { intervalMs: INTERVAL });
    try {
      expect(w.current.domains).toEqual(['evil.example.com']);
      writeFileSync(path, 'evil.example.com\n*.c2.example.org\n');
      const c = await rec.next(1);
      expect('list' in c && c.list.domains).toEqual(['evil.example.com', '*.c2.example.org']);
    } finally {
      w.stop();
    }
  });

  it('fails like loadIpList when the first load fails', async () => {
    await expect(watchList(join(tempDir(), 'missing.txt'), () => {})).rejects.toThrow(/cannot read list/);
  });
});
