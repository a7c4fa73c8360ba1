import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Child } from 'hono/jsx';
import type { AppEnv, AuthApi, Caller, Services } from '../api/services.js';
import { NotFoundError, TrailhoundError, UsageError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { DETECTORS } from '../detectors/registry.js';
import { listFindings, summarize } from '../findings/query.js';
import { type FilterAction, UnknownFilterError } from '../findings/suppression.js';
import { CONTAINMENT_FAILED_TYPE } from '../pipeline/verification.js';
import { APP_CSS, APP_JS } from './assets.js';
import { ErrorBox, Layout, type NavKey, seg } from './layout.js';
import { type ListForm, ListsView, listFormProblem, RulesView } from './pages/config.js';
import { FindingView } from './pages/finding.js';
import { FindingsView, parseListParams, toQuery } from './pages/findings.js';
import { type InboxSource, InboxView } from './pages/inbox.js';
import { LoginPage, safeNext } from './pages/login.js';
import { PrincipalView, WINDOWS, type WindowName } from './pages/principal.js';
import { AuditView, PlanView, ResultView } from './pages/response.js';
import { SummaryView } from './pages/summary.js';
import { EMPTY_FORM, type SuppressionForm, SuppressionView } from './pages/suppression.js';

/**
 * The web console: server-rendered pages (hono/jsx escapes every interpolated value), one stylesheet and one small
 * script from /assets, forms that work without the script. Authentication, sessions and the CSRF check run in the
 * middleware (src/api/auth.ts) before these routes; the handlers here still check the caller's role for every
 * responder-only action and hide those controls from viewers.
 */

/** No inline script or style anywhere, so the policy can forbid both. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

type C = Context<AppEnv>;

const DAY = 86_400_000;
const EVENT_LIMIT = 1000;

function securityHeaders(c: C): void {
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
}

function callerOf(c: C): Caller | undefined {
  try {
    return c.get('caller');
  } catch {
    return undefined;
  }
}

function csrfOf(c: C): string {
  return c.get('csrf') ?? '';
}

function isResponder(c: C): boolean {
  return callerOf(c)?.role === 'responder';
}

function page(c: C, title: string, nav: NavKey, body: Child, status: 200 | 400 | 401 | 403 | 404 | 500 = 200) {
  securityHeaders(c);
  return c.html(
    <Layout title={title} caller={callerOf(c)} csrf={csrfOf(c)} nav={nav} attribution={c.get('attribution')} extraNav={c.get('extraNav')}>
      {body}
    </Layout>,
    status,
  );
}

function errorPage(c: C, status: 400 | 403 | 404 | 500, message: string) {
  const title = status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status === 400 ? 'Cannot do that' : 'Error';
  return page(
    c,
    title,
    'none',
    <>
      <h1>{title}</h1>
      <ErrorBox message={message} />
      <p>
        <a href="/">Back to the summary</a>
      </p>
    </>,
    status,
  );
}

type Handler = (c: C) => Response | Promise<Response>;

/**
 * Every console route: a caller that is not a person with a console role gets 403 (the middleware has already sent
 * anonymous browsers to /login); errors Trailhound raises on purpose (bad input, unknown names) become a 400 page
 * with the message, anything else a 500 page that says nothing about internals.
 */
function guarded(role: 'viewer' | 'responder', fn: Handler): Handler {
  return async (c) => {
    const caller = callerOf(c);
    if (!caller) {
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(`${url.pathname}${url.search}`)}`, 303);
    }
    if (caller.role !== 'viewer' && caller.role !== 'responder') return errorPage(c, 403, 'This console is for viewers and responders.');
    if (role === 'responder' && caller.role !== 'responder') return errorPage(c, 403, 'Only responders can do this.');
    try {
      return await fn(c);
    } catch (err) {
      if (err instanceof HTTPException) throw err;
      if (err instanceof TrailhoundError) return errorPage(c, 400, err.message);
      console.error('console:', err);
      return errorPage(c, 500, 'Something went wrong on the server; the error is in its log.');
    }
  };
}

async function form(c: C): Promise<Record<string, string | File>> {
  return (await c.req.parseBody()) as Record<string, string | File>;
}

function field(body: Record<string, string | File>, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v : '';
}

function findingOr404(services: Services, id: string): Finding {
  const f = services.store.get(id);
  if (!f) throw new NotFoundError(`no finding with id ${JSON.stringify(id)}`);
  return f;
}

/** The finding types a filter can offer: every detector's, and the containment check's. */
const KNOWN_TYPES = [...new Set([...DETECTORS.map((d) => d.meta.findingType), CONTAINMENT_FAILED_TYPE])].sort();

/** `at`: an ISO time, milliseconds since the epoch, or `now`. */
function parseAt(text: string | undefined, now: number): number | undefined {
  if (!text || text === 'now') return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new UsageError(`at: not a time: ${JSON.stringify(text)} (an ISO time such as 2021-03-08T18:31:40Z, or now)`);
  return Math.min(ms, now + DAY);
}

/** What a composition adds to the console: the lab's in-process mailbox, shown read-only to viewers. */
export interface ConsoleExtras {
  inbox?: InboxSource;
}

export function mountConsole(app: Hono<AppEnv>, services: Services, auth: AuthApi, extras: ConsoleExtras = {}): void {
  const now = () => services.clock.now();
  const extraNav = extras.inbox ? [{ href: '/inbox', label: 'Inbox', key: 'inbox' }] : undefined;
  // The address databases' licences ask for their attribution wherever enriched results are shown: every page's footer.
  app.use('*', async (c, next) => {
    c.set('attribution', services.attribution());
    if (extraNav) c.set('extraNav', extraNav);
    await next();
  });
  const notFoundAware =
    (fn: Handler): Handler =>
    async (c) => {
      try {
        return await fn(c);
      } catch (err) {
        if (err instanceof NotFoundError || err instanceof UnknownFilterError) return errorPage(c, 404, err.message);
        throw err;
      }
    };
  const viewer = (fn: Handler) => guarded('viewer', notFoundAware(fn));
  const responder = (fn: Handler) => guarded('responder', notFoundAware(fn));

  // Assets: versioned URLs (?v=hash) in the pages, so they can be cached for a year.
  app.get('/assets/app.css', (c) => {
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(APP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });
  app.get('/assets/app.js', (c) => {
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(APP_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });

  // Login and logout.
  app.get('/login', (c) => {
    const next = safeNext(c.req.query('next'));
    if (callerOf(c)) return c.redirect(next, 303);
    securityHeaders(c);
    return c.html(<LoginPage next={next} csrf={csrfOf(c)} />);
  });
  app.post('/login', async (c) => {
    const body = await form(c);
    const next = safeNext(field(body, 'next'));
    const name = field(body, 'name');
    const ok = name !== '' && (await auth.login(c, name, field(body, 'password')));
    if (ok) return c.redirect(next, 303);
    securityHeaders(c);
    return c.html(<LoginPage next={next} csrf={csrfOf(c)} name={name} error="Wrong name or password." />, 401);
  });
  app.post('/logout', (c) => {
    auth.logout(c);
    return c.redirect('/login', 303);
  });

  // Summary.
  app.get(
    '/',
    viewer((c) => {
      const days = Number(c.req.query('days') ?? 30);
      if (![7, 30, 90].includes(days)) throw new UsageError('days: expected 7, 30 or 90');
      const t = now();
      const latest = listFindings(services.store, { archived: false, sort: 'lastSeen', order: 'desc', limit: 1 }).findings[0];
      const latestMs = latest ? Date.parse(latest.service.eventLastSeen) : t;
      // When nothing happened within the window, end it at the latest activity rather than show an empty chart.
      const endsAtActivity = latestMs < t - days * DAY;
      const end = endsAtActivity ? latestMs : t;
      const summary = summarize(services.store, { archived: false, days, now: end });
      return page(
        c,
        'Summary',
        'summary',
        <SummaryView summary={summary} sources={services.sources()} days={days} windowEnd={new Date(end).toISOString()} endsAtActivity={endsAtActivity} />,
      );
    }),
  );

  // Findings.
  app.get(
    '/findings',
    viewer((c) => {
      const params = parseListParams(
        (k) => c.req.query(k),
        (k) => c.req.queries(k) ?? [],
      );
      const result = listFindings(services.store, toQuery(params));
      return page(c, 'Findings', 'findings', <FindingsView params={params} page={result} types={KNOWN_TYPES} />);
    }),
  );
  app.get(
    '/findings/:id',
    viewer((c) => {
      const f = findingOr404(services, param(c, 'id'));
      const history = services.remediation.audit({ findingId: f.id });
      return page(
        c,
        f.type,
        'findings',
        <FindingView finding={f} options={services.remediation.options(f)} history={history} canRespond={isResponder(c)} csrf={csrfOf(c)} />,
      );
    }),
  );
  for (const op of ['archive', 'unarchive'] as const) {
    app.post(
      `/findings/:id/${op}`,
      responder((c) => {
        const f = findingOr404(services, param(c, 'id'));
        if (op === 'archive') services.store.archive([f.id], now());
        else services.store.unarchive([f.id], now());
        return c.redirect(`/findings/${seg(f.id)}`, 303);
      }),
    );
  }
  app.post(
    '/findings/:id/plan',
    responder(async (c) => {
      const f = findingOr404(services, param(c, 'id'));
      const target = field(await form(c), 'target');
      const option = services.remediation.options(f).find((o) => o.target === target);
      if (!option) throw new UsageError(`no remediation target named ${JSON.stringify(target)} for this finding`);
      const result = await services.remediation.plan(f.id, target, callerOf(c)!.name);
      return page(c, 'Plan', 'findings', <PlanView findingId={f.id} option={option} result={result} canRespond={isResponder(c)} csrf={csrfOf(c)} />);
    }),
  );
  app.post(
    '/findings/:id/execute',
    responder(async (c) => {
      const f = findingOr404(services, param(c, 'id'));
      const target = field(await form(c), 'target');
      const result = await services.remediation.execute(f.id, target, callerOf(c)!.name);
      return page(c, 'Result', 'findings', <ResultView result={result} canRespond={isResponder(c)} csrf={csrfOf(c)} />);
    }),
  );

  // Audit and rollback.
  app.get(
    '/audit',
    viewer((c) => {
      const findingId = c.req.query('finding') || undefined;
      const entries = services.remediation.audit(findingId ? { findingId } : undefined);
      return page(c, 'Audit', 'audit', <AuditView entries={entries} findingId={findingId} canRespond={isResponder(c)} csrf={csrfOf(c)} />);
    }),
  );
  app.post(
    '/audit/:seq/rollback',
    responder(async (c) => {
      const seq = Number(param(c, 'seq'));
      if (!Number.isInteger(seq) || seq < 1) throw new UsageError('not an audit entry number');
      const mode = field(await form(c), 'mode') || 'dry-run';
      if (mode !== 'dry-run' && mode !== 'execute') throw new UsageError('mode: expected dry-run or execute');
      const result = await services.remediation.rollback(seq, mode, callerOf(c)!.name);
      return page(c, 'Rollback', 'audit', <ResultView result={result} canRespond={isResponder(c)} csrf={csrfOf(c)} />);
    }),
  );

  // A principal's (or an address's) activity.
  app.get(
    '/principal',
    viewer((c) => {
      const who = (c.req.query('who') ?? '').trim();
      const address = (c.req.query('address') ?? '').trim();
      if (!who && !address) throw new UsageError('who or address: say whose activity to show');
      const window = (c.req.query('window') || '1d') as WindowName;
      if (!(window in WINDOWS)) throw new UsageError(`window: expected ${Object.keys(WINDOWS).join(', ')}`);
      const t = now();
      const findings = listFindings(services.store, {
        ...(who ? { resource: who } : { search: address }),
        archived: 'all',
        sort: 'lastSeen',
        order: 'desc',
        limit: 50,
      });
      const at = parseAt(c.req.query('at'), t);
      let until: number;
      let endNote: string;
      if (at !== undefined) {
        until = at;
        endNote = c.req.query('at') === findings.findings[0]?.service.eventLastSeen ? "the finding's last activity" : 'as asked';
      } else if (!c.req.query('at') && findings.findings[0]) {
        until = Date.parse(findings.findings[0].service.eventLastSeen);
        endNote = 'the latest activity in a finding about it';
      } else {
        until = t;
        endNote = 'now';
      }
      const since = until - WINDOWS[window];
      const events = services.events({ ...(who ? { principal: who } : {}), ...(address ? { address } : {}), since, until, limit: EVENT_LIMIT });
      return page(
        c,
        'Activity',
        'findings',
        <PrincipalView
          who={who}
          address={address}
          window={window}
          since={since}
          until={until}
          endNote={endNote}
          events={events}
          limit={EVENT_LIMIT}
          findings={findings.findings}
          findingsTotal={findings.total}
        />,
      );
    }),
  );

  // Suppression rules (GuardDuty filters).
  const suppressionPage = (c: C, f: SuppressionForm, error?: string) =>
    page(
      c,
      'Suppression rules',
      'suppression',
      <SuppressionView rules={services.suppression.list()} canRespond={isResponder(c)} csrf={csrfOf(c)} form={f} error={error} />,
      error ? 400 : 200,
    );
  app.get(
    '/suppression',
    viewer((c) => suppressionPage(c, EMPTY_FORM)),
  );
  app.post(
    '/suppression',
    responder(async (c) => {
      const body = await form(c);
      const f: SuppressionForm = {
        name: field(body, 'name').trim(),
        action: field(body, 'action'),
        rank: field(body, 'rank').trim(),
        description: field(body, 'description'),
        criteria: field(body, 'criteria'),
      };
      let criteria: unknown;
      try {
        criteria = JSON.parse(f.criteria);
      } catch (err) {
        return suppressionPage(c, f, `criteria: not JSON: ${(err as Error).message}`);
      }
      const rank = f.rank === '' ? undefined : Number(f.rank);
      try {
        services.suppression.create(
          {
            name: f.name,
            action: f.action as FilterAction,
            criteria: criteria as never,
            ...(f.description ? { description: f.description } : {}),
            ...(rank !== undefined ? { rank } : {}),
          },
          now(),
        );
      } catch (err) {
        if (err instanceof TrailhoundError) return suppressionPage(c, f, err.message);
        throw err;
      }
      return c.redirect('/suppression', 303);
    }),
  );
  app.post(
    '/suppression/:name/delete',
    responder((c) => {
      const name = param(c, 'name');
      if (!services.suppression.delete(name)) throw new NotFoundError(`no filter named ${JSON.stringify(name)}`);
      return c.redirect('/suppression', 303);
    }),
  );

  // The lab's mailbox (only when the composition has one).
  const inbox = extras.inbox;
  if (inbox)
    app.get(
      '/inbox',
      viewer((c) => page(c, 'Inbox', 'inbox', <InboxView inbox={inbox} />)),
    );

  // Rules and targets.
  app.get(
    '/rules',
    viewer((c) => page(c, 'Rules', 'rules', <RulesView rules={services.rules()} targets={services.targets()} />)),
  );

  // Threat, trusted and domain lists.
  const listsPage = (c: C, f: ListForm, error?: string) =>
    page(
      c,
      'Lists',
      'lists',
      <ListsView lists={services.lists.list()} canRespond={isResponder(c)} csrf={csrfOf(c)} form={f} error={error} />,
      error ? 400 : 200,
    );
  app.get(
    '/lists',
    viewer((c) => listsPage(c, { kind: 'threat', name: '', text: '', category: 'threat', format: 'AUTO' })),
  );
  app.post(
    '/lists',
    responder(async (c) => {
      const body = await form(c);
      const f: ListForm = {
        kind: field(body, 'kind'),
        name: field(body, 'name').trim(),
        text: field(body, 'text'),
        category: field(body, 'category'),
        format: field(body, 'format'),
      };
      const file = body.file;
      let text = f.text;
      if (file instanceof File && file.size > 0) {
        if (file.size > 20 * 1024 * 1024) return listsPage(c, f, 'file: larger than 20 MiB');
        text = await file.text();
      }
      // One select offers every kind's categories (no script needed), so a mismatch is explained here.
      const problem = listFormProblem(f.kind, f.category);
      if (problem) return listsPage(c, f, problem);
      const kind = f.kind as 'threat' | 'trusted' | 'domain';
      if (!f.name) return listsPage(c, f, 'name: required');
      if (!text.trim()) return listsPage(c, f, `entries: paste ${kind === 'domain' ? 'domain names' : 'addresses'} or choose a file`);
      try {
        // A trusted list has no category: the form's select applies to threat and domain lists only.
        services.lists.upload(kind, f.name, text, f.format || undefined, kind !== 'trusted' && f.category ? f.category : undefined);
      } catch (err) {
        if (err instanceof TrailhoundError) return listsPage(c, f, err.message);
        throw err;
      }
      return c.redirect('/lists', 303);
    }),
  );
  for (const op of ['activate', 'deactivate', 'remove'] as const) {
    app.post(
      `/lists/:id/${op}`,
      responder((c) => {
        const id = param(c, 'id');
        if (op === 'remove') {
          if (!services.lists.remove(id)) throw new NotFoundError(`no uploaded list with id ${JSON.stringify(id)}`);
        } else services.lists.setActive(id, op === 'activate');
        return c.redirect('/lists', 303);
      }),
    );
  }
}

/**
 * The audit entries newest first, each once: targets that share one audit file would otherwise list its entries
 * once per target.
 */
function param(c: C, name: string): string {
  return c.req.param(name) ?? '';
}
