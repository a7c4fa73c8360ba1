import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHit, prng, tempDir } from '../../test/helpers.js';
import type { ApiEvent } from '../core/event.js';
import { type InterfaceDetails, type InterfaceFact, InterfaceMap } from '../detectors/interface-map.js';
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
    expect(s.purge(200)).toEqual({ findings: 1, events: 0, interfaceFacts: 0 });
    expect(
      s
        .findings()
        .map((f) => f.id)
        .sort(),
    ).toEqual([findingId(makeHit({ key: ['touched'] })), findingId(makeHit({ key: ['new'] }))].sort());
    expect(s.purge(Date.parse('2026-01-02T00:00:00Z'))).toEqual({ findings: 2, events: 1, interfaceFacts: 0 });
    expect(s.events({ since: 0, until: Date.parse('2027-01-01') }).map((e) => e.time)).toEqual(['2020-01-03T00:00:00.000Z', '2026-01-02T00:00:00.000Z']);
    expect(s.purge(0)).toEqual({ findings: 0, events: 0, interfaceFacts: 0 });
    s.close();
  });
});

/** A fact as the interface map learns it (detaches name their attachment only: interface ''). */
function fact(
  eventId: string,
  time: number,
  interfaceId: string,
  o: { instance?: string; attachment?: string; details?: InterfaceDetails; name?: string } = {},
): InterfaceFact {
  const eventName =
    o.name ?? (o.instance ? (o.details ? 'RunInstances' : 'AttachNetworkInterface') : o.details ? 'CreateNetworkInterface' : 'DetachNetworkInterface');
  return {
    interfaceId,
    time,
    eventId,
    eventName,
    account: '111122223333',
    region: 'us-west-2',
    ...(o.instance ? { instanceId: o.instance } : {}),
    ...(o.attachment ? { attachmentId: o.attachment } : {}),
    ...(o.details ? { details: o.details } : {}),
  };
}

function mapOf(facts: InterfaceFact[]): InterfaceMap {
  const map = new InterfaceMap();
  map.load(facts);
  return map;
}

/** What the map answers for `eni` at `t`: the instance (or none) and the fact that decided. */
function answer(map: InterfaceMap, eni: string, t: number): string {
  const r = map.resolve(eni, t);
  return `${r.instanceId ?? '-'} ${r.fact?.eventId ?? '-'} ${'reason' in r ? r.reason : ''}`;
}

describe('FindingStore.purge: interface facts', () => {
  const cut = 1000;
  const created: InterfaceDetails = { vpcId: 'vpc-0a1b2c3d', subnetId: 'subnet-0a1b2c3d', description: 'spare' };
  const launched: InterfaceDetails = { vpcId: 'vpc-0a1b2c3d', privateIpAddress: '10.0.1.7' };
  const facts = [
    // eni-a: created, attached to i-1, detached, attached to i-2 (the state at the cut-off), detached after it.
    fact('ev-a1', 100, 'eni-a', { details: created }),
    fact('ev-a2', 200, 'eni-a', { instance: 'i-1', attachment: 'att-a1' }),
    fact('ev-a3', 300, '', { attachment: 'att-a1' }),
    fact('ev-a4', 400, 'eni-a', { instance: 'i-2', attachment: 'att-a2' }),
    fact('ev-a5', 1200, '', { attachment: 'att-a2' }),
    // eni-b: launched with i-3, then detached: the detach is the state at the cut-off, its attach links it to eni-b.
    fact('ev-b1', 100, 'eni-b', { instance: 'i-3', attachment: 'att-b1', details: launched }),
    fact('ev-b2', 500, '', { attachment: 'att-b1' }),
    // eni-c: launched with i-4, detached, attached to i-5: the launch (it names an instance) is not kept for its details.
    fact('ev-c1', 100, 'eni-c', { instance: 'i-4', attachment: 'att-c1', details: launched }),
    fact('ev-c2', 200, '', { attachment: 'att-c1' }),
    fact('ev-c3', 300, 'eni-c', { instance: 'i-5', attachment: 'att-c2' }),
    // eni-d: created then deleted.
    fact('ev-d1', 50, 'eni-d', { details: created }),
    fact('ev-d2', 600, 'eni-d', { name: 'DeleteNetworkInterface' }),
    // eni-e: a fact exactly at the cut-off is the latest at or before it.
    fact('ev-e1', 900, 'eni-e', { instance: 'i-7', attachment: 'att-e1' }),
    fact('ev-e2', cut, 'eni-e', { instance: 'i-6', attachment: 'att-e2' }),
    // eni-f: two facts of the same second: the later event id is the latest, as the map orders them.
    fact('ev-f1', 800, 'eni-f', { instance: 'i-8', attachment: 'att-f1' }),
    fact('ev-f2', 800, 'eni-f', { instance: 'i-9', attachment: 'att-f2' }),
    // Detaches of attachments no fact names: an old one goes, a recent one stays (its attachment may still be learned).
    fact('ev-o1', 700, '', { attachment: 'att-unknown-1' }),
    fact('ev-o2', 1500, '', { attachment: 'att-unknown-2' }),
    // eni-g: everything after the cut-off.
    fact('ev-g1', 1100, 'eni-g', { instance: 'i-10', attachment: 'att-g1' }),
  ];

  it('keeps, for every interface, the latest fact at or before the cut-off and what follows it; purges the rest and counts it', () => {
    const s = new FindingStore(':memory:');
    s.saveInterfaceFacts(facts);
    s.upsert([aggregateOf(makeHit({ time: 1 }))], 5000); // a finding updated after the cut-off: not purged
    expect(s.purge(cut)).toEqual({ findings: 0, events: 0, interfaceFacts: 7 });
    expect(
      s
        .interfaceFacts()
        .map((f) => f.eventId)
        .sort(),
    ).toEqual(['ev-a1', 'ev-a4', 'ev-a5', 'ev-b1', 'ev-b2', 'ev-c3', 'ev-d1', 'ev-d2', 'ev-e2', 'ev-f2', 'ev-g1', 'ev-o2']);
    // Again: nothing more to purge; a later cut-off purges what became old.
    expect(s.purge(cut).interfaceFacts).toBe(0);
    // eni-a's latest is now the detach at 1200, kept with the attach it undoes (the map links them through it).
    expect(s.purge(1300).interfaceFacts).toBe(0);
    expect(
      s
        .interfaceFacts()
        .filter((f) => f.eventId.startsWith('ev-a'))
        .map((f) => f.eventId),
    ).toEqual(['ev-a1', 'ev-a4', 'ev-a5']);
    expect(s.purge(1600).interfaceFacts).toBe(1); // the detach of an attachment still unknown, now old
    expect(s.interfaceFacts().some((f) => f.eventId === 'ev-o2')).toBe(false);
    s.close();
  });

  it('answers flows at and after the cut-off as the whole history does, once reloaded', () => {
    const s = new FindingStore(':memory:');
    s.saveInterfaceFacts(facts);
    s.purge(cut);
    const whole = mapOf(facts);
    const kept = mapOf(s.interfaceFacts());
    for (const eni of ['eni-a', 'eni-b', 'eni-c', 'eni-d', 'eni-e', 'eni-f', 'eni-g'])
      for (let t = cut; t <= 2000; t += 50) expect(answer(kept, eni, t), `${eni} at ${t}`).toBe(answer(whole, eni, t));
    expect(answer(kept, 'eni-b', cut)).toMatch(/^- ev-b2 eni-b was detached/);
    expect(answer(kept, 'eni-a', 1300)).toMatch(/^- ev-a5 eni-a was detached.*its description: spare/);
    expect(kept.stats().pendingDetaches).toBe(1); // ev-o2 only
    // What CreateNetworkInterface described is kept; RunInstances' description of an interface moved since is not.
    for (const eni of ['eni-a', 'eni-b', 'eni-d']) expect(kept.details(eni)).toEqual(whole.details(eni));
    expect(kept.details('eni-c')).toBeUndefined();
    s.close();
  });

  it('on random histories: the same answers at and after the cut-off, and no fact before it is kept without need', () => {
    const random = prng(20260101);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)] as T;
    let total = 0;
    for (let round = 0; round < 30; round++) {
      const all: InterfaceFact[] = [];
      let n = 0;
      for (let i = 0; i < 12; i++) {
        const eni = `eni-${round}-${i}`;
        let t = Math.floor(random() * 200);
        const id = () => `ev-${String(n++).padStart(5, '0')}`;
        let attachment: string | undefined;
        if (random() < 0.5) {
          attachment = `att-${eni}-0`;
          all.push(fact(id(), t, eni, { instance: `i-${n}`, attachment, details: { subnetId: `subnet-${i}` } }));
        } else all.push(fact(id(), t, eni, { details: { description: `made ${n}` } }));
        for (let step = 1; step < 1 + Math.floor(random() * 8); step++) {
          t += pick([0, 1, 30, 100, 400]);
          if (attachment) {
            all.push(fact(id(), t, random() < 0.2 ? eni : '', { attachment }));
            attachment = undefined;
          } else if (random() < 0.15) {
            all.push(fact(id(), t, eni, { name: 'DeleteNetworkInterface' }));
            break;
          } else {
            attachment = `att-${eni}-${step}`;
            all.push(fact(id(), t, eni, { instance: `i-${n}`, attachment }));
          }
        }
      }
      const cutOff = Math.floor(random() * 1500);
      const s = new FindingStore(':memory:');
      s.saveInterfaceFacts(all);
      const purged = s.purge(cutOff).interfaceFacts;
      const kept = s.interfaceFacts();
      expect(kept.length + purged).toBe(all.length);
      const whole = mapOf(all);
      const after = mapOf(kept);
      for (let i = 0; i < 12; i++) {
        const eni = `eni-${round}-${i}`;
        for (let t = cutOff; t <= cutOff + 4000; t += 37) expect(answer(after, eni, t), `round ${round}, ${eni} at ${t}`).toBe(answer(whole, eni, t));
        // At most: the latest fact at or before the cut-off, the attach its detach undoes, and a description.
        const old = kept.filter((f) => f.time < cutOff && (f.interfaceId === eni || (f.interfaceId === '' && f.attachmentId?.startsWith(`att-${eni}-`))));
        expect(old.length, `round ${round}, ${eni}`).toBeLessThanOrEqual(3);
      }
      total += purged;
      s.close();
    }
    expect(total).toBeGreaterThan(200); // the histories did have something to purge
  });
});
