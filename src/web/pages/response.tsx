import type { AuditRecord, RemediationOption } from '../../api/services.js';
import type { CallRecord } from '../../targets/remediation/executor.js';
import type { RemediationResult } from '../../targets/remediation/remediator.js';
import { Breakable, Csrf, Facts, FindingLink, href, prettyJson, seg, shown, Table, time } from '../layout.js';

function Calls(p: { calls: CallRecord[]; planned: boolean }) {
  return (
    <Table
      rows={p.calls}
      empty={<p class="muted">No API calls.</p>}
      head={['#', 'Call', 'Parameters', p.planned ? 'Sent' : 'Result']}
      row={(call, i) => (
        <tr>
          <td class="num">{String(i + 1)}</td>
          <td class="mono nowrap">{`${call.service}:${shown(call.command)}`}</td>
          <td>
            <pre>{prettyJson(call.input)}</pre>
          </td>
          <td>
            {call.error ? <span class="tag bad">{shown(call.error)}</span> : call.sent ? <span class="tag ok">sent</span> : <span class="tag">not sent</span>}
          </td>
        </tr>
      )}
    />
  );
}

function statusTag(status: string) {
  const cls = status === 'succeeded' ? 'tag ok' : status === 'failed' || status === 'refused' ? 'tag bad' : 'tag';
  return <span class={cls}>{status}</span>;
}

/** The dry run's plan, and the confirmation form when the target may execute. */
export function PlanView(p: { findingId: string; option: RemediationOption | undefined; result: RemediationResult; canRespond: boolean; csrf: string }) {
  const r = p.result;
  const executable = p.option?.mode === 'execute' && r.status === 'planned';
  return (
    <>
      <p class="muted">
        <a href={`/findings/${seg(p.findingId)}`}>Finding</a> ›
      </p>
      <h1>{`Plan: ${r.playbook} on ${shown(r.target || '(nothing)')}`}</h1>
      <section class="panel">
        <Facts
          rows={[
            ['Status', statusTag(r.status)],
            ['Target (what would be touched)', r.target],
            ['Remediation target', p.option?.target],
            ['Playbook', r.playbook],
            ['Reason', r.reason],
            ['Audit entry', <a href={`${href('/audit', { finding: r.findingId })}#audit-${r.auditSeq}`}>{`#${r.auditSeq}`}</a>],
          ]}
        />
        {r.notes.length > 0 ? (
          <>
            <h3>Notes</h3>
            <ul>
              {r.notes.map((n) => (
                <li>{shown(n)}</li>
              ))}
            </ul>
          </>
        ) : null}
        {r.error ? <div class="error">{shown(r.error)}</div> : null}
      </section>
      <h2>Planned calls</h2>
      <Calls calls={r.calls} planned />
      <section class="panel">
        {executable && p.canRespond ? (
          <form method="post" action={`/findings/${seg(p.findingId)}/execute`} data-confirm="Execute these calls against AWS now?">
            <Csrf token={p.csrf} />
            <input type="hidden" name="target" value={p.option?.target ?? ''} />
            <p>Executing sends the calls above to AWS and records them in the audit log.</p>
            <button type="submit" class="primary">
              Confirm and execute
            </button>
          </form>
        ) : r.status !== 'planned' ? (
          <p>Nothing to execute: the plan was not made ({r.status}).</p>
        ) : (
          <p>
            {`The target ${shown(p.option?.target ?? r.target)} is configured in dry-run mode: it only plans, and nothing can be executed from here. `}
            Set its mode to execute in the configuration to allow execution.
          </p>
        )}
      </section>
    </>
  );
}

/** What an execution or a rollback came to. */
export function ResultView(p: { result: RemediationResult; canRespond: boolean; csrf: string }) {
  const r = p.result;
  return (
    <>
      <p class="muted">
        <a href={`/findings/${seg(r.findingId)}`}>Finding</a> ›
      </p>
      <h1>{`${r.action === 'rollback' ? 'Rollback' : 'Remediation'}: ${r.playbook} (${r.mode})`}</h1>
      <section class="panel">
        <Facts
          rows={[
            ['Status', statusTag(r.status)],
            ['Target', r.target],
            ['Reason', r.reason],
            ['Notification', r.notification],
            ['Audit entry', <a href={`${href('/audit', { finding: r.findingId })}#audit-${r.auditSeq}`}>{`#${r.auditSeq}`}</a>],
          ]}
        />
        {r.error ? <div class="error">{shown(r.error)}</div> : null}
        {r.notes.length > 0 ? (
          <ul>
            {r.notes.map((n) => (
              <li>{shown(n)}</li>
            ))}
          </ul>
        ) : null}
      </section>
      <h2>Calls</h2>
      <Calls calls={r.calls} planned={r.mode === 'dry-run'} />
      {p.canRespond && r.action === 'remediate' && r.status === 'succeeded' ? <RollbackForm seq={r.auditSeq} csrf={p.csrf} /> : null}
    </>
  );
}

export function RollbackForm(p: { seq: number; csrf: string }) {
  return (
    <form method="post" action={`/audit/${p.seq}/rollback`} class="actions" data-confirm="Roll this remediation back?">
      <Csrf token={p.csrf} />
      <label>
        {'Roll back '}
        <select name="mode">
          <option value="dry-run" selected>
            as a dry run
          </option>
          <option value="execute">for real (execute)</option>
        </select>
      </label>
      <button type="submit" class="danger">
        Roll back
      </button>
    </form>
  );
}

export function AuditView(p: { entries: AuditRecord[]; findingId?: string | undefined; canRespond: boolean; csrf: string }) {
  return (
    <>
      <h1>Remediation audit log</h1>
      <p class="muted">
        {p.findingId ? (
          <>
            {'For finding '}
            <a href={`/findings/${seg(p.findingId)}`}>{shown(p.findingId)}</a>
            {' · '}
            <a href="/audit">all entries</a>
          </>
        ) : (
          'Every planned, executed, refused and rolled back remediation, newest first. The log is append-only.'
        )}
      </p>
      <Table
        rows={p.entries}
        empty={<p class="panel muted">No entries.</p>}
        head={['#', 'When', 'What', 'Status', 'Target', 'Finding', 'Details']}
        row={(e) => (
          <tr id={`audit-${e.seq}`}>
            <td class="num">{String(e.seq)}</td>
            <td class="nowrap">{time(e.at)}</td>
            <td>
              {`${e.action} · ${shown(e.playbook)}`}
              <div class="muted">{e.mode}</div>
              {e.requestedBy ? <div class="muted">{`asked by ${e.requestedBy}`}</div> : null}
              {e.rollsBack !== null ? <div class="muted">{`rolls back #${e.rollsBack}`}</div> : null}
            </td>
            <td>{statusTag(e.status)}</td>
            <td class="mono">
              <Breakable text={e.target} />
            </td>
            <td>
              <FindingLink id={e.findingId} type={e.findingType} />
              <div class="muted">{`${shown(e.accountId)} ${shown(e.region)}`}</div>
            </td>
            <td>
              <div>{shown(e.reason)}</div>
              {e.result.error ? <div class="error">{shown(e.result.error)}</div> : null}
              {e.result.notification ? <div>{shown(e.result.notification)}</div> : null}
              {e.result.notes.length > 0 ? <div class="muted">{shown(e.result.notes.join(' · '))}</div> : null}
              <details>
                <summary>{`${e.calls.length} call${e.calls.length === 1 ? '' : 's'}`}</summary>
                <Calls calls={e.calls} planned={e.mode === 'dry-run'} />
              </details>
              {p.canRespond && e.action === 'remediate' && e.status === 'succeeded' ? <RollbackForm seq={e.seq} csrf={p.csrf} /> : null}
            </td>
          </tr>
        )}
      />
    </>
  );
}
