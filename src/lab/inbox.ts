import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { InboxMessage, InboxSource } from '../web/pages/inbox.js';

/** Messages kept; older ones are dropped and counted (the console says how many). */
const KEEP = 1000;
/** The largest message accepted (the lab's notifications are a few kilobytes). */
const MAX_BYTES = 1_000_000;

const addresses = (a: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? v.name ?? ''));

/**
 * The lab's mailbox: a real SMTP server on 127.0.0.1 (smtp-server, in-process) that the lab's e-mail target delivers
 * to, and the console's Inbox page reads. Plain SMTP without authentication, on loopback only: a lab convenience, not
 * a mail server.
 */
export class LabInbox implements InboxSource {
  private readonly messages: InboxMessage[] = [];
  private server: SMTPServer | undefined;
  private dropped = 0;
  port = 0;

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: MAX_BYTES,
      onData: (stream, session, cb) => {
        simpleParser(stream)
          .then((m) => {
            this.add({
              id: randomUUID(),
              receivedAt: new Date().toISOString(),
              from: addresses(m.from)[0] ?? session.envelope.mailFrom?.toString() ?? '',
              to: addresses(m.to),
              subject: m.subject ?? '',
              text: m.text ?? '',
            });
            cb();
          })
          .catch((err: Error) => cb(err));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return this;
  }

  private add(m: InboxMessage): void {
    this.messages.push(m);
    if (this.messages.length > KEEP) {
      this.messages.shift();
      this.dropped++;
    }
  }

  list(): InboxMessage[] {
    return [...this.messages].reverse();
  }

  /** Messages received so far, oldest first. */
  all(): readonly InboxMessage[] {
    return this.messages;
  }

  describe(): string {
    const kept = this.dropped > 0 ? ` The oldest ${this.dropped} were dropped (the inbox keeps ${KEEP}).` : '';
    return `The lab's in-process mailbox (SMTP on 127.0.0.1:${this.port}): what the lab's e-mail target sent.${kept}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
