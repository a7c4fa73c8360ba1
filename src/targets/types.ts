import type { BusEvent } from '../bus/event.js';
import type { Clock } from '../core/clock.js';

/**
 * What a delivery attempt came to. `retry`: a transient failure (timeout, connection refused, 5xx, throttling);
 * the dispatcher tries again with backoff. `failed`: permanent (4xx, bad address, validation); the event goes to
 * the dead-letter store.
 */
export type DeliveryOutcome =
  | { status: 'delivered'; detail?: string }
  | { status: 'retry'; error: string; retryAfterMs?: number }
  | { status: 'failed'; error: string };

export interface DeliveryInput {
  /** The target's input, as the rule's `input` / `inputPath` / `inputTransformer` made it (or the whole event as JSON). */
  text: string;
  /** True when the rule gave the target its own input; false when `text` is just the whole event. */
  custom: boolean;
  event: BusEvent;
}

/** A destination for matched events. One object per configured target; created once, used for many deliveries. */
export interface Target {
  readonly id: string;
  readonly kind: string;
  deliver(input: DeliveryInput): Promise<DeliveryOutcome>;
  close?(): Promise<void>;
}

export interface TargetDeps {
  clock: Clock;
  /** Environment for secrets referenced by name (`passwordEnv: SMTP_PASSWORD`); never logged. */
  env: NodeJS.ProcessEnv;
}
