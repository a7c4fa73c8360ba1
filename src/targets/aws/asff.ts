import type { AwsSecurityFinding, Resource } from '@aws-sdk/client-securityhub';
import type { AwsApiCallAction, Finding } from '../../core/finding.js';
import { severityLabel } from '../../core/finding.js';

/**
 * GuardDuty finding -> AWS Security Finding Format (ASFF, schema 2018-10-08), following the mapping GuardDuty itself
 * uses when it sends findings to Security Hub (GuardDuty user guide, "securityhub-integration"; guardduty.md §6).
 * Pure: the same finding always gives the same ASFF document.
 */

export const ASFF_SCHEMA_VERSION = '2018-10-08';

/**
 * `Types` for the GuardDuty finding types Trailhound produces, as GuardDuty's integration table lists them
 * (`namespace/category/classifier`; the `/` inside the GuardDuty type becomes `-`).
 */
export const ASFF_TYPES: Readonly<Record<string, string>> = {
  // The workshop's findings
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration': 'Effects/Data Exfiltration/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS':
    'Effects/Data Exfiltration/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS':
    'Effects/Data Exfiltration/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.InsideAWS',
  'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom': 'TTPs/UnauthorizedAccess:IAMUser-MaliciousIPCaller.Custom',
  'Recon:IAMUser/MaliciousIPCaller.Custom': 'TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller.Custom',
  'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom': 'TTPs/Command and Control/UnauthorizedAccess:EC2-MaliciousIPCaller.Custom',
  'Discovery:S3/MaliciousIPCaller.Custom': 'TTPs/Discovery:S3-MaliciousIPCaller.Custom',
  'Stealth:S3/ServerAccessLoggingDisabled': 'TTPs/Defense Evasion/Stealth:S3-ServerAccessLoggingDisabled',
  'Policy:S3/BucketBlockPublicAccessDisabled': 'Effects/Data Exposure/Policy:S3-BucketBlockPublicAccessDisabled',
  // Other types Trailhound's detectors produce
  'UnauthorizedAccess:S3/MaliciousIPCaller.Custom': 'TTPs/UnauthorizedAccess:S3-MaliciousIPCaller.Custom',
  'Policy:S3/AccountBlockPublicAccessDisabled': 'TTPs/Policy:S3-AccountBlockPublicAccessDisabled',
  'Policy:S3/BucketAnonymousAccessGranted': 'TTPs/Policy:S3-BucketAnonymousAccessGranted',
  'Policy:S3/BucketPublicAccessGranted': 'TTPs/Policy:S3-BucketPublicAccessGranted',
  'Policy:IAMUser/RootCredentialUsage': 'TTPs/Policy:IAMUser-RootCredentialUsage',
  'Stealth:IAMUser/CloudTrailLoggingDisabled': 'TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled',
  'Stealth:IAMUser/PasswordPolicyChange': 'TTPs/Defense Evasion/Stealth:IAMUser-PasswordPolicyChange',
  'PenTest:IAMUser/KaliLinux': 'TTPs/PenTest:IAMUser/KaliLinux',
  'PenTest:IAMUser/ParrotLinux': 'TTPs/PenTest:IAMUser/ParrotLinux',
  'PenTest:IAMUser/PentooLinux': 'TTPs/PenTest:IAMUser/PentooLinux',
  'UnauthorizedAccess:IAMUser/MaliciousIPCaller': 'TTPs/UnauthorizedAccess:IAMUser-MaliciousIPCaller',
  'Recon:IAMUser/MaliciousIPCaller': 'TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller',
  'UnauthorizedAccess:IAMUser/TorIPCaller': 'TTPs/Command and Control/UnauthorizedAccess:IAMUser-TorIPCaller',
  'Recon:IAMUser/TorIPCaller': 'TTPs/Discovery/Recon:IAMUser-TorIPCaller',
};

/** The ASFF type of a GuardDuty type: from the table, else `TTPs/<type with its "/" replaced by "-">`. */
export function asffType(type: string): string {
  return ASFF_TYPES[type] ?? `TTPs/${type.replace('/', '-')}`;
}

/** ASFF severity label of a GuardDuty severity, by GuardDuty's bands (Low 1-3.9, Medium 4-6.9, High 7-8.9, Critical 9+). */
export function asffSeverityLabel(severity: number): 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' {
  return severityLabel(severity).toUpperCase() as 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
}

/** Security Hub's product ARN for GuardDuty in a region. */
export function guardDutyProductArn(partition: string, region: string): string {
  return `arn:${partition}:securityhub:${region}::product/aws/guardduty`;
}

/** The detector ARN a finding ARN belongs to (`.../detector/<id>/finding/<id>` -> `.../detector/<id>`). */
export function detectorArn(finding: Finding): string {
  const i = finding.arn.indexOf('/finding/');
  if (i > 0) return finding.arn.slice(0, i);
  return `arn:${finding.partition}:guardduty:${finding.region}:${finding.accountId}:detector/${finding.service.detectorId}`;
}

function consoleHost(partition: string, region: string): string {
  if (partition === 'aws-cn') return 'console.amazonaws.cn';
  if (partition === 'aws-us-gov') return 'console.amazonaws-us-gov.com';
  return `${region}.console.aws.amazon.com`;
}

/** The GuardDuty console page of the finding. */
export function guardDutyConsoleUrl(finding: Finding): string {
  return `https://${consoleHost(finding.partition, finding.region)}/guardduty/home?region=${finding.region}#/findings?macros=current&fId=${encodeURIComponent(finding.id)}`;
}

/** ASFF limits on ProductFields: at most 50 pairs, keys up to 128 characters, values up to 2,048. */
export const PRODUCT_FIELDS_MAX = 50;
const KEY_MAX = 128;
const VALUE_MAX = 2048;

/**
 * `service` flattened into `aws/guardduty/service/<path>` string pairs, as GuardDuty writes them: nested objects
 * become path segments, array items their index, `null` and empty objects `""`.
 */
export function flattenService(service: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (value: unknown, path: string) => {
    if (value === undefined) return;
    if (value === null) {
      out.push([path, '']);
    } else if (Array.isArray(value)) {
      if (value.length === 0) out.push([path, '']);
      for (const [i, v] of value.entries()) walk(v, `${path}/${i}`);
    } else if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      if (entries.length === 0) out.push([path, '']);
      for (const [k, v] of entries) walk(v, `${path}/${k}`);
    } else {
      out.push([path, String(value)]);
    }
  };
  walk(service, 'aws/guardduty/service');
  return out;
}

function productFields(finding: Finding, productArn: string, id: string): Record<string, string> {
  const reserved: Array<[string, string]> = [
    ['aws/securityhub/FindingId', `${productArn}/${id}`],
    ['aws/securityhub/ProductName', 'GuardDuty'],
    ['aws/securityhub/CompanyName', 'Amazon'],
  ];
  const fields: Record<string, string> = {};
  const service = flattenService(finding.service)
    .filter(([k]) => k.length <= KEY_MAX)
    .slice(0, PRODUCT_FIELDS_MAX - reserved.length);
  for (const [k, v] of [...service, ...reserved]) fields[k] = v.length > VALUE_MAX ? v.slice(0, VALUE_MAX) : v;
  return fields;
}

function accessKeyResource(finding: Finding): Resource | undefined {
  const k = finding.resource.accessKeyDetails;
  if (!k) return undefined;
  return {
    Type: 'AwsIamAccessKey',
    Id: `AWS::IAM::AccessKey:${k.accessKeyId}`,
    Partition: finding.partition as Resource['Partition'],
    Region: finding.region,
    Details: {
      AwsIamAccessKey: {
        PrincipalId: k.principalId,
        PrincipalType: k.userType,
        PrincipalName: k.userName,
        AccessKeyId: k.accessKeyId,
        AccountId: finding.accountId,
      },
    },
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function instanceResource(finding: Finding): Resource | undefined {
  const d = finding.resource.instanceDetails;
  if (!d) return undefined;
  const addresses: string[] = [];
  const enis = Array.isArray(d.networkInterfaces) ? (d.networkInterfaces as Array<Record<string, unknown>>) : [];
  for (const eni of enis) {
    const pub = str(eni.publicIp);
    const priv = str(eni.privateIpAddress);
    if (pub) addresses.push(pub);
    if (priv) addresses.push(priv);
  }
  const details: Record<string, unknown> = {
    Type: str(d.instanceType),
    ImageId: str(d.imageId),
    IpV4Addresses: addresses.length ? addresses : undefined,
    VpcId: str(enis[0]?.vpcId),
    SubnetId: str(enis[0]?.subnetId),
    LaunchedAt: str(d.launchTime),
    IamInstanceProfileArn: str((d.iamInstanceProfile as { arn?: unknown } | undefined)?.arn),
  };
  const r: Resource = {
    Type: 'AwsEc2Instance',
    Id: `arn:${finding.partition}:ec2:${finding.region}:${finding.accountId}:instance/${d.instanceId}`,
    Partition: finding.partition as Resource['Partition'],
    Region: finding.region,
  };
  const tags = Array.isArray(d.tags) ? (d.tags as Array<{ key?: unknown; value?: unknown }>) : [];
  if (tags.length) r.Tags = Object.fromEntries(tags.filter((t) => typeof t.key === 'string').map((t) => [t.key as string, String(t.value ?? '')]));
  const defined = Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined));
  if (Object.keys(defined).length) r.Details = { AwsEc2Instance: defined };
  return r;
}

function bucketResources(finding: Finding): Resource[] {
  return (finding.resource.s3BucketDetails ?? []).map((b) => {
    const details: Record<string, unknown> = {};
    if (b.owner?.id) details.OwnerId = b.owner.id;
    if (b.createdAt) details.CreatedAt = b.createdAt;
    const r: Resource = { Type: 'AwsS3Bucket', Id: b.arn, Partition: finding.partition as Resource['Partition'], Region: finding.region };
    if (b.tags?.length) r.Tags = Object.fromEntries(b.tags.map((t) => [t.key, t.value]));
    if (Object.keys(details).length) r.Details = { AwsS3Bucket: details };
    return r;
  });
}

/** Resources: the finding's primary resource (by `resourceType`) first, then the others it names. */
export function asffResources(finding: Finding): Resource[] {
  const key = accessKeyResource(finding);
  const instance = instanceResource(finding);
  const buckets = bucketResources(finding);
  let ordered: Array<Resource | undefined>;
  switch (finding.resource.resourceType) {
    case 'S3Bucket':
      ordered = [...buckets, key, instance];
      break;
    case 'Instance':
      ordered = [instance, key, ...buckets];
      break;
    default:
      ordered = [key, instance, ...buckets];
  }
  return ordered.filter((r): r is Resource => r !== undefined);
}

function apiCallAction(a: AwsApiCallAction, finding: Finding): NonNullable<AwsSecurityFinding['Action']>['AwsApiCallAction'] {
  const out: NonNullable<NonNullable<AwsSecurityFinding['Action']>['AwsApiCallAction']> = {
    Api: a.api,
    ServiceName: a.serviceName,
    CallerType: a.callerType === 'Remote IP' ? 'remoteip' : a.callerType === 'Domain' ? 'domain' : a.callerType,
    FirstSeen: finding.service.eventFirstSeen,
    LastSeen: finding.service.eventLastSeen,
  };
  const ip = a.remoteIpDetails;
  if (ip) {
    const asn = ip.organization?.asn !== undefined ? Number(ip.organization.asn) : undefined;
    out.RemoteIpDetails = {
      IpAddressV4: ip.ipAddressV4,
      Organization: ip.organization
        ? { Asn: Number.isFinite(asn) ? asn : undefined, AsnOrg: ip.organization.asnOrg, Isp: ip.organization.isp, Org: ip.organization.org }
        : undefined,
      Country: ip.country ? { CountryCode: ip.country.countryCode, CountryName: ip.country.countryName } : undefined,
      City: ip.city ? { CityName: ip.city.cityName } : undefined,
      GeoLocation: ip.geoLocation ? { Lat: ip.geoLocation.lat, Lon: ip.geoLocation.lon } : undefined,
    };
  }
  if (a.domainDetails) out.DomainDetails = { Domain: a.domainDetails.domain };
  if (a.affectedResources && Object.keys(a.affectedResources).length) out.AffectedResources = { ...a.affectedResources };
  return stripUndefined(out);
}

function stripUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export interface AsffOptions {
  /** The ProductArn to import under. Default: GuardDuty's product ARN in the finding's region. */
  productArn?: string;
}

/** The ASFF document for a GuardDuty finding. */
export function toAsff(finding: Finding, options: AsffOptions = {}): AwsSecurityFinding {
  const productArn = options.productArn ?? guardDutyProductArn(finding.partition, finding.region);
  const id = finding.arn;
  const asff: AwsSecurityFinding = {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: id,
    ProductArn: productArn,
    ProductName: 'GuardDuty',
    CompanyName: 'Amazon',
    Region: finding.region,
    GeneratorId: detectorArn(finding),
    AwsAccountId: finding.accountId,
    Types: [asffType(finding.type)],
    FirstObservedAt: finding.service.eventFirstSeen,
    LastObservedAt: finding.service.eventLastSeen,
    CreatedAt: finding.createdAt,
    UpdatedAt: finding.updatedAt,
    Severity: { Product: finding.severity, Label: asffSeverityLabel(finding.severity) },
    Title: finding.title,
    Description: finding.description,
    SourceUrl: guardDutyConsoleUrl(finding),
    ProductFields: productFields(finding, productArn, id),
    Resources: asffResources(finding),
    Workflow: { Status: 'NEW' },
    RecordState: finding.service.archived ? 'ARCHIVED' : 'ACTIVE',
  };
  if (finding.confidence !== undefined) asff.Confidence = Math.round(Math.min(100, Math.max(0, finding.confidence)));
  const api = finding.service.action.awsApiCallAction;
  if (finding.service.action.actionType === 'AWS_API_CALL' && api) {
    asff.Action = { ActionType: 'AWS_API_CALL', AwsApiCallAction: apiCallAction(api, finding) };
  }
  return asff;
}
