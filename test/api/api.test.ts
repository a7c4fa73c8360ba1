import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { SHARED, tempDir } from '../helpers.js';
import { schemaErrors } from '../schema.js';
import { json, PASSWORD, startTestServe, type TestServe } from '../serve-helpers.js';

const EXFIL = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';
const ROLE = 'GuardDuty-Example-EC2-Compromised';

let s: TestServe;

beforeAll(async () => {
  const dir = tempDir();
  s = await startTestServe({
    dir,
    config: {
      targets: {
        'revoke-sessions': {
          type: 'remediation',
          playbook: 'revoke-role-sessions',
          mode: 'dry-run',
          audit: join(dir, 'audit.db'),
          scope: { accounts: ['111122223333'], regions: ['us-west-2'], roles: ['GuardDuty-Example-*'] },
        },
      },
    },
  });
  await s.idle();
});

afterAll(async () => {
  await s?.close();
});

async function allFindings(query = ''): Promise<Finding[]> {
  return (await json<{ findings: Finding[] }>(s.api(`/api/v1/findings?limit=1000${query}`))).findings;
}

/** A browser-like session: logs in through the console form, keeps the cookie, reads the CSRF token from a page. */
async function session(name: string) {
  const login = await fetch(`${s.url}/login`, {
    method: 'POST',
    body: new URLSearchParams({ name, password: PASSWORD }),
    headers: { origin: s.url, 'content-type': 'application/x-www-form-urlencoded' },
    redirect: 'manual',
  });
  expect(login.status).toBeLessThan(400);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const page = await (await fetch(`${s.url}/findings`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  return { cookie, csrf, setCookie: login.headers.get('set-cookie') ?? '' };
}

describe('authentication', () => {
  it('refuses unauthenticated requests to the API and metrics, and sends browsers to the login form', async () => {
    expect((await s.api('/api/v1/findings', { as: 'none' })).status).toBe(401);
    expect((await s.api('/metrics', { as: 'none' })).status).toBe(401);
    const page = await s.api('/findings?severity=High', { as: 'none' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Ffindings%3Fseverity%3DHigh');
    expect((await s.api('/healthz', { as: 'none' })).status).toBe(200);
    const wrong = await fetch(`${s.url}/api/v1/findings`, { headers: { authorization: 'Bearer th_not-a-token' } });
    expect(wrong.status).toBe(401);
  });

  it('gives the session cookie HttpOnly and SameSite=Strict, and refuses a wrong password', async () => {
    const { setCookie } = await session('alice');
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const bad = await fetch(`${s.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'alice', password: 'wrong password' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
  });

  it('refuses cross-site and token-less state changes on a session, and accepts them with the CSRF token', async () => {
    const { cookie, csrf } = await session('alice');
    expect(csrf).toBeTruthy();
    const [f] = await allFindings();
    const body = JSON.stringify({ findingIds: [f?.id] });
    const post = (headers: Record<string, string>) =>
      fetch(`${s.url}/api/v1/findings/archive`, { method: 'POST', body, headers: { cookie, 'content-type': 'application/json', ...headers } });
    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': csrf as string, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': csrf as string, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // A cross-site form post (the classic CSRF) to a console route is refused too.
    const form = await fetch(`${s.url}/findings/${f?.id}/archive`, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: 'guess' }),
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(form.status).toBe(403);
    expect((await allFindings()).some((x) => x.id === f?.id)).toBe(true);
    const ok = await post({ 'x-csrf-token': csrf as string, origin: s.url });
    expect(ok.status).toBe(200);
    expect((await allFindings()).some((x) => x.id === f?.id)).toBe(false);
    await post({ 'x-csrf-token': csrf as string }).then(() =>
      fetch(`${s.url}/api/v1/findings/unarchive`, {
        method: 'POST',
        body,
        headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf as string },
      }),
    );
    expect((await allFindings()).some((x) => x.id === f?.id)).toBe(true);
  });

  it('enforces roles: viewers read, responders act, ingest tokens only ingest', async () => {
    const [f] = await allFindings();
    expect((await s.api('/api/v1/findings', { as: 'viewer' })).status).toBe(200);
    const archive = await s.api('/api/v1/findings/archive', { as: 'viewer', method: 'POST', body: JSON.stringify({ findingIds: [f?.id] }) });
    expect(archive.status).toBe(403);
    expect((await json(archive)).error).toMatch(/responders only/);
    expect((await s.api('/api/v1/findings', { as: 'ingest' })).status).toBe(403);
    expect((await s.api('/api/v1/ingest', { as: 'viewer', method: 'POST', body: '{}' })).status).toBe(403);
  });
});

describe('findings', () => {
  it('lists the workshop findings as GuardDuty JSON, with filters, sorting and paging', async () => {
    const all = await allFindings();
    expect(all.map((f) => f.type)).toContain(EXFIL);
    for (const f of all) expect(schemaErrors(f)).toEqual([]);
    const high = await allFindings('&severity=High');
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((f) => f.severity >= 7 && f.severity < 9)).toBe(true);
    const byType = await allFindings(`&type=${encodeURIComponent(EXFIL)}`);
    expect(byType.length).toBeGreaterThan(0);
    expect(byType.every((f) => f.type === EXFIL)).toBe(true);
    const asc = await allFindings('&sort=count&order=asc');
    expect(asc.map((f) => f.service.count)).toEqual([...asc.map((f) => f.service.count)].sort((a, b) => a - b));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await json<{ findings: Finding[]; total: number; nextToken?: string }>(
        s.api(`/api/v1/findings?limit=2${token ? `&nextToken=${token}` : ''}`),
      );
      expect(page.total).toBe(all.length);
      seen.push(...page.findings.map((f) => f.id));
      token = page.nextToken;
    } while (token);
    expect(seen.sort()).toEqual(all.map((f) => f.id).sort());
    expect((await s.api('/api/v1/findings?severity=Severe')).status).toBe(400);
    expect((await s.api('/api/v1/findings?sort=nope')).status).toBe(400);
  });

  it('finds with GuardDuty FindingCriteria, and names a bad criterion', async () => {
    const r = await json<{ findings: Finding[] }>(
      s.api('/api/v1/findings/search', {
        method: 'POST',
        body: JSON.stringify({ findingCriteria: { Criterion: { 'resource.accessKeyDetails.userName': { Eq: [ROLE] } } } }),
      }),
    );
    expect(r.findings.length).toBeGreaterThan(0);
    expect(r.findings.every((f) => f.resource.accessKeyDetails?.userName === ROLE)).toBe(true);
    const bad = await s.api('/api/v1/findings/search', {
      method: 'POST',
      body: JSON.stringify({ findingCriteria: { criterion: { severity: { bogus: 1 } } } }),
    });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatch(/severity/);
  });

  it('gets one finding with its remediation options, 404 for an unknown id', async () => {
    const exfil = (await allFindings(`&type=${encodeURIComponent(EXFIL)}`))[0] as Finding;
    const r = await json(s.api(`/api/v1/findings/${exfil.id}`));
    expect(r.finding.id).toBe(exfil.id);
    expect(r.remediation).toEqual([
      expect.objectContaining({ target: 'revoke-sessions', playbook: 'revoke-role-sessions', mode: 'dry-run', applicable: true }),
    ]);
    expect((await s.api('/api/v1/findings/ffffffffffffffffffffffffffffffff')).status).toBe(404);
  });

  it('exports GuardDuty JSON and Security Hub ASFF', async () => {
    const gd = await json<{ findings: Finding[] }>(s.api('/api/v1/findings/export?format=guardduty'));
    expect(gd.findings.length).toBe((await allFindings()).length);
    const asff = await json<{ Findings: Array<Record<string, any>> }>(s.api('/api/v1/findings/export?format=asff'));
    expect(asff.Findings.length).toBe(gd.findings.length);
    for (const f of asff.Findings) {
      expect(f.SchemaVersion).toBe('2018-10-08');
      expect(f.ProductArn).toMatch(/product\/aws\/guardduty$/);
    }
  });

  it('summarises by severity and type', async () => {
    const all = await allFindings();
    const sum = await json(s.api('/api/v1/summary?days=365'));
    expect(sum.total).toBe(all.length);
    expect(Object.values(sum.bySeverity as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(all.length);
    expect(sum.byType.find((t: any) => t.type === EXFIL)?.count).toBe(all.filter((f) => f.type === EXFIL).length);
  });
});

describe('suppression rules', () => {
  it('creates, lists and deletes a filter; an ARCHIVE rule archives new matching findings', async () => {
    const bad = await s.api('/api/v1/filters', { method: 'POST', body: JSON.stringify({ name: 'x', action: 'ARCHIVE', findingCriteria: {} }) });
    expect(bad.status).toBe(400);
    const created = await s.api('/api/v1/filters', {
      method: 'POST',
      body: JSON.stringify({
        name: 'mute-test-user',
        action: 'ARCHIVE',
        description: 'the test user',
        findingCriteria: { criterion: { 'resource.accessKeyDetails.userName': { eq: ['suppressed-user'] } } },
      }),
    });
    expect(created.status).toBe(201);
    const twice = await s.api('/api/v1/filters', {
      method: 'POST',
      body: JSON.stringify({ name: 'mute-test-user', action: 'NOOP', findingCriteria: { criterion: { severity: { gte: 1 } } } }),
    });
    expect(twice.status).toBe(409);
    expect((await s.api('/api/v1/filters/no-such-filter', { method: 'PATCH', body: JSON.stringify({ rank: 2 }) })).status).toBe(404);
    expect((await json(s.api('/api/v1/filters'))).filters.map((f: any) => f.name)).toContain('mute-test-user');
    // An IAM user's call from a threat-listed address: a finding, auto-archived by the rule.
    const event = cloudTrailEvent({ id: 'suppressed-1', userName: 'suppressed-user', key: 'AKIAEXAMPLESUPPRESS1', ip: '203.0.113.10' });
    const ingest = await json(s.api('/api/v1/ingest', { as: 'ingest', method: 'POST', body: JSON.stringify(event) }));
    expect(ingest.events).toBe(1);
    expect(ingest.findings.length).toBe(1);
    expect((await allFindings()).some((f) => f.id === ingest.findings[0])).toBe(false);
    const archived = (await allFindings('&archived=true')).find((f) => f.id === ingest.findings[0]);
    expect(archived?.service.archived).toBe(true);
    expect((await s.api('/api/v1/filters/mute-test-user', { method: 'DELETE' })).status).toBe(204);
    expect((await s.api('/api/v1/filters/mute-test-user')).status).toBe(404);
  });
});

describe('events', () => {
  it("returns everything a principal did in a window, and the principal's calls from an address", async () => {
    const exfil = (await allFindings(`&type=${encodeURIComponent(EXFIL)}`))[0] as Finding;
    const until = Date.parse(exfil.service.eventLastSeen);
    const r = await json(s.api(`/api/v1/events?principal=${ROLE}&since=${new Date(until - 86_400_000).toISOString()}&until=${new Date(until).toISOString()}`));
    expect(r.events.length).toBeGreaterThan(0);
    expect(r.events.every((e: any) => e.principalArn.includes(`assumed-role/${ROLE}/`) || e.userName === ROLE)).toBe(true);
    const times = r.events.map((e: any) => e.time);
    expect(times).toEqual([...times].sort());
    const ip = exfil.service.action.awsApiCallAction?.remoteIpDetails?.ipAddressV4 as string;
    const byIp = await json(s.api(`/api/v1/events?address=${ip}&since=0&until=${until}`));
    expect(byIp.events.length).toBeGreaterThan(0);
    expect(byIp.events.every((e: any) => e.sourceAddress === ip)).toBe(true);
    expect((await s.api('/api/v1/events')).status).toBe(400);
  });
});

describe('threat lists', () => {
  it('uploads a list, activates it, and detection uses it at once; deactivating stops it', async () => {
    const bad = await s.api('/api/v1/lists', { method: 'POST', body: JSON.stringify({ kind: 'threat', name: 'Bad', content: '203.0.113.9\nnot-an-ip\n' }) });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatch(/:2:/);
    const up = await json(
      s.api('/api/v1/lists', {
        method: 'POST',
        body: JSON.stringify({ kind: 'threat', name: 'Uploaded-List', content: '# test\n203.0.113.200/32\n', activate: true }),
      }),
    );
    expect(up.list).toMatchObject({ name: 'Uploaded-List', origin: 'uploaded', active: true, entries: 1 });
    const first = await json(
      s.api('/api/v1/ingest', {
        as: 'ingest',
        method: 'POST',
        body: JSON.stringify(cloudTrailEvent({ id: 'uploaded-1', userName: 'list-user', key: 'AKIAEXAMPLEUPLOADED1', ip: '203.0.113.200' })),
      }),
    );
    expect(first.findings.length).toBe(1);
    const f = (await json(s.api(`/api/v1/findings/${first.findings[0]}`))).finding as Finding;
    expect(f.service.additionalInfo.threatListName).toBe('Uploaded-List');
    await s.api(`/api/v1/lists/${up.list.id}/deactivate`, { method: 'POST' });
    const second = await json(
      s.api('/api/v1/ingest', {
        as: 'ingest',
        method: 'POST',
        body: JSON.stringify(cloudTrailEvent({ id: 'uploaded-2', userName: 'list-user-2', key: 'AKIAEXAMPLEUPLOADED2', ip: '203.0.113.200' })),
      }),
    );
    expect(second.events).toBe(1);
    expect(second.findings).toEqual([]);
    const lists = (await json(s.api('/api/v1/lists'))).lists;
    expect(lists.find((l: any) => l.name === 'Example-Threat-List')).toMatchObject({ origin: 'config', active: true });
    expect((await s.api(`/api/v1/lists/${up.list.id}`, { method: 'DELETE' })).status).toBe(204);
    // Any GuardDuty format, detected from the content when none is given.
    const otx = readFileSync(join(SHARED, 'reference', 'examples', 'threat-lists', 'OTX_CSV.csv'), 'utf8');
    const detected = await json(s.api('/api/v1/lists', { method: 'POST', body: JSON.stringify({ kind: 'threat', name: 'OTX', content: otx }) }));
    expect(detected.list).toMatchObject({ format: 'OTX_CSV', entries: 3, active: false });
  });
});

describe('remediation', () => {
  it('plans a playbook (dry run), refuses to execute a dry-run target, and audits who asked', async () => {
    const exfil = (await allFindings(`&type=${encodeURIComponent(EXFIL)}`))[0] as Finding;
    const plan = await json(s.api(`/api/v1/findings/${exfil.id}/remediation/plan`, { method: 'POST', body: JSON.stringify({ target: 'revoke-sessions' }) }));
    expect(plan.result.status).toBe('planned');
    expect(plan.result.calls.map((c: any) => `${c.service}:${c.command}`)).toContain('iam:PutRolePolicy');
    const exec = await s.api(`/api/v1/findings/${exfil.id}/remediation/execute`, {
      method: 'POST',
      body: JSON.stringify({ target: 'revoke-sessions', confirm: true }),
    });
    expect(exec.status).toBe(400);
    expect((await json(exec)).error).toMatch(/dry runs only/);
    const audit = await json(s.api(`/api/v1/remediation/audit?findingId=${exfil.id}`));
    expect(audit.entries[0]).toMatchObject({ seq: plan.result.auditSeq, status: 'planned', findingId: exfil.id, requestedBy: 'responder-token' });
    const actions = await json(s.api('/api/v1/actions'));
    expect(actions.actions[0]).toMatchObject({ actor: 'responder-token', action: 'remediation.plan', subject: exfil.id });
    const rollback = await json(s.api('/api/v1/remediation/rollback', { method: 'POST', body: JSON.stringify({ auditSeq: plan.result.auditSeq }) }));
    expect(rollback.result).toMatchObject({ action: 'rollback', mode: 'dry-run' });
    expect((await s.api('/api/v1/remediation/rollback', { method: 'POST', body: JSON.stringify({ auditSeq: 9999 }) })).status).toBe(404);
    const viewer = await s.api(`/api/v1/findings/${exfil.id}/remediation/plan`, {
      as: 'viewer',
      method: 'POST',
      body: JSON.stringify({ target: 'revoke-sessions' }),
    });
    expect(viewer.status).toBe(403);
  });
});

describe('ingest endpoint', () => {
  it('takes NDJSON and EventBridge envelopes, counts duplicates once, and names bad records', async () => {
    const a = cloudTrailEvent({ id: 'ndjson-1', userName: 'nd-user', key: 'AKIAEXAMPLENDJSON001', ip: '192.0.2.10' });
    const b = {
      version: '0',
      id: 'x',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.iam',
      detail: cloudTrailEvent({ id: 'ndjson-2', userName: 'nd-user', key: 'AKIAEXAMPLENDJSON001', ip: '192.0.2.10' }),
    };
    const body = `${JSON.stringify(a)}\n${JSON.stringify(b)}\n{"broken": \n`;
    const r = await json(s.api('/api/v1/ingest', { as: 'ingest', method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } }));
    expect(r.events).toBe(2);
    expect(r.rejected.length).toBe(1);
    expect(r.rejected[0].location).toMatch(/:3$/);
    const again = await json(s.api('/api/v1/ingest', { as: 'ingest', method: 'POST', body: JSON.stringify(a) }));
    expect(again).toMatchObject({ events: 0, duplicates: 1 });
    const big = await s.api('/api/v1/ingest', { as: 'ingest', method: 'POST', body: 'x'.repeat(16 * 1024 * 1024 + 10) });
    expect(big.status).toBe(413);
    // Posted bodies are not checkpointed (nothing offers them again); the folder's objects are.
    const { default: Database } = await import('better-sqlite3');
    const conn = new Database(s.db, { readonly: true });
    try {
      expect((conn.prepare(`SELECT count(*) AS n FROM source_objects WHERE source = 'http'`).get() as { n: number }).n).toBe(0);
      expect((conn.prepare(`SELECT count(*) AS n FROM source_objects WHERE source = 'logs'`).get() as { n: number }).n).toBe(24);
    } finally {
      conn.close();
    }
    const status = await json(s.api('/api/v1/status'));
    expect(status.rejections.some((x: any) => x.source === 'http')).toBe(true);
  });
});

describe('metrics and health', () => {
  it('exposes Prometheus counters that match what was ingested', async () => {
    const text = await (await s.api('/metrics', { as: 'viewer' })).text();
    const objects = Number(/trailhound_objects_total\{source="logs"\} (\d+)/.exec(text)?.[1]);
    expect(objects).toBe(24);
    expect(text).toMatch(/trailhound_events_total\{source="logs"\} \d+/);
    expect(text).toMatch(/trailhound_rejected_total\{source="http",level="record",reason="json"\} 1/);
    expect(text).toMatch(/trailhound_findings_total\{type="UnauthorizedAccess:IAMUser\/InstanceCredentialExfiltration.OutsideAWS"\}/);
    expect(text).toMatch(/trailhound_source_lag_seconds\{source="logs"\}/);
    const health = await json(s.api('/healthz', { as: 'none' }));
    expect(health).toEqual({ status: 'ok', database: true, sources: { total: 1, failing: 0 } });
  });
});

/** An IAM user's ListBuckets call (Discovery/Recon-type) from `ip`. */
function cloudTrailEvent(o: { id: string; userName: string; key: string; ip: string; userAgent?: string }) {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE000000001',
      arn: `arn:aws:iam::111122223333:user/${o.userName}`,
      accountId: '111122223333',
      accessKeyId: o.key,
      userName: o.userName,
    },
    eventTime: '2026-11-20T10:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListUsers',
    awsRegion: 'us-east-1',
    sourceIPAddress: o.ip,
    userAgent: o.userAgent ?? 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    requestID: `req-${o.id}`,
    eventID: `00000000-0000-4000-8000-${o.id.padStart(12, '0').slice(-12)}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
  };
}
