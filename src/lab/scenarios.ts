import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { CreateUserCommand, GetUserCommand, ListRolesCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand, ListObjectsV2Command, PutBucketLoggingCommand, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { DescribeParametersCommand, GetParametersCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { type LabClientOptions, LabClients, type LabCredentials } from './clients.js';
import type { LabFlow } from './types.js';

/** One API call an actor of a scenario made against the lab, and how it ended. */
export interface AttackCall {
  actor: string;
  /** `service:Operation`, e.g. dynamodb:ListTables */
  api: string;
  ok: boolean;
  /** The AWS error code when the call failed (AccessDeniedException, InvalidClientTokenId, ...). */
  errorCode?: string;
}

/** What the scenarios need to know of the lab's stage (set by stage.ts). */
export interface ScenarioStage {
  endpoint: string;
  accountId: string;
  region: string;
  addresses: {
    /** The workshop's "malicious instance" Elastic IP: on the threat list. */
    maliciousEip: string;
    /** A host outside AWS where the stolen instance credentials are used. */
    exfilHost: string;
    /** The company's office (benign background). */
    office: string;
  };
  compromisedUser: { name: string; credentials: LabCredentials };
  admin: { name: string; credentials: LabCredentials };
  scenario1: { instanceId: string; interfaceId: string; privateIp: string; vpcId: string; subnetId: string };
  scenario3: { instanceId: string; publicIp: string; roleName: string };
  financeBucket: string;
  logBucket: string;
  table: string;
  parameter: string;
  /** The credentials the instance's metadata service hands out now (an AssumeRole by EC2 in the trail). */
  instanceCredentials(instanceId: string): Promise<LabCredentials>;
  /** Records a connection in the VPC Flow Logs. */
  flow(f: LabFlow): void;
}

function errorCode(err: unknown): string {
  const e = err as { name?: string; Code?: string; code?: string };
  return e.name ?? e.Code ?? e.code ?? 'Error';
}

/** Runs calls as one actor and keeps what happened to each. */
export class Actor {
  readonly clients: LabClients;
  constructor(
    readonly name: string,
    options: LabClientOptions,
    private readonly log: AttackCall[],
  ) {
    this.clients = new LabClients(options);
  }

  async call(api: string, fn: (c: LabClients) => Promise<unknown>): Promise<AttackCall> {
    let record: AttackCall;
    try {
      await fn(this.clients);
      record = { actor: this.name, api, ok: true };
    } catch (err) {
      record = { actor: this.name, api, ok: false, errorCode: errorCode(err) };
    }
    this.log.push(record);
    return record;
  }

  destroy(): void {
    this.clients.destroy();
  }
}

const actorOptions = (s: ScenarioStage, credentials: LabCredentials, sourceIp: string, userAgent: string): LabClientOptions => ({
  endpoint: s.endpoint,
  region: s.region,
  credentials,
  sourceIp,
  userAgent,
});

/**
 * Scenario 1: the compromised instance pings the malicious instance's Elastic IP (on the threat list), and answers
 * come back: flow records on the instance's interface, a few minutes' worth, as VPC Flow Logs would aggregate them.
 */
export function scenario1(s: ScenarioStage, now: Date): number {
  const i = s.scenario1;
  let records = 0;
  for (let minute = 5; minute >= 1; minute--) {
    const start = new Date(now.getTime() - minute * 60_000);
    const end = new Date(start.getTime() + 59_000);
    const base = {
      start,
      end,
      accountId: s.accountId,
      region: s.region,
      interfaceId: i.interfaceId,
      instanceId: i.instanceId,
      vpcId: i.vpcId,
      subnetId: i.subnetId,
    };
    // ICMP echo out and the replies in (ports are 0 for ICMP).
    s.flow({
      ...base,
      srcAddr: i.privateIp,
      dstAddr: s.addresses.maliciousEip,
      srcPort: 0,
      dstPort: 0,
      protocol: 1,
      packets: 60,
      bytes: 5040,
      action: 'ACCEPT',
    });
    s.flow({
      ...base,
      srcAddr: s.addresses.maliciousEip,
      dstAddr: i.privateIp,
      srcPort: 0,
      dstPort: 0,
      protocol: 1,
      packets: 60,
      bytes: 5040,
      action: 'ACCEPT',
    });
    records += 2;
  }
  return records;
}

/**
 * Scenario 2: the compromised IAM user's key used from the malicious instance's Elastic IP, with the workshop's calls:
 * Parameter Store, the bucket listing (an S3 data event) and DynamoDB.
 */
export async function scenario2(s: ScenarioStage, log: AttackCall[]): Promise<void> {
  const a = new Actor('compromised-user@malicious-eip', actorOptions(s, s.compromisedUser.credentials, s.addresses.maliciousEip, 'lab-scenario/2'), log);
  try {
    await a.call('sts:GetCallerIdentity', (c) => c.sts.send(new GetCallerIdentityCommand({})));
    await a.call('ssm:DescribeParameters', (c) => c.ssm.send(new DescribeParametersCommand({})));
    await a.call('ssm:GetParameters', (c) => c.ssm.send(new GetParametersCommand({ Names: [s.parameter], WithDecryption: true })));
    await a.call('s3:ListObjects', (c) => c.s3.send(new ListObjectsV2Command({ Bucket: s.financeBucket })));
    await a.call('dynamodb:ListTables', (c) => c.dynamodb.send(new ListTablesCommand({})));
  } finally {
    a.destroy();
  }
}

/**
 * Scenario 3: the instance's role credentials, taken from its metadata service, used from a host outside AWS with the
 * workshop's commands. The instance itself keeps using its credentials from its own address (benign).
 */
export async function scenario3(s: ScenarioStage, log: AttackCall[]): Promise<LabCredentials> {
  const stolen = await s.instanceCredentials(s.scenario3.instanceId);
  const instance = new Actor('instance-role@instance', actorOptions(s, stolen, s.scenario3.publicIp, 'lab-instance/3'), log);
  const bob = new Actor('badbob@outside-aws', actorOptions(s, stolen, s.addresses.exfilHost, 'lab-scenario/3'), log);
  try {
    await instance.call('dynamodb:ListTables', (c) => c.dynamodb.send(new ListTablesCommand({})));
    await bob.call('sts:GetCallerIdentity', (c) => c.sts.send(new GetCallerIdentityCommand({})));
    await bob.call('iam:GetUser', (c) => c.iam.send(new GetUserCommand({})));
    await bob.call('iam:CreateUser', (c) => c.iam.send(new CreateUserCommand({ UserName: 'Chuck' })));
    await bob.call('dynamodb:ListTables', (c) => c.dynamodb.send(new ListTablesCommand({})));
    await bob.call('dynamodb:DescribeTable', (c) => c.dynamodb.send(new DescribeTableCommand({ TableName: s.table })));
    await bob.call('ssm:DescribeParameters', (c) => c.ssm.send(new DescribeParametersCommand({})));
    await bob.call('ssm:GetParameters', (c) => c.ssm.send(new GetParametersCommand({ Names: [s.parameter], WithDecryption: true })));
  } finally {
    instance.destroy();
    bob.destroy();
  }
  return stolen;
}

/** Scenario 4: from the malicious instance, the finance bucket's server access logging and Block Public Access turned off. */
export async function scenario4(s: ScenarioStage, log: AttackCall[]): Promise<void> {
  const a = new Actor('compromised-user@malicious-eip', actorOptions(s, s.compromisedUser.credentials, s.addresses.maliciousEip, 'lab-scenario/4'), log);
  try {
    await a.call('s3:PutBucketLogging', (c) => c.s3.send(new PutBucketLoggingCommand({ Bucket: s.financeBucket, BucketLoggingStatus: {} })));
    await a.call('s3:PutPublicAccessBlock', (c) =>
      c.s3.send(
        new PutPublicAccessBlockCommand({
          Bucket: s.financeBucket,
          PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false },
        }),
      ),
    );
  } finally {
    a.destroy();
  }
}

/** Benign background: an administrator at the office looking around, so that noise is part of the exercise. */
export async function background(s: ScenarioStage, log: AttackCall[]): Promise<void> {
  const a = new Actor('admin@office', actorOptions(s, s.admin.credentials, s.addresses.office, 'lab-background'), log);
  try {
    await a.call('sts:GetCallerIdentity', (c) => c.sts.send(new GetCallerIdentityCommand({})));
    await a.call('iam:ListUsers', (c) => c.iam.send(new ListUsersCommand({})));
    await a.call('iam:ListRoles', (c) => c.iam.send(new ListRolesCommand({})));
    await a.call('ec2:DescribeInstances', (c) => c.ec2.send(new DescribeInstancesCommand({})));
    await a.call('ec2:DescribeSecurityGroups', (c) => c.ec2.send(new DescribeSecurityGroupsCommand({})));
    await a.call('s3:ListBuckets', (c) => c.s3.send(new ListBucketsCommand({})));
    await a.call('dynamodb:ListTables', (c) => c.dynamodb.send(new ListTablesCommand({})));
  } finally {
    a.destroy();
  }
}

/** The attacker tries again after the response: the call and how it ended. */
export async function retry(
  s: ScenarioStage,
  credentials: LabCredentials,
  sourceIp: string,
  api: 'dynamodb:ListTables',
  log: AttackCall[],
): Promise<AttackCall> {
  const a = new Actor('attacker-after-response', actorOptions(s, credentials, sourceIp, 'lab-retry'), log);
  try {
    return await a.call(api, (c) => c.dynamodb.send(new ListTablesCommand({})));
  } finally {
    a.destroy();
  }
}
