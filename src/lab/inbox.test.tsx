import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxView } from '../web/pages/inbox.js';
import { LabInbox } from './inbox.js';

let inbox: LabInbox;
beforeAll(async () => {
  inbox = await new LabInbox().start();
});
afterAll(async () => {
  await inbox.close();
});

describe('LabInbox', () => {
  it('receives real SMTP deliveries on 127.0.0.1 and lists them newest first', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: inbox.port, secure: false, ignoreTLS: true });
    await t.sendMail({ from: 'trailhound@example.com', to: 'soc@example.com', subject: 'first', text: 'GuardDuty Finding | ID:abc' });
    await t.sendMail({ from: 'trailhound@example.com', to: ['a@example.com', 'b@example.com'], subject: 'second', text: 'two' });
    t.close();
    expect(inbox.list().map((m) => m.subject)).toEqual(['second', 'first']);
    expect(inbox.all()[0]).toMatchObject({ from: 'trailhound@example.com', to: ['soc@example.com'], text: 'GuardDuty Finding | ID:abc\n' });
    expect(inbox.describe()).toContain(`127.0.0.1:${inbox.port}`);
  });

  it('shows hostile subjects and bodies as text in the console', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: inbox.port, secure: false, ignoreTLS: true });
    await t.sendMail({ from: 'x@example.com', to: 'soc@example.com', subject: '<img src=x onerror=alert(1)>', text: '<script>alert(2)</script>' });
    t.close();
    const html = String(<InboxView inbox={inbox} />);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
