import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { labClient } from './server.js';

export interface LabCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface LabClientOptions {
  endpoint: string;
  region: string;
  credentials: LabCredentials;
  /** The public address this client plays: an attacker's host, an office, an instance's Elastic IP. */
  sourceIp: string;
  /** Appended to the SDK's user agent, so that the trail tells the lab's actors apart. */
  userAgent?: string;
}

type AnyClient = { destroy(): void };

/** Unmodified AWS SDK v3 clients pointed at the lab, as one actor (credentials + public address). */
export class LabClients {
  private readonly made: AnyClient[] = [];
  readonly iam: IAMClient;
  readonly sts: STSClient;
  readonly ec2: EC2Client;
  readonly s3: S3Client;
  readonly ssm: SSMClient;
  readonly dynamodb: DynamoDBClient;

  constructor(o: LabClientOptions) {
    const track = <T extends AnyClient>(c: T): T => {
      this.made.push(c);
      return c;
    };
    this.iam = track(labClient(IAMClient, o));
    this.sts = track(labClient(STSClient, o));
    this.ec2 = track(labClient(EC2Client, o));
    this.s3 = track(labClient(S3Client, o));
    this.ssm = track(labClient(SSMClient, o));
    this.dynamodb = track(labClient(DynamoDBClient, o));
  }

  destroy(): void {
    for (const c of this.made) c.destroy();
  }
}
