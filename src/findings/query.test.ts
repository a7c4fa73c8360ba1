import { describe, expect, it } from 'vitest';
import { makeHit, prng } from '../../test/helpers.js';
import { UsageError } from '../core/errors.js';
import type { Finding, FindingResource } from '../core/finding.js';
import type { Hit } from '../detectors/types.js';
import { aggregateOf, findingId } from './build.js';
import { type FindingListQuery, listFindings, resourceLabels, SORT_FIELDS, type SortField, severityLabel, summarize } from './query.js';
import { FindingStore } from './store.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-10T12:00:00Z');
const TYPES = [
  'Recon:IAMUser/MaliciousIPCaller.Custom',
  'Policy:IAMUser/RootCredentialUsage',
  'Discovery:S3/MaliciousIPCaller',
  'Stealth:IAMUser/CloudTrailLoggingDisabled',
];
const ACCOUNTS = ['111122223333', '444455556666'];
const REGIONS = ['us-west-2', 'eu-west-1', 'ap-south-1'];

function resourceFor(i: number): FindingResource {
  const key = {
    accessKeyId: `AKIA${i % 7}`,
    principalId: 'AIDA',
    userName: i % 3 === 0 ? `role-${i % 4}` : `user-${i % 5}`,
    userType: i % 3 === 0 ? 'AssumedRole' : 'IAMUser',
  };
  if (i % 4 === 1)
    return {
      resourceType: 'S3Bucket',
      accessKeyDetails: key,
      s3BucketDetails: [{ arn: `arn:aws:s3:::bucket-${i % 3}`, name: `bucket-${i % 3}`, type: 'Destination' }],
    };
  if (i % 4 === 2) return { resourceType: 'Instance', instanceDetails: { instanceId: `i-0000000${(i >> 2) % 2}` } };
  return { resourceType: 'AccessKey', accessKeyDetails: key };
}

/** A store with `n` varied findings (severity, type, account, region, resource, times, counts from a seeded PRNG). */
function seeded(n = 60): { store: FindingStore; hits: Hit[] } {
  const rnd = prng(42);
  const store = new FindingStore(':memory:');
  const hits: Hit[] = [];
  for (let i = 0; i < n; i++) {
    const lastSeen = NOW - Math.floor(rnd() * 40) * DAY - Math.floor(rnd() * DAY);
    const hit: Hit = {
      ...makeHit({ time: lastSeen, eventId: `e${i}`, key: [`k${i}`] }),
      type: TYPES[Math.floor(rnd() * TYPES.length)]!,
      severity: Math.round((1 + rnd() * 9) * 10) / 10,
      account: ACCOUNTS[i % 2]!,
      region: REGIONS[i % 3]!,
      resource: resourceFor(i),
      title: `Finding number ${i}`,
    };
    hit.action.awsApiCallAction!.remoteIpDetails = { ipAddressV4: `203.0.113.${i}` };
    hits.push(hit);
    // Created and updated at distinct times; some updated twice, so counts and createdAt/updatedAt differ.
    const created = NOW - (n - i) * 1000;
    store.upsert([{ ...aggregateOf(hit), count: 1 + Math.floor(rnd() * 5), firstSeen: lastSeen - Math.floor(rnd() * 5) * DAY }], created);
    if (rnd() < 0.3) store.upsert([aggregateOf({ ...hit, eventId: `u${i}`, time: lastSeen - 1 })], NOW - Math.floor(rnd() * 100_000));
  }
  return { store, hits };
}

/** Walks every page and returns all findings seen, checking totals on the way. */
function walk(store: FindingStore, q: FindingListQuery): Finding[] {
  const seen: Finding[] = [];
  let token: string | undefined;
  let pages = 0;
  let total: number | undefined;
  do {
    const page = listFindings(store, { ...q, ...(token ? { nextToken: token } : {}) });
    if (total !== undefined) expect(page.total).toBe(total);
    total = page.total;
    expect(page.findings.length).toBeLessThanOrEqual(q.limit ?? 50);
    seen.push(...page.findings);
    token = page.nextToken;
    if (++pages > 1000) throw new Error('paging does not end');
  } while (token);
  expect(seen).toHaveLength(total!);
  return seen;
}

const sortValue: Record<SortField, (f: Finding) => number | string> = {
  severity: (f) => f.severity,
  updatedAt: (f) => Date.parse(f.updatedAt),
  createdAt: (f) => Date.parse(f.createdAt),
  firstSeen: (f) => Date.parse(f.service.eventFirstSeen),
  lastSeen: (f) => Date.parse(f.service.eventLastSeen),
  count: (f) => f.service.count,
  type: (f) => f.type,
  accountId: (f) => f.accountId,
  region: (f) => f.region,
};

describe('severity labels', () => {
  it('follow GuardDuty bands at the boundaries', () => {
    const cases: Array<[number, string]> = [
      [1, 'Low'],
      [3.9, 'Low'],
      [4, 'Medium'],
      [6.9, 'Medium'],
      [7, 'High'],
      [8.9, 'High'],
      [9, 'Critical'],
      [10, 'Critical'],
    ];
    for (const [sev, label] of cases) expect(severityLabel(sev), String(sev)).toBe(label);
  });

  it('filter findings by band in SQL with the same boundaries', () => {
    const store = new FindingStore(':memory:');
    const sevs = [3.9, 4, 6.9, 7, 8.9, 9];
    store.upsert(
      sevs.map((severity, i) => aggregateOf(makeHit({ severity, key: [`s${i}`] }))),
      1,
    );
    const sevsOf = (labels: Array<'Low' | 'Medium' | 'High' | 'Critical'>) =>
      listFindings(store, { severities: labels, sort: 'severity', order: 'asc' }).findings.map((f) => f.severity);
    expect(sevsOf(['Low'])).toEqual([3.9]);
    expect(sevsOf(['Medium'])).toEqual([4, 6.9]);
    expect(sevsOf(['High'])).toEqual([7, 8.9]);
    expect(sevsOf(['Critical'])).toEqual([9]);
    expect(sevsOf(['Low', 'Critical'])).toEqual([3.9, 9]);
    expect(sevsOf([])).toEqual(sevs);
    store.close();
  });
});

describe('resourceLabels', () => {
  it('names the access key, the user or role by user type, the instance and each bucket', () => {
    const { store, hits } = seeded(8);
    const labels = (i: number) => resourceLabels(store.get(findingId(hits[i]!))!);
    expect(labels(0)).toEqual([
      { kind: 'AccessKey', id: 'AKIA0' },
      { kind: 'Role', id: 'role-0' },
    ]);
    expect(labels(1)).toEqual([
      { kind: 'AccessKey', id: 'AKIA1' },
      { kind: 'User', id: 'user-1' },
      { kind: 'S3Bucket', id: 'bucket-1' },
    ]);
    expect(labels(2)).toEqual([{ kind: 'Instance', id: 'i-00000000' }]);
    store.close();
  });
});

describe('listFindings', () => {
  it('defaults to current findings, severity desc then updatedAt desc then id', () => {
    const { store, hits } = seeded();
    store.archive([findingId(hits[0]!), findingId(hits[1]!)], NOW);
    const all = walk(store, {});
    expect(all).toHaveLength(hits.length - 2);
    expect(all.every((f) => !f.service.archived)).toBe(true);
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1]!, all[i]!];
      const ordered = a.severity > b.severity || (a.severity === b.severity && (a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.id < b.id)));
      expect(ordered, `${a.id} before ${b.id}`).toBe(true);
    }
    expect(
      walk(store, { archived: true })
        .map((f) => f.id)
        .sort(),
    ).toEqual([findingId(hits[0]!), findingId(hits[1]!)].sort());
    expect(walk(store, { archived: 'all' })).toHaveLength(hits.length);
    store.close();
  });

  it('sorts by every field in both orders, with a deterministic tie-break', () => {
    const { store } = seeded();
    for (const sort of SORT_FIELDS) {
      for (const order of ['asc', 'desc'] as const) {
        const got = walk(store, { sort, order, limit: 7 });
        const values = got.map(sortValue[sort]);
        for (let i = 1; i < values.length; i++) {
          const [a, b] = [values[i - 1]!, values[i]!];
          expect(order === 'asc' ? a <= b : a >= b, `${sort} ${order} at ${i}: ${a} then ${b}`).toBe(true);
        }
        // The same query twice gives the same order (ties broken by updatedAt, then id).
        expect(walk(store, { sort, order, limit: 1000 }).map((f) => f.id)).toEqual(got.map((f) => f.id));
      }
    }
    // Without an order: numbers and times descending, text ascending.
    expect(listFindings(store, { sort: 'count', limit: 1000 }).findings.map((f) => f.service.count)).toEqual(
      listFindings(store, { sort: 'count', order: 'desc', limit: 1000 }).findings.map((f) => f.service.count),
    );
    expect(listFindings(store, { sort: 'type', limit: 1000 }).findings.map((f) => f.id)).toEqual(
      listFindings(store, { sort: 'type', order: 'asc', limit: 1000 }).findings.map((f) => f.id),
    );
    store.close();
  });

  it('walks every page once, without overlap, in SQL-only and JS-filtered queries', () => {
    const { store, hits } = seeded();
    for (const q of [
      { limit: 7 },
      { limit: 1 },
      { limit: 7, search: 'finding number 1' },
      { limit: 3, criteria: { criterion: { severity: { gte: 5 } } } },
    ] as FindingListQuery[]) {
      const ids = walk(store, q).map((f) => f.id);
      expect(new Set(ids).size, JSON.stringify(q)).toBe(ids.length);
      const everything = walk(store, { ...q, limit: 1000 }).map((f) => f.id);
      expect(ids).toEqual(everything);
    }
    expect(walk(store, { limit: 7 })).toHaveLength(hits.length);
    // "finding number 1", "finding number 10".."19": 11 of 60.
    expect(walk(store, { search: 'Finding Number 1' })).toHaveLength(11);
    store.close();
  });

  it('refuses a token from another query, a forged token, and bad parameters', () => {
    const { store } = seeded();
    const first = listFindings(store, { types: [TYPES[0]!], limit: 2 });
    expect(first.nextToken).toBeDefined();
    // The same query may change its page size.
    expect(() => listFindings(store, { types: [TYPES[0]!], limit: 5, nextToken: first.nextToken! })).not.toThrow();
    for (const other of [{ types: [TYPES[1]!] }, { types: [TYPES[0]!], sort: 'count' as const }, { types: [TYPES[0]!], archived: 'all' as const }, {}]) {
      expect(() => listFindings(store, { ...other, limit: 2, nextToken: first.nextToken! })).toThrow(/another query/);
    }
    expect(() => listFindings(store, { nextToken: 'not-a-token' })).toThrow(UsageError);
    expect(() => listFindings(store, { nextToken: Buffer.from(JSON.stringify({ o: -1, h: 'x' })).toString('base64url') })).toThrow(UsageError);
    for (const limit of [0, 1001, 2.5]) expect(() => listFindings(store, { limit })).toThrow(/limit/);
    expect(() => listFindings(store, { sort: 'nope' as SortField })).toThrow(UsageError);
    expect(() => listFindings(store, { severities: ['Severe' as 'Low'] })).toThrow(UsageError);
    expect(() => listFindings(store, { criteria: { criterion: { nope: { eq: ['x'] } } } })).toThrow(UsageError);
    expect(listFindings(store, { limit: 1000 }).nextToken).toBeUndefined();
    store.close();
  });

  it('filters by type, account, region, resource type, resource, criteria and search', () => {
    const { store, hits } = seeded();
    const all = walk(store, { limit: 1000 });
    const expectFilter = (q: FindingListQuery, keep: (f: Finding) => boolean) => {
      const want = all.filter(keep).map((f) => f.id);
      expect(want.length, JSON.stringify(q)).toBeGreaterThan(0);
      expect(want.length, JSON.stringify(q)).toBeLessThan(all.length);
      const page = listFindings(store, { ...q, limit: 1000 });
      expect(
        page.findings.map((f) => f.id),
        JSON.stringify(q),
      ).toEqual(want);
      expect(page.total).toBe(want.length);
    };
    expectFilter({ types: [TYPES[1]!, TYPES[2]!] }, (f) => f.type === TYPES[1] || f.type === TYPES[2]);
    expectFilter({ accounts: [ACCOUNTS[1]!] }, (f) => f.accountId === ACCOUNTS[1]);
    expectFilter({ regions: ['eu-west-1'] }, (f) => f.region === 'eu-west-1');
    expectFilter({ resourceTypes: ['S3Bucket'] }, (f) => f.resource.resourceType === 'S3Bucket');
    expectFilter({ resource: 'bucket-2' }, (f) => (f.resource.s3BucketDetails ?? []).some((b) => b.name === 'bucket-2'));
    expectFilter({ resource: 'role-0' }, (f) => f.resource.accessKeyDetails?.userName === 'role-0');
    expectFilter({ resource: 'i-00000001' }, (f) => f.resource.instanceDetails?.instanceId === 'i-00000001');
    expectFilter({ search: '203.0.113.4' }, (f) => f.service.action.awsApiCallAction?.remoteIpDetails?.ipAddressV4?.startsWith('203.0.113.4') ?? false);
    expectFilter({ search: 'ROOTCREDENTIAL' }, (f) => f.type === TYPES[1]);
    expectFilter({ search: 'AKIA3' }, (f) => f.resource.accessKeyDetails?.accessKeyId === 'AKIA3');
    expectFilter({ criteria: { criterion: { region: { eq: ['ap-south-1'] }, severity: { gte: 5 } } } }, (f) => f.region === 'ap-south-1' && f.severity >= 5);
    expectFilter(
      { types: [TYPES[0]!], regions: ['us-west-2', 'eu-west-1'], severities: ['High', 'Critical'], search: 'number' },
      (f) => f.type === TYPES[0] && f.region !== 'ap-south-1' && f.severity >= 7,
    );
    expect(listFindings(store, { resource: 'bucket' }).total).toBe(0); // exact, not a substring
    // Criteria on service.archived decide the archive state by themselves.
    store.archive([findingId(hits[3]!)], NOW);
    expect(listFindings(store, { criteria: { criterion: { 'service.archived': { eq: ['true'] } } } }).findings.map((f) => f.id)).toEqual([findingId(hits[3]!)]);
    store.close();
  });
});

describe('summarize', () => {
  it('counts by severity, type, day, resource and principal', () => {
    const { store, hits } = seeded();
    const all = walk(store, { limit: 1000 });
    const s = summarize(store, { now: NOW, days: 30 });
    expect(s.total).toBe(hits.length);
    for (const label of ['Low', 'Medium', 'High', 'Critical'] as const)
      expect(s.bySeverity[label]).toBe(all.filter((f) => severityLabel(f.severity) === label).length);
    expect(s.byType.reduce((n, t) => n + t.count, 0)).toBe(hits.length);
    for (let i = 1; i < s.byType.length; i++) expect(s.byType[i - 1]!.count).toBeGreaterThanOrEqual(s.byType[i]!.count);
    expect(s.byType.find((t) => t.type === TYPES[2])?.count).toBe(all.filter((f) => f.type === TYPES[2]).length);

    expect(s.overTime).toHaveLength(30);
    expect(s.overTime[29]!.day).toBe('2026-03-10');
    expect(s.overTime[0]!.day).toBe('2026-02-09');
    const start = Date.parse('2026-02-09T00:00:00Z');
    const inWindow = all.filter((f) => Date.parse(f.service.eventLastSeen) >= start);
    expect(inWindow.length).toBeLessThan(all.length); // the seed spreads over 40 days
    expect(s.overTime.reduce((n, d) => n + d.Low + d.Medium + d.High + d.Critical, 0)).toBe(inWindow.length);
    for (const d of s.overTime) {
      const onDay = inWindow.filter((f) => f.service.eventLastSeen.startsWith(d.day));
      expect(d.High, d.day).toBe(onDay.filter((f) => severityLabel(f.severity) === 'High').length);
    }

    expect(s.topResources.length).toBeLessThanOrEqual(10);
    for (let i = 1; i < s.topResources.length; i++) expect(s.topResources[i - 1]!.count).toBeGreaterThanOrEqual(s.topResources[i]!.count);
    const top = s.topResources[0]!;
    expect(top.count).toBe(all.filter((f) => resourceLabels(f).some((l) => l.kind === top.kind && l.id === top.id)).length);
    const topP = s.topPrincipals[0]!;
    expect(topP.count).toBe(all.filter((f) => f.resource.accessKeyDetails?.userName === topP.principal).length);
    expect(s.topPrincipals.length).toBeLessThanOrEqual(10);

    store.archive([findingId(hits[0]!)], NOW);
    expect(summarize(store, { now: NOW }).total).toBe(hits.length - 1);
    expect(summarize(store, { now: NOW, archived: true }).total).toBe(1);
    expect(summarize(store, { now: NOW, archived: 'all' }).total).toBe(hits.length);
    expect(summarize(store, { now: NOW }).overTime).toHaveLength(30);
    expect(() => summarize(store, { now: NOW, days: 0 })).toThrow(UsageError);
    store.close();
  });

  it('places a finding on the UTC day of its last activity, with empty days as zeros', () => {
    const store = new FindingStore(':memory:');
    const dayStart = Date.parse('2026-03-08T00:00:00Z');
    store.upsert([aggregateOf(makeHit({ time: dayStart - 1, severity: 9, key: ['a'] }))], 1); // 03-07 23:59:59.999
    store.upsert([aggregateOf(makeHit({ time: dayStart, severity: 2, key: ['b'] }))], 1);
    const s = summarize(store, { now: Date.parse('2026-03-09T05:00:00Z'), days: 3 });
    expect(s.overTime).toEqual([
      { day: '2026-03-07', Low: 0, Medium: 0, High: 0, Critical: 1 },
      { day: '2026-03-08', Low: 1, Medium: 0, High: 0, Critical: 0 },
      { day: '2026-03-09', Low: 0, Medium: 0, High: 0, Critical: 0 },
    ]);
    expect(s.topPrincipals).toEqual([{ principal: 'u', count: 2 }]);
    expect(s.topResources).toEqual([
      { kind: 'AccessKey', id: 'AKIAEXAMPLE', count: 2 },
      { kind: 'User', id: 'u', count: 2 },
    ]);
    store.close();
  });
});
