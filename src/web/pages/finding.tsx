import type { Child } from 'hono/jsx';
import type { RemediationOption } from '../../api/services.js';
import type { Finding, RemoteIpDetails } from '../../core/finding.js';
import type { AuditEntry } from '../../targets/remediation/audit.js';
import { Breakable, Csrf, Facts, href, Panel, prettyJson, Sev, seg, shown, Table, time } from '../layout.js';

/** Which principal the "what else did it do" links ask about: the access key (exactly these credentials) first. */
export function principalOf(f: Finding): { who: string; label: string }[] {
  const k = f.resource.accessKeyDetails;
  const out: { who: string; label: string }[] = [];
  if (k?.accessKeyId) out.push({ who: k.accessKeyId, label: `access key ${k.accessKeyId}` });
  if (k?.userName)
    out.push({
      who: k.userName,
      label: `${k.userType === 'AssumedRole' ? 'role' : k.userType === 'Root' ? 'root' : 'user'} ${k.userName} (all its keys and sessions)`,
    });
  return out;
}

function remoteAddress(r: RemoteIpDetails | undefined): string | undefined {
  return r?.ipAddressV4 ?? r?.ipAddressV6;
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export interface FindingViewProps {
  finding: Finding;
  options: RemediationOption[];
  history: AuditEntry[];
  canRespond: boolean;
  csrf: string;
}

export function FindingView(p: FindingViewProps) {
  const f = p.finding;
  const r = f.resource;
  const k = r.accessKeyDetails;
  const action = f.service.action;
  const api = action.awsApiCallAction;
  const loose = action as unknown as Record<string, unknown>;
  const network = action.networkConnectionAction;
  const dns = loose.dnsRequestAction;
  const portProbe = loose.portProbeAction;
  const remote = api?.remoteIpDetails ?? network?.remoteIpDetails;
  const addr = remoteAddress(remote);
  const info = f.service.additionalInfo ?? { value: '{}', type: 'default' };
  const { value: _value, type: _type, containment, ...otherInfo } = info as Record<string, unknown>;
  const threatListName = str(info.threatListName);
  const evidence = f.service.evidence?.threatIntelligenceDetails ?? [];
  const lastSeen = f.service.eventLastSeen;
  const principals = principalOf(f);
  const archived = f.service.archived;

  return (
    <>
      <p class="muted">
        <a href="/findings">Findings</a> ›
      </p>
      <h1>
        <Breakable text={f.type} />
      </h1>
      <div class="actions">
        <Sev severity={f.severity} />
        {archived ? <span class="tag">archived</span> : <span class="tag ok">current</span>}
        {p.canRespond ? (
          <form method="post" action={`/findings/${seg(f.id)}/${archived ? 'unarchive' : 'archive'}`} class="inline">
            <Csrf token={p.csrf} />
            <button type="submit" name="go" value="1">
              {archived ? 'Unarchive' : 'Archive'}
            </button>
          </form>
        ) : null}
      </div>

      <Panel title="What happened">
        <p>
          <strong>{shown(f.title)}</strong>
        </p>
        <p>{shown(f.description)}</p>
        <Facts
          rows={[
            ['Finding ID', f.id],
            ['Account', f.accountId],
            ['Region', f.region],
            ['ARN', f.arn],
          ]}
        />
      </Panel>

      <div class="grid">
        <Panel title="Resource affected">
          <Facts
            rows={[
              ['Resource type', r.resourceType],
              ['Resource role', f.service.resourceRole],
              ['Access key ID', k?.accessKeyId],
              ['Principal ID', k?.principalId],
              ['User name', k?.userName],
              ['User type', k?.userType],
              ['Instance ID', r.instanceDetails?.instanceId],
            ]}
          />
          {r.s3BucketDetails?.length ? (
            <>
              <h3>S3 buckets</h3>
              <ul>
                {r.s3BucketDetails.map((b) => (
                  <li>
                    <span class="mono">{shown(b.name)}</span>
                    {` (${shown(b.type)})`}
                    {b.publicAccess?.effectivePermission ? ` · effective permission ${b.publicAccess.effectivePermission}` : ''}
                    <div class="muted mono">{shown(b.arn)}</div>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </Panel>

        <Panel title="When">
          <Facts
            rows={[
              ['First seen', time(f.service.eventFirstSeen)],
              ['Last seen', time(lastSeen)],
              ['Count', String(f.service.count)],
              ['Created', time(f.createdAt)],
              ['Updated', time(f.updatedAt)],
            ]}
          />
        </Panel>

        <Panel title="Action">
          <Facts
            rows={[
              ['Action type', action.actionType],
              ['API', api?.api],
              ['Service name', api?.serviceName],
              ['Caller type', api?.callerType],
              ['Error code', api?.errorCode],
              ['User agent', api?.userAgent],
              ['Domain', api?.domainDetails?.domain],
              [
                'Remote account',
                api?.remoteAccountDetails ? `${api.remoteAccountDetails.accountId}${api.remoteAccountDetails.affiliated ? ' (affiliated)' : ''}` : undefined,
              ],
            ]}
          />
          {api?.affectedResources && Object.keys(api.affectedResources).length > 0 ? (
            <>
              <h3>Affected resources</h3>
              <Facts rows={Object.entries(api.affectedResources).map(([key, v]) => [key, shown(v)] as [string, string])} />
            </>
          ) : null}
          {network ? (
            <>
              <h3>Network connection</h3>
              <Facts
                rows={[
                  ['Direction', network.connectionDirection],
                  ['Protocol', network.protocol],
                  ['Blocked', network.blocked ? 'yes (rejected)' : 'no (accepted)'],
                  ['Local address', remoteAddress(network.localIpDetails)],
                  ['Local port', portText(network.localPortDetails)],
                  ['Remote port', portText(network.remotePortDetails)],
                ]}
              />
            </>
          ) : null}
          {dns ? <Extra title="DNS request" value={dns} /> : null}
          {portProbe ? <Extra title="Port probe" value={portProbe} /> : null}
        </Panel>

        <Panel title="Actor">
          <Facts
            rows={[
              ['Remote IP', addr],
              ['Organisation', remote?.organization?.org ?? remote?.organization?.asnOrg],
              ['ISP', remote?.organization?.isp],
              ['ASN', remote?.organization?.asn],
              ['Country', remote?.country?.countryName ?? remote?.country?.countryCode],
              ['City', remote?.city?.cityName],
              ['Threat list', threatListName],
            ]}
          />
          {!addr && !threatListName ? <p class="muted">No remote address in this finding.</p> : null}
        </Panel>
      </div>

      <Panel title="Investigate">
        <p class="muted">{`The windows end at the finding's last activity (${time(lastSeen)}); on the activity page you can move them or end them now.`}</p>
        <ul>
          {principals.map((pr) => (
            <li>
              {'Everything '}
              {shown(pr.label)}
              {' did in the '}
              <a href={href('/principal', { who: pr.who, window: '1h', at: lastSeen })}>last hour</a>
              {' / '}
              <a href={href('/principal', { who: pr.who, window: '1d', at: lastSeen })}>last day</a>
            </li>
          ))}
          {addr ? (
            <li>
              {'Everything from '}
              <span class="mono">{shown(addr)}</span>
              {' in the '}
              <a href={href('/principal', { address: addr, window: '1h', at: lastSeen })}>last hour</a>
              {' / '}
              <a href={href('/principal', { address: addr, window: '1d', at: lastSeen })}>last day</a>
            </li>
          ) : null}
          {k?.accessKeyId ? (
            <li>
              <a href={href('/findings', { resource: k.accessKeyId, archived: 'all' })}>Other findings about this access key</a>
            </li>
          ) : null}
        </ul>
      </Panel>

      {evidence.length > 0 ? (
        <Panel title="Evidence">
          <Table
            rows={evidence}
            head={['Threat list', 'Threat names', 'File SHA-256']}
            row={(e) => (
              <tr>
                <td>{shown(e.threatListName)}</td>
                <td>{shown((e.threatNames ?? []).join(', '))}</td>
                <td class="mono wrap-any">{shown(e.threatFileSha256 ?? '')}</td>
              </tr>
            )}
          />
        </Panel>
      ) : null}

      {containment ? <Containment value={containment} /> : null}

      {Object.keys(otherInfo).length > 0 ? (
        <Panel title="Additional information">
          <pre>{prettyJson(otherInfo)}</pre>
        </Panel>
      ) : null}

      <Panel title="Response">
        {p.options.length === 0 ? <p class="muted">No remediation target is configured.</p> : null}
        <table>
          <tbody>
            {p.options.map((o) => (
              <tr>
                <td>
                  <strong>{shown(o.target)}</strong>
                  <div class="muted">{`${o.playbook} · ${o.mode === 'execute' ? 'can execute' : 'dry run only'}`}</div>
                </td>
                <td>
                  {!o.applicable ? (
                    <span class="muted">{`Not applicable${o.reason ? `: ${shown(o.reason)}` : ''}`}</span>
                  ) : p.canRespond ? (
                    <form method="post" action={`/findings/${seg(f.id)}/plan`} class="inline">
                      <Csrf token={p.csrf} />
                      <input type="hidden" name="target" value={o.target} />
                      <button type="submit">Plan (dry run)</button>
                    </form>
                  ) : (
                    <span class="muted">Responders can plan and run this.</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {p.history.length > 0 ? (
          <>
            <h3>History</h3>
            <ul>
              {p.history.slice(0, 10).map((e) => (
                <li>
                  <a href={`${href('/audit', { finding: f.id })}#audit-${e.seq}`}>{`#${e.seq}`}</a>
                  {` ${time(e.at)} · ${e.action} · ${e.playbook} · ${e.mode} · ${e.status} · `}
                  {shown(e.target)}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </Panel>

      <section class="panel">
        <details>
          <summary>Raw finding (JSON)</summary>
          <pre>{prettyJson(f)}</pre>
        </details>
      </section>
    </>
  );
}

function Extra(p: { title: string; value: unknown }): Child {
  return (
    <>
      <h3>{p.title}</h3>
      <pre>{prettyJson(p.value)}</pre>
    </>
  );
}

function Containment(p: { value: unknown }) {
  const c = (p.value ?? {}) as Record<string, unknown>;
  const status = str(c.status) ?? 'unknown';
  return (
    <Panel title="Containment">
      <p>
        <span class={`tag ${status === 'contained' ? 'ok' : status === 'failed' ? 'bad' : ''}`}>{shown(status)}</span>
        {status === 'contained'
          ? ' Calls with these credentials after the remediation were denied.'
          : status === 'failed'
            ? ' A call with these credentials succeeded after the remediation.'
            : ' Watching for calls with these credentials since the remediation.'}
      </p>
      <Facts
        rows={[
          ['Remediation', str(c.remediation)],
          ['Remediated at', time(str(c.remediatedAt))],
          ['Decided at', time(str(c.decidedAt))],
          ['Evidence event', str(c.evidenceEventId)],
          ['Denied calls', str(c.deniedCalls)],
        ]}
      />
    </Panel>
  );
}

function portText(p: { port: number; portName: string } | undefined): string | undefined {
  if (!p) return undefined;
  return p.portName && p.portName !== 'Unknown' ? `${p.port} (${p.portName})` : String(p.port);
}
