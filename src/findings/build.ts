import { createHash } from 'node:crypto';
import { isoMillis } from '../core/clock.js';
import type { Finding, FindingAction, RemoteIpDetails } from '../core/finding.js';
import type { Hit } from '../detectors/types.js';

/**
 * One security issue's running aggregate: the latest event's details (by event time, then event id, so the
 * result does not depend on the order events arrive in), how many events, and the first and last event time.
 */
export interface Aggregate {
  id: string;
  hit: Hit;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** 32 lower-case hex characters, like GuardDuty's ids, derived from the aggregation key: stable across runs. */
export function findingId(hit: Pick<Hit, 'type' | 'account' | 'region' | 'key'>): string {
  return createHash('sha256')
    .update(JSON.stringify([hit.type, hit.account, hit.region, ...hit.key]))
    .digest('hex')
    .slice(0, 32);
}

/** A detector id per account and region, as GuardDuty has one detector per account and region. */
export function detectorId(account: string, region: string): string {
  return createHash('sha256').update(`trailhound-detector|${account}|${region}`).digest('hex').slice(0, 32);
}

/** The sort key that decides which event's details a finding shows: later event time, then larger event id. */
export function latestKey(hit: Pick<Hit, 'time' | 'eventId'>): string {
  return `${String(hit.time).padStart(15, '0')}|${hit.eventId}`;
}

export function aggregateOf(hit: Hit): Aggregate {
  return { id: findingId(hit), hit, count: hit.count ?? 1, firstSeen: hit.firstSeen ?? hit.time, lastSeen: hit.time };
}

/** Merges `b` into `a` (commutative and associative: any order of events gives the same result). */
export function mergeAggregate(a: Aggregate, b: Aggregate): Aggregate {
  return {
    id: a.id,
    hit: latestKey(b.hit) > latestKey(a.hit) ? b.hit : a.hit,
    count: a.count + b.count,
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    lastSeen: Math.max(a.lastSeen, b.lastSeen),
  };
}

/** The finding body without the aggregate fields (count, first/last seen, archived, created/updated). */
export type FindingBody = Omit<Finding, 'createdAt' | 'updatedAt' | 'service'> & {
  service: Omit<Finding['service'], 'count' | 'eventFirstSeen' | 'eventLastSeen' | 'archived'>;
};

/** What fills in a finding's `remoteIpDetails` (organisation, country, ...) from its address; see intel/enrich.ts. */
export type EnrichRemote = (details: RemoteIpDetails) => RemoteIpDetails;

/** GuardDuty's `service.featureName`: the data source a finding came from. */
function featureName(action: FindingAction): string {
  if (action.actionType === 'NETWORK_CONNECTION' || action.actionType === 'PORT_PROBE') return 'FlowLogs';
  if (action.actionType === 'DNS_REQUEST') return 'DnsLogs';
  return 'CloudTrail';
}

function enrichAction(action: FindingAction, enrich: EnrichRemote | undefined): FindingAction {
  if (!enrich) return action;
  const api = action.awsApiCallAction;
  const net = action.networkConnectionAction;
  return {
    ...action,
    ...(api?.remoteIpDetails ? { awsApiCallAction: { ...api, remoteIpDetails: enrich(api.remoteIpDetails) } } : {}),
    ...(net?.remoteIpDetails ? { networkConnectionAction: { ...net, remoteIpDetails: enrich(net.remoteIpDetails) } } : {}),
  };
}

export function findingBody(id: string, hit: Hit, threatFileSha256?: (list: string) => string | undefined, enrich?: EnrichRemote): FindingBody {
  const detector = detectorId(hit.account, hit.region);
  const lists = hit.threatListNames;
  const additional = hit.additionalInfo ?? {};
  return {
    schemaVersion: '2.0',
    accountId: hit.account,
    region: hit.region,
    partition: hit.partition,
    id,
    arn: `arn:${hit.partition}:guardduty:${hit.region}:${hit.account}:detector/${detector}/finding/${id}`,
    type: hit.type,
    resource: hit.resource,
    service: {
      serviceName: 'guardduty',
      detectorId: detector,
      action: enrichAction(hit.action, enrich),
      ...(lists
        ? {
            evidence: {
              threatIntelligenceDetails: lists.map((name) => {
                const sha = threatFileSha256?.(name);
                return { threatListName: name, threatNames: [], ...(sha ? { threatFileSha256: sha } : {}) };
              }),
            },
          }
        : {}),
      resourceRole: hit.resourceRole,
      additionalInfo: { ...additional, value: JSON.stringify(additional), type: 'default' },
      featureName: featureName(hit.action),
    },
    severity: hit.severity,
    title: hit.title,
    description: hit.description,
  };
}

/** Puts the aggregate fields back into a stored body. */
export function composeFinding(
  body: FindingBody,
  agg: { count: number; firstSeen: number; lastSeen: number; createdAt: number; updatedAt: number; archived: boolean },
): Finding {
  return {
    ...body,
    service: {
      ...body.service,
      eventFirstSeen: isoMillis(agg.firstSeen),
      eventLastSeen: isoMillis(agg.lastSeen),
      archived: agg.archived,
      count: agg.count,
    },
    createdAt: isoMillis(agg.createdAt),
    updatedAt: isoMillis(agg.updatedAt),
  } as Finding;
}
