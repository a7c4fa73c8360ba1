import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SHARED } from '../../test/helpers.js';
import { IntelError, UsageError } from '../core/errors.js';
import { type Cidr, formatIp } from '../core/ip.js';
import { ListStore } from './list-store.js';

const SAMPLES = join(SHARED, 'reference', 'examples', 'threat-lists');
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
