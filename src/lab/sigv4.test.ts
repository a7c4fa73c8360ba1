/**
 * SigV4 verification against what real clients send: the AWS SDK v3 clients (STS, IAM, S3, DynamoDB, SSM, EC2,
 * Security Hub for a REST path) and the SDK's own signer (@smithy/signature-v4) send to a small capturing HTTP server
 * on 127.0.0.1; the captured method, URL, headers and body are then verified.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateUserCommand, IAMClient, ListUsersCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutBucketLoggingCommand, PutPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient, UpdateStandardsControlCommand } from '@aws-sdk/client-securityhub';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { buildQueryString, escapeUriPath } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { QueryParameterBag, HttpRequest as SmithyRequest, SourceData } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalQuery, canonicalUri, type HttpRequestLike, parseSigV4, type SigV4Auth, SigV4Error, type SigV4ErrorCode, verifySigV4 } from './sigv4.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token/with=chars';
const MINUTE = 60_000;

// ----------------------------------------------------------------------------------------------------------------
// A capturing server: records each request exactly as received and answers 403 (the clients' errors are ignored).

let server: http.Server;
let port = 0;
const captured: HttpRequestLike[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('captured');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Runs `send` (which makes exactly one HTTP request to the capture server) and returns the request received. */
async function capture(send: () => Promise<unknown>): Promise<HttpRequestLike> {
  const before = captured.length;
  await send().catch(() => undefined);
  expect(captured.length).toBe(before + 1);
  return captured[captured.length - 1]!;
}

function clientConfig(opts: { sessionToken?: string } = {}) {
  return {
    region: 'eu-west-3',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET, ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}) },
    maxAttempts: 1,
  };
}

/** Sends a request signed (or presigned) by @smithy/signature-v4 over HTTP, URL built by the SDK's own query builder. */
function sendRaw(req: SmithyRequest): Promise<void> {
  const qs = buildQueryString(req.query ?? {});
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: '127.0.0.1', port, method: req.method, path: `${req.path}${qs ? `?${qs}` : ''}`, headers: req.headers as http.OutgoingHttpHeaders },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

function smithyRequest(opts: { method?: string; path: string; query?: QueryParameterBag; headers?: Record<string, string>; body?: string }): SmithyRequest {
  return {
    method: opts.method ?? 'GET',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path: opts.path,
    query: opts.query ?? {},
    headers: { host: `127.0.0.1:${port}`, ...(opts.headers ?? {}) },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  };
}

/** The SHA-256 / HMAC the signer asks for (the SDK brings its own; node:crypto does the same). */
function bytesOf(data: SourceData): Uint8Array | string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const nodeSha256 = class {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.h.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
};

function signer(service: string, opts: { applyChecksum?: boolean; sessionToken?: string } = {}): SignatureV4 {
  return new SignatureV4({
    service,
    region: 'us-east-1',
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET, ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}) },
    sha256: nodeSha256,
    // S3 clients sign the path as sent, once encoded; every other service normalises and encodes it again.
    uriEscapePath: service !== 's3',
    applyChecksum: opts.applyChecksum ?? true,
  });
}

function codeOf(fn: () => unknown): SigV4ErrorCode | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (err instanceof SigV4Error) return err.code;
    throw err;
  }
}

function check(req: HttpRequestLike, secret = SECRET, now = new Date()): SigV4ErrorCode | 'accepted' {
  return codeOf(() => verifySigV4(req, parseSigV4(req), secret, now));
}

function withHeader(req: HttpRequestLike, name: string, value: string): HttpRequestLike {
  return { ...req, headers: { ...req.headers, [name]: value } };
}

/** Another well-formed value for a header (a malformed one would be refused for another reason). */
function tamperedValue(name: string, value: string): string {
  if (name === 'x-amz-content-sha256') return value === 'UNSIGNED-PAYLOAD' ? createHash('sha256').update('').digest('hex') : 'UNSIGNED-PAYLOAD';
  if (name === 'x-amz-date') {
    const d = new Date(`${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 11)}:${value.slice(11, 13)}:${value.slice(13)}`);
    return new Date(d.getTime() + 1000)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
      .replace(/[-:]/g, '');
  }
  return `${value}0`;
}

// ----------------------------------------------------------------------------------------------------------------

describe('requests sent by the AWS SDK v3 clients', () => {
  const calls: Array<{ name: string; service: string; send: () => Promise<unknown> }> = [
    { name: 'STS GetCallerIdentity', service: 'sts', send: () => new STSClient(clientConfig()).send(new GetCallerIdentityCommand({})) },
    {
      name: 'IAM CreateUser (form body with path, tags)',
      service: 'iam',
      send: () => new IAMClient(clientConfig()).send(new CreateUserCommand({ UserName: 'alice+ops', Path: '/team a/', Tags: [{ Key: 'k é', Value: 'v~*' }] })),
    },
    {
      name: 'IAM PutUserPolicy (JSON document in the form)',
      service: 'iam',
      send: () =>
        new IAMClient(clientConfig()).send(
          new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }),
        ),
    },
    { name: 'IAM ListUsers', service: 'iam', send: () => new IAMClient(clientConfig()).send(new ListUsersCommand({})) },
    {
      name: 'EC2 DescribeInstances',
      service: 'ec2',
      send: () => new EC2Client(clientConfig()).send(new DescribeInstancesCommand({ InstanceIds: ['i-0abc'] })),
    },
    { name: 'DynamoDB ListTables (JSON protocol)', service: 'dynamodb', send: () => new DynamoDBClient(clientConfig()).send(new ListTablesCommand({})) },
    { name: 'SSM GetParameters', service: 'ssm', send: () => new SSMClient(clientConfig()).send(new GetParametersCommand({ Names: ['/app/db password'] })) },
    { name: 'S3 ListBuckets', service: 's3', send: () => new S3Client({ ...clientConfig(), forcePathStyle: true }).send(new ListBucketsCommand({})) },
    {
      name: 'S3 ListObjectsV2 (prefix with a space and unicode)',
      service: 's3',
      send: () =>
        new S3Client({ ...clientConfig(), forcePathStyle: true }).send(
          new ListObjectsV2Command({ Bucket: 'trail-bucket', Prefix: 'AWSLogs/a b/é', Delimiter: '/' }),
        ),
    },
    {
      name: "S3 GetObject (key with spaces, unicode, ~!'()*+=&?)",
      service: 's3',
      send: () =>
        new S3Client({ ...clientConfig(), forcePathStyle: true }).send(
          new GetObjectCommand({ Bucket: 'trail-bucket', Key: "dir one/ünï cödé~!'()*+=&?.json.gz" }),
        ),
    },
    {
      name: 'S3 PutBucketLogging (XML body, checksum header)',
      service: 's3',
      send: () =>
        new S3Client({ ...clientConfig(), forcePathStyle: true }).send(
          new PutBucketLoggingCommand({ Bucket: 'trail-bucket', BucketLoggingStatus: { LoggingEnabled: { TargetBucket: 'logs', TargetPrefix: 'x/' } } }),
        ),
    },
    {
      name: 'S3 PutPublicAccessBlock',
      service: 's3',
      send: () =>
        new S3Client({ ...clientConfig(), forcePathStyle: true }).send(
          new PutPublicAccessBlockCommand({ Bucket: 'trail-bucket', PublicAccessBlockConfiguration: { BlockPublicAcls: false } }),
        ),
    },
    {
      name: 'Security Hub UpdateStandardsControl (REST path with a space and unicode: encoded twice)',
      service: 'securityhub',
      send: () =>
        new SecurityHubClient(clientConfig()).send(
          new UpdateStandardsControlCommand({ StandardsControlArn: 'arn:aws:securityhub:eu-west-3:111122223333:control/a b/é', ControlStatus: 'ENABLED' }),
        ),
    },
  ];

  for (const call of calls) {
    it(`${call.name}: accepted with the right secret, refused otherwise`, async () => {
      const req = await capture(call.send);
      const auth = parseSigV4(req);
      expect(auth).toMatchObject({ accessKeyId: AKID, region: 'eu-west-3', service: call.service, presigned: false });
      expect(auth.signedHeaders).toContain('host');
      expect(auth.sessionToken).toBeUndefined();
      expect(check(req)).toBe('accepted');
      expect(check(req, `${SECRET}x`)).toBe('SignatureDoesNotMatch');
      expect(check(req, SECRET, new Date(Date.now() + 16 * MINUTE))).toBe('RequestExpired');
      expect(check(req, SECRET, new Date(Date.now() - 16 * MINUTE))).toBe('RequestExpired');
      expect(check(req, SECRET, new Date(Date.now() + 14 * MINUTE))).toBe('accepted');
      // any signed header changed
      for (const name of auth.signedHeaders) {
        expect(check(withHeader(req, name, tamperedValue(name, String(req.headers[name])))), name).toBe('SignatureDoesNotMatch');
      }
      // the method
      expect(check({ ...req, method: req.method === 'GET' ? 'HEAD' : 'GET' })).toBe('SignatureDoesNotMatch');
      // the signature itself
      const sig = auth.signature;
      const other = `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`;
      expect(codeOf(() => verifySigV4(req, { ...auth, signature: other }, SECRET, new Date()))).toBe('SignatureDoesNotMatch');
      expect(codeOf(() => verifySigV4(req, { ...auth, signature: sig.toUpperCase() }, SECRET, new Date()))).toBe('accepted');
      expect(codeOf(() => verifySigV4(req, { ...auth, signature: sig.slice(1) }, SECRET, new Date()))).toBe('SignatureDoesNotMatch');
      // scope
      expect(codeOf(() => verifySigV4(req, { ...auth, region: 'us-east-1' }, SECRET, new Date()))).toBe('SignatureDoesNotMatch');
      expect(codeOf(() => verifySigV4(req, { ...auth, service: 'lambda' }, SECRET, new Date()))).toBe('SignatureDoesNotMatch');
      expect(codeOf(() => verifySigV4(req, { ...auth, accessKeyId: 'AKIAOTHER' }, SECRET, new Date()))).toBe('accepted'); // the key id is not in the signature: the caller picks the secret by it
      expect(codeOf(() => verifySigV4(req, { ...auth, date: '20200101' }, SECRET, new Date()))).toBe('SignatureDoesNotMatch');
    });
  }

  it('a tampered body is refused (form, JSON and XML bodies)', async () => {
    const reqs = [
      await capture(() => new STSClient(clientConfig()).send(new GetCallerIdentityCommand({}))),
      await capture(() => new DynamoDBClient(clientConfig()).send(new ListTablesCommand({ Limit: 5 }))),
      await capture(() =>
        new S3Client({ ...clientConfig(), forcePathStyle: true }).send(
          new PutPublicAccessBlockCommand({ Bucket: 'b', PublicAccessBlockConfiguration: { BlockPublicAcls: true } }),
        ),
      ),
    ];
    for (const req of reqs) {
      expect(req.body.length).toBeGreaterThan(0);
      expect(check(req)).toBe('accepted');
      const tampered = Buffer.from(req.body);
      tampered[tampered.length - 2] = tampered[tampered.length - 2]! ^ 1;
      expect(check({ ...req, body: tampered })).toBe('SignatureDoesNotMatch');
      expect(check({ ...req, body: Buffer.concat([req.body, Buffer.from('&Extra=1')]) })).toBe('SignatureDoesNotMatch');
    }
  });

  it('a tampered query or path is refused (S3)', async () => {
    const s3 = new S3Client({ ...clientConfig(), forcePathStyle: true });
    const list = await capture(() => s3.send(new ListObjectsV2Command({ Bucket: 'trail-bucket', Prefix: 'AWSLogs/', MaxKeys: 10 })));
    expect(check(list)).toBe('accepted');
    expect(check({ ...list, url: list.url.replace('max-keys=10', 'max-keys=1000') })).toBe('SignatureDoesNotMatch');
    expect(check({ ...list, url: `${list.url}&fetch-owner=true` })).toBe('SignatureDoesNotMatch');
    expect(check({ ...list, url: list.url.replace('prefix=AWSLogs%2F', 'prefix=') })).toBe('SignatureDoesNotMatch');
    expect(check({ ...list, url: list.url.replace('/trail-bucket', '/other-bucket') })).toBe('SignatureDoesNotMatch');
    // parameter order on the wire does not matter: the canonical query is sorted
    const [path, query] = list.url.split('?') as [string, string];
    expect(check({ ...list, url: `${path}?${query.split('&').reverse().join('&')}` })).toBe('accepted');

    const get = await capture(() => s3.send(new GetObjectCommand({ Bucket: 'trail-bucket', Key: 'a b/é.json' })));
    expect(check(get)).toBe('accepted');
    expect(check({ ...get, url: get.url.replace('a%20b', 'a%20c') })).toBe('SignatureDoesNotMatch');
    // `%c3%a9` is the same key as `%C3%A9`: S3 encodes the decoded segment again
    expect(check({ ...get, url: get.url.replace('%C3%A9', '%c3%a9') })).toBe('accepted');
  });

  it('a session token is read from x-amz-security-token, and it is signed', async () => {
    const req = await capture(() => new STSClient(clientConfig({ sessionToken: SESSION_TOKEN })).send(new GetCallerIdentityCommand({})));
    const auth = parseSigV4(req);
    expect(auth.sessionToken).toBe(SESSION_TOKEN);
    expect(auth.signedHeaders).toContain('x-amz-security-token');
    expect(check(req)).toBe('accepted');
    expect(check(withHeader(req, 'x-amz-security-token', `${SESSION_TOKEN}x`))).toBe('SignatureDoesNotMatch');
  });
});

describe('requests signed by @smithy/signature-v4 directly', () => {
  it('non-S3: the path is normalised and encoded twice (spaces, unicode, dot segments, double slashes)', async () => {
    const rawPath = `/${escapeUriPath('a b/é/./x/../y//z~')}/`;
    expect(rawPath).toBe('/a%20b/%C3%A9/./x/../y//z~/');
    const signed = await signer('execute-api').sign(
      smithyRequest({ path: rawPath, query: { 'q one': 'v é', tilde: '~x', multi: ['b', 'a'], empty: '' }, headers: { 'x-amz-meta': '  a   b  ' } }),
    );
    const req = await capture(() => sendRaw(signed as SmithyRequest));
    expect(req.url.startsWith('/a%20b/%C3%A9/./x/../y//z~/?')).toBe(true);
    expect(canonicalUri(req.url.split('?')[0]!, 'execute-api')).toBe('/a%2520b/%25C3%25A9/y/z~/');
    expect(check(req)).toBe('accepted');
    expect(check({ ...req, url: req.url.replace('%20b', '%20c') })).toBe('SignatureDoesNotMatch');
    expect(check({ ...req, url: req.url.replace('multi=a', 'multi=c') })).toBe('SignatureDoesNotMatch');
    // header value whitespace is canonicalised: padding changes nothing, other characters do
    expect(check(withHeader(req, 'x-amz-meta', 'a b'))).toBe('accepted');
    expect(check(withHeader(req, 'x-amz-meta', 'ab'))).toBe('SignatureDoesNotMatch');
  });

  it('S3: the path is encoded once and not normalised', async () => {
    const rawPath = `/bucket/${escapeUriPath('a b/./é/../k~*.txt')}`;
    const signed = await signer('s3').sign(smithyRequest({ path: rawPath, query: { 'x-id': 'GetObject' } }));
    const req = await capture(() => sendRaw(signed as SmithyRequest));
    expect(canonicalUri(req.url.split('?')[0]!, 's3')).toBe('/bucket/a%20b/./%C3%A9/../k~%2A.txt');
    expect(check(req)).toBe('accepted');
    expect(check({ ...req, url: req.url.replace('/./', '/') })).toBe('SignatureDoesNotMatch');
  });

  it('without x-amz-content-sha256 the body is hashed (as the AWS CLI signs non-S3 requests)', async () => {
    const body = 'Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fa%20b%2F';
    const signed = await signer('iam', { applyChecksum: false }).sign(
      smithyRequest({ method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body }),
    );
    const req = await capture(() => sendRaw(signed as SmithyRequest));
    expect(req.headers['x-amz-content-sha256']).toBeUndefined();
    expect(check(req)).toBe('accepted');
    expect(check({ ...req, body: Buffer.from(body.replace('ListUsers', 'ListRoles')) })).toBe('SignatureDoesNotMatch');
    expect(check({ ...req, body: Buffer.alloc(0) })).toBe('SignatureDoesNotMatch');
  });

  it('UNSIGNED-PAYLOAD is accepted with any body; STREAMING-* payloads are refused as unsupported', async () => {
    const unsigned = await signer('s3').sign(
      smithyRequest({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, body: 'abc' }),
    );
    const req = await capture(() => sendRaw(unsigned as SmithyRequest));
    expect(check(req)).toBe('accepted');
    expect(check({ ...req, body: Buffer.from('xyz') })).toBe('accepted');

    const streaming = await signer('s3').sign(
      smithyRequest({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' }, body: '3\r\nabc\r\n0\r\n\r\n' }),
    );
    expect(check(await capture(() => sendRaw(streaming as SmithyRequest)))).toBe('InvalidRequest');
  });

  it('a presigned S3 GET URL is accepted until it expires, and refused when changed', async () => {
    const signingDate = new Date();
    // what @aws-sdk/s3-request-presigner does: declare an unsigned payload, then presign
    const presigned = await signer('s3').presign(
      smithyRequest({
        path: `/trail-bucket/${escapeUriPath('AWSLogs/a b/é.json.gz')}`,
        query: { 'x-id': 'GetObject' },
        headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      }),
      { expiresIn: 300, signingDate },
    );
    const req = await capture(() => sendRaw(presigned as SmithyRequest));
    expect(req.headers.authorization).toBeUndefined();
    const auth = parseSigV4(req);
    expect(auth).toMatchObject({ accessKeyId: AKID, service: 's3', region: 'us-east-1', presigned: true, expiresSeconds: 300, signedHeaders: ['host'] });
    expect(check(req, SECRET, signingDate)).toBe('accepted');
    expect(check(req, SECRET, new Date(signingDate.getTime() + 299_000))).toBe('accepted');
    expect(check(req, SECRET, new Date(signingDate.getTime() + 301_000))).toBe('RequestExpired');
    expect(check(req, SECRET, new Date(signingDate.getTime() - 16 * MINUTE))).toBe('RequestExpired');
    expect(check(req, `${SECRET}x`, signingDate)).toBe('SignatureDoesNotMatch');
    expect(check({ ...req, url: req.url.replace('X-Amz-Expires=300', 'X-Amz-Expires=3600') }, SECRET, signingDate)).toBe('SignatureDoesNotMatch');
    expect(check({ ...req, url: req.url.replace('trail-bucket', 'other-bucket') }, SECRET, signingDate)).toBe('SignatureDoesNotMatch');
    expect(check({ ...req, url: `${req.url}&response-content-type=text%2Fhtml` }, SECRET, signingDate)).toBe('SignatureDoesNotMatch');
    expect(check(withHeader(req, 'host', 'evil.example'), SECRET, signingDate)).toBe('SignatureDoesNotMatch');
    // unsigned headers may change
    expect(check(withHeader(req, 'user-agent', 'curl/8'), SECRET, signingDate)).toBe('accepted');
  });

  it('a presigned URL carries its session token in X-Amz-Security-Token (signed)', async () => {
    const signingDate = new Date();
    const presigned = await signer('s3', { sessionToken: SESSION_TOKEN }).presign(
      smithyRequest({ path: '/b/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
      { expiresIn: 60, signingDate },
    );
    const req = await capture(() => sendRaw(presigned as SmithyRequest));
    expect(parseSigV4(req).sessionToken).toBe(SESSION_TOKEN);
    expect(check(req, SECRET, signingDate)).toBe('accepted');
    expect(check({ ...req, url: req.url.replace('X-Amz-Security-Token=', 'X-Amz-Security-Token=x') }, SECRET, signingDate)).toBe('SignatureDoesNotMatch');
  });

  it('a bare presign() of a body-less non-S3 request (empty-body hash) is accepted too', async () => {
    const signingDate = new Date();
    const presigned = await signer('sts').presign(smithyRequest({ path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } }), {
      expiresIn: 60,
      signingDate,
    });
    const req = await capture(() => sendRaw(presigned as SmithyRequest));
    expect(check(req, SECRET, signingDate)).toBe('accepted');
    expect(check({ ...req, url: req.url.replace('GetCallerIdentity', 'GetSessionToken') }, SECRET, signingDate)).toBe('SignatureDoesNotMatch');
  });
});

describe('AWS test vector (aws-sig-v4-test-suite get-vanilla)', () => {
  it('matches the published signature', () => {
    const req: HttpRequestLike = {
      method: 'GET',
      url: '/',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      body: Buffer.alloc(0),
    };
    expect(codeOf(() => verifySigV4(req, parseSigV4(req), 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', new Date('2015-08-30T12:40:00Z')))).toBe('accepted');
    expect(codeOf(() => verifySigV4(req, parseSigV4(req), 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', new Date('2015-08-30T13:00:00Z')))).toBe(
      'RequestExpired',
    );
  });
});

describe('canonical query', () => {
  it('sorts by name then value, encodes per RFC 3986, keeps empty values', () => {
    expect(canonicalQuery('b=2&a=2&a=1&c&tilde=%7E&sp=a+b&u=%c3%a9&e=a%20b')).toBe('a=1&a=2&b=2&c=&e=a%20b&sp=a%2Bb&tilde=~&u=%C3%A9');
    expect(canonicalQuery('X-Amz-Signature=abc&a=1', (k) => k === 'X-Amz-Signature')).toBe('a=1');
  });
});

describe('malformed authentication', () => {
  const base = (headers: http.IncomingHttpHeaders, url = '/'): HttpRequestLike => ({
    method: 'GET',
    url,
    headers: { host: 'lab', 'x-amz-date': '20240101T000000Z', ...headers },
    body: Buffer.alloc(0),
  });
  const cases: Array<[string, HttpRequestLike, SigV4ErrorCode]> = [
    ['no authentication at all', base({}), 'MissingAuthenticationToken'],
    ['empty Authorization header', base({ authorization: '  ' }), 'MissingAuthenticationToken'],
    [
      'Signature missing',
      base({ authorization: 'AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/sts/aws4_request, SignedHeaders=host' }),
      'IncompleteSignature',
    ],
    [
      'Credential with too few parts',
      base({ authorization: 'AWS4-HMAC-SHA256 Credential=AK/20240101/sts/aws4_request, SignedHeaders=host, Signature=00' }),
      'IncompleteSignature',
    ],
    [
      'wrong terminator',
      base({ authorization: 'AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/sts/aws5_request, SignedHeaders=host, Signature=00' }),
      'IncompleteSignature',
    ],
    [
      'bad scope date',
      base({ authorization: 'AWS4-HMAC-SHA256 Credential=AK/2024-01-01/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00' }),
      'IncompleteSignature',
    ],
    [
      'host not signed',
      base({ authorization: 'AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/sts/aws4_request, SignedHeaders=x-amz-date, Signature=00' }),
      'IncompleteSignature',
    ],
    [
      'no date header',
      {
        method: 'GET',
        url: '/',
        headers: { host: 'lab', authorization: 'AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00' },
        body: Buffer.alloc(0),
      },
      'IncompleteSignature',
    ],
    [
      'X-Amz-Date not in basic format',
      base({
        'x-amz-date': '2024-01-01T00:00:00Z',
        authorization: 'AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00',
      }),
      'IncompleteSignature',
    ],
    [
      'impossible X-Amz-Date',
      base({
        'x-amz-date': '20240231T000000Z',
        authorization: 'AWS4-HMAC-SHA256 Credential=AK/20240231/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00',
      }),
      'IncompleteSignature',
    ],
    ['SigV4a', base({ authorization: 'AWS4-ECDSA-P256-SHA256 Credential=AK/20240101/s3/aws4_request, SignedHeaders=host, Signature=00' }), 'InvalidRequest'],
    ['SigV2', base({ authorization: 'AWS AK:c2lnbmF0dXJl' }), 'InvalidRequest'],
    ['garbage', base({ authorization: 'Bearer abc' }), 'IncompleteSignature'],
    [
      'header and query authentication at once',
      base(
        { authorization: 'AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00' },
        '/?X-Amz-Algorithm=AWS4-HMAC-SHA256',
      ),
      'InvalidRequest',
    ],
    [
      'presigned without a signature',
      base({}, '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20240101%2Fus-east-1%2Fs3%2Faws4_request'),
      'IncompleteSignature',
    ],
    [
      'presigned for more than a week',
      base(
        {},
        '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=00',
      ),
      'IncompleteSignature',
    ],
    ['presigned with another algorithm', base({}, '/?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256'), 'InvalidRequest'],
  ];
  it.each(cases)('%s', (_name, req, code) => {
    expect(codeOf(() => parseSigV4(req))).toBe(code);
  });

  it('a signed header missing from the request, and a body that does not match x-amz-content-sha256, are refused', () => {
    const auth: SigV4Auth = {
      accessKeyId: 'AK',
      date: '20240101',
      region: 'us-east-1',
      service: 's3',
      signedHeaders: ['host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-meta-a'],
      signature: '0'.repeat(64),
      amzDate: '20240101T000000Z',
      presigned: false,
    };
    const now = new Date('2024-01-01T00:00:00Z');
    const emptyHash = createHash('sha256').update('').digest('hex');
    expect(codeOf(() => verifySigV4(base({ 'x-amz-content-sha256': emptyHash }), auth, SECRET, now))).toBe('SignatureDoesNotMatch');
    const err = (() => {
      try {
        verifySigV4({ ...base({ 'x-amz-content-sha256': emptyHash, 'x-amz-meta-a': '1' }), body: Buffer.from('x') }, auth, SECRET, now);
      } catch (e) {
        return e as SigV4Error;
      }
    })();
    expect(err?.code).toBe('SignatureDoesNotMatch');
    expect(err?.message).toMatch(/x-amz-content-sha256/);
    expect(codeOf(() => verifySigV4(base({ 'x-amz-content-sha256': 'not-a-hash', 'x-amz-meta-a': '1' }), auth, SECRET, now))).toBe('InvalidRequest');
  });

  it('SignatureDoesNotMatch carries the canonical request and string to sign', () => {
    const req = base({ authorization: 'AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' });
    try {
      verifySigV4(req, parseSigV4(req), SECRET, new Date('2024-01-01T00:00:00Z'));
      expect.unreachable();
    } catch (e) {
      const err = e as SigV4Error;
      expect(err).toBeInstanceOf(SigV4Error);
      expect(err.canonicalRequest).toBe(`GET\n/\n\nhost:lab\nx-amz-date:20240101T000000Z\n\nhost;x-amz-date\n${createHash('sha256').update('').digest('hex')}`);
      expect(err.stringToSign?.split('\n').slice(0, 3)).toEqual(['AWS4-HMAC-SHA256', '20240101T000000Z', '20240101/us-east-1/sts/aws4_request']);
    }
  });
});
