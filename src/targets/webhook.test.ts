import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localHttpServer } from '../../test/helpers.js';
import { findingEvent } from '../bus/event.js';
import { renderTargetInput } from '../bus/transformer.js';
import { fixedClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { parseRetryAfter } from './http.js';
import type { DeliveryInput } from './types.js';
import { createWebhookTarget, signBody, webhookTargetSchema } from './webhook.js';

const findings = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'golden', 'workshop-findings.json'), 'utf8')) as Finding[];
const NOW = Date.parse('2026-01-01T00:00:00Z');
const clock = fixedClock(NOW);
const SECRET = 'hook-secret-Ω';
const env = { HOOK_SECRET: SECRET };

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

let server: Awaited<ReturnType<typeof localHttpServer>>;
let base: string;
const received: Received[] = [];
/** What the server does next, by path. */
let respond: (path: string, res: ServerResponse) => void;

beforeAll(async () => {
  server = await localHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw });
      // The receiver's side: verify the signature over the raw bytes before parsing.
      if (req.url === '/verify') {
        const sig = String(req.headers['x-trailhound-signature'] ?? '');
        const want = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
        const ok = sig.length === want.length && timingSafeEqual(Buffer.from(sig), want);
        res.writeHead(ok ? 204 : 401).end(ok ? undefined : 'bad signature');
        return;
      }
      respond(req.url ?? '/', res);
    });
  });
  base = server.base;
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  received.length = 0;
  respond = (_p, res) => res.writeHead(200).end('ok');
});

function input(f: Finding = findings[2] as Finding): DeliveryInput {
  const event = findingEvent(f, NOW, 'evt-42');
  return { ...renderTargetInput({}, event), event };
}

describe('webhook target', () => {
  it('POSTs the event JSON, signed; the receiver verifies the HMAC with the secret', async () => {
    const t = createWebhookTarget('hook', { url: `${base}/verify`, secretEnv: 'HOOK_SECRET', headers: { 'X-Team': 'secops' } }, { clock, env });
    const inp = input();
    expect(await t.deliver(inp)).toEqual({ status: 'delivered', detail: 'HTTP 204' });
    const r = received[0] as Received;
    expect(r.method).toBe('POST');
    expect(r.raw.toString('utf8')).toBe(inp.text);
    expect(JSON.parse(r.raw.toString('utf8')).detail.id).toBe((findings[2] as Finding).id);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['x-trailhound-timestamp']).toBe(String(NOW / 1000));
    expect(r.headers['x-trailhound-event-id']).toBe('evt-42');
    expect(r.headers['x-team']).toBe('secops');
    expect(r.headers['x-trailhound-signature']).toBe(signBody(SECRET, r.raw));
  });

  it('a wrong secret is refused by the receiver (401: failed)', async () => {
    const t = createWebhookTarget('hook', { url: `${base}/verify`, secretEnv: 'HOOK_SECRET' }, { clock, env: { HOOK_SECRET: 'other' } });
    const out = await t.deliver(input());
    expect(out).toMatchObject({ status: 'failed' });
    expect(out.status === 'failed' && out.error).toContain('HTTP 401: bad signature');
  });

  it('sends the custom input (the workshop sentence) as is, text/plain when not JSON', async () => {
    const t = createWebhookTarget('hook', { url: `${base}/x` }, { clock, env });
    const event = findingEvent(findings[2] as Finding, NOW, 'e');
    const inp: DeliveryInput = {
      ...renderTargetInput({ inputTransformer: { inputPathsMap: { gdid: '$.detail.id' }, inputTemplate: '"Finding <gdid>"' } }, event),
      event,
    };
    expect(await t.deliver(inp)).toMatchObject({ status: 'delivered' });
    expect(received[0]?.raw.toString()).toBe(`"Finding ${(findings[2] as Finding).id}"`);
    expect(received[0]?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(received[0]?.headers['x-trailhound-signature']).toBeUndefined();
    await t.deliver({ text: 'plain words', custom: true, event });
    expect(received[1]?.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('500 retries, 429 retries honouring Retry-After (seconds and HTTP date), 408 retries', async () => {
    const t = createWebhookTarget('hook', { url: `${base}/x` }, { clock, env });
    respond = (_p, res) => res.writeHead(500).end('boom');
    expect(await t.deliver(input())).toMatchObject({ status: 'retry', error: expect.stringContaining('HTTP 500: boom') });
    respond = (_p, res) => res.writeHead(429, { 'Retry-After': '30' }).end();
    expect(await t.deliver(input())).toMatchObject({ status: 'retry', retryAfterMs: 30_000 });
    respond = (_p, res) => res.writeHead(503, { 'Retry-After': new Date(NOW + 120_000).toUTCString() }).end();
    expect(await t.deliver(input())).toMatchObject({ status: 'retry', retryAfterMs: 120_000 });
    respond = (_p, res) => res.writeHead(408).end();
    expect(await t.deliver(input())).toMatchObject({ status: 'retry' });
  });

  it('400 and other 4xx fail; redirects are not followed', async () => {
    const t = createWebhookTarget('hook', { url: `${base}/x` }, { clock, env });
    respond = (_p, res) => res.writeHead(400).end('{"error":"bad payload"}');
    expect(await t.deliver(input())).toMatchObject({ status: 'failed', error: expect.stringContaining('HTTP 400') });
    respond = (_p, res) => res.writeHead(404).end();
    expect(await t.deliver(input())).toMatchObject({ status: 'failed' });
    respond = (p, res) => (p === '/x' ? res.writeHead(307, { Location: `${base}/elsewhere` }).end() : res.writeHead(200).end());
    expect(await t.deliver(input())).toMatchObject({ status: 'failed', error: expect.stringContaining('redirect') });
    expect(received.map((r) => r.url)).not.toContain('/elsewhere');
  });

  it('a timeout retries', async () => {
    const t = createWebhookTarget('hook', { url: `${base}/slow`, timeoutMs: 200 }, { clock, env });
    respond = (_p, res) => {
      setTimeout(() => res.writeHead(200).end('late'), 2000).unref();
    };
    const started = Date.now();
    const out = await t.deliver(input());
    expect(out).toMatchObject({ status: 'retry', error: expect.stringContaining('timed out after 200 ms') });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('connection refused retries, and the error names only the origin', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const t = createWebhookTarget('hook', { url: `http://127.0.0.1:${port}/secret-token-in-path` }, { clock, env });
    const out = await t.deliver(input());
    expect(out).toMatchObject({ status: 'retry', error: expect.stringContaining('ECONNREFUSED') });
    expect(JSON.stringify(out)).not.toContain('secret-token-in-path');
  });

  it('configuration: strict, URL or urlEnv, secret from the environment, no reserved headers', () => {
    expect(() => createWebhookTarget('h', { url: `${base}/x`, bogus: 1 }, { clock, env })).toThrow(ConfigError);
    expect(() => createWebhookTarget('h', {}, { clock, env })).toThrow('exactly one of url and urlEnv');
    expect(() => createWebhookTarget('h', { url: 'ftp://x' }, { clock, env })).toThrow(ConfigError);
    expect(() => createWebhookTarget('h', { url: `${base}/x`, secretEnv: 'MISSING' }, { clock, env })).toThrow('MISSING is not set');
    expect(() => createWebhookTarget('h', { urlEnv: 'HOOK_URL' }, { clock, env })).toThrow('HOOK_URL is not set');
    expect(createWebhookTarget('h', { urlEnv: 'HOOK_URL' }, { clock, env: { HOOK_URL: `${base}/x` } }).kind).toBe('webhook');
    expect(webhookTargetSchema.safeParse({ url: `${base}/x`, headers: { 'X-Trailhound-Signature': 'x' } }).success).toBe(false);
    expect(webhookTargetSchema.safeParse({ url: `${base}/x`, headers: { 'Content-Length': '1' } }).success).toBe(false);
    expect(webhookTargetSchema.safeParse({ url: `${base}/x`, headers: { 'X-A': 'a\r\nInjected: 1' } }).success).toBe(false);
    expect(webhookTargetSchema.safeParse({ type: 'webhook', url: `${base}/x` }).success).toBe(true);
  });

  it('parseRetryAfter', () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter('5', NOW)).toBe(5000);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW)).toBe(0);
  });
});
