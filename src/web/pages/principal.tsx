import type { Finding } from '../../core/finding.js';
import type { StoredEvent } from '../../findings/store.js';
import { Breakable, FindingLink, href, Sev, shown, Table, time } from '../layout.js';
import { resourceText } from './findings.js';

export const WINDOWS = { '1h': 3_600_000, '1d': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type WindowName = keyof typeof WINDOWS;

export interface PrincipalProps {
  who: string;
  address: string;
  window: WindowName;
  since: number;
  until: number;
  /** How the end of the window was chosen. */
  endNote: string;
  events: StoredEvent[];
  limit: number;
  findings: Finding[];
  findingsTotal: number;
}

export function PrincipalView(p: PrincipalProps) {
  const subject = [p.who ? `principal ${p.who}` : '', p.address ? `address ${p.address}` : ''].filter(Boolean).join(', ');
  const at = new Date(p.until).toISOString();
  const base = { who: p.who || undefined, address: p.address || undefined };
  const span = WINDOWS[p.window];
  return (
    <>
      <h1>{`Activity of ${shown(subject)}`}</h1>
      <form method="get" action="/principal" class="filters">
        <label>
          Principal (ARN, access key, user or role name)
          <input type="text" name="who" value={p.who} size={36} />
        </label>
        <label>
          Source address
          <input type="text" name="address" value={p.address} size={18} />
        </label>
        <label>
          Window
          <select name="window" data-autosubmit="">
            {(Object.keys(WINDOWS) as WindowName[]).map((w) => (
              <option value={w} selected={w === p.window}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <label>
          Ending at (UTC)
          <input type="text" name="at" value={at} size={26} />
        </label>
        <button type="submit" class="primary">
          Show
        </button>
      </form>
      <p>
        {'From '}
        <strong>{time(new Date(p.since).toISOString())}</strong>
        {' to '}
        <strong>{time(at)}</strong>
        <span class="muted">{` (${p.endNote}) · `}</span>
        <a href={href('/principal', { ...base, window: p.window, at: new Date(p.until - span).toISOString() })}>« earlier</a>
        {' · '}
        <a href={href('/principal', { ...base, window: p.window, at: new Date(p.until + span).toISOString() })}>later »</a>
        {' · '}
        <a href={href('/principal', { ...base, window: p.window, at: 'now' })}>ending now</a>
      </p>
      <h2>{`Events (${p.events.length}${p.events.length >= p.limit ? `, the first ${p.limit}` : ''})`}</h2>
      <Table
        class="events"
        rows={p.events}
        empty={<p class="panel muted">No recorded events in this window.</p>}
        head={['Time', 'API', 'Service', 'Source address', 'User agent', 'Error code', 'Principal']}
        row={(e) => (
          <tr>
            <td class="nowrap">{time(e.time)}</td>
            <td>{shown(e.api)}</td>
            <td>{shown(e.service)}</td>
            <td class="nowrap">
              <a href={href('/principal', { address: e.sourceAddress, window: p.window, at })}>{shown(e.sourceAddress)}</a>
            </td>
            <td class="mono wrap-any ua">{shown(e.userAgent)}</td>
            <td>{e.errorCode ? <span class="tag bad">{shown(e.errorCode)}</span> : ''}</td>
            <td>
              <div>
                <Breakable text={arnResource(e.principalArn) || e.userName} />
              </div>
              <div class="muted">{shown([e.principalType, e.accessKeyId, e.account].filter(Boolean).join(' · '))}</div>
            </td>
          </tr>
        )}
      />
      <h2>{`Findings about ${shown(subject)} (${p.findingsTotal})`}</h2>
      <Table
        rows={p.findings}
        empty={<p class="panel muted">None.</p>}
        head={['Severity', 'Finding type', 'Resource', <th class="num">Count</th>, 'Last seen']}
        row={(f) => (
          <tr>
            <td class="nowrap">
              <Sev severity={f.severity} />
            </td>
            <td>
              <FindingLink id={f.id} type={f.type} />
              {f.service.archived ? <span class="tag">archived</span> : null}
            </td>
            <td>{shown(resourceText(f))}</td>
            <td class="num">{String(f.service.count)}</td>
            <td class="nowrap">{time(f.service.eventLastSeen)}</td>
          </tr>
        )}
      />
    </>
  );
}

/** `arn:aws:sts::111122223333:assumed-role/R/i-0abc` -> `assumed-role/R/i-0abc` (the account is shown beside it). */
export function arnResource(arn: string): string {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' ? parts.slice(5).join(':') : arn;
}
