import { ct, instanceRole } from '../case-helpers.js';
import { accessKeyResource, apiCallAction, credentialKey, hitBase } from '../common.js';
import { isGlobalServiceEvent } from '../engine.js';
import type { Detector, Hit } from '../types.js';
import { instanceCall, isConfiguredOwn, ownAddresses } from './instance-credentials.js';

const TYPE = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS';

/**
 * Instance credentials used from an AWS address that is not the instance's own.
 *
 * What it can know: an instance's own addresses are (1) the egress addresses configured for its account,
 * (2) the addresses configured for the instance, and (3) addresses it learns: an AWS address that the
 * instance's credentials used in two or more distinct sessions (EC2 rotates instance credentials every few
 * hours; a thief normally holds one set). The owner of another AWS address is known only when it is a
 * configured egress address of another account; then `remoteAccountDetails` names it, and the severity is
 * Medium when that account is affiliated.
 *
 * What it cannot know: the public address AWS assigned to an instance (CloudTrail does not log it), or the
 * owner of an arbitrary AWS address. So when none of the instance's own addresses is known, calls from AWS
 * addresses are not judged (counted as `undecided`), rather than flagging every instance's own traffic.
 * Decisions are made once every event of the run has been seen, so the result does not depend on order.
 */
interface AddressUse {
  sessions: Set<string>;
  count: number;
  firstSeen: number;
  latest: Hit;
}
interface State {
  instances: Map<string, Map<string, AddressUse>>;
  evictedInstances: number;
  evictedAddresses: number;
  undecided: number;
}

export const unauthorizedAccessIamUserInstanceCredentialExfiltrationInsideAws: Detector<State> = {
  meta: {
    id: 'unauthorized-access-iam-user-instance-credential-exfiltration-inside-aws',
    findingType: TYPE,
    severity: 8,
    dataSource: 'CloudTrail management and S3 data events',
    summary:
      "Credentials created exclusively for an EC2 instance were used from an AWS address that is not the instance's own (High; Medium when the other account is affiliated).",
    aggregation: 'type, account, region, access key',
  },
  createState: () => ({ instances: new Map(), evictedInstances: 0, evictedAddresses: 0, undecided: 0 }),
  evaluate(e, ctx, state) {
    const call = instanceCall(e);
    if (!call || !e.ip || !ctx.intel.isAws(e.ip)) return undefined;
    const instanceKey = `${e.account}|${call.instanceId}`;
    let uses = state.instances.get(instanceKey);
    if (!uses) {
      if (state.instances.size >= ctx.settings.maxTrackedInstances) {
        const oldest = state.instances.keys().next().value as string;
        state.evictedAddresses += state.instances.get(oldest)?.size ?? 0;
        state.instances.delete(oldest);
        state.evictedInstances++;
      }
      uses = new Map();
      state.instances.set(instanceKey, uses);
    }
    let use = uses.get(call.address);
    if (!use) {
      if (uses.size >= ctx.settings.maxAddressesPerInstance) {
        state.evictedAddresses++;
        return undefined;
      }
      use = { sessions: new Set(), count: 0, firstSeen: e.time, latest: undefined as unknown as Hit };
      uses.set(call.address, use);
    }
    if (use.sessions.size < 8) use.sessions.add(credentialKey(e));
    use.count++;
    if (e.time < use.firstSeen) use.firstSeen = e.time;
    if (!use.latest || e.time > use.latest.time || (e.time === use.latest.time && e.id > use.latest.eventId)) {
      use.latest = {
        type: TYPE,
        severity: 8,
        ...hitBase(e),
        ...(isGlobalServiceEvent(e) ? { region: ctx.settings.globalServiceRegion } : {}),
        key: [credentialKey(e)],
        resource: { ...accessKeyResource(e), instanceDetails: { instanceId: call.instanceId } },
        action: apiCallAction(e),
        resourceRole: 'TARGET',
        title: `Credentials for instance role ${call.role} used from a different AWS account.`,
        description: `Credentials created exclusively for an EC2 instance using instance role ${call.role} have been used from IP address ${call.address}, an AWS address that is not the instance's own.`,
      };
    }
    return undefined;
  },
  flush(ctx, state) {
    const own = ownAddresses(ctx);
    const hits: Hit[] = [];
    for (const [instanceKey, uses] of state.instances) {
      const [account = '', instanceId = ''] = instanceKey.split('|');
      const learned = new Set([...uses].filter(([, u]) => u.sessions.size >= 2).map(([a]) => a));
      const known = learned.size > 0 || own.ofAccount.has(account) || own.ofInstance.has(instanceId);
      for (const [address, use] of uses) {
        if (learned.has(address) || isConfiguredOwn(own, account, instanceId, address)) continue;
        if (!known) {
          state.undecided += use.count;
          continue;
        }
        const owner = own.owner.get(address);
        const hit: Hit = { ...use.latest, count: use.count, firstSeen: use.firstSeen };
        if (owner && hit.action.awsApiCallAction) {
          hit.action = {
            ...hit.action,
            awsApiCallAction: {
              ...hit.action.awsApiCallAction,
              callerType: 'Remote account',
              remoteAccountDetails: { accountId: owner.accountId, affiliated: owner.affiliated },
            },
          };
          if (owner.affiliated) hit.severity = 5;
        }
        hits.push(hit);
      }
    }
    return hits;
  },
  stats: (state) => ({ undecided: state.undecided, evictedInstances: state.evictedInstances, evictedAddresses: state.evictedAddresses }),
  cases: [
    {
      name: 'configured egress known, call from another AWS address',
      expect: 1,
      settings: { accounts: [{ id: '111122223333', egressAddresses: ['54.240.196.10'], affiliated: true }] },
      records: [ct({ eventName: 'GetUser', sourceIPAddress: '18.236.253.47', userIdentity: instanceRole() })],
    },
    {
      name: 'learned own address (two sessions) and a third-party AWS address',
      expect: 1,
      records: [
        ct({
          eventName: 'DescribeInstances',
          eventSource: 'ec2',
          sourceIPAddress: '54.240.196.10',
          userIdentity: instanceRole('AppRole', 'i-0a1b2c3d4e5f67890', 'ASIAONE'),
        }),
        ct({
          eventName: 'DescribeInstances',
          eventSource: 'ec2',
          sourceIPAddress: '54.240.196.10',
          userIdentity: instanceRole('AppRole', 'i-0a1b2c3d4e5f67890', 'ASIATWO'),
        }),
        ct({
          eventName: 'ListBuckets',
          eventSource: 's3',
          sourceIPAddress: '18.236.253.47',
          userIdentity: instanceRole('AppRole', 'i-0a1b2c3d4e5f67890', 'ASIATWO'),
        }),
      ],
    },
    {
      name: 'nothing known about the instance: not judged',
      expect: 0,
      records: [ct({ eventName: 'GetUser', sourceIPAddress: '18.236.253.47', userIdentity: instanceRole() })],
    },
    {
      name: 'call from the instance own configured address',
      expect: 0,
      settings: { instances: { 'i-0a1b2c3d4e5f67890': { addresses: ['18.236.253.47'] } } },
      records: [ct({ eventName: 'GetUser', sourceIPAddress: '18.236.253.47', userIdentity: instanceRole() })],
    },
    {
      name: 'address outside AWS is OutsideAWS, not this type',
      expect: 0,
      settings: { accounts: [{ id: '111122223333', egressAddresses: ['54.240.196.10'], affiliated: false }] },
      records: [ct({ eventName: 'GetUser', sourceIPAddress: '198.51.100.7', userIdentity: instanceRole() })],
    },
  ],
};
