/**
 * The session-revocation policy. The IAM console's "Revoke active sessions" attaches an inline policy named
 * `AWSRevokeOlderSessions` that denies everything to credentials issued before a moment (IAM User Guide,
 * id_roles_use_revoke-sessions). Sessions issued afterwards are unaffected, so an instance that receives fresh
 * credentials from IMDS recovers by itself.
 */

/** The role policy name the IAM console uses; reusing it means a later revocation overwrites an earlier one. */
export const ROLE_REVOKE_POLICY_NAME = 'AWSRevokeOlderSessions';

/**
 * The user policy name Trailhound writes when it deactivates a key (users have no console "revoke sessions"; the
 * same deny on the user also kills session tokens minted from the key with GetSessionToken/GetFederationToken).
 */
export const USER_REVOKE_POLICY_NAME = 'TrailhoundRevokeOlderSessions';

/**
 * The cutoff written into the policy: ISO-8601 UTC with second precision and `Z`, as the console writes it, rounded
 * UP to the next whole second so that every session issued before "now" (including earlier in the same second) is
 * denied.
 */
export function tokenIssueCutoff(nowMs: number): string {
  const seconds = Math.ceil(nowMs / 1000) * 1000;
  return new Date(seconds).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The policy document object: deny `*` on `*` when `aws:TokenIssueTime` is before the cutoff. */
export function revokeOlderSessionsDocument(cutoff: string) {
  return {
    Version: '2012-10-17',
    Statement: {
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } },
    },
  } as const;
}

/** The document as sent to IAM (minified JSON). */
export function revokeOlderSessionsPolicy(cutoff: string): string {
  return JSON.stringify(revokeOlderSessionsDocument(cutoff));
}

/** IAM returns inline policy documents URL-encoded (RFC 3986); this gives the JSON text back. */
export function decodePolicyDocument(doc: string): string {
  try {
    return decodeURIComponent(doc);
  } catch {
    return doc;
  }
}

/** Whether two policy documents are the same JSON (whitespace and key order aside). */
export function samePolicy(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonical(JSON.parse(decodePolicyDocument(a))) === canonical(JSON.parse(decodePolicyDocument(b)));
  } catch {
    return a === b;
  }
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
