import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { tempDir } from '../helpers.js';
import { json, PASSWORD, startTestServe, type TestServe } from '../serve-helpers.js';

/**
 * Threat list categories through a real `serve`: an uploaded list's `category` decides which finding its addresses
 * give (TorClient for `tor`, MaliciousIPCaller.Custom for `threat`), over the API and the console's upload form.
 */
const TOR = 'UnauthorizedAccess:EC2/TorClient';
const CUSTOM = 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom';
const ENI = 'eni-0a1b2c3d4e5f60718';

let s: TestServe;

beforeAll(async () => {
  s = await startTestServe({ dir: tempDir(), copyLogs: false, config: { detectors: { interfaces: { [ENI]: 'i-0a1b2c3d4e5f60718' } } } });
});

afterAll(async () => {
  await s?.close();
});

/** Flow records (version-2 default format) of the instance connecting to `node`:9001, `n` times from `start`. */
function connections(node: string, start: number, n = 2): string {
  return Array.from(
    { length: n },
    (_, i) => `2 111122223333 ${ENI} 10.0.0.12 ${node} ${42000 + i} 9001 6 22 5120 ${start + i * 60} ${start + i * 60 + 50} ACCEPT OK`,
  ).join('\n');
}

async function ingestFlows(text: string): Promise<Finding[]> {
  const r = await json(s.api('/api/v1/ingest', { as: 'ingest', method: 'POST', body: `${text}\n` }));
  expect(r.rejected).toEqual([]);
  return Promise.all((r.findings as string[]).map(async (id) => (await json(s.api(`/api/v1/findings/${id}`))).finding as Finding));
}

const upload = (body: Record<string, unknown>) => s.api('/api/v1/lists', { method: 'POST', body: JSON.stringify(body) });

describe('uploaded threat lists with a category', () => {
  it('category tor: TorClient naming the list, not MaliciousIPCaller.Custom; category threat beats a tor* name', async () => {
    const exits = await json(upload({ kind: 'threat', name: 'exit-nodes', content: '203.0.113.66\n', category: 'tor', activate: true }));
    expect(exits.list).toMatchObject({ name: 'exit-nodes', category: 'tor', categoryFrom: 'explicit', active: true, origin: 'uploaded' });
    const lookalike = await json(upload({ kind: 'threat', name: 'tor-lookalike', content: '203.0.113.77\n', category: 'threat', activate: true }));
    expect(lookalike.list).toMatchObject({ category: 'threat', categoryFrom: 'explicit' });

    const findings = await ingestFlows(`${connections('203.0.113.66', 1615225630)}\n${connections('203.0.113.77', 1615225630)}`);
    const seen = findings.map((f) => [f.type, f.service.action.networkConnectionAction?.remoteIpDetails?.ipAddressV4, f.service.additionalInfo.threatListName]);
    expect(seen.sort()).toEqual([
      [CUSTOM, '203.0.113.77', 'tor-lookalike'],
      [TOR, '203.0.113.66', 'exit-nodes'],
    ]);

    // Without a category the name decides (the convention), and the listing says so.
    const legacy = await json(upload({ kind: 'threat', name: 'tor-legacy', content: '203.0.113.88\n' }));
    expect(legacy.list).toMatchObject({ category: 'tor', categoryFrom: 'name' });
    const lists = (await json(s.api('/api/v1/lists'))).lists as Array<Record<string, unknown>>;
    expect(lists.find((l) => l.name === 'Example-Threat-List')).toMatchObject({ origin: 'config', category: 'threat', categoryFrom: 'name' });
    const actions = (await json(s.api('/api/v1/actions?limit=10'))).actions as Array<Record<string, string>>;
    expect(actions.find((a) => a.subject === 'threat:exit-nodes')?.detail).toMatch(/category tor, active$/);
  });

  it('refuses a category that is not a threat list’s, one on a trusted list, and one that is not a string (400)', async () => {
    const bad = await upload({ kind: 'threat', name: 'x', content: '203.0.113.1\n', category: 'c2' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toBe('category: "c2" is not a threat list category (one of threat, tor)');
    const trusted = await upload({ kind: 'trusted', name: 'office', content: '198.51.100.1\n', category: 'tor' });
    expect(trusted.status).toBe(400);
    expect((await json(trusted)).error).toMatch(/only threat lists have a category/);
    const notString = await upload({ kind: 'threat', name: 'x', content: '203.0.113.1\n', category: ['tor'] });
    expect(notString.status).toBe(400);
    expect((await json(s.api('/api/v1/lists'))).lists.some((l: any) => l.name === 'x' || l.name === 'office')).toBe(false);
  });

  it('the console form uploads with the category chosen and shows it', async () => {
    const login = await fetch(`${s.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'alice', password: PASSWORD }),
      headers: { origin: s.url, 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = await (await fetch(`${s.url}/lists`, { headers: { cookie } })).text();
    expect(page).toMatch(/<select name="category">/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    const form = new FormData();
    for (const [k, v] of Object.entries({ _csrf: csrf, kind: 'threat', category: 'tor', name: 'console-nodes', text: '203.0.113.99\n' })) form.set(k, v);
    const post = await fetch(`${s.url}/lists`, { method: 'POST', body: form, headers: { cookie, origin: s.url }, redirect: 'manual' });
    expect(post.status).toBe(303);
    const stored = (await json(s.api('/api/v1/lists'))).lists.find((l: any) => l.name === 'console-nodes');
    expect(stored).toMatchObject({ category: 'tor', categoryFrom: 'explicit', active: false });
    const after = await (await fetch(`${s.url}/lists`, { headers: { cookie } })).text();
    expect(after).toMatch(/console-nodes<\/td><td>threat<\/td><td>Tor nodes<\/td>/);
    expect(after).toMatch(/tor-legacy<\/td><td>threat<\/td><td>Tor nodes \(by name\)<\/td>/);

    const wrong = new FormData();
    for (const [k, v] of Object.entries({ _csrf: csrf, kind: 'threat', category: 'c2', name: 'bad', text: '203.0.113.98\n' })) wrong.set(k, v);
    const refused = await fetch(`${s.url}/lists`, { method: 'POST', body: wrong, headers: { cookie, origin: s.url }, redirect: 'manual' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('category: expected threat or tor');
  });
});
