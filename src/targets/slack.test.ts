import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localHttpServer } from '../../test/helpers.js';
import { findingEvent } from '../bus/event.js';
import { renderTargetInput } from '../bus/transformer.js';
import { fixedClock } from '../core/clock.js';
import type { Finding } from '../core/finding.js';
import { createSlackTarget, slackEscape } from './slack.js';
import type { DeliveryInput } from './types.js';

const findings = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'golden', 'workshop-findings.json'), 'utf8')) as Finding[];
const NOW = Date.parse('2026-01-01T00:00:00Z');
const clock = fixedClock(NOW);
const HOSTILE_UA = '<!channel> & <https://evil.example/|click here> </script>\n*fake* line';

let server: Awaited<ReturnType<typeof localHttpServer>>;
let base: string;
const received: Array<{ headers: IncomingHttpHeaders; body: any }> = [];
let respond: (res: ServerResponse) => void;

beforeAll(async () => {
  server = await localHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
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
  respond = (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
});

function hostileFinding(): Finding {
  const f = structuredClone(findings[0] as Finding);
  const a = f.service.action.awsApiCallAction;
  if (!a) throw new Error('no action');
  a.userAgent = HOSTILE_UA;
  return f;
}

function inputOf(f: Finding, target: Parameters<typeof renderTargetInput>[0] = {}): DeliveryInput {
  const event = findingEvent(f, NOW, 'evt-1');
  return { ...renderTargetInput(target, event), event };
}

describe('slack target', () => {
  it('posts Block Kit blocks built from the finding', async () => {
    const t = createSlackTarget('slack', { urlEnv: 'SLACK_URL' }, { clock, env: { SLACK_URL: `${base}/services/T/B/x` } });
    const f = findings[0] as Finding;
    expect(await t.deliver(inputOf(f))).toEqual({ status: 'delivered', detail: 'HTTP 200' });
    const msg = received[0]?.body;
    expect(received[0]?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(msg.text).toBe(`[High 8.0] ${f.type}: ${f.title}`);
    const types = msg.blocks.map((b: { type: string }) => b.type);
    expect(types).toEqual(['header', 'section', 'section', 'actions', 'context']);
    expect(msg.blocks[0].text).toEqual({ type: 'plain_text', text: `High 8.0 ${f.type}`, emoji: false });
    expect(msg.blocks[1].text.text).toContain('*Severity:* High 8.0');
    const fields = msg.blocks[2].fields.map((x: { text: string }) => x.text);
    expect(fields[0]).toContain('*Resource*');
    expect(fields[0]).toContain('Access key: ASIAEXAMPLEEXFIL0001');
    expect(fields[0]).toContain('Instance: i-0a1b2c3d4e5f67890');
    expect(fields[1]).toContain('*Actor*');
    expect(fields[1]).toContain('Address: 198.51.100.23');
    expect(fields[1]).toContain('API: ListTables');
    expect(fields.at(-1)).toContain('Count: 8');
    expect(msg.blocks[3].elements[0]).toMatchObject({
      type: 'button',
      url: `https://us-west-2.console.aws.amazon.com/guardduty/home?region=us-west-2#/findings?macros=current&fId=${f.id}`,
    });
    for (const fl of msg.blocks[2].fields) expect(fl.text.length).toBeLessThanOrEqual(2000);
    expect(msg.blocks[0].text.text.length).toBeLessThanOrEqual(150);
  });

  it('escapes a hostile user agent for mrkdwn: no <!channel>, no injected link, no forged line', async () => {
    const t = createSlackTarget('slack', { url: `${base}/hook` }, { clock, env: {} });
    await t.deliver(inputOf(hostileFinding()));
    const raw = JSON.stringify(received[0]?.body);
    expect(raw).not.toContain('<!channel>');
    expect(raw).not.toContain('<https://evil');
    const actor = received[0]?.body.blocks[2].fields[1].text as string;
    expect(actor).toContain('User agent: &lt;!channel&gt; &amp; &lt;https://evil.example/|click here&gt; &lt;/script&gt;\\u{a}*fake* line');
    expect(actor).not.toMatch(/\n\*fake\*/);
  });

  it('a custom input is sent as one escaped section', async () => {
    const t = createSlackTarget('slack', { url: `${base}/hook` }, { clock, env: {} });
    const f = findings[2] as Finding;
    const inp = inputOf(f, {
      inputTransformer: {
        inputPathsMap: { gdid: '$.detail.id', ua: '$.detail.service.action.awsApiCallAction.userAgent' },
        inputTemplate: '"GuardDuty Finding | ID:<gdid> from <ua>"',
      },
    });
    const hostile = { ...inp, text: `${inp.text} <!here>` };
    await t.deliver(hostile);
    const msg = received[0]?.body;
    expect(msg.blocks).toHaveLength(1);
    expect(msg.blocks[0].type).toBe('section');
    expect(msg.blocks[0].text.type).toBe('mrkdwn');
    expect(msg.blocks[0].text.text).toBe(slackEscape(hostile.text));
    expect(msg.blocks[0].text.text).toContain(`"GuardDuty Finding | ID:${f.id} from`);
    expect(msg.blocks[0].text.text).toContain('&lt;!here&gt;');
  });

  it('retry and failure classification (429 with Retry-After, 500, 404 no_service)', async () => {
    const t = createSlackTarget('slack', { url: `${base}/hook` }, { clock, env: {} });
    respond = (res) => res.writeHead(429, { 'Retry-After': '7' }).end('rate_limited');
    expect(await t.deliver(inputOf(findings[0] as Finding))).toMatchObject({ status: 'retry', retryAfterMs: 7000 });
    respond = (res) => res.writeHead(500).end('internal_error');
    expect(await t.deliver(inputOf(findings[0] as Finding))).toMatchObject({ status: 'retry' });
    respond = (res) => res.writeHead(404).end('no_service');
    expect(await t.deliver(inputOf(findings[0] as Finding))).toMatchObject({ status: 'failed', error: expect.stringContaining('no_service') });
  });

  it('slackEscape', () => {
    expect(slackEscape('a & b < c > d')).toBe('a &amp; b &lt; c &gt; d');
    expect(slackEscape('x'.repeat(10), 5)).toHaveLength(5);
    expect(slackEscape('&&&&&&', 8)).not.toMatch(/&[a-z]*…$/);
  });

  it('configuration is strict', () => {
    expect(() => createSlackTarget('s', { url: `${base}/hook`, channel: '#x' }, { clock, env: {} })).toThrow(/channel/);
    expect(() => createSlackTarget('s', { url: `${base}/hook`, urlEnv: 'X' }, { clock, env: {} })).toThrow(/exactly one/);
  });
});
