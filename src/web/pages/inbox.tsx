import { shown, Table, time } from '../layout.js';

/** One message as an in-process mailbox received it (the lab's SMTP inbox). */
export interface InboxMessage {
  id: string;
  /** ISO time of receipt. */
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/** A read-only mailbox the console can show: the lab's e-mail target delivers into it. */
export interface InboxSource {
  /** Newest first. */
  list(): InboxMessage[];
  /** Where the mailbox listens, e.g. smtp://127.0.0.1:2525, and a sentence on what it is. */
  describe(): string;
}

/** The mailbox as a list of messages, each with its text; everything in them is shown as text. */
export function InboxView(p: { inbox: InboxSource }) {
  const messages = p.inbox.list();
  return (
    <>
      <p class="muted">{p.inbox.describe()}</p>
      <Table
        rows={messages}
        empty={<p class="muted">No messages yet.</p>}
        head={['Received', 'From', 'To', 'Subject and text']}
        row={(m) => (
          <tr>
            <td class="nowrap">{time(m.receivedAt)}</td>
            <td class="mono">{shown(m.from)}</td>
            <td class="mono">{shown(m.to.join(', '))}</td>
            <td>
              <details>
                <summary>{shown(m.subject) || '(no subject)'}</summary>
                <pre>{shown(m.text)}</pre>
              </details>
            </td>
          </tr>
        )}
      />
    </>
  );
}
