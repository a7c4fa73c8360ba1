import { z } from 'zod';
import { ConfigError, type ConfigIssue, describeError } from '../../core/errors.js';
import type { DeliveryOutcome } from '../types.js';

/** `us-west-2`, `eu-central-1`, `us-gov-west-1`, `cn-north-1`. */
export const RegionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region name such as us-west-2');

/** An endpoint override (a local emulator, a VPC endpoint): an http(s) URL. */
export const EndpointSchema = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/**
 * Options every AWS target shares. Credentials are never configured here: the SDK's default provider chain
 * (environment, shared config/SSO, web identity, ECS/EC2 metadata) supplies them.
 */
export const ClientOptionsSchema = {
  region: RegionSchema.optional(),
  endpoint: EndpointSchema.optional(),
};

export interface ClientOptions {
  region?: string;
  endpoint?: string;
}

/** Client constructor options: only what was configured, so the SDK's own defaults (and AWS_REGION) apply otherwise. */
export function clientConfig(opts: ClientOptions, fallbackRegion?: string): { region?: string; endpoint?: string } {
  const out: { region?: string; endpoint?: string } = {};
  const region = opts.region ?? fallbackRegion;
  if (region) out.region = region;
  if (opts.endpoint) out.endpoint = opts.endpoint;
  return out;
}

/** Parses a target's options with its strict schema; throws `ConfigError` naming the target and every issue. */
export function parseTargetConfig<S extends z.ZodType>(schema: S, id: string, config: unknown): z.infer<S> {
  const result = schema.safeParse(config ?? {});
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  throw new ConfigError(`target ${JSON.stringify(id)}`, issues);
}

/** The region field of an ARN (`arn:partition:service:region:account:resource`), when it has one. */
export function arnRegion(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[3] ? parts[3] : undefined;
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'ConcurrentModificationException',
]);

const TRANSIENT = new Set([
  'InternalFailure',
  'InternalError',
  'InternalErrorException',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceFailure',
  'Unavailable',
  'KMSThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'NetworkingError',
  'IDPCommunicationError',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** What kind of failure an SDK (or network) error is. */
export type ErrorClass = 'retry' | 'failed';

/**
 * Classifies an error thrown by an SDK v3 `send`: throttling, 5xx, timeouts and network errors are transient
 * (`retry`); everything else (validation, access denied, not found, unknown credentials, bad configuration) is
 * permanent (`failed`). The SDK has already retried transient errors itself before throwing.
 */
export function classifyAwsError(err: unknown): ErrorClass {
  if (typeof err !== 'object' || err === null) return 'failed';
  const e = err as { name?: string; code?: string; $fault?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = e.name ?? '';
  if (THROTTLING.has(name) || TRANSIENT.has(name)) return 'retry';
  if (e.code && NETWORK_CODES.has(e.code)) return 'retry';
  if (e.$retryable) return 'retry';
  const status = e.$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500)) return 'retry';
  if (e.$fault === 'server') return 'retry';
  if (name === 'AbortError') return 'retry';
  return 'failed';
}

/** One line naming the error's code (when it is an AWS error) and its message. */
export function awsErrorText(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const head = [e.name, status ? `HTTP ${status}` : undefined].filter(Boolean).join(', ');
    if (head && e.message) return `${head}: ${e.message}`;
  }
  return describeError(err);
}

/** The delivery outcome for an error thrown by `send`, prefixed with what was being done. */
export function errorOutcome(what: string, err: unknown): DeliveryOutcome {
  const error = `${what}: ${awsErrorText(err)}`;
  return classifyAwsError(err) === 'retry' ? { status: 'retry', error } : { status: 'failed', error };
}

/** The outcome for a per-entry error code reported inside a successful response (PutEvents, BatchImportFindings). */
export function entryErrorOutcome(what: string, code: string | undefined, message: string | undefined): DeliveryOutcome {
  const error = `${what}: ${code ?? 'error'}${message ? `: ${message}` : ''}`;
  return classifyAwsError({ name: code ?? '' }) === 'retry' ? { status: 'retry', error } : { status: 'failed', error };
}
