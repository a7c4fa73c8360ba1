import { UsageError } from '../../core/errors.js';
import type { Finding } from '../../core/finding.js';
import { type FindingListQuery, type FindingPage, SEVERITY_LABELS, type SeverityLabel, SORT_FIELDS, type SortField } from '../../findings/query.js';
import { FindingLink, href, Sev, shown, Table, time } from '../layout.js';

export type ArchivedFilter = 'current' | 'archived' | 'all';

/** The list's state, as GET parameters (so a filtered view is a link one can share or bookmark). */
export interface ListParams {
  severity: SeverityLabel[];
  type: string;
  account: string;
  region: string;
  resource: string;
  archived: ArchivedFilter;
  q: string;
  sort?: SortField | undefined;
  order?: 'asc' | 'desc' | undefined;
  nextToken?: string | undefined;
}

export const PAGE_SIZE = 50;

export function parseListParams(get: (k: string) => string | undefined, all: (k: string) => string[]): ListParams {
  const severity: SeverityLabel[] = [];
  for (const s of all('severity').flatMap((v) => v.split(','))) {
    const label = SEVERITY_LABELS.find((l) => l.toLowerCase() === s.trim().toLowerCase());
    if (!label) throw new UsageError(`severity: expected one of ${SEVERITY_LABELS.join(', ')}, not ${JSON.stringify(s)}`);
    if (!severity.includes(label)) severity.push(label);
  }
  const archived = (get('archived') || 'current') as ArchivedFilter;
  if (!['current', 'archived', 'all'].includes(archived)) throw new UsageError('archived: expected current, archived or all');
  const sort = get('sort') || undefined;
  if (sort !== undefined && !(SORT_FIELDS as readonly string[]).includes(sort)) throw new UsageError(`sort: expected one of ${SORT_FIELDS.join(', ')}`);
  const order = get('order') || undefined;
  if (order !== undefined && order !== 'asc' && order !== 'desc') throw new UsageError('order: expected asc or desc');
  return {
    severity,
    type: (get('type') ?? '').trim(),
    account: (get('account') ?? '').trim(),
    region: (get('region') ?? '').trim(),
    resource: (get('resource') ?? '').trim(),
    archived,
    q: (get('q') ?? '').trim(),
    sort: sort as SortField | undefined,
    order: order as 'asc' | 'desc' | undefined,
    nextToken: get('nextToken') || undefined,
  };
}

export function toQuery(p: ListParams): FindingListQuery {
  const q: FindingListQuery = {
    archived: p.archived === 'all' ? 'all' : p.archived === 'archived',
    limit: PAGE_SIZE,
  };
  if (p.severity.length > 0) q.severities = p.severity;
  if (p.type) q.types = [p.type];
  if (p.account) q.accounts = [p.account];
  if (p.region) q.regions = [p.region];
  if (p.resource) q.resource = p.resource;
  if (p.q) q.search = p.q;
  if (p.sort) q.sort = p.sort;
  if (p.order) q.order = p.order;
  if (p.nextToken) q.nextToken = p.nextToken;
  return q;
}

function linkParams(p: ListParams, over: Partial<ListParams> = {}): Record<string, string | string[] | undefined> {
  const m = { ...p, ...over };
  return {
    severity: m.severity,
    type: m.type,
    account: m.account,
    region: m.region,
    resource: m.resource,
    archived: m.archived === 'current' ? undefined : m.archived,
    q: m.q,
    sort: m.sort,
    order: m.order,
    nextToken: m.nextToken,
  };
}

export function listHref(p: ListParams, over: Partial<ListParams> = {}): string {
  return href('/findings', linkParams(p, over));
}

/** What a finding is about, in a few words (the principal, the instance, the bucket). */
export function resourceText(f: Finding): string {
  const r = f.resource;
  const k = r.accessKeyDetails;
  const parts: string[] = [];
  if (r.s3BucketDetails?.length) parts.push(r.s3BucketDetails.map((b) => b.name).join(', '));
  if (r.instanceDetails?.instanceId) parts.push(r.instanceDetails.instanceId);
  if (k) parts.push(`${k.userType} ${k.userName}`.trim(), k.accessKeyId);
  return parts.filter(Boolean).join(' · ') || r.resourceType;
}

const TEXT_SORTS: readonly SortField[] = ['type', 'accountId', 'region'];

function SortHeader(p: { params: ListParams; field: SortField; label: string; num?: boolean }) {
  const current = p.params.sort === p.field;
  const order = current ? (p.params.order === 'asc' ? 'desc' : 'asc') : TEXT_SORTS.includes(p.field) ? 'asc' : 'desc';
  const link = listHref(p.params, { sort: p.field, order, nextToken: undefined });
  const cls = current ? `sorted${p.params.order === 'asc' ? ' asc' : ''}` : undefined;
  return (
    <th class={p.num ? 'num' : undefined} aria-sort={current ? (p.params.order === 'asc' ? 'ascending' : 'descending') : undefined}>
      <a href={link} class={cls}>
        {p.label}
      </a>
    </th>
  );
}

export function FindingsView(p: { params: ListParams; page: FindingPage; types: string[] }) {
  const { params, page } = p;
  const types = p.types.includes(params.type) || !params.type ? p.types : [params.type, ...p.types];
  return (
    <>
      <h1>Findings</h1>
      <form method="get" action="/findings" class="filters">
        <fieldset>
          <legend>Severity</legend>
          {[...SEVERITY_LABELS].reverse().map((l) => (
            <label>
              <input type="checkbox" name="severity" value={l} checked={params.severity.includes(l)} data-autosubmit="" />
              {l}
            </label>
          ))}
        </fieldset>
        <label>
          Type
          <select name="type" data-autosubmit="">
            <option value="">Any type</option>
            {types.map((t) => (
              <option value={t} selected={t === params.type}>
                {shown(t)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Account
          <input type="text" name="account" value={params.account} size={14} inputmode="numeric" />
        </label>
        <label>
          Region
          <input type="text" name="region" value={params.region} size={12} />
        </label>
        <label>
          Resource
          <input type="text" name="resource" value={params.resource} size={22} placeholder="key, user, role, instance, bucket" />
        </label>
        <label>
          Show
          <select name="archived" data-autosubmit="">
            <option value="current" selected={params.archived === 'current'}>
              Current
            </option>
            <option value="archived" selected={params.archived === 'archived'}>
              Archived
            </option>
            <option value="all" selected={params.archived === 'all'}>
              All
            </option>
          </select>
        </label>
        <label>
          Search
          <input type="search" name="q" value={params.q} size={22} data-search="" placeholder="type, title, address… ( / )" />
        </label>
        {params.sort ? <input type="hidden" name="sort" value={params.sort} /> : null}
        {params.order ? <input type="hidden" name="order" value={params.order} /> : null}
        <button type="submit" class="primary">
          Apply
        </button>
        <a href="/findings">Clear</a>
      </form>
      <div class="actions">
        <span>
          <strong>{String(page.total)}</strong>
          {` finding${page.total === 1 ? '' : 's'} match${page.total === 1 ? 'es' : ''}`}
          {page.findings.length < page.total ? `, ${page.findings.length} on this page` : ''}.
        </span>
        <a href="/suppression">Suppression rules</a>
      </div>
      <Table
        class="findings"
        rows={page.findings}
        empty={<p class="panel muted">No findings match.</p>}
        head={[
          <SortHeader params={params} field="severity" label="Severity" />,
          <SortHeader params={params} field="type" label="Finding type" />,
          'Resource',
          <SortHeader params={params} field="accountId" label="Account" />,
          <SortHeader params={params} field="region" label="Region" />,
          <SortHeader params={params} field="count" label="Count" num />,
          <SortHeader params={params} field="lastSeen" label="Last seen" />,
        ]}
        row={(f) => (
          <tr>
            <td class="nowrap">
              <Sev severity={f.severity} />
            </td>
            <td>
              <FindingLink id={f.id} type={f.type} />
              {f.service.archived ? (
                <>
                  {' '}
                  <span class="tag">archived</span>
                </>
              ) : null}
              <div class="muted">{shown(f.title)}</div>
            </td>
            <td>{shown(resourceText(f))}</td>
            <td class="nowrap">{shown(f.accountId)}</td>
            <td class="nowrap">{shown(f.region)}</td>
            <td class="num">{String(f.service.count)}</td>
            <td class="nowrap">{time(f.service.eventLastSeen)}</td>
          </tr>
        )}
      />
      <nav class="pager" aria-label="Pages">
        {params.nextToken ? <a href={listHref(params, { nextToken: undefined })}>« First page</a> : null}
        {page.nextToken ? <a href={listHref(params, { nextToken: page.nextToken })}>Next page »</a> : null}
      </nav>
    </>
  );
}
