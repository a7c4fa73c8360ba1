import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { awsRanges, list, rejected, tempDir, tempFile } from '../../test/helpers.js';
import { IntelError, UsageError } from '../core/errors.js';
import { parseIp } from '../core/ip.js';
import { conventionNote, domainCategoryByName, domainListCategory, ipCategoryByName, ipListCategory } from './categories.js';
import { Intel } from './intel.js';
import { ListStore } from './list-store.js';
import { type DomainList, type IpList, type ListChange, loadDomainList, loadIpList, watchDomainList, watchList } from './threat-list.js';

const ip = (s: string) => {
  const r = parseIp(s);
  if (!r) throw new Error(`test setup: ${s}`);
  return r;
};

describe('list categories: explicit, else by name', () => {
  it('the naming convention (fallback): tor* for IP lists; c2*/cnc*/command-and-control*, crypto*/bitcoin*/mining* for domains', () => {
    expect(['tor', 'Tor', 'TOR-guards', 'tor-exit-nodes'].map(ipCategoryByName)).toEqual(['tor', 'tor', 'tor', 'tor']);
    expect(['exit-nodes', 'my-tor', 'abuse', 'c2'].map(ipCategoryByName)).toEqual(['threat', 'threat', 'threat', 'threat']);
    expect(['c2-feed', 'CnC', 'command-and-control-2024'].map(domainCategoryByName)).toEqual(['c2', 'c2', 'c2']);
    expect(['crypto-pools', 'Bitcoin', 'mining'].map(domainCategoryByName)).toEqual(['mining', 'mining', 'mining']);
    expect(['phishing', 'bad-c2', 'tor'].map(domainCategoryByName)).toEqual(['threat', 'threat', 'threat']);
  });

  it('an explicit category beats the name, both ways', () => {
    expect(ipListCategory({ name: 'exit-nodes', category: 'tor' })).toBe('tor');
    expect(ipListCategory({ name: 'tor-lookalike', category: 'threat' })).toBe('threat');
    expect(ipListCategory({ name: 'tor-lookalike' })).toBe('tor');
    expect(domainListCategory({ name: 'resolvers', category: 'c2' })).toBe('c2');
    expect(domainListCategory({ name: 'c2-lookalike', category: 'threat' })).toBe('threat');
    expect(domainListCategory({ name: 'pools', category: 'mining' })).toBe('mining');
  });

  it('notes a list whose category came from its name, and only that one', () => {
    expect(conventionNote('threat list', { name: 'tor-exits' })).toMatch(/threat list "tor-exits" has no category: taken as tor by its name/);
    expect(conventionNote('domain list', { name: 'CnC' })).toMatch(/taken as c2 by its name.*category: c2/);
    expect(conventionNote('threat list', { name: 'tor-exits', category: 'tor' })).toBeUndefined();
    expect(conventionNote('threat list', { name: 'tor-lookalike', category: 'threat' })).toBeUndefined();
    expect(conventionNote('threat list', { name: 'feed' })).toBeUndefined();
  });
});

describe('Intel: each list answers for its category only', () => {
  it('tor lists answer torNode, threat lists answer threat (explicit beats the name)', async () => {
    const intel = new Intel(await awsRanges(), [
      { ...list('exit-nodes', ['203.0.113.66']), category: 'tor' },
      { ...list('tor-lookalike', ['203.0.113.77']), category: 'threat' },
      list('tor-legacy', ['203.0.113.88']),
      list('feed', ['203.0.113.99']),
    ]);
    expect(intel.torNode(ip('203.0.113.66'))).toEqual(['exit-nodes']);
    expect(intel.threat(ip('203.0.113.66'))).toBeUndefined();
    expect(intel.threat(ip('203.0.113.77'))).toEqual(['tor-lookalike']);
    expect(intel.torNode(ip('203.0.113.77'))).toBeUndefined();
    expect(intel.torNode(ip('203.0.113.88'))).toEqual(['tor-legacy']);
    expect(intel.threat(ip('203.0.113.99'))).toEqual(['feed']);
    expect(intel.ipListCount('tor')).toBe(2);
    expect(intel.ipListCount('threat')).toBe(2);
    expect(intel.threatLists.map((l) => [l.name, l.category])).toEqual([
      ['exit-nodes', 'tor'],
      ['tor-lookalike', 'threat'],
      ['tor-legacy', 'tor'],
      ['feed', 'threat'],
    ]);
    // SHA-256 evidence is found whatever the category.
    expect(intel.listSha256('exit-nodes')).toBe('0'.repeat(64));
  });

  it('a Tor node that is trusted, or private, never matches', async () => {
    const intel = new Intel(await awsRanges(), [{ ...list('exit-nodes', ['203.0.113.66', '10.0.0.0/8']), category: 'tor' }], [list('ok', ['203.0.113.66'])]);
    expect(intel.torNode(ip('203.0.113.66'))).toBeUndefined();
    expect(intel.torNode(ip('10.1.2.3'))).toBeUndefined();
  });

  it('domain lists by category', async () => {
    const d = (name: string, domains: string[], category?: DomainList['category']): DomainList => ({
      name,
      path: `${name}.txt`,
      domains,
      sha256: '1'.repeat(64),
      ...(category ? { category } : {}),
    });
    const intel = new Intel(
      await awsRanges(),
      [],
      [],
      [d('resolvers', ['bad.example'], 'c2'), d('c2-lookalike', ['look.example'], 'threat'), d('pools', ['pool.example'], 'mining'), d('cnc', ['old.example'])],
    );
    expect(intel.domainThreat('x.bad.example', 'c2')).toEqual(['resolvers']);
    expect(intel.domainThreat('x.bad.example')).toBeUndefined();
    expect(intel.domainThreat('look.example')).toEqual(['c2-lookalike']);
    expect(intel.domainThreat('look.example', 'c2')).toBeUndefined();
    expect(intel.domainThreat('pool.example', 'mining')).toEqual(['pools']);
    expect(intel.domainThreat('old.example', 'c2')).toEqual(['cnc']);
    expect([intel.domainListCount('threat'), intel.domainListCount('c2'), intel.domainListCount('mining')]).toEqual([1, 2, 1]);
  });
});

describe('loading lists with a category', () => {
  it('keeps the category given, leaves it absent otherwise, and refuses one of the other kind', async () => {
    const path = tempFile('nodes.txt', '203.0.113.66\n');
    expect(await loadIpList({ name: 'exit-nodes', path, category: 'tor' })).toMatchObject({ name: 'exit-nodes', category: 'tor' });
    expect(await loadIpList(`tor-x=${path}`)).not.toHaveProperty('category');
    const err = await rejected(loadIpList({ name: 'x', path, category: 'c2' }));
    expect(err).toBeInstanceOf(IntelError);
    expect(err.message).toBe(`${path}: list category "c2" is not one of threat, tor`);
    const domains = tempFile('d.txt', 'bad.example\n');
    expect(await loadDomainList({ name: 'resolvers', path: domains, category: 'c2' })).toMatchObject({ category: 'c2' });
    await expect(loadDomainList({ name: 'x', path: domains, category: 'tor' })).rejects.toThrow(/domain list category "tor" is not one of threat, c2, mining/);
  });

  it('a reloaded list keeps its category', async () => {
    const dir = tempDir();
    const ips = join(dir, 'nodes.txt');
    const names = join(dir, 'names.txt');
    writeFileSync(ips, '203.0.113.66\n');
    writeFileSync(names, 'bad.example\n');
    const got: Array<ListChange<IpList> | ListChange<DomainList>> = [];
    const w = await watchList({ name: 'exit-nodes', path: ips, category: 'tor' }, (c) => got.push(c), { intervalMs: 20 });
    const wd = await watchDomainList({ name: 'resolvers', path: names, category: 'c2' }, (c) => got.push(c), { intervalMs: 20 });
    try {
      expect(w.current.category).toBe('tor');
      writeFileSync(ips, '203.0.113.66\n203.0.113.67\n');
      writeFileSync(names, 'bad.example\nworse.example\n');
      const end = Date.now() + 5000;
      while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(w.current).toMatchObject({ category: 'tor', entries: [expect.anything(), expect.anything()] });
      expect(wd.current).toMatchObject({ category: 'c2', domains: ['bad.example', 'worse.example'] });
    } finally {
      w.stop();
      wd.stop();
    }
  });
});

describe('ListStore: uploaded threat lists with a category', () => {
  const NOW = Date.parse('2026-01-01T00:00:00Z');

  it('stores the category, shows where it came from, and gives it to the Intel index', async () => {
    const s = new ListStore(new Database(':memory:'));
    const a = s.upload('threat', 'exit-nodes', '203.0.113.66\n', undefined, NOW, 'tor');
    expect(a).toMatchObject({ category: 'tor', categoryFrom: 'explicit' });
    const b = s.upload('threat', 'tor-lookalike', '203.0.113.77\n', undefined, NOW, 'threat');
    expect(b).toMatchObject({ category: 'threat', categoryFrom: 'explicit' });
    const c = s.upload('threat', 'tor-legacy', '203.0.113.88\n', undefined, NOW);
    expect(c).toMatchObject({ category: 'tor', categoryFrom: 'name' });
    const t = s.upload('trusted', 'office', '198.51.100.1\n', undefined, NOW);
    expect(t).not.toHaveProperty('category');
    for (const l of [a, b, c]) s.setActive(l.id, true, NOW);
    const intel = new Intel(await awsRanges(), s.active('threat'));
    expect(intel.torNode(ip('203.0.113.66'))).toEqual(['exit-nodes']);
    expect(intel.threat(ip('203.0.113.66'))).toBeUndefined();
    expect(intel.threat(ip('203.0.113.77'))).toEqual(['tor-lookalike']);
    expect(intel.torNode(ip('203.0.113.88'))).toEqual(['tor-legacy']);
  });

  it('uploading again replaces the category; a bad category, or one on a trusted list, is refused', () => {
    const s = new ListStore(new Database(':memory:'));
    const a = s.upload('threat', 'exit-nodes', '203.0.113.66\n', undefined, NOW, 'tor');
    const b = s.upload('threat', 'exit-nodes', '203.0.113.66\n', undefined, NOW, 'threat');
    expect(b).toMatchObject({ id: a.id, category: 'threat', categoryFrom: 'explicit' });
    expect(() => s.upload('threat', 'x', '203.0.113.1\n', undefined, NOW, 'Tor')).toThrow(UsageError);
    expect(() => s.upload('threat', 'x', '203.0.113.1\n', undefined, NOW, 'c2')).toThrow(/category: "c2" is not a threat list category \(one of threat, tor\)/);
    expect(() => s.upload('trusted', 'x', '203.0.113.1\n', undefined, NOW, 'tor')).toThrow(/only threat lists have a category/);
    expect(s.list().map((l) => l.name)).toEqual(['exit-nodes']);
  });

  it('adds the column to a database made before categories; its lists have none (the name decides)', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE intel_lists (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, format TEXT NOT NULL, content TEXT NOT NULL,
      entries INTEGER NOT NULL, sha256 TEXT NOT NULL, active INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      UNIQUE (kind, name))`);
    db.prepare('INSERT INTO intel_lists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run('1', 'threat', 'tor-old', 'TXT', '203.0.113.5\n', 1, 'x', 1, NOW);
    const s = new ListStore(db);
    expect(s.list()).toEqual([expect.objectContaining({ name: 'tor-old', category: 'tor', categoryFrom: 'name' })]);
    expect(s.active('threat')[0]).not.toHaveProperty('category');
    expect(s.upload('threat', 'new', '203.0.113.6\n', undefined, NOW, 'tor')).toMatchObject({ category: 'tor' });
    // Opening it again does not try to add the column twice.
    expect(() => new ListStore(db)).not.toThrow();
  });
});
