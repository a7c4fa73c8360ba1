/**
 * What a review of the lab's endpoint found, each with the request that showed it: every answered call reaches the
 * trail (credential scope regions and operation names are checked, a listener's failure is reported), the declared
 * source address counts only when signed and only when Trailhound can parse it, EC2 filters cannot make the server
 * backtrack for minutes, S3 serves regular files only and closes a file whose reader went away, STS is regional,
 * and lab clients give up instead of waiting forever.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetUserCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketLoggingCommand } from '@aws-sdk/client-s3';
import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wildcardMatch } from '../../src/core/glob.js';
import { LabAccount } from '../../src/lab/account.js';
import { DEFAULT_SOURCE_IP, LAB_SOURCE_IP_HEADER, labClient, labClientConfig, startLabServer } from '../../src/lab/server.js';
import { TrailWriter } from '../../src/lab/trail.js';
import type { LabApiCall } from '../../src/lab/types.js';
import { type Creds, failure, startTestLab, type TestLab } from './server-helpers.js';

let lab: TestLab;
let admin: Creds;
const listenerErrors: { err: Error; call: LabApiCall }[] = [];

beforeAll(async () => {
  lab = await startTestLab({ onListenerError: (err, call) => listenerErrors.push({ err, call }) });
  lab.account.createUser('admin');
  lab.account.attachUserPolicy('admin', 'arn:aws:iam::aws:policy/AdministratorAccess');
  admin = lab.account.createAccessKey('admin');
});
afterAll(async () => {
  await lab.close();
});

type Mw = { middlewareStack: { add(mw: any, o: any): void } };

/** Changes a request before it is signed: the signature covers the change. */
function beforeSigning<T extends Mw>(client: T, f: (r: { headers: Record<string, string>; body: string }) => void): T {
  client.middlewareStack.add(
    (next: any) => (args: any) => {
      f(args.request);
      if (typeof args.request.body === 'string') args.request.headers['content-length'] = String(Buffer.byteLength(args.request.body));
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'beforeSigning' },
  );
  return client;
}

/** Changes a request after it is signed (the deserialize step runs last, just before the request is sent). */
function afterSigning<T extends Mw>(client: T, f: (r: { headers: Record<string, string> }) => void): T {
  client.middlewareStack.add(
    (next: any) => (args: any) => {
      f(args.request);
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: 'afterSigning' },
  );
  return client;
}

function trailRecords(dir: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.json.gz'))
        out.push(...(JSON.parse(gunzipSync(readFileSync(p)).toString('utf8')) as { Records: Record<string, unknown>[] }).Records);
    }
  };
  walk(dir);
  return out;
}

describe('every call the lab answers reaches the trail', () => {
  it('refuses a credential scope with an invalid region, and an operation name no AWS operation has; the trail gets every other call', async () => {
    const trailDir = join(lab.dir, 'trail-every-call');
    const writer = new TrailWriter({ bucketDir: trailDir, accountId: lab.account.accountId, region: lab.account.region, flushMs: 0 });
    const unsubscribe = lab.account.subscribe((c) => writer.record(c));
    const mark = lab.calls.length;
    try {
      // A region the trail could not file the record under: refused as AWS refuses it, before anything is recorded.
      const upper = lab.clients(admin, undefined, 'US-WEST-2');
      const refused = await failure(upper.sts.send(new GetCallerIdentityCommand({})));
      expect(refused).toMatchObject({ name: 'IncompleteSignature', status: 400 });
      expect(refused.message).toBe('Credential should be scoped to a valid region.');
      expect(await failure(upper.dynamodb.send(new ListTablesCommand({})))).toMatchObject({ name: 'IncompleteSignatureException' });
      expect(await failure(upper.s3.send(new ListObjectsV2Command({ Bucket: 'any' })))).toMatchObject({ name: 'AuthorizationHeaderMalformed' });
      expect(lab.since(mark)).toEqual([]);

      // Operation names: too long, or with characters no operation name has; refused, and the message stays short.
      const longTarget = beforeSigning(lab.clients(admin).dynamodb, (r) => {
        r.headers['x-amz-target'] = `DynamoDB_20120810.${'B'.repeat(300)}`;
      });
      expect(await failure(longTarget.send(new ListTablesCommand({})))).toMatchObject({ name: 'UnknownOperationException', status: 400 });
      const longAction = beforeSigning(lab.clients(admin).iam, (r) => {
        r.body = `Action=${'A'.repeat(5000)}&Version=2010-05-08`;
      });
      const action = await failure(longAction.send(new ListUsersCommand({})));
      expect(action).toMatchObject({ name: 'InvalidAction', status: 400 });
      expect(action.message.length).toBeLessThan(200);
      const dashed = beforeSigning(lab.clients(admin).ec2, (r) => {
        r.body = 'Action=Describe-Instances&Version=2016-11-15';
      });
      expect((await failure(dashed.send(new DescribeInstancesCommand({})))).name).toBe('InvalidAction');
      // Inputs nested deeper than any operation's shape (the trail refuses records nested beyond 32 levels).
      const deepJson = beforeSigning(lab.clients(admin).ssm, (r) => {
        r.body = JSON.stringify({ Filters: [{ Key: 'Name', Values: [JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`)] }] });
      });
      expect(await failure(deepJson.send(new DescribeParametersCommand({})))).toMatchObject({ name: 'SerializationException', status: 400 });
      const deepQuery = beforeSigning(lab.clients(admin).iam, (r) => {
        r.body = `Action=ListUsers&Version=2010-05-08&${Array.from({ length: 40 }, (_, i) => `P${i}`).join('.')}=x`;
      });
      expect(await failure(deepQuery.send(new ListUsersCommand({})))).toMatchObject({ name: 'MalformedQueryString', status: 400 });
      lab.account.createBucket('deep-bucket');
      const deepXml = beforeSigning(lab.clients(admin).s3, (r) => {
        r.body = `<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${'<a>'.repeat(40)}x${'</a>'.repeat(40)}</BucketLoggingStatus>`;
      });
      expect(await failure(deepXml.send(new PutBucketLoggingCommand({ Bucket: 'deep-bucket', BucketLoggingStatus: {} })))).toMatchObject({
        name: 'MalformedXML',
        status: 400,
      });
      // An ordinary call in another region, and one more that succeeds.
      await lab.clients(admin, undefined, 'eu-west-1').ec2.send(new DescribeSecurityGroupsCommand({}));
      await lab.clients(admin).iam.send(new GetUserCommand({}));

      const calls = lab.since(mark);
      expect(calls.map((c) => [c.eventName, c.errorCode])).toEqual([
        ['Unknown', 'UnknownOperationException'],
        ['Unknown', 'InvalidAction'],
        ['Unknown', 'Client.InvalidAction'],
        ['DescribeParameters', 'SerializationException'],
        ['ListUsers', 'MalformedQueryString'],
        ['PutBucketLogging', 'MalformedXML'],
        ['DescribeSecurityGroups', undefined],
        ['GetUser', undefined],
      ]);
      await writer.flush();
      const records = trailRecords(trailDir);
      expect(records.map((r) => r.eventID).sort()).toEqual(calls.map((c) => c.eventId).sort());
      expect(listenerErrors).toEqual([]);
    } finally {
      unsubscribe();
      await writer.close();
    }
  });

  it("reports a listener's failure to onListenerError with the call, and still gives the call to the other listeners", () => {
    const seen: { err: Error; call: LabApiCall }[] = [];
    const account = new LabAccount({ seed: 'listener-error', onListenerError: (err, call) => seen.push({ err, call }) });
    const boom = new Error('the trail refused the record');
    const after: LabApiCall[] = [];
    account.subscribe(() => {
      throw boom;
    });
    account.subscribe((c) => after.push(c));
    const call = { eventName: 'GetUser' } as LabApiCall;
    account.emit(call);
    expect(seen).toEqual([{ err: boom, call }]);
    expect(after).toEqual([call]);
  });

  it('without onListenerError, the error becomes a process warning', async () => {
    const account = new LabAccount({ seed: 'listener-warning' });
    const boom = new Error('expected in this test: a listener failed (the default reports it as a warning)');
    account.subscribe(() => {
      throw boom;
    });
    const warned = new Promise<Error>((resolve) => {
      const onWarning = (w: Error) => {
        if (w !== boom) return;
        process.off('warning', onWarning);
        resolve(w);
      };
      process.on('warning', onWarning);
    });
    expect(() => account.emit({ eventName: 'GetUser' } as LabApiCall)).not.toThrow();
    expect(await warned).toBe(boom);
  });
});

describe('the declared source address', () => {
  it('is ignored when the signature does not cover it', async () => {
    const mark = lab.calls.length;
    const sts = afterSigning(labClient(STSClient, { endpoint: lab.server.url, region: 'us-east-1', credentials: admin }), (r) => {
      r.headers[LAB_SOURCE_IP_HEADER] = '203.0.113.77';
    });
    try {
      // the signature is still good (the header is not among the signed ones): the call succeeds from the default address
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(lab.account.accountId);
    } finally {
      sts.destroy();
    }
    expect(lab.since(mark).map((c) => c.sourceIPAddress)).toEqual([DEFAULT_SOURCE_IP]);
  });

  it('counts when signed (the SDK middleware adds it before signing)', async () => {
    const mark = lab.calls.length;
    await lab.clients(admin, '203.0.113.77').sts.send(new GetCallerIdentityCommand({}));
    expect(lab.since(mark).map((c) => c.sourceIPAddress)).toEqual(['203.0.113.77']);
  });

  it('is what Trailhound parses: a zoned or malformed address gives the default, a mapped IPv4 address its IPv4 form', async () => {
    const mark = lab.calls.length;
    for (const declared of ['fe80::1%eth0', '010.0.0.1', '198.51.100.7, 198.51.100.8', '::ffff:198.51.100.9', '2001:DB8::1'])
      await lab.clients(admin, declared).sts.send(new GetCallerIdentityCommand({}));
    expect(lab.since(mark).map((c) => c.sourceIPAddress)).toEqual([DEFAULT_SOURCE_IP, DEFAULT_SOURCE_IP, DEFAULT_SOURCE_IP, '198.51.100.9', '2001:db8::1']);
  });

  it('the default is a documentation address no scenario plays, and a bad default is refused at start', async () => {
    expect(DEFAULT_SOURCE_IP).toBe('192.0.2.200');
    await expect(startLabServer({ account: lab.account, defaultSourceIp: 'fe80::1%eth0' })).rejects.toThrow(/defaultSourceIp/);
  });
});

describe('EC2 filters', () => {
  it('wildcardMatch: * any run, ? one character, everything else literal', () => {
    const cases: [string, string, boolean][] = [
      ['web-*', 'web-1', true],
      ['web-*', 'web-', true],
      ['web-*', 'db-1', false],
      ['*', '', true],
      ['?', '', false],
      ['w?b', 'web', true],
      ['w?b', 'weeb', false],
      ['*prod*', 'my-prod-box', true],
      ['a*b*c', 'abc', true],
      ['a*b*c', 'acb', false],
      ['a.c', 'abc', false],
      ['(x)+', '(x)+', true],
      ['[ab]', 'a', false],
      ['PROD', 'prod', false],
      ['*a*a*a*a*a*a*a*a*Z', 'a'.repeat(60), false],
      ['*a*a*a*a*a*a*a*a*Z', `${'a'.repeat(60)}Z`, true],
      ['😀?', '😀x', true],
    ];
    for (const [pattern, text, want] of cases) expect([pattern, text, wildcardMatch(pattern, text)]).toEqual([pattern, text, want]);
  });

  it('a pattern that makes a regular expression backtrack for minutes is answered at once (this test would time out)', async () => {
    const value = 'a'.repeat(60);
    const victim = lab.account.runInstance({ privateIp: '172.31.9.9', tags: { Name: value } });
    const ec2 = lab.clients(admin).ec2;
    const evil = `${'*a'.repeat(8)}Z`;
    const none = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: [evil, evil, evil] }] }));
    expect(none.Reservations ?? []).toEqual([]);
    const found = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: [`${'*a'.repeat(8)}*`] }] }));
    expect(found.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId))).toEqual([victim.instanceId]);
  });
});

describe('S3 objects are regular files in the bucket', () => {
  it('a symbolic link, to a file or a directory, is no object: NoSuchKey, and never listed', async () => {
    const b = lab.account.createBucket('link-bucket');
    const outside = join(lab.dir, 'outside');
    await mkdir(join(outside, 'dir'), { recursive: true });
    await writeFile(join(outside, 'secret.txt'), 'not in the bucket');
    await writeFile(join(outside, 'dir', 'inner.txt'), 'not in the bucket either');
    await writeFile(join(b.dir, 'real.txt'), 'in the bucket');
    await symlink(join(outside, 'secret.txt'), join(b.dir, 'link.txt'));
    await symlink(join(outside, 'dir'), join(b.dir, 'linkdir'));
    const { s3 } = lab.clients(admin);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'link-bucket', Key: 'real.txt' }));
    expect(await got.Body?.transformToString()).toBe('in the bucket');
    for (const Key of ['link.txt', 'linkdir/inner.txt']) {
      expect((await failure(s3.send(new GetObjectCommand({ Bucket: 'link-bucket', Key })))).name).toBe('NoSuchKey');
      expect((await failure(s3.send(new HeadObjectCommand({ Bucket: 'link-bucket', Key })))).status).toBe(404);
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'link-bucket' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['real.txt']);
  });

  const fdSupported = (() => {
    try {
      readdirSync('/proc/self/fd');
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!fdSupported)('closes the file when the client goes away in the middle of a download', async () => {
    const b = lab.account.createBucket('big-bucket');
    const path = join(b.dir, 'big.bin');
    await writeFile(path, Buffer.alloc(64 * 1024 * 1024, 7));
    const openOn = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === path;
        } catch {
          return false;
        }
      }).length;
    const { s3 } = lab.clients(admin);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'big-bucket', Key: 'big.bin' }));
    const body = got.Body as NodeJS.ReadableStream & { destroy(): void };
    await new Promise<void>((resolve) => body.once('data', () => resolve()));
    expect(openOn()).toBe(1);
    body.destroy();
    const deadline = Date.now() + 3000;
    while (openOn() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(openOn()).toBe(0);
  });
});

describe('regions', () => {
  it('STS is recorded in the region the client called (regional endpoints); IAM in us-east-1', async () => {
    const mark = lab.calls.length;
    const c = lab.clients(admin, undefined, 'eu-west-1');
    await c.sts.send(new GetCallerIdentityCommand({}));
    await c.iam.send(new GetUserCommand({}));
    expect(lab.since(mark).map((x) => [x.eventSource, x.awsRegion])).toEqual([
      ['sts.amazonaws.com', 'eu-west-1'],
      ['iam.amazonaws.com', 'us-east-1'],
    ]);
  });
});

describe('lab clients never wait forever', () => {
  let silent: Server;
  let silentUrl: string;
  beforeAll(async () => {
    // accepts connections and requests, never answers
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('the configuration carries the request handler options the SDK accepts', () => {
    const config = labClientConfig({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: admin });
    expect(config.requestHandler).toEqual({ requestTimeout: 30_000, connectionTimeout: 5_000, throwOnRequestTimeout: true, socketTimeout: 30_000 });
    expect(config.maxAttempts).toBe(1);
  });

  it('a server that never answers makes the call fail with a TimeoutError', async () => {
    const ec2 = labClient(EC2Client, { endpoint: silentUrl, region: 'us-east-1', credentials: admin, requestTimeoutMs: 300 });
    try {
      const e = await failure(ec2.send(new DescribeInstancesCommand({})));
      expect(e.name).toBe('TimeoutError');
    } finally {
      ec2.destroy();
    }
  });
});
