/**
 * Shared shapes of the lab (a small local AWS account on 127.0.0.1). The lab is a teaching and test environment: it
 * speaks AWS's wire protocols for the calls the workshop's scenarios and Trailhound's playbooks make, and nothing
 * else. It is never AWS.
 */

/** Who made a call, as the lab resolved it from the request's access key (and session token). */
export type LabPrincipal =
  | {
      type: 'IAMUser';
      accountId: string;
      userName: string;
      /** AIDA... */
      principalId: string;
      arn: string;
      accessKeyId: string;
    }
  | {
      type: 'AssumedRole';
      accountId: string;
      roleName: string;
      /** AROA... */
      roleId: string;
      /** arn:aws:iam::ACCOUNT:role/NAME */
      roleArn: string;
      sessionName: string;
      /** arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION */
      arn: string;
      /** ASIA... */
      accessKeyId: string;
      /** When the session's credentials were issued: `aws:TokenIssueTime`. */
      issuedAt: Date;
      /** Set for an instance profile's credentials (IMDS): CloudTrail's `sessionContext.ec2RoleDelivery` ("2.0"). */
      ec2RoleDelivery?: '1.0' | '2.0';
      /** The instance whose profile the credentials came from (`sessionContext.sourceIdentity`-free; used for `ec2:SourceInstanceARN`). */
      sourceInstanceId?: string;
      /** Who assumed the role: the IAM user or role ARN (sessionIssuer is the role itself). */
      assumedBy?: string;
    }
  | {
      /** AWS acting for itself, e.g. EC2 delivering an instance profile's credentials. */
      type: 'AWSService';
      invokedBy: string;
    };

/** One API call as the lab handled it: everything a CloudTrail record is built from. */
export interface LabApiCall {
  time: Date;
  /** Signing name: iam, sts, ec2, s3, ssm, dynamodb. */
  service: string;
  /** e.g. iam.amazonaws.com */
  eventSource: string;
  eventName: string;
  awsRegion: string;
  /** The client's address as the lab's scenario set-up declares it (the public address the trail should show). */
  sourceIPAddress: string;
  userAgent: string;
  /** Undefined when the request could not be authenticated (unknown key, bad signature). */
  principal?: LabPrincipal;
  /** The access key the request was signed with, even when it could not be authenticated. */
  accessKeyId?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  errorCode?: string;
  errorMessage?: string;
  readOnly: boolean;
  /** Management (default) or Data (S3 object-level calls). */
  eventCategory: 'Management' | 'Data';
  requestId: string;
  eventId: string;
  recipientAccountId: string;
  /** CloudTrail `resources` where the call names them (S3 data events, AssumeRole). */
  resources?: { ARN: string; accountId?: string; type: string }[];
}

/** One network connection an instance made or received, for the lab's VPC Flow Log files. */
export interface LabFlow {
  start: Date;
  end: Date;
  accountId: string;
  region: string;
  interfaceId: string;
  instanceId?: string;
  vpcId?: string;
  subnetId?: string;
  srcAddr: string;
  dstAddr: string;
  srcPort: number;
  dstPort: number;
  /** IANA protocol number: 6 TCP, 17 UDP, 1 ICMP. */
  protocol: number;
  packets: number;
  bytes: number;
  action: 'ACCEPT' | 'REJECT';
}
