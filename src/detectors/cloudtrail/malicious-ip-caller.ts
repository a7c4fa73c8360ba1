import type { ApiEvent } from '../../core/event.js';
import { formatIp } from '../../core/ip.js';
import type { ApiCategory } from '../api-classification.js';
import {
  accessKeyResource,
  actorText,
  apiCallAction,
  bucketName,
  credentialKey,
  hitBase,
  isS3DataEvent,
  madeByAwsService,
  S3_DISCOVERY_APIS,
  s3Resource,
  threatEvidence,
  threatListsOf,
} from '../common.js';
import type { DetectContext, Hit } from '../types.js';

/**
 * Shared logic of the four `MaliciousIPCaller.Custom` detectors: an API call (successful or denied) from an
 * address on a custom threat list. Which of the four applies depends on the call:
 * management events split into Recon / UnauthorizedAccess by the API classification table, S3 data events
 * into Discovery (list / metadata) / UnauthorizedAccess (read, write, delete).
 * Calls made by AWS services (`AWSService`, or `invokedBy` naming a service other than the console's sign-in)
 * are never attributed to the caller.
 */
export type ThreatCallKind = 'iam-recon' | 'iam-unauthorized' | 's3-discovery' | 's3-unauthorized';

export function threatCallKind(e: ApiEvent, ctx: DetectContext): ThreatCallKind | undefined {
  if (madeByAwsService(e)) return undefined;
  if (isS3DataEvent(e)) return S3_DISCOVERY_APIS.has(e.name) ? 's3-discovery' : 's3-unauthorized';
  const category: ApiCategory = ctx.classifier.classify(e.source, e.name, e.readOnly, e.record.requestParameters);
  return category === 'recon' ? 'iam-recon' : 'iam-unauthorized';
}

export function iamThreatHit(e: ApiEvent, ctx: DetectContext, kind: ThreatCallKind, type: string, severity: number): Hit | undefined {
  const lists = threatListsOf(e, ctx);
  if (!lists || !e.ip || threatCallKind(e, ctx) !== kind) return undefined;
  const address = formatIp(e.ip);
  const listText = lists.join(', ');
  const recon = kind === 'iam-recon';
  return {
    type,
    severity,
    ...hitBase(e),
    key: [credentialKey(e), address],
    resource: accessKeyResource(e),
    action: apiCallAction(e),
    resourceRole: 'TARGET',
    ...threatEvidence(lists),
    title: recon
      ? `Reconnaissance API ${e.name} was invoked from an IP address on a custom threat list.`
      : `API ${e.name} was invoked from an IP address on a custom threat list.`,
    description: recon
      ? `API ${e.name}, commonly used in reconnaissance attacks, was invoked from IP address ${address} on the custom threat list ${listText} by ${actorText(e)}.`
      : `API ${e.name}, commonly used to access resources, was invoked from IP address ${address} on the custom threat list ${listText} by ${actorText(e)}.`,
  };
}

export function s3ThreatHit(e: ApiEvent, ctx: DetectContext, kind: ThreatCallKind, type: string, severity: number): Hit | undefined {
  const lists = threatListsOf(e, ctx);
  if (!lists || !e.ip || threatCallKind(e, ctx) !== kind) return undefined;
  const address = formatIp(e.ip);
  const bucket = bucketName(e) ?? '';
  const discovery = kind === 's3-discovery';
  return {
    type,
    severity,
    ...hitBase(e),
    key: [bucket, address],
    resource: s3Resource(e, bucket),
    action: apiCallAction(e, bucket ? { affectedResources: { 'AWS::S3::Bucket': bucket } } : {}),
    resourceRole: 'TARGET',
    ...threatEvidence(lists),
    title: discovery
      ? `S3 API ${e.name} was invoked from an IP address on a custom threat list.`
      : `S3 API ${e.name} was invoked from an IP address on a custom threat list.`,
    description: `S3 API ${e.name}, ${discovery ? 'commonly used to discover objects in a bucket' : 'which reads, writes or deletes data'}, was invoked on bucket ${bucket || '(unknown)'} from IP address ${address} on the custom threat list ${lists.join(', ')} by ${actorText(e)}.`,
  };
}
