import { describe, expect, it } from 'vitest';
import { prng as rng } from '../../../test/helpers.js';
import { matchSubRule } from './evaluate.js';
import { compilePattern, flattenEvent, InvalidEventPatternError, RuleMatcher } from './index.js';

const SOURCES = ['aws.guardduty', 'aws.ec2', 'aws.s3', 'custom.app', 'aws.iam'];
const TYPES = ['GuardDuty Finding', 'EC2 State Change', 'Object Created', 'Thing Happened'];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-south-1'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomPattern(r: () => number, i: number): object {
  const kind = i % 10;
  const severity = Math.floor(r() * 9);
  switch (kind) {
    case 0:
      return { source: [pick(r, SOURCES)], 'detail-type': [pick(r, TYPES)] };
    case 1:
      return { source: [pick(r, SOURCES)], detail: { severity: [{ numeric: ['>=', severity] }] } };
    case 2:
      return { region: [{ prefix: pick(r, REGIONS).slice(0, 3) }], detail: { severity: [severity] } };
    case 3:
      return { detail: { service: { resourceRole: [{ 'anything-but': ['TARGET'] }] } }, source: [pick(r, SOURCES)] };
    case 4:
      return { detail: { ip: [{ cidr: `10.${Math.floor(r() * 4)}.0.0/16` }] } };
    case 5:
      return { $or: [{ source: [pick(r, SOURCES)] }, { detail: { severity: [{ numeric: ['<', severity] }] } }] };
    case 6:
      return { detail: { tags: { key: [`k${Math.floor(r() * 5)}`], value: [`v${Math.floor(r() * 5)}`] } } };
    case 7:
      return { detail: { missing: [{ exists: false }] }, region: [{ 'equals-ignore-case': pick(r, REGIONS).toUpperCase() }] };
    case 8:
      return { detail: { type: [{ wildcard: `*:${pick(r, ['EC2', 'S3', 'IAM'])}/*` }] } };
    default:
      return { account: [`${100000000000 + Math.floor(r() * 50)}`], detail: { severity: [severity, severity + 0.5] } };
  }
}

function randomEvent(r: () => number): object {
  return {
    version: '0',
    id: `id-${Math.floor(r() * 1e6)}`,
    source: pick(r, SOURCES),
    'detail-type': pick(r, TYPES),
    account: `${100000000000 + Math.floor(r() * 50)}`,
    region: pick(r, REGIONS),
    time: '2026-01-01T00:00:00Z',
    resources: [],
    detail: {
      severity: Math.floor(r() * 18) / 2,
      type: `Recon:${pick(r, ['EC2', 'S3', 'IAM', 'X'])}/PortProbe`,
      ip: `10.${Math.floor(r() * 6)}.${Math.floor(r() * 255)}.1`,
      service: { resourceRole: pick(r, ['TARGET', 'ACTOR', null]) },
      tags: Array.from({ length: Math.floor(r() * 4) }, () => ({ key: `k${Math.floor(r() * 5)}`, value: `v${Math.floor(r() * 5)}` })),
      ...(r() < 0.3 ? { missing: 'here' } : {}),
    },
  };
}

describe('RuleMatcher', () => {
  it('with 10,000 rules gives the same verdicts as checking each pattern on its own', () => {
    const r = rng(20260101);
    const patterns = Array.from({ length: 10_000 }, (_, i) => JSON.stringify(randomPattern(r, i)));
    const matcher = new RuleMatcher();
    patterns.forEach((p, i) => {
      matcher.add(`rule-${i}`, p);
    });
    expect(matcher.size).toBe(10_000);
    // Each pattern on its own (what matchesPattern does, with the compilation and flattening done once).
    const compiled = patterns.map((p) => compilePattern(p));
    let total = 0;
    for (let e = 0; e < 300; e++) {
      const text = JSON.stringify(randomEvent(r));
      const flat = flattenEvent(text);
      const expected = compiled.flatMap((c, i) => (c.subRules.some((sub) => matchSubRule(sub, flat)) ? [`rule-${i}`] : []));
      expect(matcher.match(text)).toEqual(expected);
      total += expected.length;
    }
    // The generated data must exercise both verdicts.
    expect(total).toBeGreaterThan(300);
    expect(total).toBeLessThan(300 * 10_000);
  });

  it('accepts JSON text, parsed objects and flattened events', () => {
    const matcher = new RuleMatcher();
    matcher.add('n', '{"x":[300]}');
    expect(matcher.match('{"x":3.0e2}')).toEqual(['n']);
    expect(matcher.match({ x: 300 })).toEqual(['n']);
    expect(matcher.matchFlat(flattenEvent('{"x":300.0}'))).toEqual(['n']);
    expect(matcher.match('{"x":301}')).toEqual([]);
  });

  it('finds exact IP rules by address and number rules by value', () => {
    const matcher = new RuleMatcher();
    matcher.add('ip', { a: ['::0'] });
    matcher.add('num', '{"b":[1e2]}');
    expect(matcher.match({ a: '0:0::0', b: 100 })).toEqual(['ip', 'num']);
  });

  it('replaces a rule added again under the same name, and removes rules', () => {
    const matcher = new RuleMatcher();
    matcher.add('r', { a: ['x'] });
    matcher.add('r', { a: ['y'] });
    expect(matcher.match({ a: 'x' })).toEqual([]);
    expect(matcher.match({ a: 'y' })).toEqual(['r']);
    expect(matcher.remove('r')).toBe(true);
    expect(matcher.remove('r')).toBe(false);
    expect(matcher.match({ a: 'y' })).toEqual([]);
  });

  it('evaluates rules made only of exists:false on every event', () => {
    const matcher = new RuleMatcher();
    matcher.add('absent', { a: [{ exists: false }] });
    expect(matcher.match({ b: 1 })).toEqual(['absent']);
    expect(matcher.match({ a: 1 })).toEqual([]);
  });

  it('names a rule once even when several $or branches match', () => {
    const matcher = new RuleMatcher();
    matcher.add('or', { $or: [{ a: ['1'] }, { b: ['2'] }] });
    expect(matcher.match({ a: '1', b: '2' })).toEqual(['or']);
  });

  it('refuses invalid patterns with AWS messages and keeps the previous rule', () => {
    const matcher = new RuleMatcher();
    matcher.add('r', { a: ['x'] });
    expect(() => matcher.add('r', { a: [] })).toThrow(InvalidEventPatternError);
    expect(matcher.match({ a: 'x' })).toEqual(['r']);
  });
});
