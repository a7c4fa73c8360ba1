import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHit, tempDir } from '../../test/helpers.js';
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
      UPDATE meta SET value = '1' WHERE key = 'schema_version'`);
    raw.close();
    const upgraded = new FindingStore(path);
    expect(upgraded.findings().map((f) => f.service.count)).toEqual([1]);
    expect(upgraded.dueForPublication(10, 0)).toEqual([]);
    expect((upgraded.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string }).value).toBe('2');
    upgraded.close();
  });
});
