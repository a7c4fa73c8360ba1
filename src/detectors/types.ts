import type { ApiEvent } from '../core/event.js';
import type { FindingAction, FindingResource, ResourceRole } from '../core/finding.js';
import type { DnsQuery, FlowRecord } from '../core/network.js';
import type { LazyEnricher } from '../intel/enrich.js';
import type { Intel } from '../intel/intel.js';
import type { ApiClassifier } from './api-classification.js';

/** What a detector declares about itself. `id` equals the module's file name. */
export interface DetectorMeta {
  id: string;
  /** The GuardDuty finding type this module emits. */
  findingType: string;
  /** Default severity (GuardDuty's value: Low 2, Medium 5, High 8). */
  severity: number;
  dataSource: 'CloudTrail management events' | 'CloudTrail S3 data events' | 'CloudTrail management and S3 data events' | 'VPC Flow Logs' | 'DNS logs';
  /** One sentence: what the finding means. */
  summary: string;
  /** The aggregation key, in words: which events count into one finding. */
  aggregation: string;
  /** Event names the detector looks at; omitted = every event. Compiled into a dispatch table at load. */
  eventNames?: readonly string[];
}

/** One detection: everything needed to build (or update) a GuardDuty finding. */
export interface Hit {
  type: string;
  severity: number;
  account: string;
  region: string;
  partition: string;
  /** Aggregation key parts after type, account and region (e.g. access key id, remote address). */
  key: string[];
  /** Event time (ms) and id of the event the details come from; the latest event wins on aggregation. */
  time: number;
  eventId: string;
  resource: FindingResource;
  action: FindingAction;
  resourceRole: ResourceRole;
  threatListNames?: string[];
  title: string;
  description: string;
  additionalInfo?: Record<string, unknown>;
  /** For hits that stand for several events (stateful detectors): how many, and the earliest time. */
  count?: number;
  firstSeen?: number;
}

/** Settings detectors read; validated as part of the configuration. */
export interface DetectorSettings {
  /** Known accounts: their egress addresses (NAT gateways, instance EIPs) and whether they are affiliated. */
  accounts: Array<{ id: string; egressAddresses: string[]; affiliated: boolean }>;
  /** Per-instance known addresses (an inventory), by instance id. */
  instances: Record<string, { addresses: string[] }>;
  /**
   * The region whose findings receive events of global services (IAM, STS's global endpoint, CloudFront,
   * Route 53, Organizations, console sign-in), which CloudTrail logs in us-east-1. Default: us-east-1, as logged.
   */
  globalServiceRegion: string;
  /** Caps on per-credential state, so memory stays bounded on any input. */
  maxTrackedInstances: number;
  maxAddressesPerInstance: number;
  /**
   * Network interfaces to instances (an inventory), for flow records without `instance-id` (the default version-2
   * format has none).
   */
  interfaces: Record<string, string>;
  /**
   * Mail servers (`detectors.mailServers`): their SMTP traffic is not spam. Compiled once, when the Spambot detector's
   * state is created (`compileMailServers` in vpcflow/backdoor-ec2-spambot.ts); absent: none.
   */
  mailServers?: MailServers;
}

export interface MailServers {
  /** Instances allowed to send mail: they never raise `Backdoor:EC2/Spambot`. */
  instances?: string[];
  /** Relays, as addresses or CIDRs (a smarthost, SES endpoints): connections to them do not count toward the threshold. */
  destinations?: string[];
}

export interface DetectContext {
  intel: Intel;
  /** Fills in remote addresses' organisation and location when findings are written (absent: not configured). */
  enrichment?: LazyEnricher;
  classifier: ApiClassifier;
  settings: DetectorSettings;
}

export interface Detector<S = unknown> {
  meta: DetectorMeta;
  /** Per-event logic. Pure and cheap: lookups only, no I/O. */
  evaluate(event: ApiEvent, ctx: DetectContext, state: S): Hit | Hit[] | undefined;
  /** Stateful detectors: a fresh state for a run. */
  createState?(ctx: DetectContext): S;
  /** Stateful detectors: the hits that could only be decided once every event of the run was seen. */
  flush?(ctx: DetectContext, state: S): Hit[];
  /** Counters worth reporting (e.g. evictions, undecidable events). */
  stats?(state: S): Record<string, number>;
  /** The detector's own positive and negative cases, run by `cases.test.ts`. */
  cases: DetectorCase[];
}

/** A positive or negative case that lives beside a detector and is run by its test. */
export interface DetectorCase {
  name: string;
  /** CloudTrail records (partial records are completed with defaults by the test helper). */
  records: Array<Record<string, unknown>>;
  /** Expected number of findings of the detector's type (0 for a negative case). */
  expect: number;
  threatList?: string[];
  /** Several named threat lists (e.g. a Tor node list, found by its name). */
  threatLists?: Record<string, string[]>;
  /** A threat list of domains (named `test-domains`). */
  threatDomains?: string[];
  trustedList?: string[];
  settings?: Partial<DetectorSettings>;
}

/**
 * A detector over VPC Flow Logs records or Route 53 Resolver queries: the same contract as a CloudTrail `Detector`
 * (pure per-record logic, optional state, its own cases), over the normalised record of its input.
 */
export interface RecordDetector<R, S = unknown> {
  meta: DetectorMeta;
  evaluate(record: R, ctx: DetectContext, state: S): Hit | Hit[] | undefined;
  createState?(ctx: DetectContext): S;
  flush?(ctx: DetectContext, state: S): Hit[];
  stats?(state: S): Record<string, number>;
  cases: LogCase[];
}

export type FlowDetector<S = unknown> = RecordDetector<FlowRecord, S>;
export type DnsDetector<S = unknown> = RecordDetector<DnsQuery, S>;

/** A case of a flow or DNS detector: log lines as AWS writes them (a flow-log header line may lead). */
export interface LogCase {
  name: string;
  lines: string[];
  expect: number;
  threatList?: string[];
  /** Several named threat lists (e.g. a Tor node list, found by its name). */
  threatLists?: Record<string, string[]>;
  /** A threat list of domains (named `test-domains`). */
  threatDomains?: string[];
  trustedList?: string[];
  settings?: Partial<DetectorSettings>;
}
