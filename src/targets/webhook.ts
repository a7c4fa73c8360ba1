import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { exactlyOneUrl, parseTargetOptions, postAndClassify, resolveUrl, secretFromEnv, UrlOptions } from './http.js';
import type { DeliveryInput, DeliveryOutcome, Target, TargetDeps } from './types.js';

/**
 * `webhook` target: POSTs the target's input (the rule's input / input path / transformer output, or the whole event
 * as JSON) to a URL, byte for byte. With `secretEnv`, the body is signed:
 * `X-Trailhound-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (verify it over the raw bytes, before parsing,
 * with a constant-time comparison). `X-Trailhound-Timestamp` (Unix seconds) and `X-Trailhound-Event-Id` are sent too;
 * receivers can use the event id to drop repeats (delivery is at least once).
 */

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection']);

export const webhookTargetSchema = z
  .strictObject({
    type: z.literal('webhook').optional(),
    ...UrlOptions,
    /** Name of the environment variable holding the HMAC secret. */
    secretEnv: z.string().regex(ENV_NAME, 'an environment variable name').optional(),
    headers: z
      .record(
        z
          .string()
          .regex(HEADER_NAME, 'not a valid header name')
          .refine((h) => !RESERVED.has(h.toLowerCase()) && !h.toLowerCase().startsWith('x-trailhound-'), 'this header is set by Trailhound'),
        z.string().regex(/^[^\r\n\0]*$/, 'header values cannot contain line breaks'),
      )
      .default({}),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  })
  .refine(exactlyOneUrl, { message: 'give exactly one of url and urlEnv', path: ['url'] });

export type WebhookTargetConfig = z.infer<typeof webhookTargetSchema>;

export const SIGNATURE_HEADER = 'X-Trailhound-Signature';
export const TIMESTAMP_HEADER = 'X-Trailhound-Timestamp';
export const EVENT_ID_HEADER = 'X-Trailhound-Event-Id';

/** `sha256=<hex>`: the signature of a raw body. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export class WebhookTarget implements Target {
  readonly kind = 'webhook';

  constructor(
    readonly id: string,
    private readonly config: WebhookTargetConfig,
    private readonly url: string,
    private readonly secret: string | undefined,
    private readonly deps: TargetDeps,
  ) {}

  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    const body = input.text;
    const headers: Record<string, string> = {
      ...this.config.headers,
      'content-type': isJson(body) ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
      'user-agent': 'Trailhound-Webhook/1',
      [TIMESTAMP_HEADER]: String(Math.floor(this.deps.clock.now() / 1000)),
      [EVENT_ID_HEADER]: input.event.id,
    };
    if (this.secret !== undefined) headers[SIGNATURE_HEADER] = signBody(this.secret, body);
    return postAndClassify(this.url, body, { what: `webhook ${this.id}`, headers, timeoutMs: this.config.timeoutMs, clock: this.deps.clock });
  }
}

/** Validates the options (throws `ConfigError`), reads the URL and secret from the environment, builds the target. */
export function createWebhookTarget(id: string, config: unknown, deps: TargetDeps): WebhookTarget {
  const c = parseTargetOptions(webhookTargetSchema, id, config);
  const url = resolveUrl(id, c, deps.env);
  const secret = c.secretEnv !== undefined ? secretFromEnv(id, 'secretEnv', c.secretEnv, deps.env) : undefined;
  return new WebhookTarget(id, c, url, secret, deps);
}
