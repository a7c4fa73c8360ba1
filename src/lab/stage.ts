import { LabAccount } from './account.js';
import type { LabCredentials } from './clients.js';
import type { ScenarioStage } from './scenarios.js';
import { startLabServer } from './server.js';
import type { LabApiCall, LabFlow } from './types.js';

/** The workshop's account and region (its CloudFormation stack runs in us-west-2). */
export const LAB_ACCOUNT = '111122223333';
export const LAB_REGION = 'us-west-2';

/** The workshop's names. */
const COMPROMISED_USER = 'GuardDuty-Example-Compromised-Simulated';
const ROLE = 'GuardDuty-Example-EC2-Compromised';
const TABLE = 'GuardDuty-Example-Customer-DB';
const PARAMETER = 'gd_prod_dbpwd_sample';

/**
 * Addresses the actors play. The documentation ranges (RFC 5737) stand for the outside world; the instances' public
 * addresses are in AWS's published us-west-2 ranges, as Elastic IPs would be.
 */
const ADDRESSES = {
  maliciousEip: '203.0.113.10',
  exfilHost: '198.51.100.23',
  office: '192.0.2.44',
  /** A caller that declares no address (the AWS CLI pointed at the lab). */
  unspecified: '192.0.2.200',
};

export interface LabStage extends ScenarioStage {
  account: LabAccount;
  trailBucket: string;
  /** The directory that backs the trail bucket (the log writers deliver into it). */
  trailBucketDir: string;
  /** Trailhound's own identity in the lab: reads the trail bucket, runs the playbooks. */
  responderCredentials: LabCredentials;
  /** The workshop instances' public addresses (their own egress). */
  instanceAddresses: string[];
  onCall(listener: (call: LabApiCall) => void): void;
  onFlow(listener: (flow: LabFlow) => void): void;
  close(): Promise<void>;
}

const allow = (actions: string[], resource: string | string[] = '*') => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }],
});

/**
 * The equivalent of the workshop's CloudFormation stack, set directly in the lab's account (the attacks, not the
 * set-up, are what goes through the SDK): the compromised IAM user and its key, the instance role and its profile,
 * the scenario instances (tagged GD-Finding, as the workshop's isolate playbook scope expects), the customer table,
 * the database password parameter, the finance bucket with logging and Block Public Access on, the trail bucket; an
 * administrator (benign background) and Trailhound's responder identity.
 */
export async function buildStage(o: { dataDir: string; seed?: string; port?: number; onListenerError?: (err: Error) => void }): Promise<LabStage> {
  const account = new LabAccount({
    accountId: LAB_ACCOUNT,
    region: LAB_REGION,
    dataDir: o.dataDir,
    ...(o.seed ? { seed: o.seed } : {}),
    ...(o.onListenerError ? { onListenerError: o.onListenerError } : {}),
  });

  const compromised = account.createUser(COMPROMISED_USER);
  account.putUserPolicy(
    COMPROMISED_USER,
    'GuardDuty-Example-Compromised-Policy',
    allow([
      'ssm:DescribeParameters',
      'ssm:GetParameters',
      'ssm:GetParameter',
      's3:ListBucket',
      's3:GetObject',
      's3:PutBucketLogging',
      's3:PutBucketPublicAccessBlock',
      'dynamodb:ListTables',
      'dynamodb:DescribeTable',
    ]),
  );
  const compromisedKey = account.createAccessKey(COMPROMISED_USER);

  account.createUser('Alice');
  account.attachUserPolicy('Alice', 'arn:aws:iam::aws:policy/AdministratorAccess');
  const adminKey = account.createAccessKey('Alice');

  account.createUser('trailhound-responder');
  account.putUserPolicy(
    'trailhound-responder',
    'trailhound-response',
    allow([
      'iam:GetRole',
      'iam:GetRolePolicy',
      'iam:PutRolePolicy',
      'iam:DeleteRolePolicy',
      'iam:ListAccessKeys',
      'iam:UpdateAccessKey',
      'iam:GetUserPolicy',
      'iam:PutUserPolicy',
      'iam:DeleteUserPolicy',
      'iam:GetInstanceProfile',
      'iam:PassRole',
      'ec2:*',
      's3:ListBucket',
      's3:GetObject',
    ]),
  );
  const responderKey = account.createAccessKey('trailhound-responder');

  account.createRole(ROLE, {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
  account.putRolePolicy(
    ROLE,
    'GuardDuty-Example-EC2-Compromised-Policy',
    allow(['dynamodb:ListTables', 'dynamodb:DescribeTable', 'dynamodb:Scan', 'ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter']),
  );
  account.createInstanceProfile(ROLE, ROLE);

  const s1 = account.runInstance({
    name: 'GuardDuty-Example: Compromised Instance: Scenario 1',
    privateIp: '10.0.0.11',
    publicIp: '54.214.10.21',
    tags: { 'GD-Finding': 'Scenario 1' },
  });
  const s3 = account.runInstance({
    name: 'GuardDuty-Example: Compromised Instance: Scenario 3',
    privateIp: '10.0.0.12',
    publicIp: '54.214.10.20',
    profile: ROLE,
    tags: { 'GD-Finding': 'Scenario 3' },
  });
  account.runInstance({ name: 'GuardDuty-Example: Malicious Instance', privateIp: '10.0.0.13', publicIp: ADDRESSES.maliciousEip });

  account.createTable(TABLE, { hashKey: 'name', itemCount: 3 });
  account.putParameter({
    name: PARAMETER,
    value: 'lab-only-not-a-real-password',
    type: 'SecureString',
    description: 'Sample secret for generating GuardDuty findings',
  });

  const trailBucket = `guardduty-example-trail-${LAB_ACCOUNT}`;
  const financeBucket = `guardduty-example-finance-${LAB_ACCOUNT}`;
  const logBucket = `guardduty-example-log-${LAB_ACCOUNT}`;
  account.createBucket(trailBucket);
  account.createBucket(logBucket);
  const finance = account.createBucket(financeBucket);
  finance.logging = { targetBucket: logBucket, targetPrefix: 'finance/' };
  finance.publicAccessBlock = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

  const callListeners: Array<(c: LabApiCall) => void> = [];
  const flowListeners: Array<(f: LabFlow) => void> = [];
  const unsubscribe = account.subscribe((c) => {
    for (const l of callListeners) l(c);
  });
  const server = await startLabServer({ account, port: o.port ?? 0, defaultSourceIp: ADDRESSES.unspecified });
  const i1 = account.networkInterface(s1.networkInterfaceId);
  const creds = (k: { accessKeyId: string; secretAccessKey: string }): LabCredentials => ({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey });

  return {
    account,
    endpoint: server.url,
    accountId: LAB_ACCOUNT,
    region: LAB_REGION,
    addresses: ADDRESSES,
    compromisedUser: { name: compromised.userName, credentials: creds(compromisedKey) },
    admin: { name: 'Alice', credentials: creds(adminKey) },
    responderCredentials: creds(responderKey),
    scenario1: { instanceId: s1.instanceId, interfaceId: i1.networkInterfaceId, privateIp: i1.privateIp, vpcId: i1.vpcId, subnetId: i1.subnetId },
    scenario3: { instanceId: s3.instanceId, publicIp: s3.publicIp as string, roleName: ROLE },
    instanceAddresses: [s1.publicIp as string, s3.publicIp as string],
    financeBucket,
    logBucket,
    trailBucket,
    trailBucketDir: account.bucketDir(trailBucket),
    table: TABLE,
    parameter: PARAMETER,
    async instanceCredentials(instanceId: string): Promise<LabCredentials> {
      // What the instance metadata service answers, fetched as an attacker on the instance would (IMDSv2).
      const base = `${server.url}/_lab/imds/${instanceId}/latest`;
      const token = await (await fetch(`${base}/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' } })).text();
      const headers = { 'x-aws-ec2-metadata-token': token };
      const roleName = (await (await fetch(`${base}/meta-data/iam/security-credentials/`, { headers })).text()).trim();
      const doc = (await (await fetch(`${base}/meta-data/iam/security-credentials/${roleName}`, { headers })).json()) as {
        AccessKeyId: string;
        SecretAccessKey: string;
        Token: string;
      };
      return { accessKeyId: doc.AccessKeyId, secretAccessKey: doc.SecretAccessKey, sessionToken: doc.Token };
    },
    flow(f: LabFlow): void {
      for (const l of flowListeners) l(f);
    },
    onCall(listener) {
      callListeners.push(listener);
    },
    onFlow(listener) {
      flowListeners.push(listener);
    },
    async close() {
      unsubscribe();
      await server.close();
    },
  };
}
