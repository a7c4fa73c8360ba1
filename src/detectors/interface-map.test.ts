import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PUBLIC_LOGS, prng } from '../../test/helpers.js';
import type { ApiEvent } from '../core/event.js';
import { toApiEvent } from '../parsers/cloudtrail.js';
import { ct, iamUser } from './case-helpers.js';
import { factsOf, type InterfaceFact, InterfaceMap } from './interface-map.js';

function event(record: Record<string, unknown>): ApiEvent {
  const e = toApiEvent(record, 'test');
  if (e instanceof Error) throw e;
  return e;
}

function ec2(name: string, time: string, requestParameters: unknown, responseElements: unknown, extra: Record<string, unknown> = {}): ApiEvent {
  return event(ct({ eventSource: 'ec2.amazonaws.com', eventName: name, eventTime: time, requestParameters, responseElements, ...extra }));
}

const attach = (eni: string, instance: string, attachment: string, time: string) =>
  ec2('AttachNetworkInterface', time, { networkInterfaceId: eni, instanceId: instance, deviceIndex: 1 }, { requestId: 'r', attachmentId: attachment });
const detach = (attachment: string, time: string) =>
  ec2('DetachNetworkInterface', time, { attachmentId: attachment, force: false }, { requestId: 'r', _return: true });
const remove = (eni: string, time: string) => ec2('DeleteNetworkInterface', time, { networkInterfaceId: eni }, { requestId: 'r', _return: true });
const create = (eni: string, time: string, description = 'spare') =>
  ec2(
    'CreateNetworkInterface',
    time,
    { subnetId: 'subnet-0a1b2c3d4e5f60718', description },
    {
      requestId: 'r',
      networkInterface: {
        networkInterfaceId: eni,
        subnetId: 'subnet-0a1b2c3d4e5f60718',
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        description,
        privateIpAddress: '10.0.1.40',
        groupSet: { items: [{ groupId: 'sg-0a1b2c3d4e5f60718', groupName: 'web' }] },
        privateIpAddressesSet: { item: [{ privateIpAddress: '10.0.1.40', primary: true }] },
      },
    },
  );
const at = (iso: string) => Date.parse(iso);

/** A map that learned `events` in the given order. */
function mapOf(events: ApiEvent[]): InterfaceMap {
  const map = new InterfaceMap();
  for (const e of events) map.learn(e);
  return map;
}

describe('factsOf on real RunInstances records (shared/data/public-logs)', () => {
  it('Panther compromised-root-creds: the instance and its interface, attachment, addresses, VPC, subnet and security groups', () => {
    const line = readFileSync(join(PUBLIC_LOGS, 'panther', 'test_scenarios', 'compromised-root-creds--attacker_cloudtrail.jsonl'), 'utf8')
      .split('\n')
      .find((l) => l.includes('networkInterfaceSet'));
    const facts = factsOf(event(JSON.parse(line as string)));
    expect(facts).toEqual([
      expect.objectContaining({
        interfaceId: 'eni-0b13344793d4fde67',
        instanceId: 'i-05261ffb46217cdc3',
        attachmentId: 'eni-attach-00e2ef9b796c88634',
        eventName: 'RunInstances',
        account: '493859302102',
        region: 'us-east-1',
        details: {
          vpcId: 'vpc-c85cedb2',
          subnetId: 'subnet-73a1094d',
          privateIpAddress: '172.31.77.31',
          privateDnsName: 'ip-172-31-77-110.ec2.internal',
          privateIpAddresses: [{ privateIpAddress: '172.31.77.31', privateDnsName: 'ip-172-31-77-31.ec2.internal' }],
          securityGroups: [{ groupId: 'sg-0917d39b0f1a143b5', groupName: 'test-box' }],
        },
      }),
    ]);
  });

  it('Cloud Custodian: one RunInstances launching two instances teaches both interfaces', () => {
    const record = JSON.parse(readFileSync(join(PUBLIC_LOGS, 'cloud-custodian-cwe', 'event-cloud-trail-run-instances.json'), 'utf8'));
    const facts = factsOf(event({ ...record, eventID: 'custodian-1' }));
    expect(facts.map((f) => [f.interfaceId, f.instanceId, f.attachmentId])).toEqual([
      ['eni-6a08d837', 'i-784cdacd', 'eni-attach-1cabe8dc'],
      ['eni-6508d838', 'i-7b4cdace', expect.stringMatching(/^eni-attach-/)],
    ]);
  });
});

describe('factsOf', () => {
  it('learns nothing from a failed call, another service, or an unrelated event', () => {
    const map = new InterfaceMap();
    expect(
      map.learn(
        ec2('AttachNetworkInterface', '2021-03-08T17:00:00Z', { networkInterfaceId: 'eni-0a1', instanceId: 'i-0b2', deviceIndex: 1 }, null, {
          errorCode: 'Client.UnauthorizedOperation',
        }),
      ),
    ).toEqual([]);
    expect(map.learn(event(ct({ eventName: 'GetUser', userIdentity: iamUser() })))).toEqual([]);
    expect(map.learn(ec2('DescribeNetworkInterfaces', '2021-03-08T17:00:00Z', { networkInterfaceId: 'eni-0a1' }, null))).toEqual([]);
    expect(map.stats().interfaces).toBe(0);
  });

  it('ignores malformed shapes instead of failing (missing ids, lists that are not lists)', () => {
    expect(factsOf(ec2('RunInstances', '2021-03-08T17:00:00Z', {}, { instancesSet: { items: 'x' } }))).toEqual([]);
    expect(factsOf(ec2('RunInstances', '2021-03-08T17:00:00Z', {}, { instancesSet: { items: [{ instanceId: 'i-1', networkInterfaceSet: {} }] } }))).toEqual([]);
    expect(factsOf(ec2('AttachNetworkInterface', '2021-03-08T17:00:00Z', { networkInterfaceId: 'eni-1' }, {}))).toEqual([]);
    expect(factsOf(ec2('CreateNetworkInterface', '2021-03-08T17:00:00Z', {}, { networkInterface: { subnetId: 'subnet-1' } }))).toEqual([]);
    expect(factsOf(ec2('DetachNetworkInterface', '2021-03-08T17:00:00Z', { force: true }, {}))).toEqual([]);
  });
});

describe('InterfaceMap.resolve', () => {
  const history = () => [
    create('eni-0e5', '2021-03-08T17:00:00Z'),
    attach('eni-0e5', 'i-0f6', 'eni-attach-a', '2021-03-08T17:10:00Z'),
    detach('eni-attach-a', '2021-03-08T17:40:00Z'),
    attach('eni-0e5', 'i-0b8', 'eni-attach-b', '2021-03-08T17:50:00Z'),
    remove('eni-0e5', '2021-03-08T19:00:00Z'),
  ];

  it('is time-aware: the instance attached at the flow time, nothing between a detach and the next attach', () => {
    const map = mapOf(history());
    expect(map.resolve('eni-0e5', at('2021-03-08T17:20:00Z')).instanceId).toBe('i-0f6');
    expect(map.resolve('eni-0e5', at('2021-03-08T17:10:00Z')).instanceId).toBe('i-0f6');
    expect(map.resolve('eni-0e5', at('2021-03-08T18:00:00Z')).instanceId).toBe('i-0b8');
    const detached = map.resolve('eni-0e5', at('2021-03-08T17:45:00Z'));
    expect(detached.instanceId).toBeUndefined();
    expect('reason' in detached && detached.reason).toMatch(/eni-0e5 was detached \(DetachNetworkInterface at 2021-03-08T17:40:00.000Z\)/);
    const created = map.resolve('eni-0e5', at('2021-03-08T17:05:00Z'));
    expect('reason' in created && created.reason).toMatch(/was created and not attached.*description: spare/);
    expect(map.resolve('eni-0e5', at('2021-03-08T20:00:00Z'))).toMatchObject({ reason: expect.stringMatching(/eni-0e5 was deleted/) });
    const early = map.resolve('eni-0e5', at('2021-03-08T16:00:00Z'));
    expect('reason' in early && early.reason).toMatch(/first event for eni-0e5 \(CreateNetworkInterface at .*\) is later than the flow/);
    const unknown = map.resolve('eni-0ff', at('2021-03-08T18:00:00Z'));
    expect('reason' in unknown && unknown.reason).toMatch(/no CloudTrail event seen names eni-0ff/);
    expect(map.details('eni-0e5')).toMatchObject({ vpcId: 'vpc-0a1b2c3d4e5f60718', securityGroups: [{ groupId: 'sg-0a1b2c3d4e5f60718', groupName: 'web' }] });
  });

  it('gives the same answers whatever order the events were learned in (a detach before the attach it ends)', () => {
    const times = ['16:00', '17:05', '17:10', '17:20', '17:40', '17:45', '17:50', '18:00', '19:00', '20:00'].map((t) => at(`2021-03-08T${t}:00Z`));
    const answers = (map: InterfaceMap) => times.map((t) => JSON.stringify(map.resolve('eni-0e5', t)));
    const learned = history();
    const baseline = answers(mapOf(learned));
    const random = prng(7);
    for (let i = 0; i < 20; i++) {
      const events = learned
        .map((e) => [random(), e] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([, e]) => e);
      expect(answers(mapOf(events))).toEqual(baseline);
    }
    // The detach alone waits for its attachment.
    const map = mapOf([detach('eni-attach-a', '2021-03-08T17:40:00Z')]);
    expect(map.stats().pendingDetaches).toBe(1);
    map.learn(attach('eni-0e5', 'i-0f6', 'eni-attach-a', '2021-03-08T17:10:00Z'));
    expect(map.stats().pendingDetaches).toBe(0);
    expect(map.resolve('eni-0e5', at('2021-03-08T17:45:00Z')).instanceId).toBeUndefined();
  });

  it('loads persisted facts like learned ones, learns each fact once, and reports what it learned to onLearn', () => {
    const saved: InterfaceFact[] = [];
    const learner = new InterfaceMap({ onLearn: (facts) => saved.push(...facts) });
    const events = history();
    for (const e of events) learner.learn(e);
    learner.learn(events[1] as ApiEvent);
    expect(learner.stats().facts).toBe(5);
    const reloaded = new InterfaceMap();
    reloaded.load([...saved].reverse());
    expect(reloaded.resolve('eni-0e5', at('2021-03-08T17:45:00Z'))).toEqual(learner.resolve('eni-0e5', at('2021-03-08T17:45:00Z')));
    expect(reloaded.resolve('eni-0e5', at('2021-03-08T18:00:00Z')).instanceId).toBe('i-0b8');
    // A detach persisted before its attachment was known is linked when the attachment loads.
    const detachFact = saved.find((f) => f.eventName === 'DetachNetworkInterface');
    expect(detachFact?.interfaceId).toBe('');
  });

  it('keeps at most maxFactsPerInterface facts per interface (the oldest go) and counts them', () => {
    const map = new InterfaceMap({ maxFactsPerInterface: 2 });
    map.learn(attach('eni-0e5', 'i-1', 'eni-attach-1', '2021-03-08T17:00:00Z'));
    map.learn(attach('eni-0e5', 'i-2', 'eni-attach-2', '2021-03-08T17:10:00Z'));
    map.learn(attach('eni-0e5', 'i-3', 'eni-attach-3', '2021-03-08T17:20:00Z'));
    expect(map.stats()).toMatchObject({ facts: 2, evicted: 1 });
    expect(map.resolve('eni-0e5', at('2021-03-08T17:15:00Z')).instanceId).toBe('i-2');
    expect(map.resolve('eni-0e5', at('2021-03-08T17:05:00Z')).instanceId).toBeUndefined();
  });
});
