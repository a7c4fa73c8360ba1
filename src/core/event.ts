import type { Ip } from './ip.js';

/** A CloudTrail record as AWS writes it. Only the fields Trailhound reads are typed; the rest is kept. */
export interface CloudTrailRecord {
  eventVersion?: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  eventID?: string;
  requestID?: string;
  readOnly?: boolean;
  eventType?: string;
  eventCategory?: string;
  managementEvent?: boolean;
  recipientAccountId?: string;
  vpcEndpointId?: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown> | null;
  resources?: Array<{ ARN?: string; accountId?: string; type?: string }>;
  userIdentity: UserIdentity;
  [key: string]: unknown;
}

export interface UserIdentity {
  type?: string;
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  invokedBy?: string;
  sessionContext?: {
    attributes?: { creationDate?: string; mfaAuthenticated?: string };
    sessionIssuer?: { type?: string; principalId?: string; arn?: string; accountId?: string; userName?: string };
    ec2RoleDelivery?: string;
    sourceIdentity?: string;
    webIdFederationData?: unknown;
  };
  [key: string]: unknown;
}

/** How the record's `sourceIPAddress` was understood. */
export type SourceKind =
  | 'ip' // a parseable IPv4/IPv6 address
  | 'service' // an AWS service name such as `ec2.amazonaws.com`
  | 'aws-internal' // the literal `AWS Internal`
  | 'missing'
  | 'invalid'; // anything else (e.g. anonymised addresses with leading zeros)

/**
 * One CloudTrail API call, normalised once at parse time so detectors only read fields.
 * `record` is the original record, untouched.
 */
export interface ApiEvent {
  /** `eventID`, or a content hash when the record has none. */
  id: string;
  /** Event time in ms since the epoch. */
  time: number;
  /** `<svc>.amazonaws.com` */
  source: string;
  name: string;
  region: string;
  /** The account the event was delivered to (`recipientAccountId`, else the caller's account). */
  account: string;
  partition: string;
  sourceText: string;
  sourceKind: SourceKind;
  ip: Ip | undefined;
  userAgent: string;
  errorCode: string | undefined;
  readOnly: boolean | undefined;
  /** `Management`, `Data`, `Insight`, `NetworkActivity`. */
  category: string;
  principal: Principal;
  record: CloudTrailRecord;
  /** Where the record came from: `file` or `file#index`, for error messages and provenance. */
  origin: string;
  /** Threat lists holding the source address; computed once, on first use (`null` = none). */
  threatLists?: string[] | null;
  /** Set by the instance-credential detectors: the instance whose credentials made the call (`null` = none). */
  instanceCall?: { instanceId: string; role: string; address: string } | null;
}

export interface Principal {
  type: string;
  arn: string;
  principalId: string;
  accountId: string;
  accessKeyId: string;
  /** IAM user name, or the role name for an assumed role, or `Root`. */
  userName: string;
  /** For assumed roles: the session name (the part after the role name). */
  sessionName: string;
  /** For assumed roles: the role ARN (`sessionIssuer.arn`). */
  roleArn: string;
  invokedBy: string;
  ec2RoleDelivery: string;
  /** `sessionContext.attributes.creationDate` in ms, if present. */
  issuedAt: number | undefined;
}
