import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { awsRanges, SHARED } from '../../test/helpers.js';
import { IntelError, UsageError } from '../core/errors.js';
import { type Cidr, formatIp } from '../core/ip.js';
import { Intel } from './intel.js';
import { ListStore } from './list-store.js';
import { ListRefusedError } from './threat-list.js';

const SAMPLES = join(SHARED, 'reference', 'examples', 'threat-lists');
const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'intel');
const text = (c: Cidr) => `${formatIp(c.v === 4 ? { v: 4, n: c.n } : { v: 6, n: c.n })}/${c.len}`;
const store = () => new ListStore(new Database(':memory:'));
const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('ListStore', () => {
  it('stores a TXT list as before', () => {
    const s = store();
    const l = s.upload('threat', 'feed', '198.51.100.1\n', 'TXT', NOW);
    expect(l).toMatchObject({ kind: 'threat', name: 'feed', format: 'TXT', entries: 1, active: false });
    s.setActive(l.id, true, NOW);
    expect(s.active('threat').map((x) => x.entries.map(text))).toEqual([['198.51.100.1/32']]);
  });

  for (const [file, format, count] of [
    ['STIX.xml', 'STIX', 3],
    ['OTX_CSV.csv', 'OTX_CSV', 3],
    ['FIRE_EYE.csv', 'FIRE_EYE', 3],
    ['PROOF_POINT.csv', 'PROOF_POINT', 2],
    ['ALIEN_VAULT.txt', 'ALIEN_VAULT', 2],
  ] as const) {
    it(`accepts ${format}, named (any case) or detected`, () => {
      const s = store();
      const body = readFileSync(join(SAMPLES, file), 'utf8');
      const named = s.upload('threat', 'named', body, format.toLowerCase(), NOW);
      expect(named).toMatchObject({ format, entries: count });
      for (const auto of [undefined, '', 'AUTO']) expect(s.upload('trusted', 'auto', body, auto, NOW)).toMatchObject({ format, entries: count });
      s.setActive(named.id, true, NOW);
      const [active] = s.active('threat');
      expect(active?.format).toBe(format);
      expect(active?.entries).toHaveLength(count);
    });
  }

  it('replacing a list updates its format', () => {
    const s = store();
    const a = s.upload('threat', 'feed', '198.51.100.1\n', 'TXT', NOW);
    const b = s.upload('threat', 'feed', readFileSync(join(SAMPLES, 'OTX_CSV.csv'), 'utf8'), undefined, NOW);
    expect(b.id).toBe(a.id);
    expect(b).toMatchObject({ format: 'OTX_CSV', entries: 3 });
  });

  it('refuses an unknown format name, undetectable content and bad entries', () => {
    const s = store();
    expect(() => s.upload('threat', 'x', '198.51.100.1\n', 'CSV', NOW)).toThrow(UsageError);
    expect(() => s.upload('threat', 'x', 'a, b\n1, 2\n', undefined, NOW)).toThrow(/unrecognised list format/);
    const err = (() => {
      try {
        s.upload('threat', 'x', 'Indicator type, Indicator, Description\nIPv4, 198.51.100.1, x\nIPv4, nope, x\n', 'OTX_CSV', NOW);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected an error');
    })();
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toContain('threat list "x":3:');
    expect(s.list()).toEqual([]);
  });
});

/** The error `fn` throws (the test fails when it throws none). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('ListStore: domain lists', () => {
  it('stores a domain list with its category; the active ones feed Intel under that category only', async () => {
    const s = store();
    const c2 = s.upload('domain', 'beacons', 'evil-c2.example\n# a comment\n*.pool.example.net\n', undefined, NOW, 'c2');
    expect(c2).toMatchObject({ kind: 'domain', name: 'beacons', format: 'TXT', entries: 2, active: false, category: 'c2', categoryFrom: 'explicit' });
    const plain = s.upload('domain', 'phishing', 'login-update.example\n', 'TXT', NOW);
    expect(plain).toMatchObject({ category: 'threat', categoryFrom: 'name' });
    const byName = s.upload('domain', 'mining-pools', 'xmr.example\n', undefined, NOW);
    expect(byName).toMatchObject({ category: 'mining', categoryFrom: 'name' });
    expect(s.activeDomains()).toEqual([]);
    for (const l of [c2, plain, byName]) s.setActive(l.id, true, NOW);
    const active = s.activeDomains();
    expect(active.map((l) => [l.name, l.category, l.domains, l.path, l.sha256])).toEqual([
      ['beacons', 'c2', ['evil-c2.example', '*.pool.example.net'], `uploaded:${c2.id}`, c2.sha256],
      ['mining-pools', undefined, ['xmr.example'], `uploaded:${byName.id}`, byName.sha256],
      ['phishing', undefined, ['login-update.example'], `uploaded:${plain.id}`, plain.sha256],
    ]);
    // Domain lists are not IP lists: they never reach the address indexes.
    expect(s.active('threat')).toEqual([]);
    const intel = new Intel(await awsRanges(), s.active('threat'), s.active('trusted'), active);
    expect(intel.domainThreat('a.evil-c2.example', 'c2')).toEqual(['beacons']);
    expect(intel.domainThreat('evil-c2.example')).toBeUndefined();
    expect(intel.domainThreat('pool.example.net', 'c2')).toBeUndefined();
    expect(intel.domainThreat('x.pool.example.net', 'c2')).toEqual(['beacons']);
    expect(intel.domainThreat('xmr.example', 'mining')).toEqual(['mining-pools']);
    expect(intel.domainThreat('login-update.example')).toEqual(['phishing']);
    expect(intel.listSha256('beacons')).toBe(c2.sha256);
    s.setActive(c2.id, false, NOW);
    expect(s.activeDomains().map((l) => l.name)).toEqual(['mining-pools', 'phishing']);
    expect(s.remove(byName.id)).toBe(true);
    expect(s.list().map((l) => l.name)).toEqual(['beacons', 'phishing']);
  });

  for (const [file, format, count] of [
    ['domains-stix.xml', 'STIX', 3],
    ['domains-otx.csv', 'OTX_CSV', 2],
    ['domains-proofpoint.csv', 'PROOF_POINT', 2],
    ['domains-fireeye.csv', 'FIRE_EYE', 2],
    ['domains-alienvault.txt', 'ALIEN_VAULT', 2],
    ['stix2.json', 'STIX2', 1],
  ] as const) {
    it(`accepts a ${format} domain list, named or detected`, () => {
      const s = store();
      const body = readFileSync(join(FIXTURES, file), 'utf8');
      expect(s.upload('domain', 'named', body, format.toLowerCase(), NOW, 'c2')).toMatchObject({ format, entries: count });
      const detected = s.upload('domain', 'detected', body, 'AUTO', NOW, 'mining');
      expect(detected).toMatchObject({ format, entries: count });
      s.setActive(detected.id, true, NOW);
      expect(s.activeDomains()[0]).toMatchObject({ format, category: 'mining' });
      expect(s.activeDomains()[0]?.domains).toHaveLength(count);
    });
  }

  it('refuses a domain list with rejected entries, naming every one by its line, and stores nothing', () => {
    const s = store();
    const err = thrown(() => s.upload('domain', 'feed', 'good.example\nbad..example\nalso-good.example\n-bad-.example\n', 'TXT', NOW, 'c2'));
    expect(err).toBeInstanceOf(ListRefusedError);
    expect((err as ListRefusedError).errors.map((e) => e.location)).toEqual(['domain list "feed":2', 'domain list "feed":4']);
    expect(err.message).toContain('domain list "feed":2: ');
    expect(err.message).toContain('domain list "feed":4: ');
    expect(s.list()).toEqual([]);
  });

  it('refuses a domain list of addresses only, and categories the kind does not take', () => {
    const s = store();
    expect(() => s.upload('domain', 'ips', '198.51.100.1\n203.0.113.0/24\n', undefined, NOW)).toThrow(
      /domain list "ips": no domain names, only 2 other entries.*kind threat/,
    );
    // Addresses beside domains are skipped (entity lists hold both).
    expect(s.upload('domain', 'mixed', '198.51.100.1\nevil.example\n', undefined, NOW)).toMatchObject({ entries: 1 });
    expect(thrown(() => s.upload('domain', 'x', 'evil.example\n', undefined, NOW, 'tor'))).toBeInstanceOf(UsageError);
    expect(() => s.upload('domain', 'x', 'evil.example\n', undefined, NOW, 'tor')).toThrow(
      'category: "tor" is not a domain list category (one of threat, c2, mining)',
    );
    expect(() => s.upload('threat', 'x', '198.51.100.1\n', undefined, NOW, 'mining')).toThrow(/is not a threat list category \(one of threat, tor\)/);
    expect(() => s.upload('trusted', 'x', '198.51.100.1\n', undefined, NOW, 'c2')).toThrow(/only threat lists have a category/);
    expect(() => s.upload('blocked' as never, 'x', 'evil.example\n', undefined, NOW)).toThrow(/kind: "blocked" is not a list kind/);
    expect(s.list().map((l) => l.name)).toEqual(['mixed']);
  });

  it('threat and domain lists share one name space; trusted lists do not', () => {
    const s = store();
    s.upload('threat', 'feed', '198.51.100.1\n', undefined, NOW);
    expect(() => s.upload('domain', 'feed', 'evil.example\n', undefined, NOW)).toThrow(/an uploaded threat list is already named "feed"/);
    s.upload('domain', 'dfeed', 'evil.example\n', undefined, NOW);
    expect(() => s.upload('threat', 'dfeed', '198.51.100.1\n', undefined, NOW)).toThrow(/an uploaded domain list is already named "dfeed"/);
    expect(s.upload('trusted', 'feed', '198.51.100.2\n', undefined, NOW)).toMatchObject({ kind: 'trusted' });
    // Replacing a domain list keeps its id and its state, and takes the new category.
    const a = s.upload('domain', 'dfeed', 'evil.example\n', undefined, NOW, 'c2');
    s.setActive(a.id, true, NOW);
    const b = s.upload('domain', 'dfeed', 'evil.example\nworse.example\n', undefined, NOW, 'mining');
    expect(b).toMatchObject({ id: a.id, active: true, entries: 2, category: 'mining', categoryFrom: 'explicit' });
  });

  it('takes domain lists in a database made before list categories (the column is added)', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE intel_lists (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, format TEXT NOT NULL, content TEXT NOT NULL,
      entries INTEGER NOT NULL, sha256 TEXT NOT NULL, active INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      UNIQUE (kind, name))`);
    db.prepare('INSERT INTO intel_lists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run('1', 'threat', 'old', 'TXT', '203.0.113.5\n', 1, 'x', 1, NOW);
    const s = new ListStore(db);
    const d = s.upload('domain', 'c2-new', 'evil.example\n', undefined, NOW, 'c2');
    s.setActive(d.id, true, NOW);
    expect(s.activeDomains()).toEqual([expect.objectContaining({ name: 'c2-new', category: 'c2', domains: ['evil.example'] })]);
    expect(s.active('threat').map((l) => l.name)).toEqual(['old']);
    // Reopened, the same data.
    expect(new ListStore(db).list().map((l) => [l.kind, l.name])).toEqual([
      ['domain', 'c2-new'],
      ['threat', 'old'],
    ]);
  });
});
