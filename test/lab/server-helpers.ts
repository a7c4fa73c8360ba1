/** Shared set-up for the lab server tests: a seeded account, the real server on 127.0.0.1:0, real SDK v3 clients. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { LabAccount, type LabAccountOptions } from '../../src/lab/account.js';
import { type LabServer, labClient, startLabServer } from '../../src/lab/server.js';
import type { LabApiCall } from '../../src/lab/types.js';

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface TestLab {
  account: LabAccount;
  server: LabServer;
  calls: LabApiCall[];
  dir: string;
  /** Every SDK client for one set of credentials, playing `sourceIp`. */
  clients(credentials: Creds, sourceIp?: string, region?: string): Clients;
  /** Calls recorded since the mark. */
  since(mark: number): LabApiCall[];
  close(): Promise<void>;
}

export interface Clients {
  iam: IAMClient;
  sts: STSClient;
  ec2: EC2Client;
  ssm: SSMClient;
  dynamodb: DynamoDBClient;
  s3: S3Client;
}

export const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

export async function startTestLab(o: Omit<LabAccountOptions, 'dataDir'> = {}): Promise<TestLab> {
  const dir = await mkdtemp(join(tmpdir(), 'th-lab-server-'));
  const account = new LabAccount({ seed: 'lab-server-test', ...o, dataDir: dir });
  const calls: LabApiCall[] = [];
  const server = await startLabServer({ account, onCall: (c) => calls.push(c) });
  const made: { destroy(): void }[] = [];
  return {
    account,
    server,
    calls,
    dir,
    clients(credentials, sourceIp = '198.51.100.7', region = account.region) {
      const o = { endpoint: server.url, region, credentials, sourceIp, userAgent: 'lab-test' };
      const c: Clients = {
        iam: labClient(IAMClient, o),
        sts: labClient(STSClient, o),
        ec2: labClient(EC2Client, o),
        ssm: labClient(SSMClient, o),
        dynamodb: labClient(DynamoDBClient, o),
        s3: labClient(S3Client, o),
      };
      made.push(...Object.values(c));
      return c;
    },
    since: (mark) => calls.slice(mark),
    async close() {
      for (const c of made) c.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The error an SDK call rejects with (fails the test if it resolves). */
export async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}
