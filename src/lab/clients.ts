import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';

/** The header through which a lab client declares the public address it plays (the trail's `sourceIPAddress`). */
export const SOURCE_IP_HEADER = 'x-trailhound-lab-source-ip';

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

type AnyClient = { middlewareStack: { add(mw: unknown, options: unknown): void }; destroy(): void };

/** Adds the source-address header to every request of a client (before signing, as any other header). */
function withSourceIp<T extends AnyClient>(client: T, ip: string): T {
  client.middlewareStack.add(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) => (args: { request: { headers: Record<string, string> } }) => {
      args.request.headers[SOURCE_IP_HEADER] = ip;
      return next(args);
    },
    { step: 'build', name: 'trailhoundLabSourceIp' },
  );
  return client;
}

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
    const base = {
      endpoint: o.endpoint,
      region: o.region,
      credentials: o.credentials,
      maxAttempts: 1,
      ...(o.userAgent ? { customUserAgent: o.userAgent } : {}),
    };
    const track = <T extends AnyClient>(c: T): T => {
      this.made.push(c);
      return withSourceIp(c, o.sourceIp);
    };
    this.iam = track(new IAMClient(base));
    this.sts = track(new STSClient(base));
    this.ec2 = track(new EC2Client(base));
    this.s3 = track(new S3Client({ ...base, forcePathStyle: true }));
    this.ssm = track(new SSMClient(base));
    this.dynamodb = track(new DynamoDBClient(base));
  }

  destroy(): void {
    for (const c of this.made) c.destroy();
  }
}
