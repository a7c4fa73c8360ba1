import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Target } from '../targets/types.js';
import type { BusEvent } from './event.js';
import type { Outbox } from './outbox.js';

/** A rule as the dispatcher needs it: which targets get a matched event, and what input each target is given. */
export interface DispatchRule {
  name: string;
  targets: Array<{ id: string; render(event: BusEvent): { text: string; custom: boolean } }>;
}

/** Anything that names the rules an event matches (the compiled EventBridge pattern matcher). */
export interface EventMatcher {
  match(event: BusEvent): string[];
}

export interface RetryPolicy {
  /** Attempts before a retriable failure goes to the dead-letter store. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 };

export interface DispatchStats {
  delivered: number;
  retried: number;
  dead: number;
}

/**
 * Routes events to targets through the outbox. `publish` matches an event against every enabled rule and queues
 * one delivery per (rule, target) — call it inside the transaction that changed the finding. `deliverDue` sends
 * what is due: delivered deliveries are marked so (never sent again), retriable failures are retried with
 * exponential backoff (with jitter, capped), permanent failures and exhausted retries go to the dead-letter store.
 */
export class Dispatcher {
  private rules = new Map<string, DispatchRule>();

  constructor(
    private readonly matcher: EventMatcher,
    rules: DispatchRule[],
    private readonly targets: Map<string, Target>,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly random: () => number = Math.random,
  ) {
    for (const r of rules) this.rules.set(r.name, r);
  }

  /** Queues the deliveries for one event; returns how many were queued. */
  publish(event: BusEvent): number {
    let queued = 0;
    const now = this.clock.now();
    for (const name of this.matcher.match(event)) {
      const rule = this.rules.get(name);
      if (!rule) continue;
      for (const t of rule.targets) {
        let input: { text: string; custom: boolean };
        try {
          input = t.render(event);
        } catch (err) {
          // The input cannot be built for this event (e.g. AWS would drop it): kept as a dead letter, with the reason.
          this.outbox.enqueue({ rule: name, target: t.id, event, input: '', custom: true, deadReason: `input not rendered: ${describeError(err)}` }, now);
          continue;
        }
        if (this.outbox.enqueue({ rule: name, target: t.id, event, input: input.text, custom: input.custom }, now)) queued++;
      }
    }
    return queued;
  }

  /** Attempts every delivery due now, one at a time, in order. */
  async deliverDue(): Promise<DispatchStats> {
    const stats: DispatchStats = { delivered: 0, retried: 0, dead: 0 };
    for (;;) {
      const due = this.outbox.due(this.clock.now());
      if (due.length === 0) return stats;
      for (const d of due) {
        const target = this.targets.get(d.target);
        if (!target) {
          this.outbox.markDead(d.id, `no target named ${JSON.stringify(d.target)} is configured`);
          stats.dead++;
          continue;
        }
        let outcome: Awaited<ReturnType<Target['deliver']>>;
        try {
          outcome = await target.deliver({ text: d.input, custom: d.custom, event: d.event });
        } catch (err) {
          outcome = { status: 'retry', error: describeError(err) };
        }
        const now = this.clock.now();
        if (outcome.status === 'delivered') {
          this.outbox.markDelivered(d.id, now);
          stats.delivered++;
        } else if (outcome.status === 'failed' || d.attempts + 1 >= this.retry.maxAttempts) {
          this.outbox.markDead(d.id, outcome.status === 'failed' ? outcome.error : `gave up after ${d.attempts + 1} attempts: ${outcome.error}`);
          stats.dead++;
        } else {
          const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** d.attempts);
          const delay = Math.max(outcome.retryAfterMs ?? 0, Math.round(backoff / 2 + this.random() * (backoff / 2)));
          this.outbox.markRetry(d.id, outcome.error, now + delay);
          stats.retried++;
        }
      }
    }
  }
}
