import type { SourceStatus } from '../../api/services.js';
import { type FindingSummary, SEVERITY_LABELS } from '../../findings/query.js';
import { OverTimeChart } from '../chart.js';
import { Breakable, href, Panel, shown, Table, time } from '../layout.js';

export interface SummaryProps {
  summary: FindingSummary;
  sources: SourceStatus[];
  days: number;
  /** The day the chart's window ends (ISO). */
  windowEnd: string;
  /** True when the window ends at the latest activity because that was before today. */
  endsAtActivity: boolean;
}

export function SummaryView(p: SummaryProps) {
  const s = p.summary;
  const caption = `Current findings by UTC day of their last activity, ${p.days} days to ${p.windowEnd.slice(0, 10)}${
    p.endsAtActivity ? ' (the latest activity; nothing newer)' : ''
  }. Hover a bar for its counts.`;
  return (
    <>
      <h1>Summary</h1>
      <div class="cards">
        {[...SEVERITY_LABELS].reverse().map((l) => (
          <a class={`card sev-card-${l}`} href={href('/findings', { severity: l })}>
            <div class="muted">{l}</div>
            <div class="n">{String(s.bySeverity[l] ?? 0)}</div>
          </a>
        ))}
      </div>
      <p class="muted">
        {`${s.total} current finding${s.total === 1 ? '' : 's'}. `}
        <a href="/findings">All findings</a>
        {' · Chart window: '}
        {[7, 30, 90].map((d) => (
          <> {d === p.days ? <strong>{`${d} days`}</strong> : <a href={href('/', { days: d })}>{`${d} days`}</a>}</>
        ))}
      </p>
      <OverTimeChart days={s.overTime} caption={caption} />
      <div class="grid">
        <Panel title="By type">
          <Table
            rows={s.byType}
            empty={<p class="muted">No findings.</p>}
            head={['Type', <th class="num">Findings</th>]}
            row={(t) => (
              <tr>
                <td>
                  <a href={href('/findings', { type: t.type })}>
                    <Breakable text={t.type} />
                  </a>
                </td>
                <td class="num">{String(t.count)}</td>
              </tr>
            )}
          />
        </Panel>
        <Panel title="Most affected resources">
          <Table
            rows={s.topResources}
            empty={<p class="muted">None.</p>}
            head={['Kind', 'Resource', <th class="num">Findings</th>]}
            row={(r) => (
              <tr>
                <td class="nowrap">{r.kind}</td>
                <td>
                  <a href={href('/findings', { resource: r.id, archived: 'all' })}>{shown(r.id)}</a>
                </td>
                <td class="num">{String(r.count)}</td>
              </tr>
            )}
          />
        </Panel>
        <Panel title="Most affected principals">
          <Table
            rows={s.topPrincipals}
            empty={<p class="muted">None.</p>}
            head={['Principal', <th class="num">Findings</th>]}
            row={(r) => (
              <tr>
                <td>
                  <a href={href('/principal', { who: r.principal, window: '1d' })}>{shown(r.principal)}</a>
                </td>
                <td class="num">{String(r.count)}</td>
              </tr>
            )}
          />
        </Panel>
      </div>
      <Panel title="Sources">
        <Table
          rows={p.sources}
          empty={<p class="muted">No sources configured.</p>}
          head={['Source', 'Kind', <th class="num">Backlog</th>, 'Last poll', 'State']}
          row={(src) => (
            <tr>
              <td>{shown(src.name)}</td>
              <td>{shown(src.kind)}</td>
              <td class="num">{String(src.backlog)}</td>
              <td class="nowrap">{src.lastPollAt ? time(src.lastPollAt) : 'never'}</td>
              <td>{src.lastError ? <span class="tag bad">{shown(src.lastError)}</span> : <span class="tag ok">ok</span>}</td>
            </tr>
          )}
        />
      </Panel>
    </>
  );
}
