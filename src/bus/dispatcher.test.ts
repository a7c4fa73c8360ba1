import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { makeHit, tempDir } from '../../test/helpers.js';
import type { Clock } from '../core/clock.js';
import type { Finding } from '../core/finding.js';
import { aggregateOf } from '../findings/build.js';
import { FindingStore } from '../findings/store.js';
import type { DeliveryInput, DeliveryOutcome, Target } from '../targets/types.js';
import { Dispatcher, type DispatchRule, type EventMatcher } from './dispatcher.js';
import { type BusEvent, findingEvent } from './event.js';
import { Outbox } from './outbox.js';
import { publishDue } from './publisher.js';

class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

/** A target that records what it receives and answers from a script of outcomes. */
class RecordingTarget implements Target {
  readonly kind = 'recording';
  received: DeliveryInput[] = [];
  constructor(
    readonly id: string,
    private script: DeliveryOutcome[] = [],
  ) {}
  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    this.received.push(input);
    return this.script.shift() ?? { status: 'delivered' };
  }
}

/** Matches GuardDuty finding events by type, as the workshop's rules do. */
const byType = (types: Record<string, string[]>): EventMatcher => ({
  match: (e: BusEvent) =>
    Object.entries(types)
      .filter(([, ts]) => ts.includes((e.detail as Finding).type))
      .map(([rule]) => rule),
});

const rule = (name: string, targets: string[]): DispatchRule => ({
  name,
  targets: targets.map((id) => ({ id, render: (e: BusEvent) => ({ text: `${name}:${(e.detail as Finding).id}`, custom: true }) })),
});

describe('publishing findings as events', () => {
  const TYPE = 'Recon:IAMUser/MaliciousIPCaller.Custom';

  it('publishes a new finding at once and updates per the publishing frequency', () => {
    const store = new FindingStore(':memory:');
    const clock = new ManualClock(1_000_000);
    const events: BusEvent[] = [];
    store.upsert([aggregateOf(makeHit({ type: TYPE, time: 1, key: ['AKIA1'] }))], clock.now());
    expect(publishDue(store, 'FIFTEEN_MINUTES', clock, (e) => events.push(e))).toHaveLength(1);
    expect(events[0]).toMatchObject({
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      account: '111122223333',
      region: 'us-west-2',
      resources: [],
    });
    const detailOf = (e: BusEvent | undefined) => e?.detail as Finding;
    expect(detailOf(events[0]).service.count).toBe(1);
    // Nothing changed: nothing to publish.
    expect(publishDue(store, 'FIFTEEN_MINUTES', clock, (e) => events.push(e))).toHaveLength(0);
    // An update 5 minutes later waits for the 15-minute window...
    clock.t += 5 * 60_000;
    store.upsert([aggregateOf(makeHit({ type: TYPE, time: 2, key: ['AKIA1'] }))], clock.now());
    expect(publishDue(store, 'FIFTEEN_MINUTES', clock, (e) => events.push(e))).toHaveLength(0);
    // ...and goes out once it has passed, with the aggregated count.
    clock.t += 10 * 60_000;
    const later = publishDue(store, 'FIFTEEN_MINUTES', clock, (e) => events.push(e));
    expect(later.map((e) => (e.detail as Finding).service.count)).toEqual([2]);
    expect(detailOf(later[0]).id).toBe(detailOf(events[0]).id);
  });

  it('IMMEDIATE publishes every change, even within the same millisecond', () => {
    const store = new FindingStore(':memory:');
    const clock = new ManualClock(5);
    store.upsert([aggregateOf(makeHit({ type: TYPE, time: 1, key: ['AKIA1'] }))], clock.now());
    expect(publishDue(store, 'IMMEDIATE', clock, () => {})).toHaveLength(1);
    store.upsert([aggregateOf(makeHit({ type: TYPE, time: 2, key: ['AKIA1'] }))], clock.now());
    expect(publishDue(store, 'IMMEDIATE', clock, () => {})).toHaveLength(1);
  });

  it('does not publish archived findings; a recurrence un-archives and publishes', () => {
    const store = new FindingStore(':memory:');
    const clock = new ManualClock(5);
    store.upsert([aggregateOf(makeHit({ type: TYPE, time: 1, key: ['AKIA1'] }))], clock.now());
    publishDue(store, 'IMMEDIATE', clock, () => {});
    store.db.prepare('UPDATE findings SET archived = 1').run();
    expect(publishDue(store, 'IMMEDIATE', clock, () => {})).toHaveLength(0);
    store.upsert([aggregateOf(makeHit({ type: TYPE, time: 2, key: ['AKIA1'] }))], clock.now());
    expect(publishDue(store, 'IMMEDIATE', clock, () => {}).map((e) => (e.detail as Finding).service.archived)).toEqual([false]);
  });
});

describe('Dispatcher and outbox', () => {
  const ICE = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';
  const finding = (type: string) => {
    const s = new FindingStore(':memory:');
    s.upsert([aggregateOf(makeHit({ type: type, time: 1, key: ['AKIA1'] }))], 1);
    const [f] = s.findings();
    s.close();
    return f as Finding;
  };

  it('queues one delivery per matching rule and target, and delivers each once', async () => {
    const db = new Database(':memory:');
    const clock = new ManualClock(0);
    const mail = new RecordingTarget('mail');
    const hook = new RecordingTarget('hook');
    const d = new Dispatcher(
      byType({ ice: [ICE], any: [ICE, 'Other'] }),
      [rule('ice', ['mail', 'hook']), rule('any', ['mail'])],
      new Map<string, Target>([
        ['mail', mail],
        ['hook', hook],
      ]),
      new Outbox(db),
      clock,
    );
    const event = findingEvent(finding(ICE), 0, 'evt-1');
    expect(d.publish(event)).toBe(3);
    expect(d.publish(event)).toBe(0); // the same event again is not queued twice
    expect(await d.deliverDue()).toEqual({ delivered: 3, retried: 0, dead: 0 });
    expect(mail.received.map((r) => r.text).sort()).toEqual([`any:${(event.detail as Finding).id}`, `ice:${(event.detail as Finding).id}`]);
    expect(await d.deliverDue()).toEqual({ delivered: 0, retried: 0, dead: 0 });
  });

  it('retries with growing backoff, then delivers; permanent failures and exhausted retries go to the dead-letter store', async () => {
    const db = new Database(':memory:');
    const clock = new ManualClock(0);
    const flaky = new RecordingTarget('flaky', [
      { status: 'retry', error: 'ECONNREFUSED' },
      { status: 'retry', error: 'HTTP 503' },
    ]);
    const broken = new RecordingTarget('broken', [{ status: 'failed', error: 'HTTP 400 bad payload' }]);
    const down = new RecordingTarget(
      'down',
      Array.from({ length: 10 }, () => ({ status: 'retry' as const, error: 'timeout' })),
    );
    const outbox = new Outbox(db);
    const d = new Dispatcher(
      byType({ r: [ICE] }),
      [rule('r', ['flaky', 'broken', 'down'])],
      new Map<string, Target>([
        ['flaky', flaky],
        ['broken', broken],
        ['down', down],
      ]),
      outbox,
      clock,
      { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 },
      () => 1,
    );
    d.publish(findingEvent(finding(ICE), 0, 'evt-2'));
    expect(await d.deliverDue()).toEqual({ delivered: 0, retried: 2, dead: 1 });
    expect(outbox.list('dead').map((x) => x.lastError)).toEqual(['HTTP 400 bad payload']);
    // Not due yet: nothing happens before the backoff has passed.
    expect(await d.deliverDue()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    clock.t = 1000;
    expect(await d.deliverDue()).toEqual({ delivered: 0, retried: 2, dead: 0 });
    const delays = outbox.list('pending').map((x) => x.nextAttemptAt - clock.t);
    expect(delays).toEqual([2000, 2000]);
    clock.t = 3000;
    expect(await d.deliverDue()).toEqual({ delivered: 1, retried: 0, dead: 1 });
    expect(outbox.list('dead').map((x) => x.lastError)).toEqual(['HTTP 400 bad payload', 'gave up after 3 attempts: timeout']);
    expect(flaky.received).toHaveLength(3);
    expect(outbox.requeueDead(clock.t)).toBe(2);
  });

  it('survives a restart: queued deliveries are sent after reopening, acknowledged ones are not repeated', async () => {
    const path = join(tempDir(), 'outbox.db');
    const clock = new ManualClock(0);
    let db = new Database(path);
    const first = new RecordingTarget('t');
    let d = new Dispatcher(byType({ r: [ICE] }), [rule('r', ['t'])], new Map<string, Target>([['t', first]]), new Outbox(db), clock);
    d.publish(findingEvent(finding(ICE), 0, 'a'));
    await d.deliverDue();
    d.publish(findingEvent(finding(ICE), 0, 'b'));
    db.close(); // "crash" before b is delivered
    db = new Database(path);
    const second = new RecordingTarget('t');
    d = new Dispatcher(byType({ r: [ICE] }), [rule('r', ['t'])], new Map<string, Target>([['t', second]]), new Outbox(db), clock);
    await d.deliverDue();
    expect(first.received.map((r) => r.event.id)).toEqual(['a']);
    expect(second.received.map((r) => r.event.id)).toEqual(['b']);
    db.close();
  });

  it('an input that cannot be rendered for an event becomes a dead letter with the reason; the other targets still get it', async () => {
    const db = new Database(':memory:');
    const ok = new RecordingTarget('ok');
    const outbox = new Outbox(db);
    const badRule: DispatchRule = {
      name: 'r',
      targets: [
        {
          id: 'bad',
          render: () => {
            throw new Error('object inside a quoted template');
          },
        },
        { id: 'ok', render: () => ({ text: 'x', custom: true }) },
      ],
    };
    const d = new Dispatcher(byType({ r: [ICE] }), [badRule], new Map<string, Target>([['ok', ok]]), outbox, new ManualClock(0));
    expect(d.publish(findingEvent(finding(ICE), 0, 'y'))).toBe(1);
    expect(outbox.list('dead').map((x) => [x.target, x.lastError])).toEqual([['bad', 'input not rendered: object inside a quoted template']]);
    expect(await d.deliverDue()).toEqual({ delivered: 1, retried: 0, dead: 0 });
  });

  it('a delivery to a target that is no longer configured is dead-lettered with the reason', async () => {
    const db = new Database(':memory:');
    const d = new Dispatcher(byType({ r: [ICE] }), [rule('r', ['gone'])], new Map(), new Outbox(db), new ManualClock(0));
    d.publish(findingEvent(finding(ICE), 0, 'x'));
    expect(await d.deliverDue()).toEqual({ delivered: 0, retried: 0, dead: 1 });
  });
});
