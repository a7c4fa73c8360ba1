import type { DispatchStats } from '../bus/dispatcher.js';
import type { Clock } from '../core/clock.js';
import { describeError, InputError } from '../core/errors.js';
import type { ApiEvent } from '../core/event.js';
import type { Finding } from '../core/finding.js';
import { DetectionEngine, type EngineStats } from '../detectors/engine.js';
import { InterfaceMap } from '../detectors/interface-map.js';
import { DNS_DETECTORS, FLOW_DETECTORS } from '../detectors/network-registry.js';
import { DETECTORS } from '../detectors/registry.js';
import type { DetectContext, Detector, DnsDetector, FlowDetector, Hit } from '../detectors/types.js';
import { Aggregator } from '../findings/aggregator.js';
import { FindingStore } from '../findings/store.js';
import { WatchStore } from '../findings/watches.js';
import { discoverInputs, type InputRef } from '../sources/discover.js';
import { type ReadDocument, readDocument } from '../sources/read.js';
import type { Bus } from './bus.js';
import { parseLogDocument } from './parse-log.js';
import { Verifier } from './verification.js';

export interface DetectProgress {
  filesDone: number;
  filesTotal: number;
  events: number;
  bytes: number;
  elapsedMs: number;
}

export interface DetectOptions {
  paths: string[];
  ctx: DetectContext;
  clock: Clock;
  /** A store to keep findings and history in; without one, an in-memory store is used for the run. */
  store?: FindingStore;
  detectors?: readonly Detector<any>[];
  /** Flow and DNS detectors (default: the registry's). */
  network?: { flow?: readonly FlowDetector<any>[]; dns?: readonly DnsDetector<any>[] };
  /** Called at most every `progressIntervalMs` and once at the end. */
  onProgress?: (p: DetectProgress) => void;
  progressIntervalMs?: number;
  /** Files read ahead while the current one is parsed (gunzip runs on libuv's threads). */
  readAhead?: number;
  /** The event bus (rules, targets, outbox) built on the run's store; findings due are published through it. */
  bus?: (store: FindingStore) => Bus;
  /** How long to keep delivering (waiting out retry backoffs) after the findings are written; default 0: one pass. */
  deliverForMs?: number;
}

export interface DetectStats {
  files: number;
  bytesRead: number;
  bytes: number;
  events: number;
  /** Of `events`: VPC Flow Logs records and Route 53 Resolver queries (the rest are CloudTrail events). */
  flowRecords: number;
  dnsQueries: number;
  /** Flow-log records without traffic: NODATA, and SKIPDATA (records AWS dropped). */
  flowNoData: number;
  flowSkipData: number;
  duplicates: number;
  rejectedFiles: number;
  rejectedRecords: number;
  /** Records whose `sourceIPAddress` is neither an address, a service name nor `AWS Internal`. */
  unparseableSources: number;
  engine: EngineStats;
  elapsedMs: number;
}

export interface DetectResult {
  /** Events published to the bus (new findings, and updates per the publishing frequency) and what became of deliveries. */
  published: number;
  deliveries: DispatchStats & { pending: number };
  /** The findings this run created or updated, as stored (with totals across runs when a database is used). */
  findings: Finding[];
  /** Every file or record that could not be used, with the reason. */
  rejected: InputError[];
  stats: DetectStats;
}

/**
 * The batch job: read every input, parse, drop duplicate deliveries (by `eventID`), run the detectors,
 * aggregate, and write the findings. Everything happens in one database transaction: a crash leaves the
 * store as it was, and re-running the same files changes no count (their events are already recorded).
 */
export async function runDetect(opts: DetectOptions): Promise<DetectResult> {
  const wallStart = Date.now();
  const { inputs, errors: discoveryErrors } = await discoverInputs(opts.paths);
  const rejected: InputError[] = [...discoveryErrors];
  const store = opts.store ?? new FindingStore(':memory:');
  const persistent = opts.store !== undefined;
  // Network interfaces learned from CloudTrail (for flow records without instance-id): with a database, those of
  // earlier runs too, and this run's are kept (in its transaction) for the next.
  const interfaces = new InterfaceMap(persistent ? { onLearn: (facts) => store.saveInterfaceFacts(facts) } : {});
  if (persistent) interfaces.load(store.interfaceFacts());
  const engine = new DetectionEngine(opts.detectors ?? DETECTORS, opts.ctx, {
    flow: opts.network?.flow ?? FLOW_DETECTORS,
    dns: opts.network?.dns ?? DNS_DETECTORS,
    interfaces,
  });
  const aggregator = new Aggregator();
  // Remediated credentials under watch (kept in the database): their later calls verify or refute the containment.
  const verifier = persistent ? new Verifier(new WatchStore(store.db)) : undefined;
  const seen = new Set<string>();
  const stats = {
    files: 0,
    bytesRead: 0,
    bytes: 0,
    events: 0,
    flowRecords: 0,
    dnsQueries: 0,
    flowNoData: 0,
    flowSkipData: 0,
    duplicates: 0,
    rejectedFiles: discoveryErrors.length,
    rejectedRecords: 0,
    unparseableSources: 0,
  };
  const hits: Hit[] = [];
  let lastProgress = 0;
  const interval = opts.progressIntervalMs ?? 1000;
  const report = (force: boolean) => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!force && now - lastProgress < interval) return;
    lastProgress = now;
    opts.onProgress({ filesDone: stats.files, filesTotal: inputs.length, events: stats.events, bytes: stats.bytes, elapsedMs: now - wallStart });
  };

  const handleEvent = (e: ApiEvent) => {
    let fresh: boolean;
    if (persistent) fresh = store.recordEvent(e);
    else {
      fresh = !seen.has(e.id);
      if (fresh) seen.add(e.id);
    }
    if (!fresh) {
      stats.duplicates++;
      return;
    }
    stats.events++;
    if (e.sourceKind === 'invalid') stats.unparseableSources++;
    hits.length = 0;
    engine.process(e, hits);
    const failed = verifier?.observe(e);
    if (failed) hits.push(failed);
    for (const h of hits) aggregator.add(h);
  };

  /** Flow and DNS records: deduplicated by content id, then their detectors. */
  const fresh = (id: string): boolean => {
    if (persistent) return store.recordSeen(id);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
  const handleRecord = (id: string, evaluate: () => void) => {
    if (!fresh(id)) {
      stats.duplicates++;
      return;
    }
    stats.events++;
    hits.length = 0;
    evaluate();
    for (const h of hits) aggregator.add(h);
  };

  store.begin();
  try {
    await readAll(inputs, opts.readAhead ?? 4, (doc, err) => {
      if (err) {
        rejected.push(err);
        stats.rejectedFiles++;
        return;
      }
      if (!doc) return;
      stats.files++;
      stats.bytesRead += doc.bytesRead;
      stats.bytes += doc.bytes;
      const parsed = parseLogDocument(doc.text, doc.path);
      for (const err of parsed.errors) {
        rejected.push(err);
        if (err.location === doc.path) stats.rejectedFiles++;
        else stats.rejectedRecords++;
      }
      for (const e of parsed.events) handleEvent(e);
      for (const r of parsed.flows) handleRecord(r.id, () => engine.processFlow(r, hits));
      for (const q of parsed.queries) handleRecord(q.id, () => engine.processDns(q, hits));
      stats.flowRecords += parsed.flows.length;
      stats.dnsQueries += parsed.queries.length;
      stats.flowNoData += parsed.skipped.nodata;
      stats.flowSkipData += parsed.skipped.skipdata;
      report(false);
    });
    for (const h of engine.flush()) aggregator.add(h);
    const aggregates = aggregator.drain();
    // Every file has been read: a flow finding's instance is resolved from everything CloudTrail said in this run
    // (and earlier ones), whatever the order the files came in.
    for (const a of aggregates) a.hit = engine.resolveInstance(a.hit);
    // The address databases are opened only when there is something to enrich (opening takes about a second).
    const enrichment = opts.ctx.enrichment;
    if (enrichment && aggregates.length > 0) await enrichment.load();
    const written = store.upsert(
      aggregates,
      opts.clock.now(),
      (name) => opts.ctx.intel.listSha256(name),
      enrichment ? (d) => enrichment.details(d) : undefined,
    );
    // Deliveries are queued in the same transaction as the findings they announce.
    const bus = opts.bus?.(store);
    const published = bus ? bus.publishFindings().length : 0;
    store.commit();
    const findings = store.findings({ ids: written });
    report(true);
    let deliveries = { delivered: 0, retried: 0, dead: 0, pending: 0 };
    if (bus) {
      try {
        const d = await bus.deliver(opts.deliverForMs ?? 0);
        deliveries = { ...d, pending: bus.outbox.list('pending').length };
      } finally {
        await bus.close();
      }
    }
    return { findings, rejected, published, deliveries, stats: { ...stats, engine: engine.stats(), elapsedMs: Date.now() - wallStart } };
  } catch (err) {
    store.rollback();
    throw err;
  } finally {
    if (!persistent) store.close();
  }
}

/** Reads inputs in order with `ahead` reads in flight; calls `each` in input order. */
async function readAll(inputs: InputRef[], ahead: number, each: (doc: ReadDocument | undefined, err?: InputError) => void): Promise<void> {
  const pending: Array<Promise<ReadDocument | InputError>> = [];
  let next = 0;
  const start = () => {
    const input = inputs[next++] as InputRef;
    pending.push(
      readDocument(input).catch((err: unknown) => (err instanceof InputError ? err : new InputError(input.path, describeError(err), { cause: err }))),
    );
  };
  while (next < inputs.length && pending.length < Math.max(1, ahead)) start();
  while (pending.length > 0) {
    const r = await (pending.shift() as Promise<ReadDocument | InputError>);
    if (next < inputs.length) start();
    if (r instanceof InputError) each(undefined, r);
    else each(r);
  }
}
