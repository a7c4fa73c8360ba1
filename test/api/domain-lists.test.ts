import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { tempDir } from '../helpers.js';
import { json, PASSWORD, startTestServe, type TestServe } from '../serve-helpers.js';

/**
 * Domain lists uploaded through a real `serve`: the list's category decides the DNS finding its domains give
 * (`c2`: C&CActivity.B!DNS), detection uses it as soon as it is active and stops when it is deactivated or removed,
 * bad uploads are refused naming the line, and the console's form uploads and explains mismatched categories.
 */
const C2 = 'Backdoor:EC2/C&CActivity.B!DNS';
const CUSTOM_DOMAIN = 'Impact:EC2/MaliciousDomainRequest.Custom';
const INSTANCE = 'i-0fedcba9876543210';

let s: TestServe;
let seconds = 0;

beforeAll(async () => {
  const dir = tempDir();
  const configured = join(dir, 'configured-domains.txt');
  writeFileSync(configured, 'configured-bad.example\n');
  s = await startTestServe({
    dir,
    copyLogs: false,
    config: { threatDomainLists: [{ name: 'configured-domains', path: configured, category: 'threat' }] },
  });
});

afterAll(async () => {
  await s?.close();
});

/** One Route 53 Resolver query log record (NDJSON line) of the instance asking for `name`, each at a new second. */
function dnsQuery(name: string): string {
  seconds++;
  return JSON.stringify({
    version: '1.100000',
    account_id: '111122223333',
    region: 'us-west-2',
    vpc_id: 'vpc-0123456789abcdef0',
    query_timestamp: new Date(Date.UTC(2021, 2, 8, 18, 0, seconds)).toISOString().replace('.000Z', 'Z'),
    query_name: `${name}.`,
    query_type: 'A',
    query_class: 'IN',
    rcode: 'NOERROR',
    answers: [{ Rdata: '198.51.100.9', Type: 'A', Class: 'IN' }],
    srcaddr: '10.0.0.12',
    srcport: '43116',
    transport: 'UDP',
    srcids: { instance: INSTANCE },
  });
}

/** Ingests DNS query records through POST /api/v1/ingest; the findings it created or updated. */
async function ingestQueries(...names: string[]): Promise<Finding[]> {
  const r = await json(s.api('/api/v1/ingest', { as: 'ingest', method: 'POST', body: `${names.map(dnsQuery).join('\n')}\n` }));
  expect(r.rejected).toEqual([]);
  expect(r.events).toBe(names.length);
  return Promise.all((r.findings as string[]).map(async (id) => (await json(s.api(`/api/v1/findings/${id}`))).finding as Finding));
}

const upload = (body: Record<string, unknown>) => s.api('/api/v1/lists', { method: 'POST', body: JSON.stringify(body) });
const lists = async () => (await json(s.api('/api/v1/lists'))).lists as Array<Record<string, unknown>>;

describe('uploaded domain lists', () => {
  it('category c2: a query for a listed domain gives C&CActivity.B!DNS at once; deactivated, none; active again, one; removed, none', async () => {
    const res = await upload({ kind: 'domain', name: 'beacons', content: 'evil-c2.example\n', category: 'c2', activate: true });
    expect(res.status).toBe(201);
    const { list } = await json(res);
    expect(list).toMatchObject({
      kind: 'domain',
      name: 'beacons',
      format: 'TXT',
      entries: 1,
      category: 'c2',
      categoryFrom: 'explicit',
      active: true,
      origin: 'uploaded',
    });

    const found = await ingestQueries('beacon.evil-c2.example', 'www.example.com');
    expect(found.map((f) => [f.type, f.resource.instanceDetails?.instanceId, f.service.additionalInfo.threatListName])).toEqual([[C2, INSTANCE, 'beacons']]);
    expect(found[0]?.service.action.dnsRequestAction?.domain).toBe('beacon.evil-c2.example');
    expect(JSON.stringify(found[0])).toContain(list.sha256);

    const off = await json(s.api(`/api/v1/lists/${list.id}/deactivate`, { method: 'POST' }));
    expect(off.list).toMatchObject({ id: list.id, active: false, category: 'c2' });
    expect(await ingestQueries('other.evil-c2.example', 'evil-c2.example')).toEqual([]);

    await json(s.api(`/api/v1/lists/${list.id}/activate`, { method: 'POST' }));
    expect((await ingestQueries('third.evil-c2.example')).map((f) => f.type)).toEqual([C2]);

    expect((await s.api(`/api/v1/lists/${list.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await lists()).some((l) => l.name === 'beacons')).toBe(false);
    expect(await ingestQueries('fourth.evil-c2.example')).toEqual([]);

    const actions = (await json(s.api('/api/v1/actions?limit=20'))).actions as Array<Record<string, string>>;
    expect(actions.find((a) => a.action === 'lists.upload' && a.subject === 'domain:beacons')?.detail).toMatch(/1 entries, .*category c2, active$/);
    expect(actions.some((a) => a.action === 'lists.deactivate' && a.subject === 'domain:beacons')).toBe(true);
  });

  it('category threat (and a detected STIX 2.1 bundle): MaliciousDomainRequest.Custom, not C&C; configured domain lists are listed', async () => {
    const bundle = JSON.stringify({
      type: 'bundle',
      id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
      objects: [
        {
          type: 'indicator',
          spec_version: '2.1',
          id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
          created: '2021-03-08T00:00:00.000Z',
          modified: '2021-03-08T00:00:00.000Z',
          pattern: "[domain-name:value = 'phish.example']",
          pattern_type: 'stix',
          valid_from: '2021-03-08T00:00:00Z',
        },
      ],
    });
    const { list } = await json(upload({ kind: 'domain', name: 'phishing', content: bundle, activate: true }));
    expect(list).toMatchObject({ format: 'STIX2', entries: 1, category: 'threat', categoryFrom: 'name', active: true });
    const found = await ingestQueries('login.phish.example', 'configured-bad.example');
    expect(found.map((f) => [f.type, f.service.additionalInfo.threatListName]).sort()).toEqual([
      [CUSTOM_DOMAIN, 'configured-domains'],
      [CUSTOM_DOMAIN, 'phishing'],
    ]);
    expect((await lists()).find((l) => l.name === 'configured-domains')).toMatchObject({
      id: 'config:domain:configured-domains',
      kind: 'domain',
      origin: 'config',
      active: true,
      entries: 1,
      category: 'threat',
      categoryFrom: 'explicit',
    });
  });

  it('refuses bad entries naming each line, category tor, a name the configuration or a threat list uses, and addresses only (400)', async () => {
    const bad = await upload({ kind: 'domain', name: 'bad', content: 'fine.example\nnot..a.domain\nalso-fine.example\nwith space.example\n', category: 'c2' });
    expect(bad.status).toBe(400);
    const message = (await json(bad)).error as string;
    expect(message).toContain('domain list "bad":2: ');
    expect(message).toContain('domain list "bad":4: ');
    expect(message).not.toContain('domain list "bad":1:');

    const tor = await upload({ kind: 'domain', name: 'tor-domains', content: 'fine.example\n', category: 'tor' });
    expect(tor.status).toBe(400);
    expect((await json(tor)).error).toBe('category: "tor" is not a domain list category (one of threat, c2, mining)');
    const c2OnIps = await upload({ kind: 'threat', name: 'ips', content: '203.0.113.1\n', category: 'c2' });
    expect(c2OnIps.status).toBe(400);

    const clash = await upload({ kind: 'domain', name: 'configured-domains', content: 'fine.example\n' });
    expect(clash.status).toBe(400);
    expect((await json(clash)).error).toBe('the configuration already has a domain list named "configured-domains"');
    const threatName = await upload({ kind: 'domain', name: 'Example-Threat-List', content: 'fine.example\n' });
    expect(threatName.status).toBe(400);
    expect((await json(threatName)).error).toMatch(/configuration already has a threat list named "Example-Threat-List"/);

    const ips = await upload({ kind: 'domain', name: 'ips', content: '203.0.113.1\n' });
    expect(ips.status).toBe(400);
    expect((await json(ips)).error).toMatch(/no domain names/);

    const kind = await upload({ kind: 'domains', name: 'x', content: 'fine.example\n' });
    expect(kind.status).toBe(400);
    expect((await json(kind)).error).toMatch(/kind is threat .*, trusted .* or domain/);
    const names = (await lists()).map((l) => l.name);
    for (const n of ['bad', 'tor-domains', 'ips', 'x']) expect(names).not.toContain(n);
  });

  it('the console uploads a domain list with its category, and explains a category the kind does not take', async () => {
    const login = await fetch(`${s.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'alice', password: PASSWORD }),
      headers: { origin: s.url, 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = await (await fetch(`${s.url}/lists`, { headers: { cookie } })).text();
    expect(page).toContain('<option value="domain">Domain list (domain names)</option>');
    expect(page).toMatch(/<option value="c2">Command and control/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    const post = (fields: Record<string, string>) => {
      const form = new FormData();
      for (const [k, v] of Object.entries({ _csrf: csrf, format: 'AUTO', ...fields })) form.set(k, v);
      return fetch(`${s.url}/lists`, { method: 'POST', body: form, headers: { cookie, origin: s.url }, redirect: 'manual' });
    };

    expect((await post({ kind: 'domain', category: 'c2', name: 'console-c2', text: 'console-c2.example\n' })).status).toBe(303);
    expect((await lists()).find((l) => l.name === 'console-c2')).toMatchObject({ kind: 'domain', category: 'c2', categoryFrom: 'explicit', active: false });
    const after = await (await fetch(`${s.url}/lists`, { headers: { cookie } })).text();
    expect(after).toMatch(/console-c2<\/td><td>domain<\/td><td>C&amp;C<\/td>/);

    const tor = await post({ kind: 'domain', category: 'tor', name: 'console-tor', text: 'x.example\n' });
    expect(tor.status).toBe(400);
    const torPage = await tor.text();
    expect(torPage).toContain('category: expected threat, c2 or mining for a domain list');
    // The form keeps what was entered: the kind stays "domain".
    expect(torPage).toContain('<option value="domain" selected="">');
    const mining = await post({ kind: 'threat', category: 'mining', name: 'console-mining', text: '203.0.113.5\n' });
    expect(mining.status).toBe(400);
    expect(await mining.text()).toContain('category: expected threat or tor for a threat list of addresses');
    const badLine = await post({ kind: 'domain', category: 'threat', name: 'console-bad', text: 'ok.example\nnot..ok\n' });
    expect(badLine.status).toBe(400);
    expect(await badLine.text()).toContain('domain list &quot;console-bad&quot;:2: ');
    const names = (await lists()).map((l) => l.name);
    for (const n of ['console-tor', 'console-mining', 'console-bad']) expect(names).not.toContain(n);
  });
});
