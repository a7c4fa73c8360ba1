import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListUsersCommand } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServe, startServe } from '../../src/cli/serve.js';
import { LabAccount } from '../../src/lab/account.js';
import { LabClients } from '../../src/lab/clients.js';
import { startLabServer } from '../../src/lab/server.js';
import { TrailWriter } from '../../src/lab/trail.js';
import { validateConfig } from '../../src/pipeline/config.js';

/** serve's S3 source reading a trail bucket through the lab's S3 API (ListObjectsV2 + GetObject, signed, authorised). */
let dir: string;
let lab: { url: string; close(): Promise<void> };
let serve: RunningServe | undefined;
let account: LabAccount;
let trail: TrailWriter;
const ACCOUNT = '111122223333';
const REGION = 'us-west-2';
const BUCKET = 'lab-trail-bucket';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'th-lab-s3-'));
  account = new LabAccount({ accountId: ACCOUNT, region: REGION, dataDir: join(dir, 'lab'), seed: 's3-source' });
  account.createBucket(BUCKET);
  trail = new TrailWriter({ bucketDir: account.bucketDir(BUCKET), tmpDir: join(dir, 'tmp'), accountId: ACCOUNT, region: REGION, flushMs: 0 });
  account.subscribe((c) => {
    if (c.eventCategory !== 'Data') trail.record(c);
  });
  lab = await startLabServer({ account, port: 0 });
}, 30_000);
afterAll(async () => {
  await serve?.close();
  await trail.close();
  await lab.close();
  await rm(dir, { recursive: true, force: true });
});

async function startReader(credentials: { accessKeyId: string; secretAccessKey: string }): Promise<{ serve: RunningServe; s3: S3Client }> {
  await writeFile(join(dir, 'threat.txt'), '203.0.113.10\n');
  const config = validateConfig(
    {
      threatLists: [{ name: 'lab-threats', path: join(dir, 'threat.txt') }],
      db: join(dir, `serve-${credentials.accessKeyId}.db`),
      serve: {
        tokens: [{ name: 'test', role: 'viewer', sha256: 'a'.repeat(64) }],
        sources: [
          {
            type: 's3',
            name: 'lab',
            bucket: BUCKET,
            accounts: [ACCOUNT],
            regions: ['us-east-1', REGION],
            intervalSeconds: 1,
            region: REGION,
            endpoint: lab.url,
          },
        ],
      },
    },
    'test',
  );
  const s3 = new S3Client({ region: REGION, endpoint: lab.url, forcePathStyle: true, credentials });
  const s = await startServe({ config, host: '127.0.0.1', port: 0, aws: { s3 }, log: () => {} });
  return { serve: s, s3 };
}

describe("serve's S3 source over the lab's S3 API", () => {
  it('reads the trail the lab wrote and detects on it', async () => {
    account.createUser('reader');
    account.putUserPolicy('reader', 'read-trail', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetObject'], Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`] }],
    });
    const reader = account.createAccessKey('reader');
    account.createUser('victim');
    account.attachUserPolicy('victim', 'arn:aws:iam::aws:policy/ReadOnlyAccess');
    const key = account.createAccessKey('victim');
    const attacker = new LabClients({ endpoint: lab.url, region: REGION, credentials: key, sourceIp: '203.0.113.10' });
    for (let i = 0; i < 3; i++) await attacker.iam.send(new ListUsersCommand({}));
    attacker.destroy();
    const keys = await trail.flush();
    expect(keys.length).toBeGreaterThan(0);

    const r = await startReader(reader);
    serve = r.serve;
    await serve.idle(30_000);
    const events = serve.services.store.events({ principal: key.accessKeyId, since: 0, until: Date.now() + 60_000 });
    expect(events).toHaveLength(3);
    const types = serve.services.store.findings().map((f) => f.type);
    expect(types).toContain('Recon:IAMUser/MaliciousIPCaller.Custom');
    expect(serve.service.status()[0]?.lastError).toBeUndefined();
    await serve.close();
    serve = undefined;
    r.s3.destroy();
  }, 60_000);

  it("is refused by the lab when the reader's policy does not allow the bucket", async () => {
    account.createUser('nobody');
    const k = account.createAccessKey('nobody');
    const r = await startReader(k);
    serve = r.serve;
    await serve.idle(10_000);
    // A failed poll is reported (and retried), never taken for an empty bucket.
    expect(serve.service.status()[0]?.lastError).toMatch(/access denied/i);
    expect(serve.services.store.findings()).toEqual([]);
    await serve.close();
    serve = undefined;
    r.s3.destroy();
  }, 30_000);
});
