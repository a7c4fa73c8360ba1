/**
 * Writes the bundled example logs of the GuardDuty hands-on workshop's CloudTrail scenarios into
 * `examples/workshop/logs/` in CloudTrail's S3 layout (5-minute gzip files, global services in us-east-1),
 * deterministically. Run: `node --import tsx scripts/make-workshop-logs.ts`.
 *
 * Scenario 2: the static key of IAM user GuardDuty-Example-Compromised-Simulated used every minute from
 *   the threat-listed address 203.0.113.10 (GetUser, CreateUser denied, ListTables denied, ListBuckets denied,
 *   DescribeParameters, GetParameters), then ListObjects on the finance bucket.
 * Scenario 3: instance i-0a1b2c3d4e5f67890's role credentials, used normally from its own address
 *   54.214.10.20, then stolen and used from 198.51.100.23 (outside AWS); after the sessions are revoked the
 *   attacker's calls are denied.
 * Scenario 4: user GuardDuty-Example-Compromised2-Simulated, from 203.0.113.77 (not listed), removes the
 *   finance bucket's Block Public Access and turns off its server access logging, every minute.
 * Around them: benign traffic (an administrator, AWS services, the instance's own calls) and one file
 * delivered twice, as CloudTrail sometimes does.
 * Scenario 1 (VPC Flow Logs, default version-2 format, `AWSLogs/<account>/vpcflowlogs/<region>/...log.gz`, one file
 *   per 10 minutes): instance i-0fedcba9876543210 (interface eni-0123456789abcdef0, 10.0.0.12) pings the
 *   threat-listed 203.0.113.10 every minute from 18:00 to 18:29 (an outbound and a reply record each minute), among
 *   benign flows (HTTPS to an AWS address, NTP, an SSH probe from an unlisted address that is rejected, a NODATA
 *   record of an idle interface).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ACCOUNT = '111122223333';
const REGION = 'us-west-2';
const OUT = join(import.meta.dirname, '..', 'examples', 'workshop', 'logs');
const FINANCE = `guardduty-example-finance-${ACCOUNT}-${REGION}`;
const records: Array<Record<string, unknown>> = [];
let seq = 0;

function uuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function at(hhmmss: string): string {
  return `2021-03-08T${hhmmss}Z`;
}

function addMinutes(t: string, minutes: number): string {
  return new Date(Date.parse(t) + minutes * 60_000).toISOString().replace('.000Z', 'Z');
}

const GLOBAL = new Set(['iam.amazonaws.com', 'sts.amazonaws.com']);

function rec(time: string, identity: Record<string, unknown>, source: string, name: string, ip: string, ua: string, extra: Record<string, unknown> = {}): void {
  seq++;
  records.push({
    eventVersion: '1.08',
    userIdentity: identity,
    eventTime: time,
    eventSource: source,
    eventName: name,
    awsRegion: GLOBAL.has(source) ? 'us-east-1' : REGION,
    sourceIPAddress: ip,
    userAgent: ua,
    requestParameters: null,
    responseElements: null,
    requestID: uuid(`req${seq}`),
    eventID: uuid(`evt${seq}`),
    readOnly: /^(Get|List|Describe)/.test(name),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...extra,
  });
}

const user = (name: string, key: string, id: string) => ({ type: 'IAMUser', principalId: id, arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, accountId: ACCOUNT, accessKeyId: key, userName: name });
const ROLE = 'GuardDuty-Example-EC2-Compromised';
const INSTANCE = 'i-0a1b2c3d4e5f67890';
const instanceRole = (key: string, issued: string) => ({
  type: 'AssumedRole',
  principalId: `AROAEXAMPLEROLEID0001:${INSTANCE}`,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/${INSTANCE}`,
  accountId: ACCOUNT,
  accessKeyId: key,
  sessionContext: {
    sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEROLEID0001', arn: `arn:aws:iam::${ACCOUNT}:role/${ROLE}`, accountId: ACCOUNT, userName: ROLE },
    webIdFederationData: {},
    attributes: { creationDate: issued, mfaAuthenticated: 'false' },
    ec2RoleDelivery: '2.0',
  },
});
const denied = (svc: string, action: string, who: string) => ({ errorCode: svc === 'dynamodb' || svc === 'ssm' ? 'AccessDeniedException' : 'AccessDenied', errorMessage: `User: ${who} is not authorized to perform: ${svc}:${action}` });
const CLI1 = 'aws-cli/1.18.147 Python/2.7.18 Linux/4.14.219-164.354.amzn2.x86_64 botocore/1.18.6';
const CLI2 = 'aws-cli/2.1.29 Python/3.8.8 Darwin/20.3.0 exe/x86_64 prompt/off';

// Benign background: AWS services and an administrator.
const admin = user('admin', 'AKIAEXAMPLEADMIN0001', 'AIDAEXAMPLEADMIN0001');
for (let i = 0; i < 12; i++) {
  const t = addMinutes(at('17:30:00'), i * 5);
  rec(t, admin, 'ec2.amazonaws.com', 'DescribeInstances', '192.0.2.200', 'console.ec2.amazonaws.com');
  rec(addMinutes(t, 1), { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' }, 's3.amazonaws.com', 'PutObject', 'cloudtrail.amazonaws.com', 'cloudtrail.amazonaws.com', {
    eventCategory: 'Data',
    managementEvent: false,
    readOnly: false,
    requestParameters: { bucketName: `guardduty-example-log-${ACCOUNT}-${REGION}`, key: `AWSLogs/${ACCOUNT}/CloudTrail/${i}.json.gz` },
  });
}

// Scenario 3: EC2 issues role credentials to the instance, which uses them from its own address...
rec(at('17:41:02'), { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' }, 'sts.amazonaws.com', 'AssumeRole', 'ec2.amazonaws.com', 'ec2.amazonaws.com', {
  requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/${ROLE}`, roleSessionName: INSTANCE },
  responseElements: { credentials: { accessKeyId: 'ASIAEXAMPLEEXFIL0001', expiration: 'Mar 9, 2021, 12:01:02 AM' } },
  readOnly: true,
});
for (let i = 0; i < 6; i++) {
  rec(addMinutes(at('17:42:00'), i * 5), instanceRole('ASIAEXAMPLEEXFIL0001', at('17:41:02')), 'ssm.amazonaws.com', 'UpdateInstanceInformation', '54.214.10.20', 'aws-sdk-go/1.36.19 (go1.15.5; linux; amd64) amazon-ssm-agent/3.0.529.0', { readOnly: false });
}
// ...then the learner copies them to a laptop outside AWS ("badbob") and runs:
const roleArn = `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/${INSTANCE}`;
const stolen = instanceRole('ASIAEXAMPLEEXFIL0001', at('17:41:02'));
const attack3: Array<[string, string, Record<string, unknown>?]> = [
  ['iam.amazonaws.com', 'GetUser', denied('iam', 'GetUser', roleArn)],
  ['iam.amazonaws.com', 'CreateUser', { ...denied('iam', 'CreateUser', roleArn), readOnly: false, requestParameters: { userName: 'Chuck' } }],
  ['dynamodb.amazonaws.com', 'ListTables'],
  ['dynamodb.amazonaws.com', 'DescribeTable', { requestParameters: { tableName: 'GuardDuty-Example-Customer-DB' } }],
  ['dynamodb.amazonaws.com', 'Scan', { requestParameters: { tableName: 'GuardDuty-Example-Customer-DB' } }],
  ['ssm.amazonaws.com', 'DescribeParameters'],
  ['ssm.amazonaws.com', 'GetParameters', { requestParameters: { names: ['gd_prod_dbpwd_sample'], withDecryption: true } }],
];
attack3.forEach(([src, name, extra], i) => rec(addMinutes(at('18:14:02'), i), stolen, src, name, '198.51.100.23', CLI2, extra));
// After "Revoke active sessions" the stolen credentials are denied explicitly.
rec(at('18:31:40'), stolen, 'dynamodb.amazonaws.com', 'ListTables', '198.51.100.23', CLI2, {
  errorCode: 'AccessDeniedException',
  errorMessage: `User: ${roleArn} is not authorized to perform: dynamodb:ListTables with an explicit deny`,
});

// Scenario 2: the compromised user's key, every minute from the threat-listed address.
const sim = user('GuardDuty-Example-Compromised-Simulated', 'AKIAEXAMPLESIMUSER01', 'AIDAEXAMPLEUSERID0001');
const simArn = `arn:aws:iam::${ACCOUNT}:user/GuardDuty-Example-Compromised-Simulated`;
for (let i = 0; i < 10; i++) {
  const t = addMinutes(at('17:58:03'), i);
  rec(t, sim, 'iam.amazonaws.com', 'GetUser', '203.0.113.10', CLI1);
  rec(addMinutes(t, 0.1), sim, 'iam.amazonaws.com', 'CreateUser', '203.0.113.10', CLI1, { ...denied('iam', 'CreateUser', simArn), readOnly: false, requestParameters: { userName: 'Sarah' } });
  rec(addMinutes(t, 0.2), sim, 'dynamodb.amazonaws.com', 'ListTables', '203.0.113.10', CLI1, denied('dynamodb', 'ListTables', simArn));
  rec(addMinutes(t, 0.3), sim, 's3.amazonaws.com', 'ListBuckets', '203.0.113.10', CLI1, denied('s3', 'ListBuckets', simArn));
  rec(addMinutes(t, 0.4), sim, 'ssm.amazonaws.com', 'DescribeParameters', '203.0.113.10', CLI1);
  rec(addMinutes(t, 0.5), sim, 'ssm.amazonaws.com', 'GetParameters', '203.0.113.10', CLI1, { requestParameters: { names: ['gd_prod_dbpwd_sample'] } });
  rec(addMinutes(t, 10.6), sim, 's3.amazonaws.com', 'ListObjects', '203.0.113.10', CLI1, {
    ...denied('s3', 'ListBucket', simArn),
    eventCategory: 'Data',
    managementEvent: false,
    requestParameters: { bucketName: FINANCE, 'list-type': '2' },
  });
}

// Scenario 4: bucket protections removed, every minute, from an address on no list.
const sim2 = user('GuardDuty-Example-Compromised2-Simulated', 'AKIAEXAMPLESIMUSER02', 'AIDAEXAMPLEUSERID0002');
for (let i = 0; i < 5; i++) {
  const t = addMinutes(at('18:20:11'), i);
  rec(t, sim2, 's3.amazonaws.com', 'ListBuckets', '203.0.113.77', CLI1);
  rec(addMinutes(t, 0.2), sim2, 's3.amazonaws.com', 'DeletePublicAccessBlock', '203.0.113.77', CLI1, { readOnly: false, requestParameters: { bucketName: FINANCE, publicAccessBlock: [''] } });
  rec(addMinutes(t, 0.4), sim2, 's3.amazonaws.com', 'PutBucketLogging', '203.0.113.77', CLI1, {
    readOnly: false,
    requestParameters: { bucketName: FINANCE, BucketLoggingStatus: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' }, logging: [''] },
  });
}

// Group into CloudTrail's files: one per region and 5-minute delivery window.
rmSync(OUT, { recursive: true, force: true });
const files = new Map<string, Array<Record<string, unknown>>>();
for (const r of records.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)) || String(a.eventID).localeCompare(String(b.eventID)))) {
  const t = new Date(String(r.eventTime));
  const window = new Date(Math.floor(t.getTime() / 300_000) * 300_000 + 300_000);
  const stamp = window.toISOString().replace(/[-:]/g, '').slice(0, 13);
  const key = `${r.awsRegion}|${stamp}`;
  files.set(key, [...(files.get(key) ?? []), r]);
}
let written = 0;
for (const [key, recs] of files) {
  const [region = '', stamp = ''] = key.split('|');
  const dir = join(OUT, 'AWSLogs', ACCOUNT, 'CloudTrail', region, '2021', '03', '08');
  mkdirSync(dir, { recursive: true });
  const name = `${ACCOUNT}_CloudTrail_${region}_${stamp}Z_${createHash('sha256').update(key).digest('hex').slice(0, 16)}.json.gz`;
  writeFileSync(join(dir, name), gzipSync(JSON.stringify({ Records: recs }), { level: 9 }));
  written++;
  // CloudTrail delivers a file twice now and then: the duplicate must not change any count.
  if (stamp === '20210308T1820') {
    writeFileSync(join(dir, name.replace('.json.gz', '-redelivered.json.gz')), gzipSync(JSON.stringify({ Records: recs }), { level: 9 }));
    written++;
  }
}
// Scenario 1: VPC Flow Logs of the compromised instance's interface.
const ENI = 'eni-0123456789abcdef0';
const FLOW_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const flowFiles = new Map<string, string[]>();
/** One record: the fields up to `bytes`, then start and end (the minute), then action and log-status. */
const flow = (minute: number, fields: string, outcome = 'ACCEPT OK') => {
  const start = Date.parse('2021-03-08T18:00:00Z') / 1000 + minute * 60;
  const stamp = new Date((Math.floor(start / 600) * 600 + 600) * 1000).toISOString().replace(/[-:]/g, '').slice(0, 13);
  flowFiles.set(stamp, [...(flowFiles.get(stamp) ?? []), `2 ${ACCOUNT} ${fields} ${start} ${start + 60} ${outcome}`]);
};
for (let m = 0; m < 30; m++) {
  flow(m, `${ENI} 10.0.0.12 203.0.113.10 0 0 1 4 336`);
  flow(m, `${ENI} 203.0.113.10 10.0.0.12 0 0 1 4 336`);
  flow(m, `${ENI} 10.0.0.12 52.94.133.131 ${40000 + m} 443 6 12 4812`);
  flow(m, `${ENI} 10.0.0.12 169.254.169.123 ${50000 + m} 123 17 1 76`);
  if (m % 10 === 3) flow(m, `${ENI} 198.51.100.200 10.0.0.12 ${61000 + m} 22 6 1 44`, 'REJECT OK');
  if (m % 10 === 0) flow(m, 'eni-0aaaaaaaaaaaaaaaa - - - - - - -', '- NODATA');
}
const flowDir = join(OUT, 'AWSLogs', ACCOUNT, 'vpcflowlogs', REGION, '2021', '03', '08');
mkdirSync(flowDir, { recursive: true });
for (const [stamp, lines] of flowFiles) {
  const name = `${ACCOUNT}_vpcflowlogs_${REGION}_fl-0123456789abcdef0_${stamp}Z_${createHash('sha256').update(stamp).digest('hex').slice(0, 8)}.log.gz`;
  writeFileSync(join(flowDir, name), gzipSync(`${FLOW_HEADER}\n${lines.join('\n')}\n`, { level: 9 }));
  written++;
}
console.log(`${records.length} records in ${written} files under ${OUT}`);
