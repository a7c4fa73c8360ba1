import pc from 'picocolors';
import type { Finding } from '../core/finding.js';
import { severityLabel } from '../core/finding.js';
import { safeText } from '../core/text.js';
import type { StoredEvent } from '../findings/store.js';

/** Colours on or off for one output, whatever picocolors guessed from the process's own streams. */
function palette(colour: boolean) {
  return pc.createColors(colour);
}

function severityColour(colour: boolean, label: ReturnType<typeof severityLabel>): (s: string) => string {
  const c = palette(colour);
  return { Critical: c.magenta, High: c.red, Medium: c.yellow, Low: c.blue }[label];
}

/** A fixed-width table; `widths` caps each column, content is escaped. */
export function table(headers: string[], rows: string[][], colour: boolean, paint?: (row: number, col: number, text: string) => string): string {
  const cells = rows.map((r) => r.map((c) => safeText(c, 80)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[], rowIndex: number) =>
    r
      .map((c, i) => {
        const padded = c.padEnd(widths[i] ?? 0);
        return colour && paint && rowIndex >= 0 ? paint(rowIndex, i, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const head = line(headers, -1);
  return [palette(colour).bold(head), ...cells.map((r, i) => line(r, i))].join('\n');
}

function resourceOf(f: Finding): string {
  const r = f.resource;
  if (r.s3BucketDetails?.[0]) return `bucket ${r.s3BucketDetails[0].name}`;
  if (r.instanceDetails?.instanceId && r.accessKeyDetails)
    return `${r.accessKeyDetails.userName} (${r.instanceDetails.instanceId}) ${r.accessKeyDetails.accessKeyId}`;
  if (r.accessKeyDetails) return `${r.accessKeyDetails.userType} ${r.accessKeyDetails.userName} ${r.accessKeyDetails.accessKeyId}`.trim();
  if (r.instanceDetails) {
    const eni = (r.instanceDetails.networkInterfaces as Array<{ networkInterfaceId?: string }> | undefined)?.[0]?.networkInterfaceId;
    return `instance ${r.instanceDetails.instanceId || '(unknown)'}${eni ? ` ${eni}` : ''}`;
  }
  return r.resourceType;
}

/** The API of an API call; for a network connection its direction, protocol and remote port. */
function actionOf(f: Finding): string {
  const a = f.service.action;
  if (a.awsApiCallAction) return a.awsApiCallAction.api;
  const n = a.networkConnectionAction;
  if (n) return `${n.connectionDirection} ${n.protocol}${n.remotePortDetails?.port ? `/${n.remotePortDetails.port}` : ''}${n.blocked ? ' (blocked)' : ''}`;
  return a.dnsRequestAction?.domain ?? '';
}

function remoteOf(f: Finding): string {
  const a = f.service.action.awsApiCallAction;
  const n = f.service.action.networkConnectionAction?.remoteIpDetails;
  return a?.remoteIpDetails?.ipAddressV4 ?? a?.remoteIpDetails?.ipAddressV6 ?? a?.domainDetails?.domain ?? n?.ipAddressV4 ?? n?.ipAddressV6 ?? '';
}

export function findingsTable(findings: Finding[], colour: boolean): string {
  if (findings.length === 0) return 'No findings.';
  const rows = findings.map((f) => [
    `${severityLabel(f.severity)} ${f.severity}`,
    f.type,
    resourceOf(f),
    actionOf(f),
    remoteOf(f),
    String(f.service.count),
    f.service.eventFirstSeen.replace('.000Z', 'Z'),
    f.service.eventLastSeen.replace('.000Z', 'Z'),
  ]);
  return table(['SEVERITY', 'TYPE', 'RESOURCE', 'LAST ACTION', 'REMOTE', 'COUNT', 'FIRST SEEN', 'LAST SEEN'], rows, colour, (row, col, text) => {
    if (col !== 0) return text;
    const f = findings[row] as Finding;
    return severityColour(colour, severityLabel(f.severity))(text);
  });
}

export function eventsTable(events: StoredEvent[], colour: boolean): string {
  if (events.length === 0) return 'No events.';
  const rows = events.map((e) => [
    e.time.replace('.000Z', 'Z'),
    e.service.replace('.amazonaws.com', ''),
    e.api,
    e.sourceAddress,
    e.errorCode ?? '',
    e.principalArn || e.userName,
    e.userAgent,
  ]);
  return table(['TIME', 'SERVICE', 'API', 'SOURCE', 'ERROR', 'PRINCIPAL', 'USER AGENT'], rows, colour, (_row, col, text) =>
    col === 4 && text.trim() ? palette(colour).red(text) : text,
  );
}

export { safeText };
