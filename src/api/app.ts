import { readFileSync } from 'node:fs';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { parse as parseYaml } from 'yaml';
import { findingEvent } from '../bus/event.js';
import { InvalidEventPatternError, matchesPattern } from '../bus/pattern/index.js';
import { describeError, IntelError, NotFoundError, TrailhoundError, UsageError } from '../core/errors.js';
import { parseCriteria } from '../findings/criteria.js';
import { type FindingListQuery, listFindings, SEVERITY_LABELS, type SeverityLabel, SORT_FIELDS, type SortField, summarize } from '../findings/query.js';
import { FilterExistsError, UnknownFilterError } from '../findings/suppression.js';
import { isListKind } from '../intel/list-store.js';
import type { Metrics } from '../pipeline/metrics.js';
import { Service } from '../pipeline/service.js';
import { toAsff } from '../targets/aws/asff.js';
import { type Auth, hasRole } from './auth.js';
import type { ServicesImpl } from './service-impl.js';
import type { AppEnv } from './services.js';

export interface AppOptions {
  services: ServicesImpl;
  auth: Auth;
  metrics: Metrics;
  service: Service;
  maxIngestBytes: number;
  /** Adds the console's routes (src/web), after authentication and before the fallback. */
  mount?: (app: Hono<AppEnv>) => void;
}

const OPENAPI_PATH = new URL('../../docs/openapi.yaml', import.meta.url);
const HOUR = 3_600_000;

/**
 * The HTTP API (JSON under /api/v1, described in docs/openapi.yaml), health and metrics, and the console mounted
 * by the caller. Authentication and CSRF checks run before every route (see auth.ts); roles are checked per route.
 */
export function createApp(o: AppOptions): Hono<AppEnv> {
  const { services: s } = o;
  const app = new Hono<AppEnv>();
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'same-origin',
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.use('*', o.auth.middleware());

  // Unauthenticated, so it says whether things work and no more (no source names, buckets or error texts).
  app.get('/healthz', (c) => {
    let database = true;
    try {
      o.services.store.db.prepare('SELECT 1').get();
    } catch {
      database = false;
    }
    const sources = o.service.status();
    const failing = sources.filter((x) => x.lastError !== undefined).length;
    const status = !database || o.service.stopping ? 'unavailable' : failing > 0 ? 'degraded' : 'ok';
    return c.json({ status, database, sources: { total: sources.length, failing } }, status === 'unavailable' ? 503 : 200);
  });
  app.get('/metrics', async (c) => c.body(await o.metrics.text(), 200, { 'content-type': o.metrics.contentType }));

  const api = new Hono<AppEnv>();
  const responder = (c: Context<AppEnv>) => {
    if (!hasRole(c.get('caller'), 'responder')) throw new ForbiddenError(`${c.get('caller').name} (${c.get('caller').role}) may not do this: responders only`);
    return c.get('caller').name;
  };
  const viewer = (c: Context<AppEnv>) => {
    if (!hasRole(c.get('caller'), 'viewer')) throw new ForbiddenError('viewers and responders only');
  };

  api.get('/openapi.json', (c) => c.json(parseYaml(readFileSync(OPENAPI_PATH, 'utf8'))));

  api.get('/findings', (c) => {
    viewer(c);
    return c.json(listFindings(s.store, listQuery(c)));
  });
  api.post('/findings/search', async (c) => {
    viewer(c);
    const body = await jsonBody(c);
    const q = listQuery(c);
    if (body.findingCriteria !== undefined) q.criteria = parseCriteria(body.findingCriteria);
    return c.json(listFindings(s.store, q));
  });
  api.get('/findings/export', (c) => {
    viewer(c);
    const format = c.req.query('format') ?? 'guardduty';
    if (format !== 'guardduty' && format !== 'asff') throw new UsageError('format is guardduty or asff');
    const findings = [];
    const { nextToken: _ignored, ...query } = listQuery(c);
    const q: FindingListQuery = { ...query, limit: 1000 };
    for (;;) {
      const page = listFindings(s.store, q);
      findings.push(...page.findings);
      if (!page.nextToken) break;
      q.nextToken = page.nextToken;
    }
    c.header('content-disposition', `attachment; filename="trailhound-findings-${format}.json"`);
    return format === 'asff' ? c.json({ Findings: findings.map((f) => toAsff(f)) }) : c.json({ findings });
  });
  api.get('/findings/:id', (c) => {
    viewer(c);
    const f = s.store.get(c.req.param('id'));
    if (!f) throw new NotFoundError(`no finding with id ${JSON.stringify(c.req.param('id'))}`);
    return c.json({ finding: f, remediation: s.remediation.options(f) });
  });
  for (const action of ['archive', 'unarchive'] as const) {
    api.post(`/findings/${action}`, async (c) => {
      const actor = responder(c);
      const body = await jsonBody(c);
      const ids = body.findingIds;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 50 || !ids.every((i) => typeof i === 'string'))
        throw new UsageError('findingIds: 1-50 finding ids (GuardDuty ArchiveFindings takes at most 50)');
      const changed = action === 'archive' ? s.store.archive(ids, s.clock.now()) : s.store.unarchive(ids, s.clock.now());
      s.record(actor, `findings.${action}`, ids.join(','), `${changed} changed`);
      return c.json({ changed });
    });
  }
  api.get('/summary', (c) => {
    viewer(c);
    const days = intParam(c.req.query('days'), 30, 1, 365, 'days');
    return c.json(summarize(s.store, { archived: archivedParam(c.req.query('archived')), days, now: s.clock.now() }));
  });

  api.get('/filters', (c) => {
    viewer(c);
    return c.json({ filters: s.suppression.list() });
  });
  api.post('/filters', async (c) => {
    const actor = responder(c);
    const b = await jsonBody(c);
    const rule = s.suppression.create(
      {
        name: String(b.name ?? ''),
        action: b.action as 'ARCHIVE' | 'NOOP',
        criteria: parseCriteria(b.findingCriteria),
        ...(b.description !== undefined ? { description: String(b.description) } : {}),
        ...(b.rank !== undefined ? { rank: Number(b.rank) } : {}),
      },
      s.clock.now(),
    );
    s.record(actor, 'filters.create', rule.name, JSON.stringify(rule.criteria));
    return c.json({ filter: rule }, 201);
  });
  api.get('/filters/:name', (c) => {
    viewer(c);
    const rule = s.suppression.get(c.req.param('name'));
    if (!rule) throw new NotFoundError(`no filter named ${JSON.stringify(c.req.param('name'))}`);
    return c.json({ filter: rule });
  });
  api.patch('/filters/:name', async (c) => {
    const actor = responder(c);
    const b = await jsonBody(c);
    const rule = s.suppression.update(
      c.req.param('name'),
      {
        ...(b.action !== undefined ? { action: b.action as 'ARCHIVE' | 'NOOP' } : {}),
        ...(b.findingCriteria !== undefined ? { criteria: parseCriteria(b.findingCriteria) } : {}),
        ...(b.description !== undefined ? { description: String(b.description) } : {}),
        ...(b.rank !== undefined ? { rank: Number(b.rank) } : {}),
      },
      s.clock.now(),
    );
    s.record(actor, 'filters.update', rule.name, JSON.stringify(b));
    return c.json({ filter: rule });
  });
  api.delete('/filters/:name', (c) => {
    const actor = responder(c);
    if (!s.suppression.delete(c.req.param('name'))) throw new NotFoundError(`no filter named ${JSON.stringify(c.req.param('name'))}`);
    s.record(actor, 'filters.delete', c.req.param('name'));
    return c.body(null, 204);
  });

  api.get('/events', (c) => {
    viewer(c);
    const principal = c.req.query('principal') || undefined;
    const address = c.req.query('address') || undefined;
    if (!principal && !address) throw new UsageError('give principal (ARN, access key id, user or role name) and/or address');
    const until = timeParam(c.req.query('until'), s.clock.now(), 'until');
    const since = timeParam(c.req.query('since'), until - HOUR, 'since');
    if (since > until) throw new UsageError('since is after until');
    const limit = intParam(c.req.query('limit'), 1000, 1, 10_000, 'limit');
    return c.json({
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      events: s.events({ principal, address, since, until, limit }),
    });
  });

  api.get('/rules', (c) => {
    viewer(c);
    return c.json({ rules: s.rules() });
  });
  api.get('/targets', (c) => {
    viewer(c);
    return c.json({ targets: s.targets() });
  });
  api.post('/rules/test-pattern', async (c) => {
    viewer(c);
    const b = await jsonBody(c);
    const pattern = typeof b.eventPattern === 'string' ? b.eventPattern : JSON.stringify(b.eventPattern ?? null);
    let event: unknown = b.event;
    if (typeof b.findingId === 'string') {
      const f = s.store.get(b.findingId);
      if (!f) throw new NotFoundError(`no finding with id ${JSON.stringify(b.findingId)}`);
      event = findingEvent(f, s.clock.now(), `test-${f.id}`);
    }
    if (event === undefined) throw new UsageError('give findingId (the finding as its GuardDuty Finding event) or event');
    try {
      return c.json({ result: matchesPattern(pattern, event), event });
    } catch (err) {
      if (err instanceof InvalidEventPatternError) throw new UsageError(err.message, { cause: err });
      throw err;
    }
  });

  api.get('/lists', (c) => {
    viewer(c);
    return c.json({ lists: s.lists.list() });
  });
  api.post('/lists', async (c) => {
    const actor = responder(c);
    const b = await jsonBody(c);
    if (!isListKind(b.kind)) throw new UsageError('kind is threat (addresses), trusted (addresses) or domain (domain names)');
    if (typeof b.name !== 'string' || typeof b.content !== 'string') throw new UsageError('name and content (the list text) are required');
    if (b.category !== undefined && typeof b.category !== 'string')
      throw new UsageError('category is a string (threat lists: threat or tor; domain lists: threat, c2 or mining)');
    if (b.format !== undefined && typeof b.format !== 'string') throw new UsageError('format is a string (a list format, or AUTO)');
    let list = s.lists.upload(b.kind, b.name, b.content, typeof b.format === 'string' ? b.format : undefined, b.category);
    if (b.activate === true) list = s.lists.setActive(list.id, true);
    s.record(
      actor,
      'lists.upload',
      `${b.kind}:${b.name}`,
      `${list.entries} entries, sha256 ${list.sha256}${list.category ? `, category ${list.category}` : ''}${list.active ? ', active' : ''}`,
    );
    return c.json({ list }, 201);
  });
  for (const [action, active] of [
    ['activate', true],
    ['deactivate', false],
  ] as const) {
    api.post(`/lists/:id/${action}`, (c) => {
      const actor = responder(c);
      const list = s.lists.setActive(c.req.param('id'), active);
      s.record(actor, `lists.${action}`, `${list.kind}:${list.name}`);
      return c.json({ list });
    });
  }
  api.delete('/lists/:id', (c) => {
    const actor = responder(c);
    if (!s.lists.remove(c.req.param('id'))) throw new NotFoundError(`no uploaded list with id ${JSON.stringify(c.req.param('id'))}`);
    s.record(actor, 'lists.remove', c.req.param('id'));
    return c.body(null, 204);
  });

  api.get('/findings/:id/remediation', (c) => {
    viewer(c);
    const f = s.store.get(c.req.param('id'));
    if (!f) throw new NotFoundError(`no finding with id ${JSON.stringify(c.req.param('id'))}`);
    return c.json({ options: s.remediation.options(f), audit: s.remediation.audit({ findingId: f.id }) });
  });
  api.post('/findings/:id/remediation/plan', async (c) => {
    const actor = responder(c);
    const b = await jsonBody(c);
    return c.json({ result: await s.remediation.plan(c.req.param('id'), String(b.target ?? ''), actor) });
  });
  api.post('/findings/:id/remediation/execute', async (c) => {
    const actor = responder(c);
    const b = await jsonBody(c);
    if (b.confirm !== true) throw new UsageError('executing a playbook needs "confirm": true (plan it first)');
    return c.json({ result: await s.remediation.execute(c.req.param('id'), String(b.target ?? ''), actor) });
  });
  api.post('/remediation/rollback', async (c) => {
    const actor = responder(c);
    const b = await jsonBody(c);
    const seq = Number(b.auditSeq);
    if (!Number.isInteger(seq) || seq < 1) throw new UsageError('auditSeq: the audit entry to roll back');
    const mode = b.mode === 'execute' ? 'execute' : 'dry-run';
    if (mode === 'execute' && b.confirm !== true) throw new UsageError('executing a rollback needs "confirm": true');
    return c.json({ result: await s.remediation.rollback(seq, mode, actor, typeof b.target === 'string' ? b.target : undefined) });
  });
  api.get('/remediation/audit', (c) => {
    viewer(c);
    const findingId = c.req.query('findingId');
    return c.json({ entries: s.remediation.audit(findingId ? { findingId } : {}) });
  });

  api.post(
    '/ingest',
    bodyLimit({ maxSize: o.maxIngestBytes, onError: (c) => c.json({ error: `the body is larger than ${o.maxIngestBytes} bytes` }, 413) }),
    async (c) => {
      const caller = c.get('caller');
      if (caller.role !== 'ingest' && caller.role !== 'responder') throw new ForbiddenError('ingest tokens and responders only');
      const text = await c.req.text();
      const label = `http:${caller.name}:${s.clock.now()}`;
      if (c.req.query('dryRun') === 'true') {
        const r = Service.check(text, label);
        return c.json({ events: r.events, rejected: r.errors.map((e) => ({ location: e.location, reason: e.reason })) });
      }
      const r = o.service.ingestText(text, label);
      return c.json(
        { events: r.events, duplicates: r.duplicates, findings: r.findings, rejected: r.rejected.map((e) => ({ location: e.location, reason: e.reason })) },
        r.rejected.length > 0 && r.events === 0 && r.duplicates === 0 ? 400 : 200,
      );
    },
  );

  api.get('/status', (c) => {
    viewer(c);
    return c.json({ sources: o.service.status(), rejections: o.service.rejections(50) });
  });
  api.get('/actions', (c) => {
    viewer(c);
    return c.json({ actions: s.actions(intParam(c.req.query('limit'), 200, 1, 10_000, 'limit')) });
  });

  api.notFound((c) => c.json({ error: `no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.route('/api/v1', api);
  o.mount?.(app);

  app.onError((err, c) => {
    const status = errorStatus(err);
    const message = status === 500 ? 'internal error (see the service log)' : err.message;
    if (status === 500) console.error(`trailhound: ${c.req.method} ${new URL(c.req.url).pathname}: ${describeError(err)}`);
    if (new URL(c.req.url).pathname.startsWith('/api/') || !(c.req.header('accept') ?? '').includes('text/html')) return c.json({ error: message }, status);
    return c.text(message, status);
  });
  return app;
}

export class ForbiddenError extends TrailhoundError {
  constructor(message: string) {
    super('E_FORBIDDEN', message);
  }
}

function errorStatus(err: Error): 400 | 403 | 404 | 409 | 500 {
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof NotFoundError || err instanceof UnknownFilterError) return 404;
  if (err instanceof FilterExistsError) return 409;
  if (err instanceof UsageError || err instanceof IntelError || err instanceof BadBodyError) return 400;
  return 500;
}

class BadBodyError extends TrailhoundError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_BAD_BODY', message, options);
  }
}

async function jsonBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (err) {
    throw new BadBodyError(`the body is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadBodyError('the body must be a JSON object');
  return body as Record<string, unknown>;
}

function list(v: string[] | undefined): string[] | undefined {
  const items = (v ?? [])
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
}

function archivedParam(v: string | undefined): boolean | 'all' {
  if (v === undefined || v === '' || v === 'false' || v === 'current') return false;
  if (v === 'true' || v === 'archived') return true;
  if (v === 'all') return 'all';
  throw new UsageError('archived is false (current), true (archived) or all');
}

function intParam(v: string | undefined, dflt: number, min: number, max: number, name: string): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} is an integer from ${min} to ${max}`);
  return n;
}

function timeParam(v: string | undefined, dflt: number, name: string): number {
  if (v === undefined || v === '') return dflt;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(n)) throw new UsageError(`${name} is an ISO 8601 time or epoch milliseconds`);
  return n;
}

/** The list query from GET parameters (repeatable or comma-separated). */
function listQuery(c: Context<AppEnv>): FindingListQuery {
  const q = c.req.queries();
  const one = (k: string) => c.req.query(k) || undefined;
  const severities = list(q.severity)?.map((x) => {
    const label = SEVERITY_LABELS.find((l) => l.toLowerCase() === x.toLowerCase());
    if (!label) throw new UsageError(`severity ${JSON.stringify(x)}: one of ${SEVERITY_LABELS.join(', ')}`);
    return label as SeverityLabel;
  });
  const sort = one('sort');
  if (sort && !(SORT_FIELDS as readonly string[]).includes(sort)) throw new UsageError(`sort: one of ${SORT_FIELDS.join(', ')}`);
  const order = one('order');
  if (order && order !== 'asc' && order !== 'desc') throw new UsageError('order is asc or desc');
  // Without `archived`, listFindings shows current findings, unless the criteria say otherwise (service.archived).
  const out: FindingListQuery = { limit: intParam(one('limit'), 50, 1, 1000, 'limit') };
  if (one('archived') !== undefined) out.archived = archivedParam(one('archived'));
  if (severities) out.severities = severities;
  const types = list(q.type);
  if (types) out.types = types;
  const accounts = list(q.account);
  if (accounts) out.accounts = accounts;
  const regions = list(q.region);
  if (regions) out.regions = regions;
  const resourceTypes = list(q.resourceType);
  if (resourceTypes) out.resourceTypes = resourceTypes;
  const resource = one('resource');
  if (resource) out.resource = resource;
  const search = one('q');
  if (search) out.search = search;
  if (sort) out.sort = sort as SortField;
  if (order) out.order = order as 'asc' | 'desc';
  const token = one('nextToken');
  if (token) out.nextToken = token;
  return out;
}
