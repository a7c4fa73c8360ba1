import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectPaths, tempDir } from '../../test/helpers.js';
import { FindingStore } from '../findings/store.js';
import { WatchStore } from '../findings/watches.js';
import { CONTAINMENT_FAILED_TYPE, Verifier } from './verification.js';

const LOGS = join(import.meta.dirname, '..', '..', 'examples', 'workshop', 'logs');
const ROLE = 'GuardDuty-Example-EC2-Compromised';

function storeWithWatch(remediatedAt: string): { store: FindingStore; watches: WatchStore } {
  const store = new FindingStore(join(tempDir(), 'th.db'));
  const watches = new WatchStore(store.db);
  watches.add({
    findingId: 'f1',
    kind: 'role-sessions',
    account: '111122223333',
    principalName: ROLE,
    accessKeyId: '',
    remediatedAt: Date.parse(remediatedAt),
  });
  return { store, watches };
}

describe('verification of a remediation', () => {
  it('a denied call with an older session after the revocation marks the containment verified', async () => {
    // Workshop scenario 3: sessions revoked at 18:30; the attacker's ListTables at 18:31:40 is denied.
    const { store, watches } = storeWithWatch('2021-03-08T18:30:00Z');
    const r = await detectPaths([LOGS], { store });
    expect(r.findings.map((f) => f.type)).not.toContain(CONTAINMENT_FAILED_TYPE);
    expect(watches.all()).toMatchObject([{ status: 'verified', deniedCalls: 1, decidedAt: Date.parse('2021-03-08T18:31:40Z') }]);
    store.close();
  });

  it('a successful call with an older session after the revocation raises ContainmentFailed (High)', async () => {
    // Pretend the revocation happened at 18:16: the attacker's successful calls at 18:17-18:20 then show it did not hold.
    const { store, watches } = storeWithWatch('2021-03-08T18:16:30Z');
    const r = await detectPaths([LOGS], { store });
    const failed = r.findings.filter((f) => f.type === CONTAINMENT_FAILED_TYPE);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.severity).toBe(8);
    expect(failed[0]?.service.count).toBe(4);
    expect(failed[0]?.resource.accessKeyDetails?.userName).toBe(ROLE);
    expect(watches.all()[0]?.status).toBe('failed');
    store.close();
  });

  it('a call stamped in the cut-off second is after the remediation (CloudTrail times are whole seconds)', async () => {
    // The cut-off is the second after the remediation (tokenIssueCutoff rounds up): 18:31:40 was after it.
    const { store, watches } = storeWithWatch('2021-03-08T18:31:40Z');
    await detectPaths([LOGS], { store });
    expect(watches.all()).toMatchObject([{ status: 'verified', deniedCalls: 1 }]);
    store.close();
  });

  it('a verifier picks up watches started after it was built (serve remediates while it ingests)', () => {
    const store = new FindingStore(join(tempDir(), 'th.db'));
    const verifier = new Verifier(new WatchStore(store.db));
    expect(verifier.size).toBe(0);
    new WatchStore(store.db).add({ findingId: 'f3', kind: 'role-sessions', account: '111122223333', principalName: ROLE, accessKeyId: '', remediatedAt: 1 });
    expect(verifier.size).toBe(0);
    verifier.refresh();
    expect(verifier.size).toBe(1);
    store.close();
  });

  it('calls made before the remediation, or with sessions issued after it, are not judged', async () => {
    const { store, watches } = storeWithWatch('2021-03-08T19:00:00Z');
    await detectPaths([LOGS], { store });
    expect(watches.all()[0]?.status).toBe('watching');
    store.close();
  });

  it('a deactivated access key: later calls with it that succeed raise ContainmentFailed', async () => {
    const store = new FindingStore(join(tempDir(), 'th.db'));
    const watches = new WatchStore(store.db);
    watches.add({
      findingId: 'f2',
      kind: 'access-key',
      account: '111122223333',
      principalName: 'GuardDuty-Example-Compromised-Simulated',
      accessKeyId: 'AKIAEXAMPLESIMUSER01',
      remediatedAt: Date.parse('2021-03-08T18:05:00Z'),
    });
    const r = await detectPaths([LOGS], { store });
    // Findings are regional: the key's IAM calls (logged in us-east-1) and its SSM calls (us-west-2) give one each.
    const failed = r.findings.filter((f) => f.type === CONTAINMENT_FAILED_TYPE);
    expect(failed.map((f) => f.region).sort()).toEqual(['us-east-1', 'us-west-2']);
    expect(failed.every((f) => f.resource.accessKeyDetails?.accessKeyId === 'AKIAEXAMPLESIMUSER01')).toBe(true);
    expect(watches.all()[0]?.status).toBe('failed');
    store.close();
  });
});
