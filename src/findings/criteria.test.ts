import { describe, expect, it } from 'vitest';
import { makeHit } from '../../test/helpers.js';
import { UsageError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { composeFinding, findingBody } from './build.js';
import { CRITERIA_FIELDS, CriteriaError, compileCriteria, parseCriteria } from './criteria.js';

/** A composed finding from the shared test hit, with S3 buckets and instance tags to exercise arrays. */
function finding(o: { severity?: number; archived?: boolean } = {}): Finding {
  const hit = makeHit({ severity: o.severity ?? 8, api: 'ListBuckets' });
  hit.resource = {
    ...hit.resource,
    instanceDetails: {
      instanceId: 'i-0123456789abcdef0',
      tags: [
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'red.blue' },
      ],
    },
    s3BucketDetails: [
      { arn: 'arn:aws:s3:::logs-a', name: 'logs-a', type: 'Destination' },
      { arn: 'arn:aws:s3:::data-b', name: 'data-b', type: 'Destination' },
    ],
  };
  hit.action.awsApiCallAction!.remoteIpDetails = { ipAddressV4: '203.0.113.10', organization: { asn: '64500', asnOrg: 'Example (Org)' } };
  hit.additionalInfo = { threatListName: 'bad-ips' };
  return composeFinding(findingBody('f1', hit), {
    count: 3,
    firstSeen: Date.parse('2026-01-01T00:00:00Z'),
    lastSeen: Date.parse('2026-01-02T00:00:00Z'),
    createdAt: Date.parse('2026-01-01T00:00:00Z'),
    updatedAt: Date.parse('2026-01-03T00:00:00Z'),
    archived: o.archived ?? false,
  });
}

const matches = (criterion: Record<string, unknown>, f = finding()) => compileCriteria(parseCriteria({ criterion }))(f);

function issuesOf(doc: unknown): string[] {
  try {
    parseCriteria(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toBeInstanceOf(CriteriaError);
    return (err as CriteriaError).issues.map((i) => i.path);
  }
  throw new Error('expected parseCriteria to throw');
}

describe('parseCriteria', () => {
  it('lists every problem with its path', () => {
    const paths = issuesOf({
      criterion: {
        severity: { Eq: '8', bogus: 1 },
        type: { eq: Array.from({ length: 51 }, (_, i) => `t${i}`) },
        'resource.s3BucketDetails.name': { matches: ['a', 'b', 'c', 'd', 'e', 'f'] },
        'service.nonsense': { eq: ['x'] },
        region: { eq: ['us-east-1', 7] },
        accountId: { gt: 5 },
        updatedAt: { greaterThan: '2026-01-01' },
        id: {},
      },
      extra: true,
    });
    expect(paths.sort()).toEqual(
      [
        'criterion["severity"].Eq',
        'criterion["severity"].bogus',
        'criterion["type"].eq',
        'criterion["resource.s3BucketDetails.name"].matches',
        'criterion["service.nonsense"]',
        'criterion["region"].eq[1]',
        'criterion["accountId"].gt',
        'criterion["updatedAt"].greaterThan',
        'criterion["id"]',
        'extra',
      ].sort(),
    );
  });

  it('requires 1 to 50 attributes', () => {
    expect(issuesOf({ criterion: {} })).toEqual(['criterion']);
    // 51 real attributes: the count is the only problem.
    const fields = Object.keys(CRITERIA_FIELDS).filter((k) => CRITERIA_FIELDS[k] === 'string');
    expect(fields.length).toBeGreaterThanOrEqual(51);
    const criterion = Object.fromEntries(fields.slice(0, 51).map((k) => [k, { eq: ['x'] }]));
    expect(issuesOf({ criterion })).toEqual(['criterion']);
    expect(() => parseCriteria({ criterion: Object.fromEntries(fields.slice(0, 50).map((k) => [k, { eq: ['x'] }])) })).not.toThrow();
    expect(issuesOf(null)).toEqual(['']);
    expect(issuesOf({})).toEqual(['criterion']);
  });

  it('accepts up to the limits', () => {
    expect(() => parseCriteria({ criterion: { type: { eq: Array.from({ length: 50 }, (_, i) => `t${i}`) } } })).not.toThrow();
    expect(() => parseCriteria({ criterion: { type: { matches: ['a', 'b', 'c', 'd', 'e'] } } })).not.toThrow();
  });

  it('gives the same criteria for the CLI form and the API form', () => {
    const cli = parseCriteria({
      Criterion: {
        'service.archived': { Eq: ['false'] },
        severity: { GreaterThanOrEqual: 7, Lt: 9 },
        type: { NotEquals: ['x'], Matches: ['Recon:*'] },
      },
    });
    const api = parseCriteria({
      criterion: {
        'service.archived': { eq: ['false'] },
        severity: { greaterThanOrEqual: 7, lt: 9 },
        type: { notEquals: ['x'], matches: ['Recon:*'] },
      },
    });
    expect(cli).toEqual(api);
    expect(api.criterion.severity).toEqual({ greaterThanOrEqual: 7, lt: 9 });
    expect(parseCriteria(api)).toEqual(api); // idempotent on its own output
  });
});

describe('compileCriteria', () => {
  it('eq / equals: string equality, numbers numerically when the field is a number, booleans as text', () => {
    for (const key of ['eq', 'equals']) {
      expect(matches({ type: { [key]: ['nope', 'Recon:IAMUser/MaliciousIPCaller.Custom'] } })).toBe(true);
      expect(matches({ type: { [key]: ['recon:iamuser/maliciousipcaller.custom'] } })).toBe(false);
      expect(matches({ severity: { [key]: ['8'] } })).toBe(true);
      expect(matches({ severity: { [key]: ['8.0'] } })).toBe(true);
      expect(matches({ severity: { [key]: ['7'] } })).toBe(false);
      expect(matches({ 'service.archived': { [key]: ['false'] } })).toBe(true);
      expect(matches({ 'service.archived': { [key]: ['true'] } })).toBe(false);
      expect(matches({ 'service.archived': { [key]: ['true'] } }, finding({ archived: true }))).toBe(true);
    }
    // Text fields do not compare numerically: an account id with a leading zero is another account.
    expect(matches({ accountId: { eq: ['111122223333'] } })).toBe(true);
    expect(matches({ accountId: { eq: ['0111122223333'] } })).toBe(false);
  });

  it('neq / notEquals: no value equal; a missing field is not equal', () => {
    for (const key of ['neq', 'notEquals']) {
      expect(matches({ region: { [key]: ['us-east-1', 'eu-west-1'] } })).toBe(true);
      expect(matches({ region: { [key]: ['us-east-1', 'us-west-2'] } })).toBe(false);
      expect(matches({ 'service.action.dnsRequestAction.domain': { [key]: ['example.com'] } })).toBe(true);
      // Arrays: one bucket equal is enough to fail.
      expect(matches({ 'resource.s3BucketDetails.name': { [key]: ['data-b'] } })).toBe(false);
    }
  });

  it('numeric conditions, old and new spellings, with boundaries', () => {
    const cases: Array<[string, number, boolean]> = [
      ['gt', 7.9, true],
      ['gt', 8, false],
      ['greaterThan', 8, false],
      ['greaterThan', 7, true],
      ['gte', 8, true],
      ['gte', 8.1, false],
      ['greaterThanOrEqual', 8, true],
      ['greaterThanOrEqual', 9, false],
      ['lt', 8.1, true],
      ['lt', 8, false],
      ['lessThan', 9, true],
      ['lessThan', 8, false],
      ['lte', 8, true],
      ['lte', 7.9, false],
      ['lessThanOrEqual', 8, true],
      ['lessThanOrEqual', 7, false],
    ];
    for (const [key, bound, expected] of cases) expect(matches({ severity: { [key]: bound } }), `${key} ${bound}`).toBe(expected);
    // Several conditions on one attribute are ANDed: a range.
    expect(matches({ severity: { gte: 7, lt: 9 } })).toBe(true);
    expect(matches({ severity: { gte: 9, lt: 11 } })).toBe(false);
    // A missing field satisfies no comparison.
    expect(matches({ confidence: { gte: 0 } })).toBe(false);
    expect(matches({ 'service.count': { gte: 3, lte: 3 } })).toBe(true);
  });

  it('timestamps compare as epoch milliseconds', () => {
    const updated = Date.parse('2026-01-03T00:00:00Z');
    expect(matches({ updatedAt: { greaterThanOrEqual: updated } })).toBe(true);
    expect(matches({ updatedAt: { greaterThan: updated } })).toBe(false);
    expect(matches({ createdAt: { lessThan: updated } })).toBe(true);
    expect(matches({ 'service.eventLastSeen': { gte: Date.parse('2026-01-02T00:00:00Z') } })).toBe(true);
    expect(matches({ 'service.eventFirstSeen': { gt: Date.parse('2026-01-01T00:00:00Z') } })).toBe(false);
    expect(matches({ updatedAt: { eq: [String(updated)] } })).toBe(true);
  });

  it('matches / notMatches: * and ? wildcards, everything else literal, anchored', () => {
    expect(matches({ type: { matches: ['Recon:*'] } })).toBe(true);
    expect(matches({ type: { matches: ['*Custom'] } })).toBe(true);
    expect(matches({ type: { matches: ['Recon'] } })).toBe(false); // anchored
    expect(matches({ type: { matches: ['Recon:IAMUser?MaliciousIPCaller.Custom'] } })).toBe(true);
    expect(matches({ type: { matches: ['Recon:IAMUser??MaliciousIPCaller.Custom'] } })).toBe(false);
    // "." is a literal dot, not any character; regex syntax is literal.
    expect(matches({ 'resource.instanceDetails.tags.value': { matches: ['red.blue'] } })).toBe(true);
    expect(matches({ 'resource.instanceDetails.tags.value': { matches: ['redxblue'] } })).toBe(false);
    expect(matches({ 'service.action.awsApiCallAction.remoteIpDetails.organization.asnOrg': { matches: ['Example (Org)'] } })).toBe(true);
    expect(matches({ 'service.action.awsApiCallAction.remoteIpDetails.organization.asnOrg': { matches: ['Example (Org|x)'] } })).toBe(false);
    expect(matches({ type: { notMatches: ['Policy:*', 'Stealth:*'] } })).toBe(true);
    expect(matches({ type: { notMatches: ['Policy:*', 'Recon:*'] } })).toBe(false);
    expect(matches({ 'resource.s3BucketDetails.name': { notMatches: ['data-*'] } })).toBe(false);
    expect(matches({ 'resource.s3BucketDetails.name': { matches: ['data-*'] } })).toBe(true);
  });

  it('flattens arrays at any depth: any element matching counts', () => {
    expect(matches({ 'resource.s3BucketDetails.name': { eq: ['data-b'] } })).toBe(true);
    expect(matches({ 'resource.s3BucketDetails.name': { eq: ['other'] } })).toBe(false);
    expect(matches({ 'resource.instanceDetails.tags.key': { eq: ['team'] } })).toBe(true);
    expect(matches({ 'resource.instanceDetails.tags.value': { eq: ['dev'] } })).toBe(false);
    expect(matches({ 'service.evidence.threatIntelligenceDetails.threatListName': { eq: ['x'] } })).toBe(false);
  });

  it('ANDs attributes and ORs the values of one attribute', () => {
    expect(matches({ region: { eq: ['us-west-2'] }, 'service.additionalInfo.threatListName': { eq: ['other', 'bad-ips'] } })).toBe(true);
    expect(matches({ region: { eq: ['us-west-2'] }, 'service.additionalInfo.threatListName': { eq: ['other'] } })).toBe(false);
    expect(matches({ region: { eq: ['eu-west-1'] }, 'service.additionalInfo.threatListName': { eq: ['bad-ips'] } })).toBe(false);
  });
});
