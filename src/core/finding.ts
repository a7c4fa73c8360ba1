/**
 * The GuardDuty finding model (schemaVersion 2.0), as returned by GetFindings and carried in the
 * `detail` of a "GuardDuty Finding" EventBridge event. Field names follow the botocore model.
 */

export type ResourceRole = 'TARGET' | 'ACTOR';

export interface RemoteIpDetails {
  ipAddressV4?: string;
  ipAddressV6?: string;
  organization?: { asn?: string; asnOrg?: string; isp?: string; org?: string };
  country?: { countryCode?: string; countryName?: string };
  city?: { cityName?: string };
  geoLocation?: { lat: number; lon: number };
}

export interface AccessKeyDetails {
  accessKeyId: string;
  principalId: string;
  userName: string;
  userType: string;
}

export interface InstanceDetails {
  instanceId: string;
  [key: string]: unknown;
}

export interface S3BucketDetail {
  arn: string;
  name: string;
  type: string;
  createdAt?: string;
  owner?: { id: string };
  tags?: Array<{ key: string; value: string }>;
  defaultServerSideEncryption?: { encryptionType?: string; kmsMasterKeyArn?: string };
  publicAccess?: {
    permissionConfiguration?: {
      bucketLevelPermissions?: {
        accessControlList?: { allowsPublicReadAccess: boolean; allowsPublicWriteAccess: boolean };
        bucketPolicy?: { allowsPublicReadAccess: boolean; allowsPublicWriteAccess: boolean };
        blockPublicAccess?: BlockPublicAccess;
      };
      accountLevelPermissions?: { blockPublicAccess?: BlockPublicAccess };
    };
    effectivePermission?: 'PUBLIC' | 'NOT_PUBLIC';
  };
}

export interface BlockPublicAccess {
  ignorePublicAcls: boolean;
  restrictPublicBuckets: boolean;
  blockPublicAcls: boolean;
  blockPublicPolicy: boolean;
}

export interface FindingResource {
  resourceType: 'AccessKey' | 'Instance' | 'S3Bucket';
  accessKeyDetails?: AccessKeyDetails;
  instanceDetails?: InstanceDetails;
  s3BucketDetails?: S3BucketDetail[];
}

export interface AwsApiCallAction {
  api: string;
  serviceName: string;
  callerType: string;
  errorCode?: string;
  userAgent?: string;
  remoteIpDetails?: RemoteIpDetails;
  domainDetails?: { domain: string };
  remoteAccountDetails?: { accountId: string; affiliated: boolean };
  affectedResources?: Record<string, string>;
}

export interface PortDetails {
  port: number;
  portName: string;
}

export interface LocalIpDetails {
  ipAddressV4?: string;
  ipAddressV6?: string;
}

/** A connection seen in VPC Flow Logs, from the point of view of the instance (local) and the other party (remote). */
export interface NetworkConnectionAction {
  connectionDirection: 'INBOUND' | 'OUTBOUND' | 'UNKNOWN';
  protocol: string;
  /** True when the flow was rejected (security group or network ACL). */
  blocked: boolean;
  localIpDetails?: LocalIpDetails;
  localPortDetails?: PortDetails;
  remoteIpDetails?: RemoteIpDetails;
  remotePortDetails?: PortDetails;
}

/** A DNS query seen in Route 53 Resolver query logs. */
export interface DnsRequestAction {
  domain: string;
  protocol?: string;
  blocked?: boolean;
}

/** One probe of a port: the instance's port and address, and the prober's address. */
export interface PortProbeDetail {
  localPortDetails?: PortDetails;
  localIpDetails?: LocalIpDetails;
  remoteIpDetails?: RemoteIpDetails;
}

/** Unsolicited connections to a port of the instance (GuardDuty's `PORT_PROBE` action). */
export interface PortProbeAction {
  /** True when the probes were blocked (security group or network ACL). */
  blocked: boolean;
  portProbeDetails: PortProbeDetail[];
}

export interface FindingAction {
  actionType: 'AWS_API_CALL' | 'NETWORK_CONNECTION' | 'DNS_REQUEST' | 'PORT_PROBE';
  awsApiCallAction?: AwsApiCallAction;
  networkConnectionAction?: NetworkConnectionAction;
  dnsRequestAction?: DnsRequestAction;
  portProbeAction?: PortProbeAction;
}

export interface ThreatIntelligenceDetail {
  threatListName: string;
  threatNames: string[];
  threatFileSha256?: string;
}

export interface FindingService {
  serviceName: 'guardduty';
  detectorId: string;
  action: FindingAction;
  evidence?: { threatIntelligenceDetails: ThreatIntelligenceDetail[] } | null;
  archived: boolean;
  count: number;
  eventFirstSeen: string;
  eventLastSeen: string;
  resourceRole: ResourceRole;
  additionalInfo: { value: string; type: 'default'; [key: string]: unknown };
  featureName?: string;
}

export interface Finding {
  schemaVersion: '2.0';
  accountId: string;
  region: string;
  partition: string;
  id: string;
  arn: string;
  type: string;
  resource: FindingResource;
  service: FindingService;
  severity: number;
  confidence?: number;
  createdAt: string;
  updatedAt: string;
  title: string;
  description: string;
}

/** Severity bands (GuardDuty user guide): Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0. */
export type SeverityLabel = 'Low' | 'Medium' | 'High' | 'Critical';

export const SEVERITY = { Low: 2, Medium: 5, High: 8, Critical: 9 } as const;

export function severityLabel(severity: number): SeverityLabel {
  if (severity >= 9) return 'Critical';
  if (severity >= 7) return 'High';
  if (severity >= 4) return 'Medium';
  return 'Low';
}

/** Parses `low|medium|high|critical` (any case) or a number into the lowest severity value of that band. */
export function parseMinSeverity(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  const named: Record<string, number> = { low: 1, medium: 4, high: 7, critical: 9 };
  if (t in named) return named[t];
  const n = Number(t);
  return Number.isFinite(n) && t !== '' ? n : undefined;
}
