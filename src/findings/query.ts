import { createHash } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import { type SeverityLabel as CoreSeverityLabel, type Finding, severityLabel } from '../core/finding.js';
import { compileCriteria, type FindingCriteria, parseCriteria } from './criteria.js';
import { type FindingRow, type FindingStore, rowToFinding } from './store.js';

export const SEVERITY_LABELS = ['Low', 'Medium', 'High', 'Critical'] as const;
export type SeverityLabel = CoreSeverityLabel;

export const SORT_FIELDS = ['severity', 'updatedAt', 'createdAt', 'firstSeen', 'lastSeen', 'count', 'type', 'accountId', 'region'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface FindingListQuery {
  /** GuardDuty FindingCriteria (see criteria.ts), ANDed with the simple filters below. */
  criteria?: FindingCriteria;
  severities?: SeverityLabel[];
  types?: string[];
  accounts?: string[];
  regions?: string[];
  resourceTypes?: string[];
  /** An access key id, user or role name, principal ARN, instance id or bucket name the finding is about. */
  resource?: string;
  /** Default false (current findings only); 'all' for both. */
  archived?: boolean | 'all';
  /** Case-insensitive substring over type, title, description, resource labels and remote address. */
  search?: string;
  sort?: SortField;
  order?: 'asc' | 'desc';
  /** 1..1000, default 50. */
  limit?: number;
  /** Opaque token from the previous page. */
  nextToken?: string;
}

export interface FindingPage {
  findings: Finding[];
  /** How many findings match the query in all (all pages). */
  total: number;
  nextToken?: string;
}

export interface ResourceLabel {
  kind: 'AccessKey' | 'User' | 'Role' | 'Instance' | 'S3Bucket';
  id: string;
}

export interface FindingSummary {
  total: number;
  bySeverity: Record<SeverityLabel, number>;
  byType: Array<{ type: string; count: number }>;
  /** One entry per UTC day over the window, oldest first, counting findings by their last activity (lastSeen). */
  overTime: Array<{ day: string } & Record<SeverityLabel, number>>;
  topResources: Array<ResourceLabel & { count: number }>;
  topPrincipals: Array<{ principal: string; count: number }>;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
export const MAX_SUMMARY_DAYS = 366;
const DAY = 86_400_000;

/** GuardDuty's bands (core/finding.ts), re-exported for the API and console. */
export { severityLabel };

/** The SQL condition for each band, the same boundaries as `severityLabel` (anything below 4 is Low). */
const SEVERITY_SQL: Record<SeverityLabel, string> = {
  Low: 'severity < 4',
  Medium: '(severity >= 4 AND severity < 7)',
  High: '(severity >= 7 AND severity < 9)',
  Critical: 'severity >= 9',
};

const SORT_COLUMNS: Record<SortField, string> = {
  severity: 'severity',
  updatedAt: 'updated_at',
  createdAt: 'created_at',
  firstSeen: 'first_seen',
  lastSeen: 'last_seen',
  count: 'count',
  type: 'type',
  accountId: 'account_id',
  region: 'region',
};
/** Without an order, numbers and times sort largest / latest first, text A to Z. */
const TEXT_SORTS: ReadonlySet<SortField> = new Set(['type', 'accountId', 'region']);

/** What the finding is about, as people name it: the access key, the user or role, the instance, the buckets. */
export function resourceLabels(f: Finding): ResourceLabel[] {
  const out: ResourceLabel[] = [];
  const r = f.resource;
  const key = r.accessKeyDetails;
  if (key?.accessKeyId) out.push({ kind: 'AccessKey', id: key.accessKeyId });
  if (key?.userName) out.push({ kind: key.userType === 'AssumedRole' || key.userType === 'Role' ? 'Role' : 'User', id: key.userName });
  if (r.instanceDetails?.instanceId) out.push({ kind: 'Instance', id: r.instanceDetails.instanceId });
  for (const b of r.s3BucketDetails ?? []) if (b.name) out.push({ kind: 'S3Bucket', id: b.name });
  return out;
}

/** A principal ARN, where a detector recorded one in `additionalInfo` (the finding model has no field for it). */
function principalArn(f: Finding): string | undefined {
  const arn = f.service.additionalInfo?.principalArn;
  return typeof arn === 'string' && arn !== '' ? arn : undefined;
}

/** Who acted: the access key's user (or role) name, or else the principal ARN. */
function principalOf(f: Finding): string | undefined {
  return f.resource.accessKeyDetails?.userName || principalArn(f);
}

function remoteAddresses(f: Finding): string[] {
  const ip = f.service.action.awsApiCallAction?.remoteIpDetails;
  return [ip?.ipAddressV4, ip?.ipAddressV6].filter((a): a is string => typeof a === 'string');
}

interface Plan {
  where: string[];
  params: unknown[];
  orderBy: string;
  test: ((f: Finding) => boolean) | undefined;
  hash: string;
  limit: number;
}

function plan(q: FindingListQuery): Plan {
  const problems: string[] = [];
  const limit = q.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) problems.push(`limit must be an integer from 1 to ${MAX_LIMIT}`);
  if (q.sort !== undefined && !(SORT_FIELDS as readonly string[]).includes(q.sort)) problems.push(`sort must be one of ${SORT_FIELDS.join(', ')}`);
  if (q.order !== undefined && q.order !== 'asc' && q.order !== 'desc') problems.push('order must be asc or desc');
  for (const s of q.severities ?? []) if (!(SEVERITY_LABELS as readonly string[]).includes(s)) problems.push(`unknown severity ${JSON.stringify(s)}`);
  if (q.archived !== undefined && q.archived !== true && q.archived !== false && q.archived !== 'all') problems.push('archived must be true, false or all');
  if (problems.length > 0) throw new UsageError(`invalid finding query: ${problems.join('; ')}`);

  // Validates (UsageError with every path) and normalises, so both forms give the same query and the same token.
  const criteria = q.criteria ? parseCriteria(q.criteria) : undefined;
  // GuardDuty's ListFindings filters archive state only through criteria: when the criteria say something about
  // `service.archived`, they decide, instead of the default "current only".
  const archived = q.archived ?? (criteria && 'service.archived' in criteria.criterion ? 'all' : false);

  const where: string[] = [];
  const params: unknown[] = [];
  if (archived !== 'all') where.push(archived ? 'archived = 1' : 'archived = 0');
  const severities = uniqueSorted(q.severities);
  if (severities.length > 0) where.push(`(${severities.map((s) => SEVERITY_SQL[s as SeverityLabel]).join(' OR ')})`);
  const inList = (column: string, values: string[]) => {
    if (values.length === 0) return; // an empty list is no filter (an unset form field), not "match nothing"
    where.push(`${column} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(values));
  };
  const types = uniqueSorted(q.types);
  const accounts = uniqueSorted(q.accounts);
  const regions = uniqueSorted(q.regions);
  const resourceTypes = uniqueSorted(q.resourceTypes);
  inList('type', types);
  inList('account_id', accounts);
  inList('region', regions);
  inList('resource_type', resourceTypes);

  const sort = q.sort ?? 'severity';
  const order = q.order ?? (q.sort !== undefined && TEXT_SORTS.has(q.sort) ? 'asc' : 'desc');
  const column = SORT_COLUMNS[sort];
  const orderBy = [`${column} ${order.toUpperCase()}`, ...(column === 'updated_at' ? [] : ['updated_at DESC']), 'id ASC'].join(', ');

  const tests: Array<(f: Finding) => boolean> = [];
  if (criteria) tests.push(compileCriteria(criteria));
  const resource = q.resource === undefined || q.resource === '' ? undefined : q.resource;
  if (resource !== undefined) tests.push((f) => principalArn(f) === resource || resourceLabels(f).some((l) => l.id === resource));
  const search = q.search?.trim().toLowerCase() || undefined;
  if (search !== undefined) {
    tests.push((f) =>
      [f.type, f.title, f.description, ...resourceLabels(f).map((l) => l.id), ...remoteAddresses(f)].some((t) => t.toLowerCase().includes(search)),
    );
  }
  const test = tests.length === 0 ? undefined : (f: Finding) => tests.every((t) => t(f));

  // Everything that decides which findings, and in what order, goes into the hash: a token only continues the
  // query that produced it. The page size may change between pages.
  const hash = createHash('sha256')
    .update(canonical({ criteria, severities, types, accounts, regions, resourceTypes, resource, archived, search, sort, order }))
    .digest('base64url')
    .slice(0, 16);
  return { where, params, orderBy, test, hash, limit };
}

/**
 * One page of findings. The indexed columns (archive state, severity band, type, account, region, resource type)
 * are filtered in SQL; criteria, resource and search are evaluated on the composed findings. `nextToken` encodes the
 * offset and the query's hash: it is refused (UsageError) with any other query. Offsets are stable while the set of
 * findings does not change; a finding inserted meanwhile can shift a page (as in GuardDuty, pages are not snapshots).
 */
export function listFindings(store: FindingStore, q: FindingListQuery): FindingPage {
  const p = plan(q);
  const offset = q.nextToken === undefined ? 0 : decodeToken(q.nextToken, p.hash);
  const whereSql = p.where.length > 0 ? `WHERE ${p.where.join(' AND ')}` : '';
  let total: number;
  let findings: Finding[];
  if (!p.test) {
    total = (store.db.prepare(`SELECT count(*) AS n FROM findings ${whereSql}`).get(...p.params) as { n: number }).n;
    findings = (
      store.db.prepare(`SELECT * FROM findings ${whereSql} ORDER BY ${p.orderBy} LIMIT ? OFFSET ?`).all(...p.params, p.limit, offset) as FindingRow[]
    ).map(rowToFinding);
  } else {
    total = 0;
    findings = [];
    for (const row of store.db.prepare(`SELECT * FROM findings ${whereSql} ORDER BY ${p.orderBy}`).iterate(...p.params) as Iterable<FindingRow>) {
      const f = rowToFinding(row);
      if (!p.test(f)) continue;
      if (total >= offset && findings.length < p.limit) findings.push(f);
      total++;
    }
  }
  const next = offset + p.limit;
  return { findings, total, ...(next < total ? { nextToken: encodeToken(next, p.hash) } : {}) };
}

function encodeToken(offset: number, hash: string): string {
  return Buffer.from(JSON.stringify({ o: offset, h: hash })).toString('base64url');
}

function decodeToken(token: string, hash: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (err) {
    throw new UsageError('nextToken is not a token this service issued', { cause: err });
  }
  const t = parsed as { o?: unknown; h?: unknown } | null;
  if (typeof t !== 'object' || t === null || typeof t.o !== 'number' || !Number.isInteger(t.o) || t.o < 0 || typeof t.h !== 'string')
    throw new UsageError('nextToken is not a token this service issued');
  if (t.h !== hash) throw new UsageError('nextToken belongs to another query (filters or sort changed): start again without it');
  return t.o;
}

/**
 * Counts for a dashboard. `total`, `bySeverity`, `byType`, `topResources` and `topPrincipals` cover every finding in
 * the archive state asked for (default current only); `overTime` covers the last `days` UTC days up to and including
 * the day of `now`, by each finding's last activity.
 */
export function summarize(store: FindingStore, opts: { archived?: boolean | 'all'; days?: number; now: number }): FindingSummary {
  const days = opts.days ?? 30;
  if (!Number.isInteger(days) || days < 1 || days > MAX_SUMMARY_DAYS) throw new UsageError(`days must be an integer from 1 to ${MAX_SUMMARY_DAYS}`);
  const archived = opts.archived ?? false;
  const zero = (): Record<SeverityLabel, number> => ({ Low: 0, Medium: 0, High: 0, Critical: 0 });
  const today = Math.floor(opts.now / DAY) * DAY;
  const start = today - (days - 1) * DAY;
  const overTime = Array.from({ length: days }, (_, i) => ({ day: new Date(start + i * DAY).toISOString().slice(0, 10), ...zero() }));
  const bySeverity = zero();
  const byType = new Map<string, number>();
  const byResource = new Map<string, ResourceLabel & { count: number }>();
  const byPrincipal = new Map<string, number>();
  let total = 0;

  const where = archived === 'all' ? '' : `WHERE archived = ${archived ? 1 : 0}`;
  for (const row of store.db.prepare(`SELECT * FROM findings ${where}`).iterate() as Iterable<FindingRow>) {
    const f = rowToFinding(row);
    const label = severityLabel(f.severity);
    total++;
    bySeverity[label]++;
    byType.set(f.type, (byType.get(f.type) ?? 0) + 1);
    const dayIndex = Math.floor((row.last_seen - start) / DAY);
    if (dayIndex >= 0 && dayIndex < days) overTime[dayIndex]![label]++;
    // One finding counts once per distinct resource it names.
    for (const l of new Map(resourceLabels(f).map((l) => [`${l.kind}\u0000${l.id}`, l]))) {
      const entry = byResource.get(l[0]) ?? { ...l[1], count: 0 };
      entry.count++;
      byResource.set(l[0], entry);
    }
    const principal = principalOf(f);
    if (principal) byPrincipal.set(principal, (byPrincipal.get(principal) ?? 0) + 1);
  }
  const byCount = (a: { count: number; key: string }, b: { count: number; key: string }) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return {
    total,
    bySeverity,
    byType: [...byType]
      .map(([type, count]) => ({ key: type, count }))
      .sort(byCount)
      .map((e) => ({ type: e.key, count: e.count })),
    overTime,
    topResources: [...byResource]
      .map(([key, v]) => ({ key, count: v.count, v }))
      .sort(byCount)
      .slice(0, 10)
      .map((e) => e.v),
    topPrincipals: [...byPrincipal]
      .map(([principal, count]) => ({ key: principal, count }))
      .sort(byCount)
      .slice(0, 10)
      .map((e) => ({ principal: e.key, count: e.count })),
  };
}

function uniqueSorted(values: readonly string[] | undefined): string[] {
  return [...new Set(values ?? [])].sort();
}

/** JSON with object keys sorted, so equal queries hash equally whatever order their keys were written in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}
