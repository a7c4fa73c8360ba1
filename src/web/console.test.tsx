import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppEnv, AuthApi, Role, Services } from '../api/services.js';
import { fixedClock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import type { Hit } from '../detectors/types.js';
import { aggregateOf } from '../findings/build.js';
import type { StoredEvent } from '../findings/store.js';
import { FindingStore } from '../findings/store.js';
import { CONTENT_SECURITY_POLICY, mountConsole } from './console.js';
import { safeNext } from './pages/login.js';

const XSS = '<img src=x onerror=alert(1)>';
const CSRF = 'test-csrf-token';

function hit(o: { type?: string; key?: string; userAgent?: string; bucket?: string; time?: number; severity?: number }): Hit {
  const time = o.time ?? Date.parse('2021-03-08T18:00:00Z');
  return {
    type: o.type ?? 'Recon:IAMUser/MaliciousIPCaller.Custom',
    severity: o.severity ?? 5,
    account: '111122223333',
    region: 'us-west-2',
    partition: 'aws',
    key: [o.key ?? 'AKIAEXAMPLE', '203.0.113.10'],
    time,
    eventId: `e-${o.key ?? 'k'}-${time}`,
    resource: {
      resourceType: o.bucket ? 'S3Bucket' : 'AccessKey',
      accessKeyDetails: { accessKeyId: o.key ?? 'AKIAEXAMPLE', principalId: 'AIDAEXAMPLE', userName: 'mallory', userType: 'IAMUser' },
      ...(o.bucket ? { s3BucketDetails: [{ arn: `arn:aws:s3:::${o.bucket}`, name: o.bucket, type: 'Destination' }] } : {}),
    },
    action: {
      actionType: 'AWS_API_CALL',
      awsApiCallAction: {
        api: 'ListBuckets',
        serviceName: 's3.amazonaws.com',
        callerType: 'Remote IP',
        userAgent: o.userAgent ?? 'aws-cli/2.1',
        remoteIpDetails: { ipAddressV4: '203.0.113.10' },
        affectedResources: {},
      },
    },
    resourceRole: 'TARGET',
    threatListNames: ['Example-Threat-List'],
    title: `API ListBuckets was invoked from an IP address on a custom threat list ${XSS}`,
    description: 'd',
  };
}

let store: FindingStore;
let app: Hono<AppEnv>;
let xssId: string;
let events: StoredEvent[];

function services(): Services {
  const clock = fixedClock('2021-03-09T00:00:00Z');
  return {
    clock,
    store,
    suppression: store.suppression,
    events: () => events,
    rules: () => [
      {
        name: 'r1',
        state: 'ENABLED',
        description: XSS,
        eventPattern: '{"source":["aws.guardduty"]}',
        targets: [{ id: 't', target: 'mail', input: 'event' }],
      },
    ],
    targets: () => [{ name: 'revoke', type: 'remediation', summary: 'scope', playbook: 'revoke-role-sessions', mode: 'dry-run' }],
    lists: {
      list: () => [
        {
          id: 'up1',
          kind: 'threat',
          name: XSS,
          format: 'TXT',
          origin: 'uploaded',
          active: true,
          entries: 2,
          sha256: 'abc',
          updatedAt: '2021-03-08T00:00:00.000Z',
        },
      ],
      upload: () => {
        throw new UsageError(`line 1: not an address: ${XSS}`);
      },
      setActive: () => {
        throw new UsageError('unused');
      },
      remove: () => true,
    },
    remediation: {
      options: () => [{ target: 'revoke', playbook: 'deactivate-access-key', mode: 'dry-run', applicable: true }],
      plan: async (findingId) => ({
        status: 'planned',
        auditSeq: 7,
        playbook: 'deactivate-access-key',
        action: 'remediate',
        mode: 'dry-run',
        findingId,
        target: `user/${XSS}`,
        reason: 'r',
        calls: [{ service: 'iam', command: 'UpdateAccessKey', input: { UserName: XSS, Status: 'Inactive' }, sent: false }],
        notes: [],
      }),
      execute: async () => {
        throw new UsageError('revoke is a dry-run target');
      },
      rollback: async () => {
        throw new UsageError('nothing to roll back');
      },
      audit: () => [],
    },
    sources: () => [{ name: 'folder', kind: 'folder', backlog: 0, lastError: XSS }],
    attribution: () => [`IP Geolocation by DB-IP (https://db-ip.com/) ${XSS}`],
  };
}

const auth: AuthApi = {
  async login(c, name, password) {
    if (name !== 'alice' || password !== 'correct horse') return false;
    c.set('caller', { name, role: 'responder', via: 'session' });
    return true;
  },
  logout() {},
};

beforeEach(() => {
  store = new FindingStore(':memory:');
  const a = aggregateOf(hit({ key: 'AKIAXSS', userAgent: XSS, bucket: `bucket-${XSS}` }));
  xssId = a.id;
  store.upsert(
    [a, aggregateOf(hit({ key: 'AKIAOTHER', type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom', severity: 8 }))],
    Date.parse('2021-03-08T18:05:00Z'),
  );
  events = [
    {
      eventId: 'e1',
      time: '2021-03-08T17:59:00.000Z',
      account: '111122223333',
      region: 'us-west-2',
      service: 's3.amazonaws.com',
      api: 'ListBuckets',
      sourceAddress: '203.0.113.10',
      userAgent: XSS,
      errorCode: 'AccessDenied',
      principalType: 'IAMUser',
      principalArn: 'arn:aws:iam::111122223333:user/mallory',
      userName: 'mallory',
      accessKeyId: 'AKIAXSS',
      origin: 'test',
    },
  ];
  app = new Hono<AppEnv>();
  // Stands in for src/api/auth.ts: the role comes from a test header; the CSRF token is fixed.
  app.use('*', async (c, next) => {
    const role = c.req.header('x-test-role') as Role | undefined;
    if (role) c.set('caller', { name: 'tester', role, via: 'session' });
    c.set('csrf', role ? CSRF : '');
    await next();
  });
  mountConsole(app, services(), auth);
});

afterEach(() => store.close());

async function get(path: string, role: Role = 'viewer') {
  const res = await app.request(path, { headers: { 'x-test-role': role } });
  return { res, html: await res.text() };
}

async function post(path: string, fields: Record<string, string>, role: Role = 'responder') {
  return app.request(path, {
    method: 'POST',
    headers: { 'x-test-role': role, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: CSRF, ...fields }).toString(),
  });
}

/** Nothing from the data ever becomes markup: no injected tag, no inline script or style anywhere. */
function expectSafe(html: string) {
  expect(html).not.toContain('<img');
  expect(html).not.toMatch(/\sstyle=/i);
  expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/i);
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) expect(tag).not.toMatch(/\son[a-z]+=/i);
}

describe('console pages', () => {
  it('renders the finding detail with attacker-controlled strings as text', async () => {
    const { res, html } = await get(`/findings/${xssId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expectSafe(html);
    // The address databases' attribution is on every page (their licence asks for it), escaped like everything else.
    expect(html).toContain('IP Geolocation by DB-IP (https://db-ip.com/) &lt;img');
    // The investigation links end at the finding's last activity.
    expect(html).toContain('/principal?who=AKIAXSS&amp;window=1h&amp;at=2021-03-08T18%3A00%3A00.000Z');
  });

  it('shows a network finding (flow logs) as direction, protocol, addresses and ports', async () => {
    const base = hit({ key: 'i-0fedcba9876543210', type: 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom' });
    const net: Hit = {
      ...base,
      resource: { resourceType: 'Instance', instanceDetails: { instanceId: 'i-0fedcba9876543210' } },
      action: {
        actionType: 'NETWORK_CONNECTION',
        networkConnectionAction: {
          connectionDirection: 'OUTBOUND',
          protocol: 'TCP',
          blocked: true,
          localIpDetails: { ipAddressV4: '10.0.0.12' },
          localPortDetails: { port: 40000, portName: 'Unknown' },
          remoteIpDetails: { ipAddressV4: '203.0.113.10' },
          remotePortDetails: { port: 22, portName: 'SSH' },
        },
      },
      resourceRole: 'ACTOR',
    };
    const a = aggregateOf(net);
    store.upsert([a], Date.parse('2021-03-08T18:05:00Z'));
    const { res, html } = await get(`/findings/${a.id}`);
    expect(res.status).toBe(200);
    for (const text of ['OUTBOUND', 'TCP', 'yes (rejected)', '10.0.0.12', '22 (SSH)', '203.0.113.10', 'i-0fedcba9876543210']) expect(html).toContain(text);
    expectSafe(html);
  });

  it('escapes data on every page', async () => {
    for (const path of ['/', '/findings', '/findings?q=%3Cimg', '/principal?who=AKIAXSS&window=1d', '/rules', '/lists', '/suppression', '/audit']) {
      const { res, html } = await get(path, 'responder');
      expect(res.status, path).toBe(200);
      expectSafe(html);
    }
  });

  it('lists findings with filters, sorting and a total', async () => {
    const { html } = await get('/findings?severity=High&sort=count&order=desc');
    expect(html).toContain('UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom');
    expect(html).not.toContain(`/findings/${xssId}`);
    expect(html).toMatch(/<strong>1<\/strong> finding matches/);
    const bad = await get('/findings?sort=evil');
    expect(bad.res.status).toBe(400);
  });

  it('summary shows counts, the chart and the sources', async () => {
    const { html } = await get('/');
    expect(html).toContain('<svg class="chart"');
    expect(html).toMatch(/<rect class="bar-Medium"[^>]*><title>2021-03-08: 1 Medium/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('principal page shows the window and the events', async () => {
    const { html } = await get('/principal?who=AKIAXSS&window=1h&at=2021-03-08T18:00:00.000Z');
    expect(html).toContain('2021-03-08 17:00:00 UTC');
    expect(html).toContain('ListBuckets');
    expect(html).toContain('AccessDenied');
    expectSafe(html);
    expect((await get('/principal?who=x&window=2y')).res.status).toBe(400);
  });

  it('hides responder actions from viewers and refuses them with 403', async () => {
    const viewer = await get(`/findings/${xssId}`, 'viewer');
    expect(viewer.html).not.toContain('/archive"');
    expect(viewer.html).not.toContain('Plan (dry run)');
    const res = await post(`/findings/${xssId}/archive`, {}, 'viewer');
    expect(res.status).toBe(403);
    expect(store.get(xssId)?.service.archived).toBe(false);
    expect((await post('/suppression', { name: 'x' }, 'viewer')).status).toBe(403);
    expect((await post('/lists/up1/remove', {}, 'viewer')).status).toBe(403);
    expect((await post('/audit/1/rollback', { mode: 'execute' }, 'viewer')).status).toBe(403);
  });

  it('lets a responder archive and unarchive', async () => {
    const page = await get(`/findings/${xssId}`, 'responder');
    expect(page.html).toContain(`action="/findings/${xssId}/archive"`);
    const res = await post(`/findings/${xssId}/archive`, {});
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/findings/${xssId}`);
    expect(store.get(xssId)?.service.archived).toBe(true);
    await post(`/findings/${xssId}/unarchive`, {});
    expect(store.get(xssId)?.service.archived).toBe(false);
  });

  it('every POST form carries the CSRF token', async () => {
    for (const path of [`/findings/${xssId}`, '/suppression', '/lists', '/']) {
      const { html } = await get(path, 'responder');
      const forms = html.match(/<form method="post"[\s\S]*?<\/form>/g) ?? [];
      expect(forms.length, path).toBeGreaterThan(0);
      for (const f of forms) expect(f, path).toContain(`name="_csrf" value="${CSRF}"`);
    }
  });

  it('plans a dry run and says the target cannot execute', async () => {
    const res = await post(`/findings/${xssId}/plan`, { target: 'revoke' });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('iam:UpdateAccessKey');
    expect(html).toContain('dry-run mode');
    expect(html).not.toContain('Confirm and execute');
    expectSafe(html);
    const unknown = await post(`/findings/${xssId}/plan`, { target: 'nope' });
    expect(unknown.status).toBe(400);
    const execute = await post(`/findings/${xssId}/execute`, { target: 'revoke' });
    expect(execute.status).toBe(400);
    expect(await execute.text()).toContain('revoke is a dry-run target');
  });

  it('shows suppression errors escaped, with their paths', async () => {
    const notJson = await post('/suppression', { name: 'abc', action: 'ARCHIVE', criteria: `{${XSS}` });
    expect(notJson.status).toBe(400);
    const a = await notJson.text();
    expect(a).toContain('criteria: not JSON');
    expectSafe(a);
    const badPath = await post('/suppression', { name: 'abc', action: 'ARCHIVE', criteria: '{"criterion":{"severity":{"gt":"high"}}}' });
    expect(badPath.status).toBe(400);
    expect(await badPath.text()).toContain('criteria.criterion');
    const ok = await post('/suppression', {
      name: 'quiet-recon',
      action: 'ARCHIVE',
      rank: '1',
      criteria: '{"criterion":{"type":{"eq":["Recon:IAMUser/MaliciousIPCaller.Custom"]}}}',
    });
    expect(ok.status).toBe(303);
    const list = await get('/suppression');
    expect(list.html).toContain('quiet-recon');
    expect((await post('/suppression/quiet-recon/delete', {})).status).toBe(303);
    expect((await post('/suppression/quiet-recon/delete', {})).status).toBe(404);
  });

  it('shows a list upload error escaped', async () => {
    const res = await post('/lists', { kind: 'threat', name: 'l', text: XSS });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('not an address: &lt;img');
    expectSafe(html);
  });

  it('serves the assets with content types and long cache headers', async () => {
    const css = await app.request('/assets/app.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toContain('immutable');
    const js = await app.request('/assets/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('unknown findings are 404 and service errors 400, escaped', async () => {
    const res = await get(`/findings/${encodeURIComponent(XSS)}`);
    expect(res.res.status).toBe(404);
    expectSafe(res.html);
  });
});

describe('login', () => {
  it('logs in and redirects only to same-site paths', async () => {
    const form = (fields: Record<string, string>) =>
      app.request('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const ok = await form({ name: 'alice', password: 'correct horse', next: '/findings?severity=High' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/findings?severity=High');
    const evil = await form({ name: 'alice', password: 'correct horse', next: '//evil.example/x' });
    expect(evil.headers.get('location')).toBe('/');
    const wrong = await form({ name: 'alice', password: 'nope', next: '/audit' });
    expect(wrong.status).toBe(401);
    const html = await wrong.text();
    expect(html).toContain('Wrong name or password.');
    expect(html).toContain('value="/audit"');
    const page = await app.request(`/login?next=${encodeURIComponent('"><script>alert(1)</script>')}`);
    expectSafe(await page.text());
  });

  it('safeNext accepts only relative same-site paths', () => {
    expect(safeNext('/findings?x=1#y')).toBe('/findings?x=1#y');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/\t/evil', '', undefined, '/login'])
      expect(safeNext(bad)).toBe('/');
  });
});
