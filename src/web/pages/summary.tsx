import type { SourceStatus } from '../../api/services.js';
import { type FindingSummary, SEVERITY_LABELS } from '../../findings/query.js';
import { OverTimeChart } from '../chart.js';
import { Breakable, href, shown, time } from '../layout.js';

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
        <section class="panel">
          <h2>By type</h2>
          {s.byType.length === 0 ? (
            <p class="muted">No findings.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Type</th>
                  <th class="num">Findings</th>
                </tr>
              </thead>
              <tbody>
                {s.byType.map((t) => (
                  <tr>
                    <td>
                      <a href={href('/findings', { type: t.type })}>
                        <Breakable text={t.type} />
                      </a>
                    </td>
                    <td class="num">{String(t.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section class="panel">
          <h2>Most affected resources</h2>
          {s.topResources.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Kind</th>
                  <th>Resource</th>
                  <th class="num">Findings</th>
                </tr>
              </thead>
              <tbody>
                {s.topResources.map((r) => (
                  <tr>
                    <td class="nowrap">{r.kind}</td>
                    <td>
                      <a href={href('/findings', { resource: r.id, archived: 'all' })}>{shown(r.id)}</a>
                    </td>
                    <td class="num">{String(r.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section class="panel">
          <h2>Most affected principals</h2>
          {s.topPrincipals.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Principal</th>
                  <th class="num">Findings</th>
                </tr>
              </thead>
              <tbody>
                {s.topPrincipals.map((r) => (
                  <tr>
                    <td>
                      <a href={href('/principal', { who: r.principal, window: '1d' })}>{shown(r.principal)}</a>
                    </td>
                    <td class="num">{String(r.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
      <section class="panel">
        <h2>Sources</h2>
        {p.sources.length === 0 ? (
          <p class="muted">No sources configured.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Source</th>
                <th>Kind</th>
                <th class="num">Backlog</th>
                <th>Last poll</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {p.sources.map((src) => (
                <tr>
                  <td>{shown(src.name)}</td>
                  <td>{shown(src.kind)}</td>
                  <td class="num">{String(src.backlog)}</td>
                  <td class="nowrap">{src.lastPollAt ? time(src.lastPollAt) : 'never'}</td>
                  <td>{src.lastError ? <span class="tag bad">{shown(src.lastError)}</span> : <span class="tag ok">ok</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
