import type { ApiEvent } from '../core/event.js';
import type { DnsQuery, FlowRecord } from '../core/network.js';
import { InterfaceMap, type InterfaceMapStats } from './interface-map.js';
import { resolveFlowInstance } from './network-common.js';
import type { DetectContext, Detector, DnsDetector, FlowDetector, Hit } from './types.js';

/** Services whose events CloudTrail logs in us-east-1 whatever region the caller used. */
const GLOBAL_SERVICES = new Set([
  'iam.amazonaws.com',
  'sts.amazonaws.com',
  'cloudfront.amazonaws.com',
  'route53.amazonaws.com',
  'organizations.amazonaws.com',
  'signin.amazonaws.com',
  'waf.amazonaws.com',
]);

export function isGlobalServiceEvent(e: ApiEvent): boolean {
  return e.region === 'us-east-1' && GLOBAL_SERVICES.has(e.source);
}

export interface EngineStats {
  events: number;
  hits: number;
  /** Events from addresses on the trusted list: no detector sees them (GuardDuty's trusted-list semantics). */
  trusted: number;
  /** Per-detector counters (e.g. undecided or evicted state). */
  detectors: Record<string, Record<string, number>>;
  /** Network interfaces learned from CloudTrail, and how many flow findings they resolved. */
  interfaces: InterfaceMapStats;
}

/**
 * Runs every detector over events. Compiled once: detectors that declare `eventNames` are reached through
 * a table keyed by event name, so an event only meets the detectors that can fire on it.
 */
export class DetectionEngine {
  private byName = new Map<string, Detector<any>[]>();
  private always: Detector<any>[] = [];
  private states = new Map<unknown, unknown>();
  private counts = { events: 0, hits: 0, trusted: 0 };

  readonly flowDetectors: readonly FlowDetector<any>[];
  readonly dnsDetectors: readonly DnsDetector<any>[];
  /** Network interface -> instance, learned from every CloudTrail event the engine sees (see interface-map.ts). */
  readonly interfaces: InterfaceMap;

  constructor(
    readonly detectors: readonly Detector<any>[],
    readonly ctx: DetectContext,
    network: { flow?: readonly FlowDetector<any>[]; dns?: readonly DnsDetector<any>[]; interfaces?: InterfaceMap } = {},
  ) {
    this.flowDetectors = network.flow ?? [];
    this.dnsDetectors = network.dns ?? [];
    this.interfaces = network.interfaces ?? new InterfaceMap();
    for (const d of [...this.flowDetectors, ...this.dnsDetectors]) if (d.createState) this.states.set(d, d.createState(ctx));
    for (const d of detectors) {
      if (d.createState) this.states.set(d, d.createState(ctx));
      if (!d.meta.eventNames) {
        this.always.push(d);
        continue;
      }
      for (const name of d.meta.eventNames) {
        const list = this.byName.get(name) ?? [];
        list.push(d);
        this.byName.set(name, list);
      }
    }
  }

  /**
   * Evaluates one event; the returned hits are ready for aggregation. Network-interface events teach the interface map
   * first, even from a trusted address (an inventory fact, not a detection).
   */
  process(event: ApiEvent, out: Hit[] = []): Hit[] {
    this.counts.events++;
    this.interfaces.learn(event);
    if (event.ip && this.ctx.intel.isTrusted(event.ip)) {
      this.counts.trusted++;
      return out;
    }
    for (const d of this.always) this.run(d, event, out);
    const named = this.byName.get(event.name);
    if (named) for (const d of named) this.run(d, event, out);
    return out;
  }

  /**
   * Evaluates one VPC Flow Logs record. A flow with a trusted address on either side stops here (GuardDuty makes no
   * finding for trusted addresses).
   */
  processFlow(record: FlowRecord, out: Hit[] = []): Hit[] {
    this.counts.events++;
    if ((record.srcaddr && this.ctx.intel.isTrusted(record.srcaddr)) || (record.dstaddr && this.ctx.intel.isTrusted(record.dstaddr))) {
      this.counts.trusted++;
      return out;
    }
    for (const d of this.flowDetectors) this.collect(d.evaluate(record, this.ctx, this.states.get(d)), out);
    return out;
  }

  /** Evaluates one Route 53 Resolver query. */
  processDns(query: DnsQuery, out: Hit[] = []): Hit[] {
    this.counts.events++;
    for (const d of this.dnsDetectors) this.collect(d.evaluate(query, this.ctx, this.states.get(d)), out);
    return out;
  }

  private collect(r: Hit | Hit[] | undefined, out: Hit[]): void {
    if (!r) return;
    for (const h of Array.isArray(r) ? r : [r]) {
      out.push(h);
      this.counts.hits++;
    }
  }

  private run(d: Detector<any>, event: ApiEvent, out: Hit[]): void {
    const r = d.evaluate(event, this.ctx, this.states.get(d));
    if (!r) return;
    for (const h of Array.isArray(r) ? r : [r]) {
      if (isGlobalServiceEvent(event)) h.region = this.ctx.settings.globalServiceRegion;
      out.push(h);
      this.counts.hits++;
    }
  }

  /** Every detector, of every input, for flushing and statistics. */
  private all(): Array<Pick<Detector<any>, 'meta' | 'flush' | 'stats'>> {
    return [...this.detectors, ...this.flowDetectors, ...this.dnsDetectors];
  }

  /**
   * The last step before a hit is written (on each aggregate, once every event of the run or batch was seen): a flow
   * finding whose instance neither the record nor the inventory named is resolved through the interfaces learned from
   * CloudTrail, at its event's time; the finding id stays (see `flowInstance`). Other hits are returned unchanged.
   */
  resolveInstance(hit: Hit): Hit {
    return resolveFlowInstance(hit, this.interfaces);
  }

  /** Hits that stateful detectors could only decide after the last event. */
  flush(): Hit[] {
    const out: Hit[] = [];
    for (const d of this.all()) if (d.flush) out.push(...d.flush(this.ctx, this.states.get(d)));
    this.counts.hits += out.length;
    return out;
  }

  stats(): EngineStats {
    const detectors: Record<string, Record<string, number>> = {};
    for (const d of this.all()) if (d.stats) detectors[d.meta.id] = d.stats(this.states.get(d));
    return { ...this.counts, detectors, interfaces: this.interfaces.stats() };
  }
}
