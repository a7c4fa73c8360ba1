/**
 * The lab's AWS account: in-memory state for one account (IAM, STS sessions, EC2, SSM, DynamoDB, S3 buckets backed by
 * directories) and the in-process control API the scenario runner uses to set the stage, as the workshop's
 * CloudFormation stack would. The HTTP side is `server.ts`; this module knows nothing about wire protocols.
 *
 * It is a lab, not AWS. Not emulated: resource-based policies (bucket and key policies), SCPs, permission boundaries,
 * session policies, groups, most operations of every service, eventual consistency, real networking, KMS (SecureString
 * values are kept in clear in memory), billing and quotas.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TrailhoundError } from '../core/errors.js';
import { validatePolicyDocument } from './policy.js';
import { cloudTrailDate } from './time.js';
import { HIDDEN } from './trail.js';
import type { LabApiCall, LabPrincipal } from './types.js';

// ---------------------------------------------------------------- errors

export type LabStateErrorKind = 'NotFound' | 'Exists' | 'Invalid' | 'Conflict' | 'Limit';

/** A control-API or state error: unknown user, duplicate name, bad argument. Services map `kind` to their codes. */
export class LabStateError extends TrailhoundError {
  constructor(
    readonly kind: LabStateErrorKind,
    message: string,
  ) {
    super(`E_LAB_${kind.toUpperCase()}`, message);
  }
}

// ---------------------------------------------------------------- ids

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** AWS-looking identifiers; deterministic with a seed (a SHA-256 counter stream), random without. */
export class IdGenerator {
  private counter = 0;

  constructor(private readonly seed?: string) {}

  bytes(n: number): Buffer {
    if (this.seed === undefined) return randomBytes(n);
    const chunks: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const c = createHash('sha256')
        .update(`${this.seed}:${this.counter++}`)
        .digest();
      chunks.push(c);
      have += c.length;
    }
    return Buffer.concat(chunks).subarray(0, n);
  }

  private chars(alphabet: string, n: number): string {
    const b = this.bytes(n);
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[b[i]! % alphabet.length];
    return s;
  }

  /** Prefix + 16 (keys) or 17 (unique ids) base32 characters: AKIA…, ASIA…, AIDA…, AROA…, AIPA…. */
  iamId(prefix: string, length = 17): string {
    return prefix + this.chars(BASE32, length);
  }

  secret(): string {
    return this.chars(SECRET_CHARS, 40);
  }

  sessionToken(): string {
    return `IQoJb3JpZ2luX2VjE${this.bytes(240).toString('base64')}`;
  }

  /** i-, sg-, eni-, vpc-, subnet-, r-, iip-assoc-, sgr-, eni-attach- + 17 hex digits. */
  ec2Id(prefix: string): string {
    return `${prefix}-${this.bytes(9).toString('hex').slice(0, 17)}`;
  }

  uuid(): string {
    const b = this.bytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  hex(n: number): string {
    return this.bytes(Math.ceil(n / 2))
      .toString('hex')
      .slice(0, n);
  }
}

// ---------------------------------------------------------------- state shapes

export type KeyStatus = 'Active' | 'Inactive';

export interface IamUser {
  userName: string;
  userId: string;
  arn: string;
  path: string;
  createDate: Date;
  /** Inline policies: name → JSON text as given. */
  policies: Map<string, string>;
  /** Attached managed policy ARNs. */
  attached: Set<string>;
  tags: Map<string, string>;
}

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  userName: string;
  status: KeyStatus;
  createDate: Date;
}

export interface IamRole {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  createDate: Date;
  /** The trust policy, JSON text as given. */
  trustPolicy: string;
  description?: string;
  maxSessionDuration: number;
  policies: Map<string, string>;
  attached: Set<string>;
  tags: Map<string, string>;
}

export interface ManagedPolicy {
  policyName: string;
  arn: string;
  policyId: string;
  document: string;
  awsManaged: boolean;
}

export interface InstanceProfile {
  name: string;
  id: string;
  arn: string;
  path: string;
  createDate: Date;
  roles: string[];
}

/** Temporary credentials: an assumed role's session or a user's GetSessionToken session. */
export interface LabSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  issuedAt: Date;
  expiration: Date;
  kind: 'role' | 'user';
  /** kind 'role' */
  roleName?: string;
  sessionName?: string;
  ec2RoleDelivery?: '1.0' | '2.0';
  sourceInstanceId?: string;
  /** ARN of whoever assumed the role (role sessions from STS). */
  assumedBy?: string;
  /** kind 'user' */
  userName?: string;
  /** The long-term key a user session was obtained with. */
  sourceAccessKeyId?: string;
}

export interface Vpc {
  vpcId: string;
  cidrBlock: string;
  isDefault: boolean;
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
}

/** One security group rule (one source per rule, as the console shows them). */
export interface SgRule {
  ruleId: string;
  isEgress: boolean;
  /** tcp, udp, icmp, icmpv6, -1 (all) or a protocol number. */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIp?: string;
  cidrIpv6?: string;
  groupId?: string;
  userId?: string;
  prefixListId?: string;
  description?: string;
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  rules: SgRule[];
}

export interface NetworkInterface {
  networkInterfaceId: string;
  attachmentId: string;
  instanceId: string;
  subnetId: string;
  vpcId: string;
  privateIp: string;
  publicIp?: string;
  macAddress: string;
  groups: string[];
  attachTime: Date;
}

export interface Instance {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  launchTime: Date;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIp: string;
  publicIp?: string;
  /** The primary network interface (device index 0). */
  networkInterfaceId: string;
  keyName?: string;
}

export interface ProfileAssociation {
  associationId: string;
  instanceId: string;
  profileArn: string;
  profileId: string;
  state: 'associating' | 'associated' | 'disassociating' | 'disassociated';
  timestamp: Date;
}

export interface Parameter {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  lastModifiedDate: Date;
  lastModifiedUser: string;
  description?: string;
  keyId?: string;
}

export interface Table {
  tableName: string;
  tableId: string;
  arn: string;
  creationDateTime: Date;
  keySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  attributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  itemCount: number;
  sizeBytes: number;
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
}

export interface Bucket {
  name: string;
  creationDate: Date;
  region: string;
  dir: string;
  logging?: { targetBucket: string; targetPrefix: string };
  publicAccessBlock?: { BlockPublicAcls: boolean; IgnorePublicAcls: boolean; BlockPublicPolicy: boolean; RestrictPublicBuckets: boolean };
}

/** What IMDS returns for an instance's role (the JSON document's fields). */
export interface InstanceCredentials {
  roleName: string;
  accessKeyId: string;
  secretAccessKey: string;
  token: string;
  expiration: Date;
  lastUpdated: Date;
}

export type KeyResolution = { kind: 'user'; key: AccessKey; user: IamUser } | { kind: 'session'; session: LabSession };

export interface LabAccountOptions {
  /** Default 123456789012. */
  accountId?: string;
  /** The account's home region (where EC2, SSM, DynamoDB and buckets live). Default us-east-1. */
  region?: string;
  /** Where buckets are backed: `<dataDir>/s3/<bucket>`. Required before `createBucket`. */
  dataDir?: string;
  /** Makes every generated id, key and secret deterministic (tests). */
  seed?: string;
  clock?: () => Date;
  /** How long instance role credentials last (default 6 h) and after how long IMDS hands out new ones (default 1 h). */
  instanceCredentialTtlSeconds?: number;
  instanceCredentialRefreshSeconds?: number;
  /**
   * Called when a listener of `subscribe` throws on a call record (the trail writer refusing a record, say): the call
   * was handled but is missing from that listener's output. Default: a process warning carrying the error.
   */
  onListenerError?: (err: Error, call: LabApiCall) => void;
}

// ---------------------------------------------------------------- built-in managed policies (simplified documents)

function readOnlyDoc(actions: string[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
}

const AWS_MANAGED: Record<string, string> = {
  AdministratorAccess: readOnlyDoc(['*']),
  ReadOnlyAccess: readOnlyDoc([
    'iam:Get*',
    'iam:List*',
    'sts:GetCallerIdentity',
    'ec2:Describe*',
    'ec2:Get*',
    'ssm:Describe*',
    'ssm:Get*',
    'ssm:List*',
    'dynamodb:Describe*',
    'dynamodb:List*',
    'dynamodb:Get*',
    'dynamodb:Query',
    'dynamodb:Scan',
    's3:Get*',
    's3:List*',
  ]),
  AmazonEC2ReadOnlyAccess: readOnlyDoc(['ec2:Describe*', 'ec2:Get*']),
  AmazonDynamoDBReadOnlyAccess: readOnlyDoc([
    'dynamodb:BatchGetItem',
    'dynamodb:Describe*',
    'dynamodb:List*',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:Scan',
  ]),
  AmazonSSMReadOnlyAccess: readOnlyDoc(['ssm:Describe*', 'ssm:Get*', 'ssm:List*']),
  AmazonS3ReadOnlyAccess: readOnlyDoc(['s3:Get*', 's3:List*', 's3:Describe*']),
};

export const AWS_MANAGED_POLICY_ARNS = Object.keys(AWS_MANAGED).map((n) => `arn:aws:iam::aws:policy/${n}`);

const NAME_RE = /^[\w+=,.@-]{1,128}$/;
const SESSION_NAME_RE = /^[\w+=,.@-]{2,64}$/;

function docText(doc: string | object): string {
  return typeof doc === 'string' ? doc : JSON.stringify(doc);
}

/** An identity policy's problems ([] when valid), as IAM would refuse it (MalformedPolicyDocument). */
export function policyProblems(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return ['Syntax errors in policy.'];
  }
  return validatePolicyDocument(doc);
}

/** A trust policy's problems: every statement needs a Principal; the rest is checked as an identity policy. */
export function trustPolicyProblems(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return ['Syntax errors in policy.'];
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return ['The policy must be a JSON object.'];
  const d = doc as Record<string, unknown>;
  const statements = ([] as unknown[]).concat(d.Statement ?? []);
  const problems: string[] = [];
  const stripped = statements.map((st, i) => {
    if (!st || typeof st !== 'object' || Array.isArray(st)) return st;
    const { Principal, NotPrincipal, ...rest } = st as Record<string, unknown>;
    if (Principal === undefined && NotPrincipal === undefined) problems.push(`Statement ${i}: a trust policy statement needs a Principal.`);
    return 'Resource' in rest || 'NotResource' in rest ? rest : { ...rest, Resource: '*' };
  });
  return [...problems, ...validatePolicyDocument({ ...d, Statement: stripped })];
}

function checkPolicy(text: string, trust = false): void {
  const problems = trust ? trustPolicyProblems(text) : policyProblems(text);
  if (problems.length) throw new LabStateError('Invalid', `MalformedPolicyDocument: ${problems.join('; ')}`);
}

// ---------------------------------------------------------------- the account

export class LabAccount {
  readonly accountId: string;
  readonly region: string;
  readonly dataDir?: string;
  readonly ids: IdGenerator;
  private readonly clock: () => Date;
  private readonly credentialTtlMs: number;
  private readonly credentialRefreshMs: number;

  readonly users = new Map<string, IamUser>();
  readonly accessKeys = new Map<string, AccessKey>();
  readonly roles = new Map<string, IamRole>();
  readonly managedPolicies = new Map<string, ManagedPolicy>();
  readonly instanceProfiles = new Map<string, InstanceProfile>();
  readonly sessions = new Map<string, LabSession>();
  readonly vpcs = new Map<string, Vpc>();
  readonly subnets = new Map<string, Subnet>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  readonly instances = new Map<string, Instance>();
  readonly networkInterfaces = new Map<string, NetworkInterface>();
  readonly associations = new Map<string, ProfileAssociation>();
  /** EC2 tags of any resource: resource id → key → value. */
  readonly tags = new Map<string, Map<string, string>>();
  readonly parameters = new Map<string, Parameter>();
  readonly tables = new Map<string, Table>();
  readonly buckets = new Map<string, Bucket>();
  readonly defaultVpcId: string;
  readonly defaultSubnetId: string;

  /** The instance credentials IMDS hands out, by instance (reused until they are due for refresh). */
  private readonly instanceSessions = new Map<string, string>();
  private readonly listeners = new Set<(call: LabApiCall) => void>();
  private readonly onListenerError?: (err: Error, call: LabApiCall) => void;

  constructor(o: LabAccountOptions = {}) {
    this.accountId = o.accountId ?? '123456789012';
    if (!/^\d{12}$/.test(this.accountId)) throw new LabStateError('Invalid', `account id must be 12 digits: ${this.accountId}`);
    this.region = o.region ?? 'us-east-1';
    this.dataDir = o.dataDir === undefined ? undefined : resolve(o.dataDir);
    this.ids = new IdGenerator(o.seed);
    this.clock = o.clock ?? (() => new Date());
    this.credentialTtlMs = (o.instanceCredentialTtlSeconds ?? 6 * 3600) * 1000;
    this.credentialRefreshMs = (o.instanceCredentialRefreshSeconds ?? 3600) * 1000;
    if (o.onListenerError !== undefined && typeof o.onListenerError !== 'function') throw new LabStateError('Invalid', 'onListenerError must be a function');
    this.onListenerError = o.onListenerError;
    for (const [name, document] of Object.entries(AWS_MANAGED)) {
      const arn = `arn:aws:iam::aws:policy/${name}`;
      this.managedPolicies.set(arn, { policyName: name, arn, policyId: this.ids.iamId('ANPA'), document, awsManaged: true });
    }
    const vpc: Vpc = { vpcId: this.ids.ec2Id('vpc'), cidrBlock: '172.31.0.0/16', isDefault: true };
    this.vpcs.set(vpc.vpcId, vpc);
    this.defaultVpcId = vpc.vpcId;
    const subnet: Subnet = { subnetId: this.ids.ec2Id('subnet'), vpcId: vpc.vpcId, cidrBlock: '172.31.0.0/20', availabilityZone: `${this.region}a` };
    this.subnets.set(subnet.subnetId, subnet);
    this.defaultSubnetId = subnet.subnetId;
    this.createSecurityGroup({ name: 'default', description: 'default VPC security group', vpcId: vpc.vpcId });
  }

  now(): Date {
    return this.clock();
  }

  // ------------------------------------------------------------ call records

  /** Receives every API call record: the server's, and the AssumeRole records of instance credential deliveries. */
  subscribe(listener: (call: LabApiCall) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Hands a call record to every listener. A listener that throws does not keep the others from the record, nor the
   * call from being answered; its error goes to `onListenerError` (default: a process warning), never silently away.
   */
  emit(call: LabApiCall): void {
    for (const l of this.listeners) {
      try {
        l(call);
      } catch (err) {
        this.listenerFailed(err, call);
      }
    }
  }

  private listenerFailed(thrown: unknown, call: LabApiCall): void {
    const err = thrown instanceof Error ? thrown : new Error(`a call record listener threw ${String(thrown)}`);
    try {
      if (this.onListenerError) this.onListenerError(err, call);
      else process.emitWarning(err);
    } catch (handlerErr) {
      // the handler failed too: the warning is the last place the error can go
      process.emitWarning(handlerErr instanceof Error ? handlerErr : String(handlerErr));
    }
  }

  // ------------------------------------------------------------ IAM users and keys

  createUser(userName: string, o: { path?: string; tags?: Record<string, string> } = {}): IamUser {
    if (!NAME_RE.test(userName)) throw new LabStateError('Invalid', `invalid user name: ${userName}`);
    if (this.findUser(userName)) throw new LabStateError('Exists', `User with name ${userName} already exists.`);
    const path = o.path ?? '/';
    const user: IamUser = {
      userName,
      userId: this.ids.iamId('AIDA'),
      arn: `arn:aws:iam::${this.accountId}:user${path}${userName}`,
      path,
      createDate: this.now(),
      policies: new Map(),
      attached: new Set(),
      tags: new Map(Object.entries(o.tags ?? {})),
    };
    this.users.set(userName, user);
    return user;
  }

  /** IAM names are case-insensitive for uniqueness and lookup. */
  findUser(userName: string): IamUser | undefined {
    const exact = this.users.get(userName);
    if (exact) return exact;
    const lower = userName.toLowerCase();
    for (const u of this.users.values()) if (u.userName.toLowerCase() === lower) return u;
    return undefined;
  }

  user(userName: string): IamUser {
    const u = this.findUser(userName);
    if (!u) throw new LabStateError('NotFound', `The user with name ${userName} cannot be found.`);
    return u;
  }

  createAccessKey(userName: string): { accessKeyId: string; secretAccessKey: string; userName: string; status: KeyStatus; createDate: Date } {
    const user = this.user(userName);
    const mine = [...this.accessKeys.values()].filter((k) => k.userName === user.userName);
    if (mine.length >= 2) throw new LabStateError('Limit', 'Cannot exceed quota for AccessKeysPerUser: 2');
    const key: AccessKey = {
      accessKeyId: this.ids.iamId('AKIA', 16),
      secretAccessKey: this.ids.secret(),
      userName: user.userName,
      status: 'Active',
      createDate: this.now(),
    };
    this.accessKeys.set(key.accessKeyId, key);
    return { ...key };
  }

  userKeys(userName: string): AccessKey[] {
    const user = this.user(userName);
    return [...this.accessKeys.values()].filter((k) => k.userName === user.userName);
  }

  private userKey(accessKeyId: string, userName?: string): AccessKey {
    const key = this.accessKeys.get(accessKeyId);
    if (!key || (userName !== undefined && key.userName !== this.user(userName).userName))
      throw new LabStateError('NotFound', `The Access Key with id ${accessKeyId} cannot be found.`);
    return key;
  }

  updateAccessKey(accessKeyId: string, status: KeyStatus, userName?: string): void {
    if (status !== 'Active' && status !== 'Inactive') throw new LabStateError('Invalid', `invalid status: ${String(status)}`);
    this.userKey(accessKeyId, userName).status = status;
  }

  deleteAccessKey(accessKeyId: string, userName?: string): void {
    this.userKey(accessKeyId, userName);
    this.accessKeys.delete(accessKeyId);
  }

  accessKeyStatus(accessKeyId: string): KeyStatus | undefined {
    return this.accessKeys.get(accessKeyId)?.status;
  }

  putUserPolicy(userName: string, policyName: string, document: string | object): void {
    const user = this.user(userName);
    this.checkPolicyName(policyName);
    const text = docText(document);
    checkPolicy(text);
    user.policies.set(policyName, text);
  }

  deleteUserPolicy(userName: string, policyName: string): void {
    const user = this.user(userName);
    if (!user.policies.delete(policyName)) throw new LabStateError('NotFound', `The user policy with name ${policyName} cannot be found.`);
  }

  /** The user's inline policies: name → JSON text. */
  getUserPolicies(userName: string): Record<string, string> {
    return Object.fromEntries(this.user(userName).policies);
  }

  attachUserPolicy(userName: string, policyArn: string): void {
    const user = this.user(userName);
    this.managedPolicy(policyArn);
    user.attached.add(policyArn);
  }

  /** A customer managed policy (arn:aws:iam::ACCOUNT:policy/NAME). */
  createPolicy(policyName: string, document: string | object): ManagedPolicy {
    this.checkPolicyName(policyName);
    const arn = `arn:aws:iam::${this.accountId}:policy/${policyName}`;
    if (this.managedPolicies.has(arn)) throw new LabStateError('Exists', `A policy called ${policyName} already exists. Duplicate names are not allowed.`);
    const text = docText(document);
    checkPolicy(text);
    const p: ManagedPolicy = { policyName, arn, policyId: this.ids.iamId('ANPA'), document: text, awsManaged: false };
    this.managedPolicies.set(arn, p);
    return p;
  }

  managedPolicy(arn: string): ManagedPolicy {
    const p = this.managedPolicies.get(arn);
    if (!p) throw new LabStateError('NotFound', `Policy ${arn} does not exist or is not attachable.`);
    return p;
  }

  private checkPolicyName(name: string): void {
    if (!NAME_RE.test(name)) throw new LabStateError('Invalid', `invalid policy name: ${name}`);
  }

  // ------------------------------------------------------------ roles and instance profiles

  createRole(roleName: string, trust: string | object, o: { path?: string; description?: string; maxSessionDuration?: number } = {}): IamRole {
    if (!NAME_RE.test(roleName) || roleName.length > 64) throw new LabStateError('Invalid', `invalid role name: ${roleName}`);
    if (this.findRole(roleName)) throw new LabStateError('Exists', `Role with name ${roleName} already exists.`);
    const trustPolicy = docText(trust);
    checkPolicy(trustPolicy, true);
    const path = o.path ?? '/';
    const role: IamRole = {
      roleName,
      roleId: this.ids.iamId('AROA'),
      arn: `arn:aws:iam::${this.accountId}:role${path}${roleName}`,
      path,
      createDate: this.now(),
      trustPolicy,
      description: o.description,
      maxSessionDuration: o.maxSessionDuration ?? 3600,
      policies: new Map(),
      attached: new Set(),
      tags: new Map(),
    };
    this.roles.set(roleName, role);
    return role;
  }

  findRole(roleName: string): IamRole | undefined {
    const exact = this.roles.get(roleName);
    if (exact) return exact;
    const lower = roleName.toLowerCase();
    for (const r of this.roles.values()) if (r.roleName.toLowerCase() === lower) return r;
    return undefined;
  }

  role(roleName: string): IamRole {
    const r = this.findRole(roleName);
    if (!r) throw new LabStateError('NotFound', `The role with name ${roleName} cannot be found.`);
    return r;
  }

  roleByArn(arn: string): IamRole | undefined {
    for (const r of this.roles.values()) if (r.arn === arn) return r;
    return undefined;
  }

  putRolePolicy(roleName: string, policyName: string, document: string | object): void {
    const role = this.role(roleName);
    this.checkPolicyName(policyName);
    const text = docText(document);
    checkPolicy(text);
    role.policies.set(policyName, text);
  }

  deleteRolePolicy(roleName: string, policyName: string): void {
    const role = this.role(roleName);
    if (!role.policies.delete(policyName)) throw new LabStateError('NotFound', `The role policy with name ${policyName} cannot be found.`);
  }

  /** The role's inline policies: name → JSON text. */
  getRolePolicies(roleName: string): Record<string, string> {
    return Object.fromEntries(this.role(roleName).policies);
  }

  attachRolePolicy(roleName: string, policyArn: string): void {
    const role = this.role(roleName);
    this.managedPolicy(policyArn);
    role.attached.add(policyArn);
  }

  createInstanceProfile(name: string, roleName?: string, o: { path?: string } = {}): InstanceProfile {
    if (!NAME_RE.test(name)) throw new LabStateError('Invalid', `invalid instance profile name: ${name}`);
    if (this.instanceProfiles.has(name)) throw new LabStateError('Exists', `Instance Profile ${name} already exists.`);
    const path = o.path ?? '/';
    const profile: InstanceProfile = {
      name,
      id: this.ids.iamId('AIPA'),
      arn: `arn:aws:iam::${this.accountId}:instance-profile${path}${name}`,
      path,
      createDate: this.now(),
      roles: roleName ? [this.role(roleName).roleName] : [],
    };
    this.instanceProfiles.set(name, profile);
    return profile;
  }

  instanceProfile(name: string): InstanceProfile {
    const p = this.instanceProfiles.get(name);
    if (!p) throw new LabStateError('NotFound', `Instance Profile ${name} cannot be found.`);
    return p;
  }

  instanceProfileByArn(arn: string): InstanceProfile | undefined {
    for (const p of this.instanceProfiles.values()) if (p.arn === arn) return p;
    return undefined;
  }

  // ------------------------------------------------------------ credentials and sessions

  /** Who an access key belongs to (long-term key or session), without checking status, token or expiry. */
  resolveAccessKey(accessKeyId: string): KeyResolution | undefined {
    const key = this.accessKeys.get(accessKeyId);
    if (key) {
      const user = this.findUser(key.userName);
      return user ? { kind: 'user', key, user } : undefined;
    }
    const session = this.sessions.get(accessKeyId);
    if (!session) return undefined;
    if (session.kind === 'role' && !this.findRole(session.roleName ?? '')) return undefined;
    if (session.kind === 'user' && !this.findUser(session.userName ?? '')) return undefined;
    return { kind: 'session', session };
  }

  /** The principal a key stands for (what a trail writer shows), or undefined for a key the account does not know. */
  principalFor(r: KeyResolution): LabPrincipal {
    if (r.kind === 'user') {
      const u = r.user;
      return { type: 'IAMUser', accountId: this.accountId, userName: u.userName, principalId: u.userId, arn: u.arn, accessKeyId: r.key.accessKeyId };
    }
    const s = r.session;
    if (s.kind === 'user') {
      const u = this.user(s.userName ?? '');
      return { type: 'IAMUser', accountId: this.accountId, userName: u.userName, principalId: u.userId, arn: u.arn, accessKeyId: s.accessKeyId };
    }
    const role = this.role(s.roleName ?? '');
    const p: LabPrincipal = {
      type: 'AssumedRole',
      accountId: this.accountId,
      roleName: role.roleName,
      roleId: role.roleId,
      roleArn: role.arn,
      sessionName: s.sessionName ?? '',
      arn: `arn:aws:sts::${this.accountId}:assumed-role/${role.roleName}/${s.sessionName}`,
      accessKeyId: s.accessKeyId,
      issuedAt: s.issuedAt,
    };
    if (s.ec2RoleDelivery) p.ec2RoleDelivery = s.ec2RoleDelivery;
    if (s.sourceInstanceId) p.sourceInstanceId = s.sourceInstanceId;
    if (s.assumedBy) p.assumedBy = s.assumedBy;
    return p;
  }

  /** The principal behind any key the account knows (including inactive keys and expired sessions). */
  describeAccessKey(accessKeyId: string): LabPrincipal | undefined {
    const r = this.resolveAccessKey(accessKeyId);
    return r ? this.principalFor(r) : undefined;
  }

  /** Identity policies that apply to a principal: inline + attached (users: the user's; sessions: the role's). */
  identityPolicies(p: LabPrincipal): { name: string; document: unknown }[] {
    let inline: Map<string, string>;
    let attached: Set<string>;
    let owner: string;
    if (p.type === 'IAMUser') {
      const u = this.findUser(p.userName);
      if (!u) return [];
      inline = u.policies;
      attached = u.attached;
      owner = `user/${u.userName}`;
    } else if (p.type === 'AssumedRole') {
      const r = this.findRole(p.roleName);
      if (!r) return [];
      inline = r.policies;
      attached = r.attached;
      owner = `role/${r.roleName}`;
    } else return [];
    const out: { name: string; document: unknown }[] = [];
    for (const [name, text] of inline) out.push({ name: `${owner}/${name}`, document: safeParse(text) });
    for (const arn of attached) {
      const m = this.managedPolicies.get(arn);
      if (m) out.push({ name: arn, document: safeParse(m.document) });
    }
    return out;
  }

  /** Creates a role session (STS AssumeRole or an instance profile delivery). Checks nothing: callers authorize. */
  createRoleSession(
    roleName: string,
    sessionName: string,
    o: { durationSeconds?: number; assumedBy?: string; ec2RoleDelivery?: '1.0' | '2.0'; sourceInstanceId?: string } = {},
  ): LabSession {
    const role = this.role(roleName);
    if (!SESSION_NAME_RE.test(sessionName)) throw new LabStateError('Invalid', `invalid role session name: ${sessionName}`);
    const issuedAt = this.now();
    const session: LabSession = {
      accessKeyId: this.ids.iamId('ASIA', 16),
      secretAccessKey: this.ids.secret(),
      sessionToken: this.ids.sessionToken(),
      issuedAt,
      expiration: new Date(issuedAt.getTime() + (o.durationSeconds ?? 3600) * 1000),
      kind: 'role',
      roleName: role.roleName,
      sessionName,
    };
    if (o.assumedBy) session.assumedBy = o.assumedBy;
    if (o.ec2RoleDelivery) session.ec2RoleDelivery = o.ec2RoleDelivery;
    if (o.sourceInstanceId) session.sourceInstanceId = o.sourceInstanceId;
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  /** A user's session credentials (STS GetSessionToken). */
  createUserSession(userName: string, sourceAccessKeyId: string, durationSeconds = 43200): LabSession {
    const user = this.user(userName);
    const issuedAt = this.now();
    const session: LabSession = {
      accessKeyId: this.ids.iamId('ASIA', 16),
      secretAccessKey: this.ids.secret(),
      sessionToken: this.ids.sessionToken(),
      issuedAt,
      expiration: new Date(issuedAt.getTime() + durationSeconds * 1000),
      kind: 'user',
      userName: user.userName,
      sourceAccessKeyId,
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  /**
   * What IMDS hands out for an instance: its instance profile role's credentials, with session name = the instance id
   * and `ec2RoleDelivery` 2.0. The same credentials are returned until they are due for refresh (`fresh` forces new
   * ones); each new issue is reported as CloudTrail shows it (sts AssumeRole invoked by ec2.amazonaws.com).
   * Throws LabStateError NotFound when the instance has no associated instance profile (or it has no role).
   */
  instanceCredentials(instanceId: string, o: { fresh?: boolean } = {}): InstanceCredentials {
    const instance = this.instance(instanceId);
    const assoc = this.liveAssociation(instance.instanceId);
    if (!assoc) throw new LabStateError('NotFound', `instance ${instanceId} has no instance profile associated`);
    const profile = this.instanceProfileByArn(assoc.profileArn);
    const roleName = profile?.roles[0];
    if (!roleName) throw new LabStateError('NotFound', `instance profile ${assoc.profileArn} has no role`);
    const role = this.role(roleName);
    if (!trustsService(role.trustPolicy, 'ec2.amazonaws.com'))
      throw new LabStateError('Invalid', `role ${role.roleName}'s trust policy does not allow ec2.amazonaws.com to assume it`);
    const now = this.now();
    const current = this.sessions.get(this.instanceSessions.get(instance.instanceId) ?? '');
    if (!o.fresh && current && current.roleName === role.roleName && now.getTime() - current.issuedAt.getTime() < this.credentialRefreshMs) {
      return sessionCredentials(current);
    }
    const session = this.createRoleSession(role.roleName, instance.instanceId, {
      durationSeconds: this.credentialTtlMs / 1000,
      ec2RoleDelivery: '2.0',
      sourceInstanceId: instance.instanceId,
    });
    this.instanceSessions.set(instance.instanceId, session.accessKeyId);
    this.emit({
      time: now,
      service: 'sts',
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      awsRegion: this.region,
      sourceIPAddress: 'ec2.amazonaws.com',
      userAgent: 'ec2.amazonaws.com',
      principal: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
      requestParameters: { roleArn: role.arn, roleSessionName: session.sessionName },
      // As CloudTrail writes an AWS service's AssumeRole: the credentials only (the token is the lab's placeholder,
      // never the token itself), no assumedRoleUser.
      responseElements: {
        credentials: { accessKeyId: session.accessKeyId, sessionToken: HIDDEN, expiration: cloudTrailDate(session.expiration) },
      },
      readOnly: true,
      eventCategory: 'Management',
      requestId: this.ids.uuid(),
      eventId: this.ids.uuid(),
      recipientAccountId: this.accountId,
      resources: [
        { accountId: this.accountId, type: 'AWS::IAM::Role', ARN: role.arn },
        { accountId: this.accountId, type: 'AWS::IAM::AccessKey', ARN: `arn:aws:iam::${this.accountId}:accessKey/${session.accessKeyId}` },
      ],
    });
    return sessionCredentials(session);
  }

  // ------------------------------------------------------------ EC2

  createSecurityGroup(o: {
    name: string;
    description?: string;
    vpcId?: string;
    ingress?: Omit<SgRule, 'ruleId' | 'isEgress'>[];
    /** Default: allow all outbound, as EC2 does. */
    egress?: Omit<SgRule, 'ruleId' | 'isEgress'>[];
    tags?: Record<string, string>;
  }): SecurityGroup {
    const vpcId = o.vpcId ?? this.defaultVpcId;
    if (!this.vpcs.has(vpcId)) throw new LabStateError('NotFound', `The vpc ID '${vpcId}' does not exist`);
    for (const g of this.securityGroups.values())
      if (g.vpcId === vpcId && g.groupName === o.name) throw new LabStateError('Exists', `The security group '${o.name}' already exists for VPC '${vpcId}'`);
    const sg: SecurityGroup = { groupId: this.ids.ec2Id('sg'), groupName: o.name, description: o.description ?? o.name, vpcId, rules: [] };
    for (const r of o.ingress ?? []) sg.rules.push({ ...r, ruleId: this.ids.ec2Id('sgr'), isEgress: false });
    for (const r of o.egress ?? [{ protocol: '-1', cidrIp: '0.0.0.0/0' }]) sg.rules.push({ ...r, ruleId: this.ids.ec2Id('sgr'), isEgress: true });
    this.securityGroups.set(sg.groupId, sg);
    if (o.tags) this.setTags(sg.groupId, o.tags);
    return sg;
  }

  securityGroup(groupId: string): SecurityGroup {
    const g = this.securityGroups.get(groupId);
    if (!g) throw new LabStateError('NotFound', `The security group '${groupId}' does not exist`);
    return g;
  }

  /** Starts an instance (running at once) with one network interface in the default subnet unless told otherwise. */
  runInstance(o: {
    name?: string;
    /** Instance profile name. */
    profile?: string;
    publicIp?: string;
    privateIp: string;
    securityGroupIds?: string[];
    subnetId?: string;
    vpcId?: string;
    tags?: Record<string, string>;
    instanceType?: string;
    imageId?: string;
    keyName?: string;
  }): Instance {
    let subnet = o.subnetId ? this.subnets.get(o.subnetId) : undefined;
    if (o.subnetId && !subnet) throw new LabStateError('NotFound', `The subnet ID '${o.subnetId}' does not exist`);
    if (!subnet) {
      const vpcId = o.vpcId ?? this.defaultVpcId;
      if (!this.vpcs.has(vpcId)) throw new LabStateError('NotFound', `The vpc ID '${vpcId}' does not exist`);
      subnet = [...this.subnets.values()].find((s) => s.vpcId === vpcId);
      if (!subnet) {
        subnet = { subnetId: this.ids.ec2Id('subnet'), vpcId, cidrBlock: '10.0.0.0/24', availabilityZone: `${this.region}a` };
        this.subnets.set(subnet.subnetId, subnet);
      }
    }
    const groups = o.securityGroupIds ?? [this.defaultGroup(subnet.vpcId).groupId];
    for (const g of groups)
      if (this.securityGroup(g).vpcId !== subnet.vpcId) throw new LabStateError('Invalid', `security group ${g} is not in ${subnet.vpcId}`);
    const now = this.now();
    const instanceId = this.ids.ec2Id('i');
    const eni: NetworkInterface = {
      networkInterfaceId: this.ids.ec2Id('eni'),
      attachmentId: this.ids.ec2Id('eni-attach'),
      instanceId,
      subnetId: subnet.subnetId,
      vpcId: subnet.vpcId,
      privateIp: o.privateIp,
      publicIp: o.publicIp,
      macAddress: this.ids
        .hex(12)
        .replace(/(..)(?!$)/g, '$1:')
        .replace(/^./, '0'),
      groups: [...groups],
      attachTime: now,
    };
    const instance: Instance = {
      instanceId,
      reservationId: this.ids.ec2Id('r'),
      imageId: o.imageId ?? 'ami-0abcdef1234567890',
      instanceType: o.instanceType ?? 't3.micro',
      state: 'running',
      launchTime: now,
      subnetId: subnet.subnetId,
      vpcId: subnet.vpcId,
      availabilityZone: subnet.availabilityZone,
      privateIp: o.privateIp,
      publicIp: o.publicIp,
      networkInterfaceId: eni.networkInterfaceId,
      keyName: o.keyName,
    };
    this.instances.set(instanceId, instance);
    this.networkInterfaces.set(eni.networkInterfaceId, eni);
    const tags = { ...(o.name ? { Name: o.name } : {}), ...(o.tags ?? {}) };
    if (Object.keys(tags).length) this.setTags(instanceId, tags);
    if (o.profile) this.associateInstanceProfile(instanceId, this.instanceProfile(o.profile).arn);
    return instance;
  }

  private defaultGroup(vpcId: string): SecurityGroup {
    for (const g of this.securityGroups.values()) if (g.vpcId === vpcId && g.groupName === 'default') return g;
    return this.createSecurityGroup({ name: 'default', description: 'default VPC security group', vpcId });
  }

  instance(instanceId: string): Instance {
    const i = this.instances.get(instanceId);
    if (!i) throw new LabStateError('NotFound', `The instance ID '${instanceId}' does not exist`);
    return i;
  }

  instanceArn(instanceId: string): string {
    return `arn:aws:ec2:${this.region}:${this.accountId}:instance/${instanceId}`;
  }

  networkInterface(id: string): NetworkInterface {
    const n = this.networkInterfaces.get(id);
    if (!n) throw new LabStateError('NotFound', `The networkInterface ID '${id}' does not exist`);
    return n;
  }

  instanceInterfaces(instanceId: string): NetworkInterface[] {
    return [...this.networkInterfaces.values()].filter((n) => n.instanceId === instanceId);
  }

  setNetworkInterfaceGroups(eniId: string, groupIds: string[]): void {
    const eni = this.networkInterface(eniId);
    if (groupIds.length === 0) throw new LabStateError('Invalid', 'at least one security group is required');
    for (const g of groupIds) {
      if (this.securityGroup(g).vpcId !== eni.vpcId) throw new LabStateError('Invalid', `You have specified two resources that belong to different networks.`);
    }
    eni.groups = [...new Set(groupIds)];
  }

  liveAssociation(instanceId: string): ProfileAssociation | undefined {
    for (const a of this.associations.values()) if (a.instanceId === instanceId && (a.state === 'associated' || a.state === 'associating')) return a;
    return undefined;
  }

  associateInstanceProfile(instanceId: string, profileArn: string): ProfileAssociation {
    this.instance(instanceId);
    const profile = this.instanceProfileByArn(profileArn);
    if (!profile) throw new LabStateError('Invalid', `Value (${profileArn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`);
    if (this.liveAssociation(instanceId)) throw new LabStateError('Conflict', `There is an existing association for instance ${instanceId}`);
    const a: ProfileAssociation = {
      associationId: this.ids.ec2Id('iip-assoc'),
      instanceId,
      profileArn: profile.arn,
      profileId: profile.id,
      state: 'associated',
      timestamp: this.now(),
    };
    this.associations.set(a.associationId, a);
    return a;
  }

  /** After this, IMDS hands out no credentials for the instance; sessions already issued keep working. */
  disassociateInstanceProfile(associationId: string): ProfileAssociation {
    const a = this.associations.get(associationId);
    if (!a || a.state === 'disassociated') throw new LabStateError('NotFound', `The association ${associationId} is not found.`);
    a.state = 'disassociated';
    a.timestamp = this.now();
    this.instanceSessions.delete(a.instanceId);
    return a;
  }

  setTags(resourceId: string, tags: Record<string, string>): void {
    let m = this.tags.get(resourceId);
    if (!m) {
      m = new Map();
      this.tags.set(resourceId, m);
    }
    for (const [k, v] of Object.entries(tags)) m.set(k, v);
  }

  /** Removes tags by key (and value, when given: only a tag with that value is removed). */
  deleteTags(resourceId: string, tags: { key: string; value?: string }[]): void {
    const m = this.tags.get(resourceId);
    if (!m) return;
    for (const t of tags) if (t.value === undefined || m.get(t.key) === t.value) m.delete(t.key);
  }

  tagsOf(resourceId: string): { Key: string; Value: string }[] {
    return [...(this.tags.get(resourceId) ?? new Map<string, string>())].map(([Key, Value]) => ({ Key, Value }));
  }

  /** Whether an EC2 resource id names something this account has. */
  ec2ResourceExists(id: string): boolean {
    return (
      this.instances.has(id) ||
      this.securityGroups.has(id) ||
      this.networkInterfaces.has(id) ||
      this.vpcs.has(id) ||
      this.subnets.has(id) ||
      /^ami-/.test(id) ||
      /^(vol|snap)-/.test(id)
    );
  }

  // ------------------------------------------------------------ SSM, DynamoDB, S3

  putParameter(o: { name: string; value: string; type?: Parameter['type']; description?: string; overwrite?: boolean; user?: string }): Parameter {
    if (!/^\/?[\w.\-/]{1,1011}$/.test(o.name)) throw new LabStateError('Invalid', `invalid parameter name: ${o.name}`);
    const prior = this.parameters.get(o.name);
    if (prior && !o.overwrite)
      throw new LabStateError('Exists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    const type = o.type ?? prior?.type ?? 'String';
    const p: Parameter = {
      name: o.name,
      type,
      value: o.value,
      version: (prior?.version ?? 0) + 1,
      lastModifiedDate: this.now(),
      lastModifiedUser: o.user ?? `arn:aws:iam::${this.accountId}:root`,
      description: o.description ?? prior?.description,
      keyId: type === 'SecureString' ? 'alias/aws/ssm' : undefined,
    };
    this.parameters.set(o.name, p);
    return p;
  }

  parameterArn(name: string, region = this.region): string {
    return `arn:aws:ssm:${region}:${this.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  createTable(
    tableName: string,
    o: { hashKey?: string; hashKeyType?: 'S' | 'N' | 'B'; rangeKey?: string; rangeKeyType?: 'S' | 'N' | 'B'; itemCount?: number } = {},
  ): Table {
    if (!/^[\w.-]{3,255}$/.test(tableName)) throw new LabStateError('Invalid', `invalid table name: ${tableName}`);
    if (this.tables.has(tableName)) throw new LabStateError('Exists', `Table already exists: ${tableName}`);
    const hash = o.hashKey ?? 'id';
    const keySchema: Table['keySchema'] = [{ AttributeName: hash, KeyType: 'HASH' }];
    const attributeDefinitions: Table['attributeDefinitions'] = [{ AttributeName: hash, AttributeType: o.hashKeyType ?? 'S' }];
    if (o.rangeKey) {
      keySchema.push({ AttributeName: o.rangeKey, KeyType: 'RANGE' });
      attributeDefinitions.push({ AttributeName: o.rangeKey, AttributeType: o.rangeKeyType ?? 'S' });
    }
    const t: Table = {
      tableName,
      tableId: this.ids.uuid(),
      arn: `arn:aws:dynamodb:${this.region}:${this.accountId}:table/${tableName}`,
      creationDateTime: this.now(),
      keySchema,
      attributeDefinitions,
      itemCount: o.itemCount ?? 0,
      sizeBytes: (o.itemCount ?? 0) * 120,
      billingMode: 'PAY_PER_REQUEST',
    };
    this.tables.set(tableName, t);
    return t;
  }

  /** Creates a bucket backed by the directory `<dataDir>/s3/<name>` (created if missing); returns the bucket. */
  createBucket(name: string): Bucket {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) || name.includes('..'))
      throw new LabStateError('Invalid', `The specified bucket is not valid: ${name}`);
    if (this.buckets.has(name)) throw new LabStateError('Exists', 'Your previous request to create the named bucket succeeded and you already own it.');
    if (!this.dataDir) throw new LabStateError('Invalid', 'the lab account needs a dataDir to back buckets');
    const dir = join(this.dataDir, 's3', name);
    mkdirSync(dir, { recursive: true });
    const b: Bucket = { name, creationDate: this.now(), region: this.region, dir };
    this.buckets.set(name, b);
    return b;
  }

  bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw new LabStateError('NotFound', 'The specified bucket does not exist');
    return b;
  }

  /** The directory backing a bucket: writers put objects there (keys are paths relative to it). */
  bucketDir(name: string): string {
    return this.bucket(name).dir;
  }
}

// ---------------------------------------------------------------- helpers

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

function sessionCredentials(s: LabSession): InstanceCredentials {
  return {
    roleName: s.roleName ?? '',
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
    token: s.sessionToken,
    expiration: s.expiration,
    lastUpdated: s.issuedAt,
  };
}

/** Whether a trust policy has an Allow statement for sts:AssumeRole with `Principal.Service` = service. */
export function trustsService(trustPolicy: string, service: string): boolean {
  const doc = safeParse(trustPolicy) as { Statement?: unknown };
  const statements = ([] as unknown[]).concat(doc?.Statement ?? []);
  return statements.some((st) => {
    const s = st as { Effect?: string; Action?: unknown; Principal?: { Service?: unknown } };
    if (s?.Effect !== 'Allow') return false;
    const actions = ([] as unknown[]).concat(s.Action ?? []).map(String);
    if (!actions.some((a) => a === '*' || a === 'sts:*' || a.toLowerCase() === 'sts:assumerole')) return false;
    return ([] as unknown[]).concat(s.Principal?.Service ?? []).includes(service);
  });
}
