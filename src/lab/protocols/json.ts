/**
 * AWS JSON 1.0 (DynamoDB) and 1.1 (SSM): `POST /` with `X-Amz-Target: Prefix.Operation` and a JSON body; answers are
 * JSON, errors `{"__type": "...#Code", "message": "..."}`.
 */
import { LabServiceError } from './common.js';

export interface JsonFlavour {
  /** X-Amz-Target prefix: DynamoDB_20120810, AmazonSSM. */
  targetPrefix: string;
  contentType: 'application/x-amz-json-1.0' | 'application/x-amz-json-1.1';
  /** How `__type` is written for a code. */
  errorType(code: string): string;
}

/** Codes the Coral front end answers (authentication, serialization, unknown operations) rather than the service. */
const CORAL = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'SerializationException',
  'UnknownOperationException',
]);

export const DYNAMODB_JSON: JsonFlavour = {
  targetPrefix: 'DynamoDB_20120810',
  contentType: 'application/x-amz-json-1.0',
  errorType: (code) => (CORAL.has(code) ? `com.amazon.coral.service#${code}` : `com.amazonaws.dynamodb.v20120810#${code}`),
};

export const SSM_JSON: JsonFlavour = {
  targetPrefix: 'AmazonSSM',
  contentType: 'application/x-amz-json-1.1',
  errorType: (code) => code,
};

/** The operation named by X-Amz-Target, or UnknownOperationException. */
export function jsonOperation(flavour: JsonFlavour, target: string | undefined): string {
  const prefix = `${flavour.targetPrefix}.`;
  if (!target?.startsWith(prefix) || target.length === prefix.length) throw new LabServiceError('UnknownOperationException', '', 400);
  return target.slice(prefix.length);
}

/** The request body as a JSON object; SerializationException otherwise. An empty body is `{}`. */
export function jsonInput(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new LabServiceError('SerializationException', 'Start of structure or map found where not expected.', 400);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new LabServiceError('SerializationException', 'Start of structure or map found where not expected.', 400);
  if (nestedDeeperThan(v, MAX_INPUT_DEPTH))
    throw new LabServiceError('SerializationException', `The request is nested more than ${MAX_INPUT_DEPTH} levels deep.`, 400);
  return v as Record<string, unknown>;
}

/**
 * How deep a request may nest: deeper than any input of the operations the lab answers, and well inside what the
 * trail writes (a CloudTrail record nested beyond 32 levels is refused, and the call would be missing from the trail).
 */
export const MAX_INPUT_DEPTH = 16;

/** Whether a parsed JSON value nests objects or arrays more than `max` levels (iterative: no stack to overflow). */
function nestedDeeperThan(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const x of Object.values(v as object)) if (x !== null && typeof x === 'object') stack.push([x, depth + 1]);
  }
  return false;
}

export function jsonError(flavour: JsonFlavour, code: string, message: string): string {
  return JSON.stringify({ __type: flavour.errorType(code), message });
}
