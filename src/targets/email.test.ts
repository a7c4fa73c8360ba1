import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findingEvent } from '../bus/event.js';
import { renderTargetInput } from '../bus/transformer.js';
import { fixedClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { classifySmtpError, createEmailTarget, type EmailTarget, emailTargetSchema, findingRootMessageId } from './email.js';
import type { DeliveryInput } from './types.js';

const findings = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'golden', 'workshop-findings.json'), 'utf8')) as Finding[];
const NOW = Date.parse('2026-01-01T00:00:00Z');
const clock = fixedClock(NOW);
const PASSWORD = 'correct horse battery staple';

interface Received {
  from: string;
  to: string[];
  user: string | undefined;
  mail: ParsedMail;
}

let server: SMTPServer;
let port: number;
const received: Received[] = [];
const targets: EmailTarget[] = [];

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'alerts' && auth.password === PASSWORD) cb(null, { user: 'alerts' });
      else cb(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith('nobody@')) {
        cb(Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 }));
      } else if (address.address.startsWith('busy@')) {
        cb(Object.assign(new Error('4.2.1 Mailbox busy, try later'), { responseCode: 450 }));
      } else cb();
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            mail,
          });
          cb();
        })
        .catch(cb);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const t of targets) await t.close();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  received.length = 0;
});

function target(extra: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = { SMTP_PASSWORD: PASSWORD }): EmailTarget {
  const t = createEmailTarget(
    'mail',
    {
      host: '127.0.0.1',
      port,
      requireTLS: false,
      from: 'Trailhound <alerts@trailhound.example>',
      to: ['secops@example.com'],
      connectionTimeoutMs: 5000,
      ...extra,
    },
    { clock, env },
  );
  targets.push(t);
  return t;
}

function inputOf(f: Finding, eventId: string, rule: Parameters<typeof renderTargetInput>[0] = {}): DeliveryInput {
  const event = findingEvent(f, NOW, eventId);
  return { ...renderTargetInput(rule, event), event };
}

const iamThreatRule = {
  inputTransformer: {
    inputPathsMap: { userName: '$.detail.resource.accessKeyDetails.userName', gdid: '$.detail.id' },
    inputTemplate:
      '"GuardDuty Finding | ID:<gdid>: An AWS API operation was invoked (userName: <userName>) from an IP address that is included on your threat list and should be investigated. Go to https://console.aws.amazon.com/guardduty"',
  },
};

describe('email target (real SMTP server in-process)', () => {
  it('sends the workshop sentence as the body when the rule has a transformer, with the default subject', async () => {
    const t = target({ auth: { user: 'alerts', passwordEnv: 'SMTP_PASSWORD' } });
    const f = findings.find((x) => x.type === 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom') as Finding;
    const out = await t.deliver(inputOf(f, 'evt-a', iamThreatRule));
    expect(out).toMatchObject({ status: 'delivered' });
    expect(received).toHaveLength(1);
    const r = received[0] as Received;
    expect(r.user).toBe('alerts');
    expect(r.from).toBe('alerts@trailhound.example');
    expect(r.to).toEqual(['secops@example.com']);
    expect(r.mail.subject).toBe('[Trailhound] Medium 5.0 UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom (AKIAEXAMPLESIMUSER01)');
    expect(r.mail.text?.replace(/\n$/, '')).toBe(
      `"GuardDuty Finding | ID:${f.id}: An AWS API operation was invoked (userName: GuardDuty-Example-Compromised-Simulated) from an IP address that is included on your threat list and should be investigated. Go to https://console.aws.amazon.com/guardduty"`,
    );
    expect(r.mail.html).toBe(false);
    expect(r.mail.headers.get('x-trailhound-finding-id')).toBe(f.id);
  });

  it('sends the finding summary when the rule gives no input; subject template', async () => {
    const t = target({ subject: 'GD {severity}: {type} in {account}/{region} [{id}]' });
    const f = findings[0] as Finding;
    expect(await t.deliver(inputOf(f, 'evt-b'))).toMatchObject({ status: 'delivered' });
    const m = (received[0] as Received).mail;
    expect(m.subject).toBe(`GD High 8.0: ${f.type} in 111122223333/us-west-2 [${f.id}]`);
    expect(m.text).toContain('[High 8.0] UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
    expect(m.text).toMatch(/User agent: +aws-cli\/2\.1\.29/);
    expect(m.text).toContain(`fId=${f.id}`);
  });

  it('threads every update of a finding under one root Message-ID', async () => {
    const t = target();
    const f = findings[0] as Finding;
    const later = { ...f, service: { ...f.service, count: 9, eventLastSeen: '2021-03-08T18:40:00.000Z' } };
    await t.deliver(inputOf(f, 'evt-1'));
    await t.deliver(inputOf(later, 'evt-2'));
    await t.deliver(inputOf(findings[1] as Finding, 'evt-3'));
    const [a, b, c] = received.map((r) => r.mail);
    const root = findingRootMessageId(f, 'trailhound.example');
    expect(root).toBe('<finding.05020899fafca4ac9cb826407ee0956b.111122223333.us-west-2@trailhound.example>');
    expect(a?.inReplyTo).toBe(root);
    expect(b?.inReplyTo).toBe(root);
    expect(a?.references).toBe(root);
    expect(b?.references).toBe(root);
    expect(a?.messageId).not.toBe(b?.messageId);
    expect(a?.messageId).toMatch(/^<finding\.05020899fafca4ac9cb826407ee0956b\.event\.evt-1\.mail@trailhound\.example>$/);
    expect(c?.inReplyTo).toBe(findingRootMessageId(findings[1] as Finding, 'trailhound.example'));
    expect(c?.inReplyTo).not.toBe(root);
    // A retried delivery of the same event carries the same Message-ID.
    expect(t.compose(inputOf(f, 'evt-1')).messageId).toBe(a?.messageId);
  });

  it('a wrong password fails (535) as failed, and the password never appears in the error', async () => {
    const t = target({ auth: { user: 'alerts', passwordEnv: 'SMTP_PASSWORD' } }, { SMTP_PASSWORD: 'wrong-password-xyz' });
    const out = await t.deliver(inputOf(findings[0] as Finding, 'evt-x'));
    expect(out).toMatchObject({ status: 'failed', error: expect.stringContaining('535') });
    expect(JSON.stringify(out)).not.toContain('wrong-password-xyz');
    expect(received).toHaveLength(0);
  });

  it('a rejected recipient (550) fails; a 4xx reply retries', async () => {
    const bad = await target({ to: ['nobody@example.com'] }).deliver(inputOf(findings[0] as Finding, 'evt-y'));
    expect(bad).toMatchObject({ status: 'failed' });
    const busy = await target({ to: ['busy@example.com'] }).deliver(inputOf(findings[0] as Finding, 'evt-z'));
    expect(busy).toMatchObject({ status: 'retry', error: expect.stringContaining('450') });
    const partial = await target({ to: ['secops@example.com', 'nobody@example.com'] }).deliver(inputOf(findings[0] as Finding, 'evt-p'));
    expect(partial).toMatchObject({ status: 'delivered', detail: expect.stringContaining('rejected: nobody@example.com') });
  });

  it('connection refused retries (pooled and not)', async () => {
    const s = new SMTPServer({ logger: false });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const deadPort = (s.server.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    for (const pool of [true, false]) {
      const out = await target({ port: deadPort, pool }).deliver(inputOf(findings[0] as Finding, 'evt-c'));
      expect(out).toMatchObject({ status: 'retry', error: expect.stringMatching(/ECONNECTION|ECONNREFUSED/) });
    }
  });

  it('requireTLS against a server without STARTTLS fails instead of sending in the clear', async () => {
    const out = await target({ requireTLS: true, pool: false }).deliver(inputOf(findings[0] as Finding, 'evt-t'));
    expect(out.status).toBe('failed');
    expect(received).toHaveLength(0);
  });

  it('escapes control characters in subjects', async () => {
    const f = structuredClone(findings[0] as Finding);
    f.type = 'Evil\r\nBcc: victim@example.com';
    await target().deliver(inputOf(f, 'evt-s'));
    const m = (received[0] as Received).mail;
    expect(m.subject).toContain('Evil\\u{d}\\u{a}Bcc: victim@example.com');
    expect(m.bcc).toBeUndefined();
    expect((received[0] as Received).to).toEqual(['secops@example.com']);
  });

  it('configuration: strict schema; the password comes from the environment', () => {
    expect(() => target({ auth: { user: 'a', password: 'inline' } })).toThrow(ConfigError);
    expect(() => target({ auth: { user: 'a', passwordEnv: 'NOPE' } }, {})).toThrow('NOPE is not set');
    expect(() => target({ to: [] })).toThrow(ConfigError);
    expect(emailTargetSchema.safeParse({ type: 'email', host: 'h', from: 'a@b.c', to: ['d@e.f'] }).success).toBe(true);
    const parsed = emailTargetSchema.parse({ host: 'h', from: 'a@b.c', to: ['d@e.f'] });
    expect(parsed).toMatchObject({ port: 587, requireTLS: true, pool: true, rateLimit: 5, rateDelta: 1000 });
  });

  it('classifySmtpError', () => {
    expect(classifySmtpError({ code: 'ECONNECTION' })).toBe('retry');
    expect(classifySmtpError({ code: 'ETIMEDOUT' })).toBe('retry');
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 452 })).toBe('retry');
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 550 })).toBe('failed');
    expect(classifySmtpError({ code: 'EAUTH', responseCode: 535 })).toBe('failed');
    expect(classifySmtpError({ code: 'EAUTH', responseCode: 454 })).toBe('retry');
    expect(classifySmtpError({ code: 'ETLS' })).toBe('failed');
  });
});
