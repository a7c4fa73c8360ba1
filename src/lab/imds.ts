/**
 * The lab's instance metadata service, one per instance under `/_lab/imds/<instance-id>/` (unsigned, lab-only):
 * IMDSv2 session tokens (`PUT /latest/api/token`), then `GET /latest/meta-data/iam/security-credentials/` (the role
 * name) and `.../<role>` (the credentials document). Credentials come from `LabAccount.instanceCredentials`, which
 * also reports the AssumeRole record CloudTrail shows for EC2's delivery. No IMDSv1: a token is required.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type LabAccount, LabStateError } from './account.js';
import { isoSeconds } from './time.js';

export const IMDS_PREFIX = '/_lab/imds/';

export interface ImdsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class ImdsEndpoint {
  private readonly tokens = new Map<string, { instanceId: string; expires: number }>();

  constructor(
    private readonly account: LabAccount,
    private readonly clock: () => Date = () => account.now(),
  ) {}

  /** `path` is the request path after the prefix: `<instance-id>/latest/...`. */
  handle(method: string, path: string, headers: IncomingHttpHeaders): ImdsAnswer {
    const slash = path.indexOf('/');
    const instanceId = slash < 0 ? path : path.slice(0, slash);
    const rest = slash < 0 ? '' : path.slice(slash);
    if (!this.account.instances.has(instanceId)) return text(404, 'Not Found');
    const now = this.clock().getTime();
    if (rest === '/latest/api/token') {
      if (method !== 'PUT') return text(405, 'Method Not Allowed');
      const ttl = Number(headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return text(400, 'Bad Request');
      const token = randomBytes(40).toString('base64');
      this.prune(now);
      this.tokens.set(token, { instanceId, expires: now + ttl * 1000 });
      return { status: 200, headers: { 'content-type': 'text/plain', 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) }, body: token };
    }
    if (method !== 'GET' && method !== 'HEAD') return text(405, 'Method Not Allowed');
    const token = headers['x-aws-ec2-metadata-token'];
    const t = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (!t || t.instanceId !== instanceId || t.expires < now) return text(401, 'Unauthorized');

    if (rest === '/latest/meta-data/instance-id') return text(200, instanceId);
    const assoc = this.account.liveAssociation(instanceId);
    const profile = assoc ? this.account.instanceProfileByArn(assoc.profileArn) : undefined;
    const roleName = profile?.roles[0];
    if (rest === '/latest/meta-data/iam/info') {
      if (!profile) return text(404, 'Not Found');
      return json({ Code: 'Success', LastUpdated: isoSeconds(this.clock()), InstanceProfileArn: profile.arn, InstanceProfileId: profile.id });
    }
    if (rest === '/latest/meta-data/iam/security-credentials' || rest === '/latest/meta-data/iam/security-credentials/') {
      return roleName ? text(200, roleName) : text(404, 'Not Found');
    }
    const prefix = '/latest/meta-data/iam/security-credentials/';
    if (rest.startsWith(prefix)) {
      let asked: string;
      try {
        asked = decodeURIComponent(rest.slice(prefix.length)).replace(/\/$/, '');
      } catch {
        return text(404, 'Not Found'); // a malformed %-escape names no role
      }
      if (!roleName || asked !== roleName) return text(404, 'Not Found');
      try {
        const c = this.account.instanceCredentials(instanceId);
        return json({
          Code: 'Success',
          LastUpdated: isoSeconds(c.lastUpdated),
          Type: 'AWS-HMAC',
          AccessKeyId: c.accessKeyId,
          SecretAccessKey: c.secretAccessKey,
          Token: c.token,
          Expiration: isoSeconds(c.expiration),
        });
      } catch (err) {
        if (err instanceof LabStateError) return text(404, 'Not Found');
        throw err;
      }
    }
    return text(404, 'Not Found');
  }

  private prune(now: number): void {
    if (this.tokens.size < 1000) return;
    for (const [k, v] of this.tokens) if (v.expires < now) this.tokens.delete(k);
  }
}

function text(status: number, body: string): ImdsAnswer {
  return { status, headers: { 'content-type': 'text/plain' }, body };
}

function json(doc: Record<string, unknown>): ImdsAnswer {
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: JSON.stringify(doc, null, 2) };
}
