import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { plain } from './summary.js';
import type { DeliveryOutcome } from './types.js';

/**
 * Shared HTTP delivery for webhook-style targets (webhook, Slack, Teams): one POST with a timeout, and the answer
 * classified: 2xx delivered; 408, 429, 5xx, timeouts and network errors retried (honouring `Retry-After`); redirects
 * and other 4xx failed. Error texts name the URL's origin only: webhook URLs often carry their secret in the path.
 */

export const HttpUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/** How many characters of a response body an error message quotes. */
const BODY_QUOTE = 200;
/** How much of a response body is read at most. */
const BODY_READ_MAX = 16 * 1024;

export interface PostOptions {
  /** Names the target in error texts, e.g. `slack`. */
  what: string;
  headers: Record<string, string>;
  timeoutMs: number;
  clock: Clock;
  /** What counts as success besides the status (Slack answers `ok`). */
  checkBody?: (status: number, body: string) => string | undefined;
}

/** The origin of a URL (`https://hooks.slack.com`), never its path or query. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/** `Retry-After` as milliseconds from now: delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < BODY_READ_MAX) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, BODY_READ_MAX);
}

function networkError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    const cause = err.cause as { code?: string; message?: string } | undefined;
    if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
    return cause?.message ?? err.message;
  }
  return String(err);
}

/** POSTs `body` to `url` and classifies the outcome. Never throws. */
export async function postAndClassify(url: string, body: string, opts: PostOptions): Promise<DeliveryOutcome> {
  const where = `${opts.what} POST to ${originOf(url)}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: opts.headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const why = networkError(err);
    return { status: 'retry', error: `${where}: ${why === 'timed out' ? `timed out after ${opts.timeoutMs} ms` : plain(why, 300)}` };
  }
  let text = '';
  try {
    text = await readCapped(res);
  } catch (err) {
    if (res.status >= 200 && res.status < 300) {
      // The status is what counts; a body cut short is not worth a duplicate delivery.
    } else {
      text = `(body unreadable: ${networkError(err)})`;
    }
  }
  const quote = text ? `: ${plain(text.trim(), BODY_QUOTE)}` : '';
  const s = res.status;
  if (s >= 200 && s < 300) {
    const problem = opts.checkBody?.(s, text);
    if (problem) return { status: 'failed', error: `${where}: HTTP ${s} but ${problem}` };
    return { status: 'delivered', detail: `HTTP ${s}` };
  }
  if (s === 408 || s === 429 || s >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), opts.clock.now());
    const out: DeliveryOutcome = { status: 'retry', error: `${where}: HTTP ${s}${quote}` };
    if (retryAfterMs !== undefined) out.retryAfterMs = retryAfterMs;
    return out;
  }
  if (s >= 300 && s < 400) return { status: 'failed', error: `${where}: HTTP ${s} redirect (redirects are not followed)` };
  return { status: 'failed', error: `${where}: HTTP ${s}${quote}` };
}

/** Parses a target's options with its strict schema; throws `ConfigError` naming the target and every issue. */
export function parseTargetOptions<S extends z.ZodType>(schema: S, id: string, config: unknown): z.infer<S> {
  const result = schema.safeParse(config ?? {});
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  throw new ConfigError(`target ${JSON.stringify(id)}`, issues);
}

/** Reads a secret from the environment variable named in the configuration; throws `ConfigError` when unset. */
export function secretFromEnv(id: string, field: string, name: string, env: NodeJS.ProcessEnv): string {
  const v = env[name];
  if (v === undefined || v === '')
    throw new ConfigError(`target ${JSON.stringify(id)}`, [{ path: field, message: `the environment variable ${name} is not set` }]);
  return v;
}

/** A URL given directly (`url`) or through an environment variable (`urlEnv`, for URLs that embed a secret). */
export function resolveUrl(id: string, c: { url?: string | undefined; urlEnv?: string | undefined }, env: NodeJS.ProcessEnv): string {
  if (c.url) return c.url;
  const name = c.urlEnv as string;
  const v = secretFromEnv(id, 'urlEnv', name, env);
  if (!HttpUrlSchema.safeParse(v).success)
    throw new ConfigError(`target ${JSON.stringify(id)}`, [{ path: 'urlEnv', message: `the environment variable ${name} is not an http(s) URL` }]);
  return v;
}

/** `url` or `urlEnv`: exactly one. */
export const UrlOptions = {
  url: HttpUrlSchema.optional(),
  urlEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .optional(),
};
export function exactlyOneUrl(c: { url?: string | undefined; urlEnv?: string | undefined }): boolean {
  return (c.url === undefined) !== (c.urlEnv === undefined);
}
