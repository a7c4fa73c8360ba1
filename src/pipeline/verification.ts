import type { ApiEvent } from '../core/event.js';
import { accessKeyResource, actorText, apiCallAction, credentialKey, hitBase } from '../detectors/common.js';
import type { Hit } from '../detectors/types.js';
import type { Watch, WatchStore } from '../findings/watches.js';

/** Error codes that mean the caller's credentials were refused (authorisation or authentication). */
const DENIED =
  /^(AccessDenied|AccessDeniedException|Client\.UnauthorizedOperation|UnauthorizedOperation|InvalidClientTokenId|UnrecognizedClientException|ExpiredToken|ExpiredTokenException|InvalidAccessKeyId|AuthFailure|SignatureDoesNotMatch|Client\.AuthFailure)$/;

export const CONTAINMENT_FAILED_TYPE = 'UnauthorizedAccess:IAMUser/ContainmentFailed';

/**
 * Watches the events that follow a remediation. A call by a watched credential after the remediation time:
 * - denied (AccessDenied*, UnauthorizedOperation, InvalidClientTokenId, ...) marks the watch verified: contained;
 * - successful raises a High finding `UnauthorizedAccess:IAMUser/ContainmentFailed` and marks the watch failed.
 * Role revocation covers only sessions issued before the revocation (`sessionContext.attributes.creationDate`):
 * sessions issued later are legitimate (an instance receives fresh credentials) and are not judged.
 * A deactivated key covers calls with that key and sessions its user obtained with it before the deactivation.
 */
export class Verifier {
  private byRole = new Map<string, Watch[]>();
  private byKey = new Map<string, Watch[]>();
  private byUser = new Map<string, Watch[]>();

  private loaded = '';

  constructor(private readonly store: WatchStore) {
    this.refresh();
  }

  /**
   * Picks up watches started since the last call (a long-running service remediates while it ingests: the watch a
   * playbook starts must judge the very next batch). One small query when nothing changed.
   */
  refresh(): void {
    const fingerprint = this.store.fingerprint();
    if (fingerprint === this.loaded) return;
    this.loaded = fingerprint;
    this.byRole.clear();
    this.byKey.clear();
    this.byUser.clear();
    for (const w of this.store.all()) {
      if (w.kind === 'role-sessions') push(this.byRole, `${w.account}|${w.principalName}`, w);
      else {
        push(this.byKey, w.accessKeyId, w);
        push(this.byUser, `${w.account}|${w.principalName}`, w);
      }
    }
  }

  get size(): number {
    return this.byRole.size + this.byKey.size;
  }

  /** Judges one event; returns a hit when it shows that a containment failed. */
  observe(e: ApiEvent): Hit | undefined {
    if (this.size === 0) return undefined;
    const p = e.principal;
    const candidates: Watch[] = [];
    if (p.type === 'AssumedRole') candidates.push(...(this.byRole.get(`${e.account}|${p.userName}`) ?? []));
    if (p.accessKeyId) candidates.push(...(this.byKey.get(p.accessKeyId) ?? []));
    if (p.type === 'IAMUser' && p.accessKeyId.startsWith('ASIA')) candidates.push(...(this.byUser.get(`${e.account}|${p.userName}`) ?? []));
    let failed: Hit | undefined;
    for (const w of candidates) {
      // remediatedAt is the cut-off second after the remediation (tokenIssueCutoff), and CloudTrail times are whole
      // seconds: an event stamped at the cut-off or later happened after the remediation.
      if (e.time < w.remediatedAt) continue;
      const coveredSession = w.kind === 'access-key' && p.accessKeyId === w.accessKeyId ? true : p.issuedAt !== undefined && p.issuedAt < w.remediatedAt;
      if (!coveredSession) continue;
      if (e.errorCode && DENIED.test(e.errorCode)) {
        this.store.recordDenied(w.id, e.id, e.time);
        continue;
      }
      if (e.errorCode) continue; // another error says nothing about the credentials
      this.store.recordSucceeded(w.id, e.id, e.time);
      failed = {
        type: CONTAINMENT_FAILED_TYPE,
        severity: 8,
        ...hitBase(e),
        key: [w.findingId, credentialKey(e)],
        resource: accessKeyResource(e),
        action: apiCallAction(e),
        resourceRole: 'TARGET',
        title: `Remediated credentials were used successfully after the remediation of finding ${w.findingId}.`,
        description:
          `API ${e.name} succeeded for ${actorText(e)} at ${new Date(e.time).toISOString()}, after the ${w.kind === 'role-sessions' ? 'revocation of the role sessions' : 'deactivation of the access key'} ` +
          `at ${new Date(w.remediatedAt).toISOString()} (finding ${w.findingId}). The containment did not hold.`,
        additionalInfo: { remediatedFindingId: w.findingId, remediation: w.kind, remediatedAt: new Date(w.remediatedAt).toISOString() },
      };
    }
    return failed;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
