import type { ApiEvent } from '../../core/event.js';
import type { S3BucketDetail } from '../../core/finding.js';
import { accessKeyResource, actorText, apiCallAction, bucketName, credentialKey, hitBase, s3Resource } from '../common.js';
import type { Hit } from '../types.js';

/**
 * Helpers for the configuration-change detectors (S3 logging and public access, CloudTrail, password policy):
 * they fire only on calls that succeeded — a denied change changed nothing.
 */
export function succeeded(e: ApiEvent): boolean {
  return !e.errorCode;
}

export function requestParams(e: ApiEvent): Record<string, unknown> {
  const rp = e.record.requestParameters;
  return rp && typeof rp === 'object' && !Array.isArray(rp) ? (rp as Record<string, unknown>) : {};
}

export function bucketHit(
  e: ApiEvent,
  type: string,
  severity: number,
  title: string,
  description: (bucket: string) => string,
  detail: Partial<S3BucketDetail> = {},
  additionalInfo?: Record<string, unknown>,
): Hit | undefined {
  const bucket = bucketName(e);
  if (!bucket) return undefined;
  return {
    type,
    severity,
    ...hitBase(e),
    key: [bucket],
    resource: s3Resource(e, bucket, detail),
    action: apiCallAction(e, { affectedResources: { 'AWS::S3::Bucket': bucket } }),
    resourceRole: 'TARGET',
    title,
    description: `${description(bucket)} The change was made by ${actorText(e)}.`,
    ...(additionalInfo ? { additionalInfo } : {}),
  };
}

export function principalHit(
  e: ApiEvent,
  type: string,
  severity: number,
  title: string,
  description: string,
  affected: Record<string, string> = {},
  key: string[] = [credentialKey(e)],
): Hit {
  return {
    type,
    severity,
    ...hitBase(e),
    key,
    resource: accessKeyResource(e),
    action: apiCallAction(e, { affectedResources: affected }),
    resourceRole: 'TARGET',
    title,
    description,
  };
}

/** Reads a boolean S3 Block Public Access flag from a request, whatever the capitalisation CloudTrail used. */
export function bpaFlags(config: unknown): Record<string, boolean> | undefined {
  if (!config || typeof config !== 'object') return undefined;
  const out: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
    const key = k.charAt(0).toLowerCase() + k.slice(1);
    if (['blockPublicAcls', 'ignorePublicAcls', 'blockPublicPolicy', 'restrictPublicBuckets'].includes(key)) {
      out[key] = v === true || v === 'true';
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
