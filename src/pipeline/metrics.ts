import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics (prom-client, the de-facto Node client: text exposition format, default process
 * metrics). One registry per service, so tests and several services in one process do not share counters.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly events = new Counter({
    name: 'trailhound_events_total',
    help: 'CloudTrail events ingested (new, by eventID)',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'trailhound_duplicate_events_total',
    help: 'Events seen again (same eventID) and not counted twice',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'trailhound_rejected_total',
    help: 'Files and records that could not be used, by source, level (file|record) and reason',
    labelNames: ['source', 'level', 'reason'],
    registers: [this.registry],
  });
  readonly objects = new Counter({
    name: 'trailhound_objects_total',
    help: 'Log objects (files, S3 objects, HTTP bodies) ingested',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly findings = new Counter({
    name: 'trailhound_findings_total',
    help: 'Finding writes (new or updated), by finding type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly published = new Counter({ name: 'trailhound_published_events_total', help: 'Finding events published to the bus', registers: [this.registry] });
  readonly deliveries = new Counter({
    name: 'trailhound_deliveries_total',
    help: 'Delivery attempts by outcome (delivered, retried, dead)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly pending = new Gauge({ name: 'trailhound_deliveries_pending', help: 'Deliveries waiting in the outbox', registers: [this.registry] });
  readonly lag = new Gauge({
    name: 'trailhound_source_lag_seconds',
    help: 'Time from a log object being written to its events being committed (the last object of each source)',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly backlog = new Gauge({
    name: 'trailhound_source_backlog',
    help: 'Objects found and not yet ingested',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly pollErrors = new Counter({
    name: 'trailhound_source_poll_errors_total',
    help: 'Failed polls of a source',
    labelNames: ['source'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'trailhound_' });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A small, fixed set of reasons for the `reason` label (the full text goes to the log and the rejections table). */
export function rejectionReason(message: string): string {
  const m = message.toLowerCase();
  if (m.includes('gzip') || m.includes('unexpected end of file') || m.includes('incorrect header')) return 'gzip';
  if (m.includes('json')) return 'json';
  if (m.includes('larger than') || m.includes('too large') || m.includes('bytes; the limit') || m.includes('limit')) return 'size';
  if (m.includes('cannot read') || m.includes('enoent') || m.includes('eacces') || m.includes('permission')) return 'unreadable';
  if (m.includes('time') || m.includes('date')) return 'time';
  return 'shape';
}
