import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { makeHit, tempDir } from '../../test/helpers.js';
import { UsageError } from '../core/errors.js';
import { aggregateOf, composeFinding, findingBody } from './build.js';
import { FilterError, FilterExistsError, SuppressionStore, UnknownFilterError } from './suppression.js';

const byType = (type: string) => ({ criterion: { type: { eq: [type] } } });

function findingOf(type: string, severity = 5) {
  const a = aggregateOf({ ...makeHit({ severity }), type });
  return composeFinding(findingBody(a.id, a.hit), { count: 1, firstSeen: 1, lastSeen: 1, createdAt: 1, updatedAt: 1, archived: false });
}

function store(): { s: SuppressionStore; db: Database.Database; path: string } {
  const path = join(tempDir(), 'f.db');
  const db = new Database(path);
  return { s: new SuppressionStore(db), db, path };
}

describe('SuppressionStore', () => {
  it('creates, gets, lists by rank then name, updates and deletes', () => {
    const { s, db } = store();
    const a = s.create({ name: 'b-rule', action: 'ARCHIVE', criteria: byType('A') }, 1000);
    expect(a).toMatchObject({ name: 'b-rule', description: '', action: 'ARCHIVE', rank: 1, createdAt: new Date(1000).toISOString() });
    s.create({ name: 'c-rule', action: 'NOOP', criteria: byType('B'), description: 'keep', rank: 5 }, 1001);
    expect(s.create({ name: 'next', action: 'NOOP', criteria: byType('C') }, 1002).rank).toBe(6); // after the highest
    s.create({ name: 'a-rule', action: 'ARCHIVE', criteria: byType('B'), rank: 5 }, 1003);
    expect(s.list().map((r) => `${r.rank}:${r.name}`)).toEqual(['1:b-rule', '5:a-rule', '5:c-rule', '6:next']);
    // The criteria are stored normalised (CLI spelling in, API spelling out).
    s.create({ name: 'cli', action: 'NOOP', criteria: { Criterion: { severity: { Gte: 7 } } } as never }, 1004);
    expect(s.get('cli')?.criteria).toEqual({ criterion: { severity: { gte: 7 } } });

    const u = s.update('c-rule', { rank: 2, action: 'ARCHIVE' }, 2000);
    expect(u).toMatchObject({
      rank: 2,
      action: 'ARCHIVE',
      description: 'keep',
      createdAt: new Date(1001).toISOString(),
      updatedAt: new Date(2000).toISOString(),
    });
    expect(s.delete('next')).toBe(true);
    expect(s.delete('next')).toBe(false);
    expect(s.get('next')).toBeUndefined();
    expect(() => s.update('next', { rank: 3 }, 1)).toThrow(UnknownFilterError);
    db.close();
  });

  it('refuses a duplicate name, bad fields (all of them at once) and more than 100 filters', () => {
    const { s, db } = store();
    s.create({ name: 'dup', action: 'NOOP', criteria: byType('A') }, 1);
    expect(() => s.create({ name: 'dup', action: 'NOOP', criteria: byType('A') }, 1)).toThrow(FilterExistsError);
    let err: unknown;
    try {
      s.create({ name: 'x!', action: 'DELETE' as never, rank: 101, description: 'd'.repeat(513), criteria: { criterion: { nope: { eq: ['1'] } } } }, 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as FilterError).issues.map((i) => i.path).sort()).toEqual(['action', 'criteria.criterion["nope"]', 'description', 'name', 'rank']);
    for (const name of ['ab', 'a'.repeat(65), 'has space']) expect(() => s.create({ name, action: 'NOOP', criteria: byType('A') }, 1)).toThrow(FilterError);
    expect(() => s.create({ name: 'a'.repeat(64), action: 'NOOP', criteria: byType('A') }, 1)).not.toThrow();
    expect(() => s.update('dup', { criteria: { criterion: {} } }, 1)).toThrow(FilterError);
    for (let i = s.list().length; i < 100; i++) s.create({ name: `rule-${i}`, action: 'NOOP', criteria: byType('A') }, 1);
    expect(s.list()).toHaveLength(100);
    expect(s.list().every((r) => r.rank >= 1 && r.rank <= 100)).toBe(true);
    expect(() => s.create({ name: 'one-more', action: 'NOOP', criteria: byType('A') }, 1)).toThrow(/at most 100/);
    db.close();
  });

  it('suppressing: the first ARCHIVE rule by rank that matches; NOOP rules never suppress', () => {
    const { s, db } = store();
    s.create({ name: 'noop-first', action: 'NOOP', rank: 1, criteria: byType('T') }, 1);
    s.create({ name: 'late', action: 'ARCHIVE', rank: 9, criteria: byType('T') }, 1);
    s.create({ name: 'early', action: 'ARCHIVE', rank: 3, criteria: { criterion: { severity: { gte: 7 } } } }, 1);
    expect(s.suppressing(findingOf('T', 8))?.name).toBe('early');
    expect(s.suppressing(findingOf('T', 5))?.name).toBe('late');
    expect(s.suppressing(findingOf('U', 5))).toBeUndefined();
    s.update('late', { rank: 2 }, 2);
    expect(s.suppressing(findingOf('T', 8))?.name).toBe('late');
    s.update('late', { action: 'NOOP' }, 3);
    expect(s.suppressing(findingOf('T', 5))).toBeUndefined();
    db.close();
  });

  it('sees changes made through another connection (compiled rules are not stale)', () => {
    const { s, db, path } = store();
    const otherDb = new Database(path);
    const other = new SuppressionStore(otherDb);
    expect(s.suppressing(findingOf('T'))).toBeUndefined();
    other.create({ name: 'elsewhere', action: 'ARCHIVE', criteria: byType('T') }, 1);
    expect(s.suppressing(findingOf('T'))?.name).toBe('elsewhere');
    other.delete('elsewhere');
    expect(s.suppressing(findingOf('T'))).toBeUndefined();
    db.close();
    otherDb.close();
  });
});
