import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localHttpServer } from '../../test/helpers.js';
import { findingEvent } from '../bus/event.js';
import { renderTargetInput } from '../bus/transformer.js';
import { fixedClock } from '../core/clock.js';
import type { Finding } from '../core/finding.js';
import { createTeamsTarget, teamsEscape } from './teams.js';
import type { DeliveryInput } from './types.js';

const findings = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'golden', 'workshop-findings.json'), 'utf8')) as Finding[];
const NOW = Date.parse('2026-01-01T00:00:00Z');
const clock = fixedClock(NOW);

let server: Awaited<ReturnType<typeof localHttpServer>>;
let base: string;
const received: any[] = [];
let respond: (res: ServerResponse) => void;

beforeAll(async () => {
  server = await localHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      respond(res);
    });
  });
  base = server.base;
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  received.length = 0;
  respond = (res) => res.writeHead(202).end();
});

function inputOf(f: Finding, target: Parameters<typeof renderTargetInput>[0] = {}): DeliveryInput {
  const event = findingEvent(f, NOW, 'evt-1');
  return { ...renderTargetInput(target, event), event };
}

describe('teams target (Workflows webhook, Adaptive Card)', () => {
  it('posts a message with one Adaptive Card attachment built from the finding', async () => {
    const url = `${base}/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRET`;
    const t = createTeamsTarget('teams', { urlEnv: 'TEAMS_URL' }, { clock, env: { TEAMS_URL: url } });
    const f = findings[0] as Finding;
    expect(await t.deliver(inputOf(f))).toEqual({ status: 'delivered', detail: 'HTTP 202' });
    const msg = received[0];
    expect(msg.type).toBe('message');
    expect(msg.attachments).toHaveLength(1);
    const a = msg.attachments[0];
    expect(a.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(a.contentUrl).toBeNull();
    expect(a.content).toMatchObject({ $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4' });
    const [head, title, factSet, description] = a.content.body;
    expect(head).toMatchObject({ type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text: `Severity High 8.0 – ${f.type}` });
    expect(title.text).toBe(f.title);
    expect(description.text).toBe(f.description);
    const facts = Object.fromEntries(factSet.facts.map((x: { title: string; value: string }) => [x.title, x.value]));
    expect(facts).toMatchObject({
      Account: '111122223333 (us-west-2)',
      'Access key': 'ASIAEXAMPLEEXFIL0001',
      Role: 'GuardDuty-Example-EC2-Compromised (AssumedRole)',
      Instance: 'i-0a1b2c3d4e5f67890',
      Address: '198.51.100.23',
      API: 'ListTables',
      'Error code': 'AccessDeniedException',
      Count: '8',
      'Finding ID': f.id,
    });
    expect(a.content.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Open finding',
        url: `https://us-west-2.console.aws.amazon.com/guardduty/home?region=us-west-2#/findings?macros=current&fId=${f.id}`,
      },
    ]);
  });

  it('escapes markdown and control characters from a hostile user agent', async () => {
    const t = createTeamsTarget('teams', { url: `${base}/w` }, { clock, env: {} });
    const f = structuredClone(findings[0] as Finding);
    (f.service.action.awsApiCallAction as { userAgent: string }).userAgent = '[click](https://evil.example) **x**\n- item';
    await t.deliver(inputOf(f));
    const facts = received[0].attachments[0].content.body[2].facts as Array<{ title: string; value: string }>;
    expect(facts.find((x) => x.title === 'User agent')?.value).toBe('\\[click\\](https://evil.example) \\*\\*x\\*\\*\\\\u{a}- item');
  });

  it('a custom input becomes one TextBlock', async () => {
    const t = createTeamsTarget('teams', { url: `${base}/w` }, { clock, env: {} });
    const f = findings[2] as Finding;
    await t.deliver(inputOf(f, { inputTransformer: { inputPathsMap: { gdid: '$.detail.id' }, inputTemplate: '"GuardDuty Finding | ID:<gdid>"' } }));
    expect(received[0].attachments[0].content.body).toEqual([{ type: 'TextBlock', text: `"GuardDuty Finding | ID:${f.id}"`, wrap: true }]);
  });

  it('classifies failures', async () => {
    const t = createTeamsTarget('teams', { url: `${base}/w` }, { clock, env: {} });
    respond = (res) => res.writeHead(429, { 'Retry-After': '2' }).end();
    expect(await t.deliver(inputOf(findings[0] as Finding))).toMatchObject({ status: 'retry', retryAfterMs: 2000 });
    respond = (res) => res.writeHead(502).end();
    expect(await t.deliver(inputOf(findings[0] as Finding))).toMatchObject({ status: 'retry' });
    respond = (res) => res.writeHead(400).end('{"error":{"code":"InvalidRequestContent"}}');
    expect(await t.deliver(inputOf(findings[0] as Finding))).toMatchObject({ status: 'failed', error: expect.stringContaining('InvalidRequestContent') });
    expect(JSON.stringify(await t.deliver(inputOf(findings[0] as Finding)))).not.toContain('sig=');
  });

  it('teamsEscape', () => {
    expect(teamsEscape('- a')).toBe('\\- a');
    expect(teamsEscape('1. a')).toBe('1\\. a');
    expect(teamsEscape('a_b*c`d~e')).toBe('a\\_b\\*c\\`d\\~e');
  });
});
