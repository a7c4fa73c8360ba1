import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { z } from 'zod';
import type { Finding } from '../core/finding.js';
import { parseTargetOptions, secretFromEnv } from './http.js';
import { findingFacts, findingOf, plain, summarizeEvent, summarizeFinding } from './summary.js';
import type { DeliveryInput, DeliveryOutcome, Target, TargetDeps } from './types.js';

/**
 * `email` target: plain-text mail over SMTP (nodemailer), pooled and rate-limited. The body is the rule's own input
 * when it gave one (e.g. the workshop's transformer sentence), else a readable summary of the finding.
 *
 * Threading: every mail about one finding carries `In-Reply-To` and `References` pointing at a per-finding root
 * Message-ID (`<finding.<id>.<account>.<region>@<domain>>`), so all updates of a finding thread together in mail
 * clients, without Trailhound remembering what it sent. Each delivery's own `Message-ID` is derived from the event
 * id: a retried delivery carries the same id, so a client can drop the duplicate.
 *
 * The SMTP password is read from the environment variable named by `auth.passwordEnv` when the target is created;
 * it is never part of the configuration, error texts or logs.
 */

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ADDRESS = z
  .string()
  .min(3)
  .max(320)
  .regex(/^[^\r\n]+$/, 'no line breaks');

export const emailTargetSchema = z
  .strictObject({
    type: z.literal('email').optional(),
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65_535).default(587),
    /** Implicit TLS from the first byte (port 465). */
    secure: z.boolean().default(false),
    /** Insist on STARTTLS on a plain connection (fail rather than send in the clear). */
    requireTLS: z.boolean().default(true),
    /** Verify the server's certificate (turn off only for a test server with a self-signed one). */
    tlsRejectUnauthorized: z.boolean().default(true),
    auth: z.strictObject({ user: z.string().min(1), passwordEnv: z.string().regex(ENV_NAME, 'an environment variable name') }).optional(),
    pool: z.boolean().default(true),
    maxConnections: z.number().int().min(1).max(100).default(2),
    /** At most `rateLimit` messages per `rateDelta` ms (shared by the pool's connections). */
    rateLimit: z.number().int().min(1).max(10_000).default(5),
    rateDelta: z.number().int().min(1).max(3_600_000).default(1000),
    connectionTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    socketTimeoutMs: z.number().int().min(100).max(600_000).default(60_000),
    from: ADDRESS,
    to: z.array(ADDRESS).min(1).max(100),
    /**
     * Subject template: `{severity}` (High 8.0), `{type}`, `{title}`, `{resource}`, `{account}`, `{region}`, `{id}`
     * (finding id), `{detailType}`. Values are escaped; the result is cut to 200 characters.
     */
    subject: z.string().min(1).max(500).default('[Trailhound] {severity} {type} ({resource})'),
    /** The domain of generated Message-IDs; default: the domain of `from`. */
    messageIdDomain: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, 'a domain name')
      .optional(),
    consoleUrl: z.url({ protocol: /^https?$/ }).optional(),
  })
  .refine((c) => !(c.secure && c.requireTLS && c.port === 25), { message: 'secure (implicit TLS) on port 25 is almost certainly wrong', path: ['secure'] });

export type EmailTargetConfig = z.infer<typeof emailTargetSchema>;

const SUBJECT_MAX = 200;

function domainOf(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return m?.[1] ?? 'trailhound.invalid';
}

const idPart = (s: string) => s.replace(/[^A-Za-z0-9-]/g, (c) => `=${c.charCodeAt(0).toString(16)}`).slice(0, 100);

/** The Message-ID all mails about one finding reply to. */
export function findingRootMessageId(f: Pick<Finding, 'id' | 'accountId' | 'region'>, domain: string): string {
  return `<finding.${idPart(f.id)}.${idPart(f.accountId)}.${idPart(f.region)}@${domain}>`;
}

/** Fills a subject template; unknown `{names}` stay as written. */
export function renderSubject(template: string, input: DeliveryInput): string {
  const f = findingOf(input.event);
  const facts = f ? findingFacts(f) : undefined;
  // Events that carry no finding (a remediation's announcement) are named by their detail-type and finding id.
  const detail = (f ? undefined : input.event.detail) as { findingId?: unknown } | undefined;
  const values: Record<string, string> = {
    severity: facts?.severity ?? '',
    type: f?.type ?? input.event['detail-type'] ?? '',
    title: f?.title ?? '',
    resource: facts?.resource[0]?.value ?? (typeof detail?.findingId === 'string' ? `finding ${detail.findingId}` : ''),
    account: f?.accountId ?? input.event.account ?? '',
    region: f?.region ?? input.event.region ?? '',
    id: f?.id ?? input.event.id ?? '',
    detailType: input.event['detail-type'] ?? '',
  };
  const out = template.replace(/\{([A-Za-z]+)\}/g, (m, name: string) => (name in values ? plain(values[name] as string, SUBJECT_MAX) : m));
  const cleaned = plain(
    out
      .replace(/\s*\(\)\s*$/, '')
      .replace(/\s+/g, ' ')
      .trim(),
    SUBJECT_MAX,
  );
  return cleaned || 'Trailhound notification';
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  rejected?: string[];
}

const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EPROTOCOL', 'EMAXLIMIT', 'ECLOSE']);

/**
 * Classifies an SMTP failure: 4xx replies and connection problems are transient (`retry`); 5xx replies (including
 * authentication failures, 535), rejected recipients and TLS/configuration errors are permanent (`failed`).
 */
export function classifySmtpError(err: unknown): 'retry' | 'failed' {
  const e = err as SmtpError;
  if (typeof e?.responseCode === 'number') {
    if (e.responseCode >= 400 && e.responseCode < 500) return 'retry';
    if (e.responseCode >= 500) return 'failed';
  }
  if (e?.code && CONNECTION_CODES.has(e.code)) return 'retry';
  return 'failed';
}

function smtpErrorText(err: unknown): string {
  const e = err as SmtpError;
  const parts = [e?.code, e?.responseCode !== undefined ? String(e.responseCode) : undefined, e?.command ? `after ${e.command}` : undefined].filter(Boolean);
  const msg = plain(String(e?.response ?? e?.message ?? err), 300);
  return `${parts.length ? `${parts.join(' ')}: ` : ''}${msg}`;
}

type Transport = nodemailer.Transporter<SMTPTransport.SentMessageInfo | SMTPPool.SentMessageInfo>;

export class EmailTarget implements Target {
  readonly kind = 'email';
  private readonly domain: string;

  constructor(
    readonly id: string,
    private readonly config: EmailTargetConfig,
    private readonly transport: Transport,
  ) {
    this.domain = config.messageIdDomain ?? domainOf(config.from);
  }

  /** The mail for one delivery (exposed for tests and previews). */
  compose(input: DeliveryInput): nodemailer.SendMailOptions {
    const f = findingOf(input.event);
    const text = input.custom
      ? input.text
      : f
        ? summarizeFinding(f, this.config.consoleUrl ? { consoleUrl: this.config.consoleUrl } : {})
        : summarizeEvent(input.event);
    const mail: nodemailer.SendMailOptions = {
      from: this.config.from,
      to: this.config.to,
      subject: renderSubject(this.config.subject, input),
      text,
      messageId: `<${f ? `finding.${idPart(f.id)}.` : ''}event.${idPart(input.event.id)}.${idPart(this.id)}@${this.domain}>`,
      headers: { 'X-Trailhound-Event-Id': plain(input.event.id, 200) },
    };
    if (f) {
      const root = findingRootMessageId(f, this.domain);
      mail.inReplyTo = root;
      mail.references = [root];
      (mail.headers as Record<string, string>)['X-Trailhound-Finding-Id'] = plain(f.id, 200);
    }
    return mail;
  }

  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    try {
      const info = await this.transport.sendMail(this.compose(input));
      const rejected = (info.rejected ?? []).map(String);
      return {
        status: 'delivered',
        detail: `smtp ${plain(String(info.response ?? ''), 200)}${rejected.length ? `; rejected: ${plain(rejected.join(', '), 300)}` : ''}`,
      };
    } catch (err) {
      const error = `email ${this.id} via ${this.config.host}:${this.config.port}: ${smtpErrorText(err)}`;
      return classifySmtpError(err) === 'retry' ? { status: 'retry', error } : { status: 'failed', error };
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** Validates the options (throws `ConfigError`), reads the password from the environment, builds the target. */
export function createEmailTarget(id: string, config: unknown, deps: TargetDeps): EmailTarget {
  const c = parseTargetOptions(emailTargetSchema, id, config);
  const base = {
    host: c.host,
    port: c.port,
    secure: c.secure,
    requireTLS: c.secure ? false : c.requireTLS,
    tls: { rejectUnauthorized: c.tlsRejectUnauthorized },
    connectionTimeout: c.connectionTimeoutMs,
    greetingTimeout: c.connectionTimeoutMs,
    socketTimeout: c.socketTimeoutMs,
    ...(c.auth ? { auth: { user: c.auth.user, pass: secretFromEnv(id, 'auth.passwordEnv', c.auth.passwordEnv, deps.env) } } : {}),
    logger: false,
    debug: false,
  };
  const transport: Transport = c.pool
    ? nodemailer.createTransport({ ...base, pool: true, maxConnections: c.maxConnections, rateDelta: c.rateDelta, rateLimit: c.rateLimit } as SMTPPool.Options)
    : nodemailer.createTransport(base as SMTPTransport.Options);
  return new EmailTarget(id, c, transport);
}
