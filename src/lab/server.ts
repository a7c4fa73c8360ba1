/**
 * The lab's one HTTP endpoint on 127.0.0.1 for every service it emulates (IAM, STS, EC2, SSM, DynamoDB, S3): the
 * service is the SigV4 credential scope's service name. Every request is authenticated (SigV4 against the stored
 * secret; session tokens and expiry checked), authorized with the principal's identity policies, handled, and
 * reported through `onCall` as a `LabApiCall` (what a CloudTrail record is built from).
 *
 * It is a lab, not AWS, and every answer says so in the `x-trailhound-lab` header. What it does not emulate: see
 * `account.ts`. The server never logs, and never puts a secret access key or session token into a call record.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline, Readable } from 'node:stream';
import { formatIp, parseIp } from '../core/ip.js';
import { type KeyResolution, type LabAccount, type LabSession, LabStateError } from './account.js';
import { IMDS_PREFIX, ImdsEndpoint } from './imds.js';
import { type Decision, evaluate, PolicyError } from './policy.js';
import { type CallContext, LabServiceError, type Operation, type ServiceDef } from './protocols/common.js';
import { jsonError, jsonInput, jsonOperation } from './protocols/json.js';
import { decodeQuery, ec2Error, ec2Response, queryError, queryParams, queryResponse } from './protocols/query.js';
import { s3Error, s3Route } from './protocols/rest-s3.js';
import { buildXml } from './protocols/xml.js';
import { dynamodbService } from './services/dynamodb.js';
import { ec2Service } from './services/ec2.js';
import { iamService } from './services/iam.js';
import { type S3Result, s3Service } from './services/s3.js';
import { ssmService } from './services/ssm.js';
import { stsService } from './services/sts.js';
import { type HttpRequestLike, parseSigV4, type SigV4Auth, SigV4Error, verifySigV4 } from './sigv4.js';
import type { LabApiCall, LabPrincipal } from './types.js';

export const LAB_HEADER = 'x-trailhound-lab';
export const LAB_NOTICE = 'this is a local lab, not AWS';
/**
 * The header through which a lab client declares the public address it plays. It counts only when the request's
 * signature covers it (`withSourceIp` adds it before the SDK signs), so that nobody can change a signed request's
 * address on the way.
 */
export const LAB_SOURCE_IP_HEADER = 'x-trailhound-lab-source-ip';
/** The address of a caller that declares none: a documentation address (RFC 5737) that no scenario plays. */
export const DEFAULT_SOURCE_IP = '192.0.2.200';
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** How long a lab SDK client waits for a connection and for an answer before it gives up (TimeoutError). */
export const LAB_CONNECTION_TIMEOUT_MS = 5_000;
export const LAB_REQUEST_TIMEOUT_MS = 30_000;

/** An AWS region name as it appears in a credential scope: `us-west-2`, `us-gov-east-1`, `eu-isoe-west-1`. */
const REGION_NAME = /^[a-z]{2}(?:-[a-z]{2,12}){1,3}-\d{1,2}$/;
/** An operation name (X-Amz-Target's suffix, `Action`): what AWS's operation names are made of. */
const OPERATION_NAME = /^[A-Za-z0-9]{1,128}$/;

const SERVICES: Record<string, ServiceDef> = {
  iam: iamService,
  sts: stsService,
  ec2: ec2Service,
  ssm: ssmService,
  dynamodb: dynamodbService,
  s3: s3Service,
};

export interface LabServerOptions {
  account: LabAccount;
  host?: '127.0.0.1';
  /** 0 (default) = any free port. */
  port?: number;
  /** Every call record of the account while the server runs: its own calls and IMDS credential deliveries. */
  onCall?: (c: LabApiCall) => void;
  /** Default: the account's clock. Signatures are checked against it (15 minutes of skew, as AWS). */
  clock?: () => Date;
  /**
   * The client's public address when a request has no signed, valid `x-trailhound-lab-source-ip` header. Default
   * `DEFAULT_SOURCE_IP` (192.0.2.200).
   */
  defaultSourceIp?: string;
  maxBodyBytes?: number;
}

export interface LabServer {
  /** http://127.0.0.1:PORT — the endpoint for every SDK client (S3 with forcePathStyle). */
  url: string;
  /** Base URL of an instance's metadata service: `${url}/_lab/imds/<instance-id>`. */
  imdsUrl(instanceId: string): string;
  close(): Promise<void>;
}

export async function startLabServer(o: LabServerOptions): Promise<LabServer> {
  const account = o.account;
  const clock = o.clock ?? (() => account.now());
  const imds = new ImdsEndpoint(account, clock);
  const defaultSourceIp = clientAddress(o.defaultSourceIp ?? DEFAULT_SOURCE_IP);
  if (defaultSourceIp === undefined) throw new LabStateError('Invalid', `defaultSourceIp is not an IP address: ${JSON.stringify(o.defaultSourceIp)}`);
  const lab: Lab = {
    account,
    clock,
    imds,
    defaultSourceIp,
    maxBody: o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
  const unsubscribe = o.onCall ? account.subscribe(o.onCall) : () => undefined;
  const server = createServer((req, res) => {
    handle(lab, req, res).catch(() => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.destroy();
    });
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  return {
    url,
    imdsUrl: (instanceId) => `${url}${IMDS_PREFIX}${instanceId}`,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------- SDK client helpers

export interface LabClientConfigOptions {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Applied by `labClient` / `withSourceIp` (an SDK config cannot carry a middleware). */
  sourceIp?: string;
  userAgent?: string;
  /** Default `LAB_REQUEST_TIMEOUT_MS`: the longest wait for an answer (and the longest silence of a connection). */
  requestTimeoutMs?: number;
  /** Default `LAB_CONNECTION_TIMEOUT_MS`. */
  connectionTimeoutMs?: number;
}

/**
 * An SDK v3 client configuration for the lab: endpoint, region, credentials, path-style S3, no retries, and timeouts
 * so that no lab client waits forever (`requestHandler` is the options object `NodeHttpHandler.create` accepts; the
 * SDK only warns about a request timeout unless `throwOnRequestTimeout` is set, and the socket timeout covers an
 * answer that stops half-way).
 */
export function labClientConfig(o: LabClientConfigOptions) {
  const requestTimeout = o.requestTimeoutMs ?? LAB_REQUEST_TIMEOUT_MS;
  return {
    endpoint: o.endpoint,
    region: o.region,
    credentials: { ...o.credentials },
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: {
      requestTimeout,
      connectionTimeout: o.connectionTimeoutMs ?? LAB_CONNECTION_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      socketTimeout: requestTimeout,
    },
    ...(o.userAgent ? { customUserAgent: o.userAgent } : {}),
  };
}

type MiddlewareClient = { middlewareStack: { add(mw: any, options: any): void } };

/** Adds the lab's source-address header to every request of an SDK client (before signing). */
export function withSourceIp<T extends MiddlewareClient>(client: T, ip: string): T {
  client.middlewareStack.add(
    (next: (args: any) => Promise<unknown>) => (args: { request: { headers?: Record<string, string> } }) => {
      if (args.request?.headers) args.request.headers[LAB_SOURCE_IP_HEADER] = ip;
      return next(args);
    },
    { step: 'build', name: 'trailhoundLabSourceIp', override: true },
  );
  return client;
}

/** `new Client(labClientConfig(o))`, with the source address middleware when `o.sourceIp` is given. */
export function labClient<T extends MiddlewareClient>(Client: new (config: any) => T, o: LabClientConfigOptions): T {
  const c = new Client(labClientConfig(o));
  return o.sourceIp ? withSourceIp(c, o.sourceIp) : c;
}

// ---------------------------------------------------------------- request handling

interface Lab {
  account: LabAccount;
  clock: () => Date;
  imds: ImdsEndpoint;
  defaultSourceIp: string;
  maxBody: number;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new BodyTooLarge());
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A client address as policies and Trailhound parse it (`core/ip.ts`), in its canonical text; undefined otherwise. */
function clientAddress(text: string | undefined): string | undefined {
  const ip = text === undefined ? undefined : parseIp(text.trim());
  return ip ? formatIp(ip) : undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Which service an unauthenticated request is for (to answer in its shape). */
function guessService(headers: IncomingHttpHeaders, body: Buffer): ServiceDef {
  const target = header(headers, 'x-amz-target') ?? '';
  if (target.startsWith('DynamoDB_')) return dynamodbService;
  if (target.startsWith('AmazonSSM.')) return ssmService;
  const ct = header(headers, 'content-type') ?? '';
  if (/x-www-form-urlencoded/i.test(ct)) {
    const text = body.toString('utf8');
    if (/(^|&)Version=2011-06-15(&|$)/.test(text)) return stsService;
    if (/(^|&)Version=2016-11-15(&|$)/.test(text)) return ec2Service;
    return iamService;
  }
  return s3Service;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body?: string | Buffer | Readable;
}

function errorAnswer(svc: ServiceDef, err: LabServiceError, requestId: string, method: string): Answer {
  switch (svc.protocol) {
    case 'query':
      return { status: err.status, headers: xmlHeaders(requestId), body: queryError(svc.xmlNamespace ?? '', err.code, err.message, err.status, requestId) };
    case 'ec2':
      return { status: err.status, headers: xmlHeaders(requestId), body: ec2Error(err.code, err.message, requestId) };
    case 'json':
      return {
        status: err.status,
        headers: { 'content-type': svc.json!.contentType, 'x-amzn-requestid': requestId },
        body: jsonError(svc.json!, err.code, err.message),
      };
    default:
      return {
        status: err.status,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'x-amz-id-2': requestId },
        body: method === 'HEAD' ? undefined : s3Error(err.code, err.message, requestId, err.extra),
      };
  }
}

function xmlHeaders(requestId: string): Record<string, string> {
  return { 'content-type': 'text/xml', 'x-amzn-requestid': requestId };
}

function successAnswer(svc: ServiceDef, operation: string, result: unknown, requestId: string, method: string): Answer {
  switch (svc.protocol) {
    case 'query':
      return {
        status: 200,
        headers: xmlHeaders(requestId),
        body: queryResponse(operation, svc.xmlNamespace ?? '', result as Record<string, unknown> | undefined, requestId),
      };
    case 'ec2':
      return { status: 200, headers: xmlHeaders(requestId), body: ec2Response(operation, result as Record<string, unknown>, requestId) };
    case 'json':
      return { status: 200, headers: { 'content-type': svc.json!.contentType, 'x-amzn-requestid': requestId }, body: JSON.stringify(result ?? {}) };
    default: {
      const r = (result ?? {}) as S3Result;
      const headers: Record<string, string> = { 'x-amz-request-id': requestId, 'x-amz-id-2': requestId, ...(r.headers ?? {}) };
      let body: Answer['body'];
      if (r.xml) {
        body = buildXml(r.xml);
        headers['content-type'] = 'application/xml';
      } else body = r.body;
      if (method === 'HEAD') {
        if (body instanceof Readable) body.destroy();
        body = undefined;
      }
      return { status: r.status ?? 200, headers, body };
    }
  }
}

function send(res: ServerResponse, a: Answer): void {
  res.statusCode = a.status;
  for (const [k, v] of Object.entries(a.headers)) res.setHeader(k, v);
  if (a.body instanceof Readable) {
    // pipeline, not pipe: when the client goes away, the source (an open file) is destroyed and closed too
    pipeline(a.body, res, (err) => {
      if (err && !res.destroyed) res.destroy();
    });
    return;
  }
  if (a.body !== undefined && !res.hasHeader('content-length')) res.setHeader('content-length', Buffer.byteLength(a.body));
  res.end(a.body);
}

// ---------------------------------------------------------------- authentication failures, per protocol

type AuthFailure = 'InvalidKey' | 'InvalidToken' | 'Expired' | SigV4Error['code'];

const SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EC2_AUTH = 'AWS was not able to validate the provided access credentials';

function authError(svc: ServiceDef, kind: AuthFailure, detail = '', presigned = false): LabServiceError {
  const e = (code: string, status: number, message: string) => new LabServiceError(code, message, status);
  switch (svc.protocol) {
    case 'query':
      switch (kind) {
        case 'InvalidKey':
        case 'InvalidToken':
          return e('InvalidClientTokenId', 403, INVALID_TOKEN);
        case 'Expired':
          return e('ExpiredToken', 403, 'The security token included in the request is expired');
        case 'SignatureDoesNotMatch':
          return e('SignatureDoesNotMatch', 403, SIGNATURE_MESSAGE);
        case 'RequestExpired':
          return e('SignatureDoesNotMatch', 403, detail);
        case 'MissingAuthenticationToken':
          return e('MissingAuthenticationToken', 403, 'Request is missing Authentication Token');
        default:
          return e('IncompleteSignature', 400, detail);
      }
    case 'ec2':
      switch (kind) {
        case 'InvalidKey':
        case 'InvalidToken':
        case 'SignatureDoesNotMatch':
        case 'MissingAuthenticationToken':
          return e('AuthFailure', 401, EC2_AUTH);
        case 'Expired':
        case 'RequestExpired':
          return e('RequestExpired', 400, 'Request has expired.');
        default:
          return e('IncompleteSignature', 400, detail);
      }
    case 'json':
      switch (kind) {
        case 'InvalidKey':
        case 'InvalidToken':
          return e('UnrecognizedClientException', 400, INVALID_TOKEN);
        case 'Expired':
          return e('ExpiredTokenException', 400, 'The security token included in the request is expired');
        case 'SignatureDoesNotMatch':
          return e('InvalidSignatureException', 400, SIGNATURE_MESSAGE);
        case 'RequestExpired':
          return e('InvalidSignatureException', 400, detail);
        case 'MissingAuthenticationToken':
          return e('MissingAuthenticationTokenException', 400, 'Missing Authentication Token');
        default:
          return e('IncompleteSignatureException', 400, detail);
      }
    default:
      switch (kind) {
        case 'InvalidKey':
          return e('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.');
        case 'InvalidToken':
          return e('InvalidToken', 400, 'The provided token is malformed or otherwise invalid.');
        case 'Expired':
          return e('ExpiredToken', 400, 'The provided token has expired.');
        case 'SignatureDoesNotMatch':
          return e('SignatureDoesNotMatch', 403, SIGNATURE_MESSAGE);
        case 'RequestExpired':
          return presigned ? e('AccessDenied', 403, 'Request has expired') : e('RequestTimeTooSkewed', 403, detail);
        case 'MissingAuthenticationToken':
          return e('AccessDenied', 403, 'Access Denied');
        case 'IncompleteSignature':
          return e('AuthorizationHeaderMalformed', 400, detail);
        default:
          return e('InvalidRequest', 400, detail);
      }
  }
}

function deniedError(svc: ServiceDef, principal: LabPrincipal, action: string, resource: string, explicit: boolean): LabServiceError {
  const who = principal.type === 'AWSService' ? principal.invokedBy : principal.arn;
  const on = resource === '*' ? '' : ` on resource: ${resource}`;
  const why = explicit ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
  const base = `User: ${who} is not authorized to perform: ${action}${on} ${why}`;
  switch (svc.protocol) {
    case 'query':
      return new LabServiceError('AccessDenied', base, 403);
    case 'ec2':
      return new LabServiceError('UnauthorizedOperation', `You are not authorized to perform this operation. ${base}`, 403);
    case 'json':
      return new LabServiceError('AccessDeniedException', base, 400);
    default:
      return new LabServiceError('AccessDenied', base, 403);
  }
}

/** An operation name as an error message may show it: printable ASCII, at most 64 characters. */
function shownName(operation: string): string {
  const printable = operation.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}...` : printable;
}

function unknownOperation(svc: ServiceDef, name: string): LabServiceError {
  const operation = shownName(name);
  switch (svc.protocol) {
    case 'query':
      return new LabServiceError('InvalidAction', `Could not find operation ${operation} for version ${svc.name === 'sts' ? '2011-06-15' : '2010-05-08'}`, 400);
    case 'ec2':
      return new LabServiceError('InvalidAction', `The action ${operation} is not valid for this web service (the lab does not emulate it).`, 400);
    case 'json':
      return new LabServiceError('UnknownOperationException', '', 400);
    default:
      return new LabServiceError(
        'NotImplemented',
        `A header or query you provided implies functionality that is not implemented (the lab has no ${operation}).`,
        501,
      );
  }
}

function internalError(svc: ServiceDef): LabServiceError {
  const code = { query: 'InternalFailure', ec2: 'InternalError', json: 'InternalServerError', 'rest-s3': 'InternalError' }[svc.protocol];
  return new LabServiceError(code, 'We encountered an internal error. Please try again.', 500);
}

// ---------------------------------------------------------------- decoding

interface Decoded {
  operation: string;
  input: unknown;
}

/** The operation's name even when the request cannot be decoded (for the record). */
function lenientOperation(svc: ServiceDef, headers: IncomingHttpHeaders, url: URL, body: Buffer): string {
  if (svc.protocol === 'json') return (header(headers, 'x-amz-target') ?? '').split('.').pop() || 'Unknown';
  if (svc.protocol === 'rest-s3') return 'Unknown';
  const m = /(?:^|&)Action=([A-Za-z0-9]+)/.exec(body.toString('latin1')) ?? /(?:^|&)Action=([A-Za-z0-9]+)/.exec(url.search.slice(1));
  return m?.[1] ?? 'Unknown';
}

function decode(svc: ServiceDef, req: HttpRequestLike, url: URL): Decoded {
  switch (svc.protocol) {
    case 'query':
    case 'ec2': {
      const flat = queryParams(req.body, url, header(req.headers, 'content-type'));
      const operation = flat.Action;
      if (!operation) throw new LabServiceError('MissingAction', 'Missing Action', 400);
      return { operation, input: decodeQuery(flat) };
    }
    case 'json': {
      let operation: string;
      try {
        operation = jsonOperation(svc.json!, header(req.headers, 'x-amz-target'));
      } catch {
        return { operation: (header(req.headers, 'x-amz-target') ?? '').split('.').pop() || 'Unknown', input: {} };
      }
      return { operation, input: jsonInput(req.body) };
    }
    default: {
      const r = s3Route(req.method, url, req.headers, req.body, req.url.split('?')[0]);
      return { operation: r.operation, input: r };
    }
  }
}

// ---------------------------------------------------------------- authorization context

function authContext(
  account: LabAccount,
  principal: LabPrincipal,
  session: LabSession | undefined,
  sourceIp: string,
  now: Date,
  region: string,
): CallContext['authContext'] {
  const c: CallContext['authContext'] = {
    'aws:SourceIp': sourceIp,
    'aws:CurrentTime': now.toISOString(),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:SecureTransport': 'false',
    'aws:PrincipalAccount': account.accountId,
    'aws:RequestedRegion': region,
  };
  if (principal.type === 'IAMUser') {
    c['aws:PrincipalArn'] = principal.arn;
    c['aws:PrincipalType'] = 'User';
    c['aws:username'] = principal.userName;
    c['aws:userid'] = principal.principalId;
  } else if (principal.type === 'AssumedRole') {
    c['aws:PrincipalArn'] = principal.roleArn;
    c['aws:PrincipalType'] = 'AssumedRole';
    c['aws:userid'] = `${principal.roleId}:${principal.sessionName}`;
    if (principal.sourceInstanceId) {
      c['ec2:SourceInstanceARN'] = account.instanceArn(principal.sourceInstanceId);
      c['ec2:RoleDelivery'] = principal.ec2RoleDelivery;
    }
  }
  if (session) {
    c['aws:TokenIssueTime'] = session.issuedAt.toISOString();
    c['aws:MultiFactorAuthPresent'] = 'false';
  }
  return c;
}

// ---------------------------------------------------------------- the pipeline

async function handle(lab: Lab, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader(LAB_HEADER, LAB_NOTICE);
  const requestId = randomUUID();
  const method = req.method ?? 'GET';
  let body: Buffer;
  try {
    body = await readBody(req, lab.maxBody);
  } catch (err) {
    if (!(err instanceof BodyTooLarge)) throw err;
    res.setHeader('connection', 'close');
    send(res, { status: 413, headers: { 'content-type': 'text/plain' }, body: `Request body larger than ${lab.maxBody} bytes.` });
    return;
  }
  const rawUrl = req.url ?? '/';
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://lab.invalid');
  } catch {
    send(res, { status: 400, headers: { 'content-type': 'text/plain' }, body: 'Bad request URL.' });
    return;
  }
  if (url.pathname.startsWith(IMDS_PREFIX)) {
    const a = lab.imds.handle(method, url.pathname.slice(IMDS_PREFIX.length), req.headers);
    send(res, { ...a, body: method === 'HEAD' ? undefined : a.body });
    return;
  }

  const account = lab.account;
  const now = lab.clock();
  const userAgent = header(req.headers, 'user-agent') ?? header(req.headers, 'x-amz-user-agent') ?? '';
  const httpReq: HttpRequestLike = { method, url: rawUrl, headers: req.headers, body };
  let svc = guessService(req.headers, body);

  let auth: SigV4Auth;
  try {
    auth = parseSigV4(httpReq);
  } catch (err) {
    if (!(err instanceof SigV4Error)) throw err;
    send(res, errorAnswer(svc, authError(svc, err.code, err.message), requestId, method));
    return;
  }
  const scoped = Object.hasOwn(SERVICES, auth.service) ? SERVICES[auth.service] : undefined;
  if (!scoped) {
    send(
      res,
      errorAnswer(
        svc,
        authError(svc, 'IncompleteSignature', `Credential should be scoped to a valid service: '${shownName(auth.service)}'.`),
        requestId,
        method,
      ),
    );
    return;
  }
  svc = scoped;
  // Every call the lab answers goes into the trail, whose records need a real region name.
  if (!REGION_NAME.test(auth.region)) {
    send(res, errorAnswer(svc, authError(svc, 'IncompleteSignature', 'Credential should be scoped to a valid region.'), requestId, method));
    return;
  }
  const region = svc.global ? 'us-east-1' : auth.region;
  // The declared address counts only when the signature covers it; what is recorded must be what policies parse.
  const declared = auth.signedHeaders.includes(LAB_SOURCE_IP_HEADER) ? clientAddress(header(req.headers, LAB_SOURCE_IP_HEADER)) : undefined;
  const sourceIp = declared ?? lab.defaultSourceIp;

  let decoded: Decoded | undefined;
  let decodeError: LabServiceError | undefined;
  try {
    decoded = decode(svc, httpReq, url);
  } catch (err) {
    if (!(err instanceof LabServiceError)) throw err;
    decodeError = err;
  }
  const asked = decoded?.operation ?? lenientOperation(svc, req.headers, url, body);
  // A name no AWS operation could have is recorded as `Unknown` (and refused below), never copied into the record.
  const validName = OPERATION_NAME.test(asked);
  const operation = validName ? asked : 'Unknown';
  const op: Operation | undefined = validName && Object.hasOwn(svc.operations, operation) ? svc.operations[operation] : undefined;

  const record = (o: {
    principal?: LabPrincipal;
    requestParameters?: Record<string, unknown> | null;
    responseElements?: Record<string, unknown> | null;
    error?: LabServiceError;
    resources?: LabApiCall['resources'];
  }) => {
    const call: LabApiCall = {
      time: now,
      service: svc.name,
      eventSource: svc.eventSource,
      eventName: op?.eventName ?? operation,
      awsRegion: region,
      sourceIPAddress: sourceIp,
      userAgent,
      accessKeyId: auth.accessKeyId,
      requestParameters: o.requestParameters ?? null,
      responseElements: o.responseElements ?? null,
      readOnly: op ? op.readOnly : /^(Get|List|Describe|Head)/.test(operation),
      eventCategory: op?.data ? 'Data' : 'Management',
      requestId,
      eventId: randomUUID(),
      recipientAccountId: account.accountId,
    };
    if (o.principal) call.principal = o.principal;
    if (o.error) {
      call.errorCode = svc.protocol === 'ec2' ? `${o.error.status >= 500 ? 'Server' : 'Client'}.${o.error.code}` : o.error.code;
      call.errorMessage = o.error.message;
      // CloudTrail records a refused IAM, STS, SSM or DynamoDB call as AccessDenied (whatever the wire's code) and
      // without its request parameters (real denied records of these services, public-logs/traildiscover); EC2 and
      // S3 keep theirs.
      if ((svc.protocol === 'query' || svc.protocol === 'json') && (o.error.code === 'AccessDenied' || o.error.code === 'AccessDeniedException')) {
        call.errorCode = 'AccessDenied';
        call.requestParameters = null;
      }
    }
    if (o.resources?.length) call.resources = o.resources;
    account.emit(call);
  };

  // Authentication: the key, its status, the session token and expiry, then the signature.
  const resolution: KeyResolution | undefined = account.resolveAccessKey(auth.accessKeyId);
  if (!resolution) {
    send(res, errorAnswer(svc, authError(svc, 'InvalidKey'), requestId, method));
    return;
  }
  const fail = (kind: AuthFailure, detail = '') => {
    const e = authError(svc, kind, detail, auth.presigned);
    record({ error: e });
    send(res, errorAnswer(svc, e, requestId, method));
  };
  let secret: string;
  let session: LabSession | undefined;
  if (resolution.kind === 'user') {
    if (resolution.key.status !== 'Active') return fail('InvalidKey');
    if (auth.sessionToken) return fail('InvalidToken');
    secret = resolution.key.secretAccessKey;
  } else {
    session = resolution.session;
    if (auth.sessionToken !== session.sessionToken) return fail('InvalidToken');
    if (now.getTime() >= session.expiration.getTime()) return fail('Expired');
    secret = session.secretAccessKey;
  }
  try {
    verifySigV4(httpReq, auth, secret, now);
  } catch (err) {
    if (!(err instanceof SigV4Error)) throw err;
    return fail(err.code, err.message);
  }

  const principal = account.principalFor(resolution);
  const ctx: CallContext = {
    account,
    principal,
    session,
    region,
    now,
    requestId,
    sourceIp,
    userAgent,
    authContext: authContext(account, principal, session, sourceIp, now, region),
  };
  const reject = (e: LabServiceError, requestParameters: Record<string, unknown> | null = null) => {
    record({ principal, error: e, requestParameters });
    send(res, errorAnswer(svc, e, requestId, method));
  };
  if (decodeError || !decoded) return reject(decodeError ?? internalError(svc));
  if (!op) return reject(unknownOperation(svc, asked));
  const input = decoded.input;
  let requestParameters: Record<string, unknown> | null = null;
  try {
    requestParameters = op.params(input, ctx);
  } catch {
    requestParameters = null;
  }
  let trailResources: LabApiCall['resources'];
  try {
    trailResources = op.trailResources?.(input, ctx);
  } catch {
    trailResources = undefined;
  }

  // Authorization with the principal's identity policies.
  if (!op.neverDenied) {
    const policies = account.identityPolicies(principal);
    const context = { ...ctx.authContext, ...(op.conditions?.(input, ctx) ?? {}) };
    for (const resource of op.resources?.(input, ctx) ?? ['*']) {
      let decision: Decision;
      try {
        decision = evaluate(policies, { action: op.action, resource, context }).decision;
      } catch (err) {
        // a stored policy the evaluator cannot read (put through the control API): refuse, as nothing allows the call
        if (!(err instanceof PolicyError)) throw err;
        decision = 'ImplicitDeny';
      }
      if (decision !== 'Allow') return reject(deniedError(svc, principal, op.action, resource, decision === 'ExplicitDeny'), requestParameters);
    }
  }
  if (svc.protocol === 'ec2' && (input as Record<string, unknown>).DryRun === 'true')
    return reject(new LabServiceError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412), requestParameters);

  let outcome: Awaited<ReturnType<Operation['run']>>;
  try {
    outcome = await op.run(input, ctx);
  } catch (err) {
    return reject(err instanceof LabServiceError ? err : internalError(svc), requestParameters);
  }
  record({ principal, requestParameters, responseElements: outcome.responseElements ?? null, resources: trailResources });
  send(res, successAnswer(svc, operation, outcome.result, requestId, method));
}
