import type { InputError } from '../core/errors.js';
import type { ApiEvent } from '../core/event.js';
import type { DnsQuery, FlowRecord, LogKind } from '../core/network.js';
import { parseCloudTrailDocument } from '../parsers/cloudtrail.js';
import { parseResolverQueryLogDocument } from '../parsers/route53-resolver.js';
import { sniffLogKind } from '../parsers/sniff.js';
import { flowLogPathHint, parseFlowLogDocument } from '../parsers/vpc-flow.js';

/** A log document of any supported kind, parsed. Only the list of its kind is filled. */
export interface ParsedLog {
  kind: LogKind;
  events: ApiEvent[];
  flows: FlowRecord[];
  queries: DnsQuery[];
  errors: InputError[];
  /** Flow-log records without traffic: NODATA (nothing to log), SKIPDATA (AWS dropped records: data lost upstream). */
  skipped: { nodata: number; skipdata: number };
}

/**
 * Recognises the document (CloudTrail, VPC Flow Logs, Route 53 Resolver query logs) from its content, falling back to
 * its S3 path, and parses it. A document nothing recognises goes to the CloudTrail parser, whose errors say what it
 * expected.
 */
export function parseLogDocument(text: string, path: string): ParsedLog {
  const kind = sniffLogKind(text, path) ?? 'cloudtrail';
  const empty = { events: [], flows: [], queries: [], skipped: { nodata: 0, skipdata: 0 } };
  switch (kind) {
    case 'vpcflow': {
      const r = parseFlowLogDocument(text, path, flowLogPathHint(path));
      return { ...empty, kind, flows: r.records, errors: r.errors, skipped: r.skipped };
    }
    case 'route53-resolver': {
      const r = parseResolverQueryLogDocument(text, path);
      return { ...empty, kind, queries: r.records, errors: r.errors };
    }
    default: {
      const r = parseCloudTrailDocument(text, path);
      return { ...empty, kind: 'cloudtrail', events: r.events, errors: r.errors };
    }
  }
}
