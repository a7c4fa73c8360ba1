import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHit, tempDir } from '../../test/helpers.js';
import type { ApiEvent } from '../core/event.js';
import { aggregateOf, findingId } from './build.js';
import { FindingStore } from './store.js';

describe('FindingStore', () => {
  it('derives a stable 32-hex id from the aggregation key', () => {
    expect(findingId(makeHit({ time: 1, eventId: 'a' }))).toMatch(/^[0-9a-f]{32}$/);
    expect(findingId(makeHit({ time: 1, eventId: 'a' }))).toBe(findingId(makeHit({ time: 99, eventId: 'b', api: 'ListUsers' })));
    expect(findingId({ ...makeHit({ time: 1, eventId: 'a' }), key: ['other'] })).not.toBe(findingId(makeHit({ time: 1, eventId: 'a' })));
  });

  it('merges upserts atomically in SQL: counts add, times widen, the latest event wins', () => {
    const path = join(tempDir(), 'f.db');
    const a = new FindingStore(path);
    const b = new FindingStore(path);
    a.upsert([{ ...aggregateOf(makeHit({ time: 2000, eventId: 'e2', api: 'ListUsers' })), count: 3, firstSeen: 1000 }], 10);
    b.upsert([aggregateOf(makeHit({ time: 5000, eventId: 'e5', api: 'GetUser' }))], 20);
    a.upsert([aggregateOf(makeHit({ time: 500, eventId: 'e0', api: 'ListRoles' }))], 30);
    const [f] = b.findings();
    expect(f?.service.count).toBe(5);
    expect(f?.service.eventFirstSeen).toBe(new Date(500).toISOString());
    expect(f?.service.eventLastSeen).toBe(new Date(5000).toISOString());
    expect(f?.service.action.awsApiCallAction?.api).toBe('GetUser');
    expect(f?.createdAt).toBe(new Date(10).toISOString());
    expect(f?.updatedAt).toBe(new Date(30).toISOString());
    a.close();
    b.close();
  });

  it('filters findings by type and minimum severity', () => {
    const s = new FindingStore(':memory:');
    s.upsert(
      [
        aggregateOf(makeHit({ time: 1, eventId: 'a' })),
        aggregateOf({ ...makeHit({ time: 1, eventId: 'b' }), type: 'Policy:IAMUser/RootCredentialUsage', severity: 2, key: [] }),
      ],
      1,
    );
    expect(s.findings({ minSeverity: 4 }).map((f) => f.type)).toEqual(['Recon:IAMUser/MaliciousIPCaller.Custom']);
    expect(s.findings({ types: ['Policy:IAMUser/RootCredentialUsage'] })).toHaveLength(1);
    expect(s.findings({ ids: [] })).toEqual([]);
    s.close();
  });

  it('refuses a database written by an unknown schema version', () => {
    const path = join(tempDir(), 'f.db');
    const s = new FindingStore(path);
    s.db.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`).run();
    s.close();
    expect(() => new FindingStore(path)).toThrow(/schema version 99/);
  });
});

describe('FindingStore.eventsOf', () => {
  it('matches a role name literally (LIKE wildcards in the name are not wildcards)', async () => {
    const { toApiEvent } = await import('../parsers/cloudtrail.js');
    const { ct, instanceRole } = await import('../detectors/case-helpers.js');
    const s = new FindingStore(':memory:');
    for (const role of ['App_Role', 'AppXRole']) {
      const e = toApiEvent(ct({ eventName: 'GetUser', userIdentity: instanceRole(role, 'i-0a1b2c3d4e5f67890', `ASIA${role}`) }), 'x');
      if (e instanceof Error) throw e;
      s.recordEvent(e);
    }
    expect(s.eventsOf('App_Role', 0, Date.parse('2030-01-01')).map((e) => e.accessKeyId)).toEqual(['ASIAApp_Role']);
    expect(s.eventsOf('App%', 0, Date.parse('2030-01-01'))).toEqual([]);
    s.close();
  });
});

describe('FindingStore migration', () => {
  it('upgrades a version-1 database in place: findings kept and counted as already published', async () => {
    const { default: Database } = await import('better-sqlite3');
    const path = join(tempDir(), 'v1.db');
    const s = new FindingStore(path);
    s.upsert([aggregateOf(makeHit({ time: 1 }))], 5);
    s.close();
    // Turn it back into what version 1 wrote.
    const raw = new Database(path);
    raw.exec(`ALTER TABLE findings DROP COLUMN version; ALTER TABLE findings DROP COLUMN published_version;
      ALTER TABLE findings DROP COLUMN published_at; ALTER TABLE findings DROP COLUMN containment;
      DROP INDEX events_ip; DROP INDEX findings_archived_severity; ALTER TABLE findings DROP COLUMN suppressed_by;
      DROP TABLE filters; DROP TABLE filters_generation; ALTER TABLE events DROP COLUMN ingested_at;
      UPDATE meta SET value = '1' WHERE key = 'schema_version'`);
    raw.close();
    const upgraded = new FindingStore(path);
    expect(upgraded.findings().map((f) => f.service.count)).toEqual([1]);
    expect(upgraded.dueForPublication(10, 0)).toEqual([]);
    expect((upgraded.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string }).value).toBe('5');
    upgraded.close();
  });

  it('upgrades a version-2 database in place: findings, archive state and publication kept, suppression and address index added', async () => {
    const { default: Database } = await import('better-sqlite3');
    const path = join(tempDir(), 'v2.db');
    const s = new FindingStore(path);
    s.upsert([aggregateOf(makeHit({ time: 1 })), aggregateOf(makeHit({ time: 2, key: ['other'] }))], 5);
    s.markPublished(
      s.findings().map((f) => f.id),
      6,
    );
    const archivedId = findingId(makeHit({ key: ['other'] }));
    s.archive([archivedId], 7);
    s.close();
    // Turn it back into what version 2 wrote: no suppressed_by column, no filters, no address index.
    const raw = new Database(path);
    raw.exec(`DROP INDEX events_ip; DROP INDEX findings_archived_severity; ALTER TABLE findings DROP COLUMN suppressed_by;
      DROP TABLE filters; DROP TABLE filters_generation; ALTER TABLE events DROP COLUMN ingested_at; UPDATE meta SET value = '2' WHERE key = 'schema_version'`);
    raw.close();
    const upgraded = new FindingStore(path);
    expect((upgraded.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string }).value).toBe('5');
    expect(
      upgraded
        .findings()
        .map((f) => [f.id === archivedId, f.service.archived])
        .sort(),
    ).toEqual([
      [false, false],
      [true, true],
    ]);
    expect(upgraded.dueForPublication(10, 0)).toEqual([]);
    expect(upgraded.suppressedBy(archivedId)).toBeUndefined();
    const indexes = (upgraded.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).all() as Array<{ name: string }>).map((r) => r.name);
    expect(indexes).toContain('events_ip');
    // The new features work on the upgraded file.
    upgraded.suppression.create({ name: 'all-recon', action: 'ARCHIVE', criteria: { criterion: { type: { matches: ['Recon:*'] } } } }, 20);
    upgraded.upsert([aggregateOf(makeHit({ time: 3, key: ['third'] }))], 21);
    expect(upgraded.suppressedBy(findingId(makeHit({ key: ['third'] })))).toBe('all-recon');
    upgraded.close();
  });
});

async function apiEvent(o: { name: string; ip: string; time: string; user?: string }): Promise<ApiEvent> {
  const { toApiEvent } = await import('../parsers/cloudtrail.js');
  const { ct, iamUser } = await import('../detectors/case-helpers.js');
  const e = toApiEvent(
    ct({ eventName: o.name, sourceIPAddress: o.ip, eventTime: o.time, userIdentity: iamUser(o.user ?? 'alice', `AKIA${(o.user ?? 'alice').toUpperCase()}`) }),
    'x',
  );
  if (e instanceof Error) throw e;
  return e;
}

describe('FindingStore suppression', () => {
  const recon = { criterion: { type: { matches: ['Recon:*'] } } };
  const T = (n: number) => Date.parse('2026-01-01T00:00:00Z') + n * 60_000;

  it('auto-archives new and updated findings that an ARCHIVE rule matches; they are not due for publication', () => {
    const s = new FindingStore(join(tempDir(), 'f.db'));
    const id = findingId(makeHit());
    s.upsert([aggregateOf(makeHit({ time: T(1) }))], T(1));
    expect(s.dueForPublication(T(1), 0).map((f) => f.id)).toEqual([id]);
    s.markPublished([id], T(1));

    s.suppression.create({ name: 'no-recon', action: 'ARCHIVE', criteria: recon }, T(2));
    // An update of an existing finding: suppressed, not published.
    s.upsert([aggregateOf(makeHit({ time: T(3), eventId: 'e3' }))], T(3));
    expect(s.get(id)?.service.archived).toBe(true);
    expect(s.get(id)?.service.count).toBe(2);
    expect(s.suppressedBy(id)).toBe('no-recon');
    expect(s.dueForPublication(T(4), 0)).toEqual([]);
    // A new finding: stored (generated), archived, never published.
    const other = makeHit({ time: T(5), key: ['new-key'] });
    s.upsert([aggregateOf(other)], T(5));
    expect(s.get(findingId(other))?.service.archived).toBe(true);
    expect(s.dueForPublication(T(6), 0)).toEqual([]);
    // A finding the rule does not match stays current and is published.
    const policy = { ...makeHit({ time: T(7), key: ['p'] }), type: 'Policy:IAMUser/RootCredentialUsage' };
    s.upsert([aggregateOf(policy)], T(7));
    expect(s.get(findingId(policy))?.service.archived).toBe(false);
    expect(s.dueForPublication(T(8), 0).map((f) => f.id)).toEqual([findingId(policy)]);
    s.close();
  });

  it('NOOP filters do not archive; rules are taken in rank order; a deleted rule stops suppressing', () => {
    const s = new FindingStore(':memory:');
    s.suppression.create({ name: 'noop', action: 'NOOP', rank: 1, criteria: recon }, 1);
    const id = findingId(makeHit());
    s.upsert([aggregateOf(makeHit({ time: 1 }))], 1);
    expect(s.get(id)?.service.archived).toBe(false);
    s.suppression.create({ name: 'second', action: 'ARCHIVE', rank: 5, criteria: recon }, 2);
    s.suppression.create({ name: 'first', action: 'ARCHIVE', rank: 3, criteria: { criterion: { severity: { eq: ['5'] } } } }, 2);
    s.upsert([aggregateOf(makeHit({ time: 2, eventId: 'e2' }))], 2);
    expect(s.suppressedBy(id)).toBe('first');
    s.suppression.delete('first');
    s.upsert([aggregateOf(makeHit({ time: 3, eventId: 'e3' }))], 3);
    expect(s.suppressedBy(id)).toBe('second');
    s.suppression.delete('second');
    s.upsert([aggregateOf(makeHit({ time: 4, eventId: 'e4' }))], 4);
    expect(s.get(id)?.service.archived).toBe(false);
    expect(s.suppressedBy(id)).toBeUndefined();
    s.close();
  });

  it("a rule on service.archived = false (GuardDuty's own example) suppresses findings as they arrive", () => {
    const s = new FindingStore(':memory:');
    s.suppression.create(
      { name: 'gd-example', action: 'ARCHIVE', criteria: { Criterion: { 'service.archived': { Eq: ['false'] }, type: { Eq: [makeHit().type] } } } as never },
      1,
    );
    s.upsert([aggregateOf(makeHit({ time: 1 }))], 1);
    expect(s.get(findingId(makeHit()))?.service.archived).toBe(true);
    s.close();
  });

  it('manual archive: a later occurrence brings the finding back and publishes it, unless a rule suppresses it', () => {
    const s = new FindingStore(':memory:');
    const id = findingId(makeHit());
    s.upsert([aggregateOf(makeHit({ time: 1 }))], 1);
    s.markPublished([id], 1);
    expect(s.archive([id, 'missing'], 2)).toBe(1);
    expect(s.archive([id], 2)).toBe(0); // already archived
    const archived = s.get(id)!;
    expect(archived.service.archived).toBe(true);
    expect(archived.updatedAt).toBe(new Date(1).toISOString()); // archiving is not an update
    expect(archived.service.count).toBe(1);
    expect(s.dueForPublication(3, 0)).toEqual([]);
    expect(s.suppressedBy(id)).toBeUndefined();

    s.upsert([aggregateOf(makeHit({ time: 4, eventId: 'e4' }))], 4);
    expect(s.get(id)?.service.archived).toBe(false);
    expect(s.dueForPublication(5, 0).map((f) => f.id)).toEqual([id]);
    s.markPublished([id], 5);

    s.archive([id], 6);
    s.suppression.create({ name: 'no-recon', action: 'ARCHIVE', criteria: recon }, 6);
    s.upsert([aggregateOf(makeHit({ time: 7, eventId: 'e7' }))], 7);
    expect(s.get(id)?.service.archived).toBe(true);
    expect(s.suppressedBy(id)).toBe('no-recon');
    expect(s.dueForPublication(8, 0)).toEqual([]);
    s.close();
  });

  it('unarchive makes findings current without publishing them; later occurrences publish as updates', () => {
    const s = new FindingStore(':memory:');
    s.suppression.create({ name: 'no-recon', action: 'ARCHIVE', criteria: recon }, 1);
    const id = findingId(makeHit());
    s.upsert([aggregateOf(makeHit({ time: 1 }))], 1);
    expect(s.unarchive([id, 'missing'], 2)).toBe(1);
    expect(s.unarchive([id], 2)).toBe(0);
    expect(s.get(id)?.service.archived).toBe(false);
    expect(s.suppressedBy(id)).toBeUndefined();
    expect(s.dueForPublication(3, 0)).toEqual([]);
    s.suppression.delete('no-recon');
    s.upsert([aggregateOf(makeHit({ time: 4, eventId: 'e4' }))], 4);
    expect(s.dueForPublication(5, 0).map((f) => f.id)).toEqual([id]);
    expect(s.archive([], 1)).toBe(0);
    expect(s.unarchive([], 1)).toBe(0);
    s.close();
  });

  it('get returns the composed finding or undefined', () => {
    const s = new FindingStore(':memory:');
    s.upsert([aggregateOf(makeHit({ time: 1 }))], 1);
    expect(s.get(findingId(makeHit()))).toEqual(s.findings()[0]);
    expect(s.get('nope')).toBeUndefined();
    s.close();
  });
});

describe('FindingStore.events and purge', () => {
  it('finds events by principal, by address, or both; newest last; limit keeps the most recent', async () => {
    const s = new FindingStore(':memory:');
    const rows: Array<[string, string, string, string]> = [
      ['GetUser', '198.51.100.7', '2026-01-01T00:01:00Z', 'alice'],
      ['ListUsers', '203.0.113.9', '2026-01-01T00:03:00Z', 'alice'],
      ['ListRoles', '203.0.113.9', '2026-01-01T00:02:00Z', 'bob'],
      ['GetRole', '203.0.113.99', '2026-01-01T00:04:00Z', 'bob'],
      ['ListKeys', '203.0.113.9', '2026-01-02T00:00:00Z', 'bob'],
    ];
    for (const [name, ip, time, user] of rows) s.recordEvent(await apiEvent({ name, ip, time, user }));
    const since = Date.parse('2026-01-01T00:00:00Z');
    const until = Date.parse('2026-01-01T23:59:59Z');
    expect(s.events({ address: '203.0.113.9', since, until }).map((e) => e.api)).toEqual(['ListRoles', 'ListUsers']);
    expect(s.events({ principal: 'bob', since, until }).map((e) => e.api)).toEqual(['ListRoles', 'GetRole']);
    expect(s.events({ principal: 'bob', address: '203.0.113.9', since, until }).map((e) => e.api)).toEqual(['ListRoles']);
    expect(s.events({ principal: 'AKIAALICE', since, until }).map((e) => e.api)).toEqual(['GetUser', 'ListUsers']);
    expect(s.events({ address: '203.0.113', since, until })).toEqual([]); // exact, not a prefix
    expect(s.events({ since, until }).map((e) => e.api)).toEqual(['GetUser', 'ListRoles', 'ListUsers', 'GetRole']);
    expect(s.events({ since, until, limit: 2 }).map((e) => e.api)).toEqual(['ListUsers', 'GetRole']);
    expect(s.events({ address: '203.0.113.9', since, until: Date.parse('2026-01-03T00:00:00Z') }).map((e) => e.time)).toEqual([
      '2026-01-01T00:02:00.000Z',
      '2026-01-01T00:03:00.000Z',
      '2026-01-02T00:00:00.000Z',
    ]);
    for (const limit of [0, 10_001, 1.5]) expect(() => s.events({ since, until, limit })).toThrow(/limit/);
    expect(s.events({ since, until, limit: 10_000 })).toHaveLength(4);
    s.close();
  });

  it('purges findings not updated since the cut-off and events ingested before it (whatever their own time)', async () => {
    const s = new FindingStore(':memory:');
    s.upsert([aggregateOf(makeHit({ time: 1, key: ['old'] }))], 100);
    s.upsert([aggregateOf(makeHit({ time: 1, key: ['touched'] }))], 100);
    s.upsert([aggregateOf(makeHit({ time: 2, eventId: 'x', key: ['touched'] }))], 300);
    s.upsert([aggregateOf(makeHit({ time: 1, key: ['new'] }))], 250);
    // Ingested on the day of their activity, except the last: an old log replayed later keeps its history.
    for (const [t, ingested] of [
      ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'],
      ['2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z'],
      ['2020-01-03T00:00:00Z', '2026-01-03T00:00:00Z'],
    ] as const)
      s.recordEvent(await apiEvent({ name: 'GetUser', ip: '198.51.100.7', time: t }), Date.parse(ingested));
    expect(s.purge(200)).toEqual({ findings: 1, events: 0 });
    expect(
      s
        .findings()
        .map((f) => f.id)
        .sort(),
    ).toEqual([findingId(makeHit({ key: ['touched'] })), findingId(makeHit({ key: ['new'] }))].sort());
    expect(s.purge(Date.parse('2026-01-02T00:00:00Z'))).toEqual({ findings: 2, events: 1 });
    expect(s.events({ since: 0, until: Date.parse('2027-01-01') }).map((e) => e.time)).toEqual(['2020-01-03T00:00:00.000Z', '2026-01-02T00:00:00.000Z']);
    expect(s.purge(0)).toEqual({ findings: 0, events: 0 });
    s.close();
  });
});
