import type { ApiEvent } from '../core/event.js';
import type { AwsApiCallAction, FindingAction, FindingResource, RemoteIpDetails, S3BucketDetail } from '../core/finding.js';
import { formatIp } from '../core/ip.js';
import type { DetectContext, Hit } from './types.js';

/** EC2 instance ids: `i-` and 8 or 17 hex digits (anonymised logs mix the case). */
export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/i;

/** S3 object-level (data plane) APIs, used when a record predates `eventCategory`. */
export const S3_DATA_APIS: ReadonlySet<string> = new Set([
  'AbortMultipartUpload',
  'CompleteMultipartUpload',
  'CopyObject',
  'CreateMultipartUpload',
  'DeleteObject',
  'DeleteObjects',
  'DeleteObjectTagging',
  'GetObject',
  'GetObjectAcl',
  'GetObjectAttributes',
  'GetObjectLegalHold',
  'GetObjectRetention',
  'GetObjectTagging',
  'GetObjectTorrent',
  'HeadObject',
  'ListMultipartUploads',
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
  'ListParts',
  'PutObject',
  'PutObjectAcl',
  'PutObjectLegalHold',
  'PutObjectRetention',
  'PutObjectTagging',
  'RestoreObject',
  'SelectObjectContent',
  'UploadPart',
  'UploadPartCopy',
]);

/** S3 data APIs that only discover (list, or read metadata); the others read, write or delete data. */
export const S3_DISCOVERY_APIS: ReadonlySet<string> = new Set([
  'GetObjectAcl',
  'GetObjectAttributes',
  'GetObjectLegalHold',
  'GetObjectRetention',
  'GetObjectTagging',
  'HeadObject',
  'ListMultipartUploads',
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
  'ListParts',
]);

export function isS3DataEvent(e: ApiEvent): boolean {
  if (e.source !== 's3.amazonaws.com') return false;
  if (e.category === 'Data') return true;
  return e.record.eventCategory === undefined && S3_DATA_APIS.has(e.name);
}

/**
 * True when an AWS service made the call for the principal (`invokedBy` names a service). The console's sign-in
 * service is not counted: console calls carry the person's own address and are the person's doing.
 */
export function madeByAwsService(e: ApiEvent): boolean {
  if (e.principal.type === 'AWSService') return true;
  const by = e.principal.invokedBy;
  return by !== '' && by !== 'signin.amazonaws.com';
}

/** The credential (or, without one, the principal) an event was made with: the usual aggregation key. */
export function credentialKey(e: ApiEvent): string {
  return e.principal.accessKeyId || e.principal.principalId || e.principal.arn || e.principal.type || 'unknown';
}

export function accessKeyResource(e: ApiEvent): FindingResource {
  return {
    resourceType: 'AccessKey',
    accessKeyDetails: {
      accessKeyId: e.principal.accessKeyId,
      principalId: e.principal.principalId,
      userName: e.principal.userName,
      userType: e.principal.type || 'Unknown',
    },
  };
}

export function remoteIpDetails(e: ApiEvent): RemoteIpDetails | undefined {
  if (!e.ip) return undefined;
  return e.ip.v === 4 ? { ipAddressV4: formatIp(e.ip) } : { ipAddressV6: formatIp(e.ip) };
}

/** `service.action` for an API call, as GuardDuty fills it. */
export function apiCallAction(e: ApiEvent, extra: Partial<AwsApiCallAction> = {}): FindingAction {
  const action: AwsApiCallAction = {
    api: e.name,
    serviceName: e.source,
    callerType: e.ip ? 'Remote IP' : e.sourceKind === 'service' ? 'AWS Service' : 'Domain',
    ...(e.errorCode ? { errorCode: e.errorCode } : {}),
    ...(e.userAgent ? { userAgent: e.userAgent } : {}),
    ...(e.ip ? { remoteIpDetails: remoteIpDetails(e) } : e.sourceText ? { domainDetails: { domain: e.sourceText } } : {}),
    affectedResources: {},
    ...extra,
  };
  return { actionType: 'AWS_API_CALL', awsApiCallAction: action };
}

/** The bucket an S3 call names (`requestParameters.bucketName`), if any. */
export function bucketName(e: ApiEvent): string | undefined {
  const rp = e.record.requestParameters;
  const b = rp && typeof rp === 'object' ? (rp as Record<string, unknown>).bucketName : undefined;
  return typeof b === 'string' && b.length > 0 && b.length <= 255 ? b : undefined;
}

export function s3BucketDetails(e: ApiEvent, bucket: string, extra: Partial<S3BucketDetail> = {}): S3BucketDetail {
  return { arn: `arn:${e.partition}:s3:::${bucket}`, name: bucket, type: 'Destination', ...extra };
}

/** A resource block for an S3 finding: the bucket, plus the caller's access key. */
export function s3Resource(e: ApiEvent, bucket: string, extra: Partial<S3BucketDetail> = {}): FindingResource {
  return { ...accessKeyResource(e), resourceType: 'S3Bucket', s3BucketDetails: [s3BucketDetails(e, bucket, extra)] };
}

/** Who did it, in words, for descriptions. */
export function actorText(e: ApiEvent): string {
  const p = e.principal;
  switch (p.type) {
    case 'IAMUser':
      return `IAM user ${p.userName}`;
    case 'AssumedRole':
      return `assumed role ${p.userName} (session ${p.sessionName})`;
    case 'Root':
      return 'the root user';
    case 'FederatedUser':
      return `federated user ${p.userName}`;
    default:
      return p.arn || p.type || 'an unknown principal';
  }
}

/** The fields every hit built from one event shares. */
export function hitBase(e: ApiEvent): Pick<Hit, 'account' | 'region' | 'partition' | 'time' | 'eventId'> {
  return { account: e.account, region: e.region, partition: e.partition, time: e.time, eventId: e.id };
}

/** Threat lists that hold the event's source address (cached on the event: several detectors ask). */
export function threatListsOf(e: ApiEvent, ctx: DetectContext): string[] | undefined {
  if (e.threatLists === undefined) e.threatLists = e.ip ? (ctx.intel.threat(e.ip) ?? null) : null;
  return e.threatLists ?? undefined;
}

/** `service.evidence` and `additionalInfo` for a threat-list finding. */
export function threatEvidence(names: string[]): Pick<Hit, 'threatListNames' | 'additionalInfo'> {
  return { threatListNames: names, additionalInfo: { threatListName: names[0], threatListNames: names } };
}
