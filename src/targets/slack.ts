import { z } from 'zod';
import type { Finding } from '../core/finding.js';
import { exactlyOneUrl, HttpUrlSchema, parseTargetOptions, postAndClassify, resolveUrl, UrlOptions } from './http.js';
import { type Fact, findingFacts, findingOf, plain, summarizeEvent } from './summary.js';
import type { DeliveryInput, DeliveryOutcome, Target, TargetDeps } from './types.js';

/**
 * `slack` target: an incoming-webhook message (JSON POST; Slack answers `200 ok`) with Block Kit blocks built from
 * the finding: a header, the severity and title, fields for resource / actor / when, and a button to the finding.
 * When the rule gives the target its own input, that text is sent instead, as one section.
 * Every interpolated string is escaped for mrkdwn (`&`, `<`, `>`: otherwise `<!channel>` or `<https://evil|link>`
 * would be markup) and has its control characters shown as `\u{..}`.
 */

export const slackTargetSchema = z
  .strictObject({
    type: z.literal('slack').optional(),
    ...UrlOptions,
    /** Link target for the button; see `SummaryOptions.consoleUrl`. */
    consoleUrl: HttpUrlSchema.optional(),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  })
  .refine(exactlyOneUrl, { message: 'give exactly one of url (or urlEnv, since the URL is a secret)', path: ['url'] });

export type SlackTargetConfig = z.infer<typeof slackTargetSchema>;

/** Block Kit limits. */
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const FALLBACK_MAX = 3000;

/** Escapes a string for Slack mrkdwn and plain text: control characters, then `&`, `<`, `>`. */
export function slackEscape(s: string, max = SECTION_MAX): string {
  // Escape first, then cut, so the cut never splits an entity: budget for the worst case (&amp; is 5 characters).
  const escaped = plain(s, Math.max(1, max)).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return escaped.length > max ? `${escaped.slice(0, max - 1).replace(/&[a-z]{0,3}$/, '')}…` : escaped;
}

function field(title: string, facts: Fact[]): { type: 'mrkdwn'; text: string } {
  const lines = facts.map((f) => `${f.label}: ${slackEscape(f.value, 500)}`).join('\n');
  const text = `*${title}*\n${lines}`;
  return { type: 'mrkdwn', text: text.length > FIELD_MAX ? `${text.slice(0, FIELD_MAX - 1)}…` : text };
}

/** The Slack message for a finding. */
export function slackFindingMessage(f: Finding, consoleUrl?: string): { text: string; blocks: unknown[] } {
  const facts = findingFacts(f, consoleUrl ? { consoleUrl } : {});
  const fields = [
    field('Resource', facts.resource),
    field('Account', [
      { label: 'Account', value: facts.account },
      { label: 'Region', value: facts.region },
    ]),
    field('When', facts.when),
  ];
  if (facts.actor.length > 0) fields.splice(1, 0, field('Actor', facts.actor));
  return {
    text: slackEscape(`[${facts.severity}] ${f.type}: ${f.title}`, FALLBACK_MAX),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: slackEscape(`${facts.severity} ${f.type}`, HEADER_MAX), emoji: false } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*Severity:* ${facts.severity}\n${slackEscape(f.title, 1000)}\n${slackEscape(f.description, 1500)}` },
      },
      { type: 'section', fields },
      {
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open finding' }, url: facts.link, action_id: 'open_finding' }],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Finding ${slackEscape(f.id, 200)} · Trailhound` }] },
    ],
  };
}

/** The Slack message for a rule's own input (or an event that is not a finding). */
export function slackTextMessage(text: string): { text: string; blocks: unknown[] } {
  const body = slackEscape(text, SECTION_MAX);
  return { text: body, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: body } }] };
}

export class SlackTarget implements Target {
  readonly kind = 'slack';

  constructor(
    readonly id: string,
    private readonly config: SlackTargetConfig,
    private readonly url: string,
    private readonly deps: TargetDeps,
  ) {}

  message(input: DeliveryInput): { text: string; blocks: unknown[] } {
    if (input.custom) return slackTextMessage(input.text);
    const f = findingOf(input.event);
    return f ? slackFindingMessage(f, this.config.consoleUrl) : slackTextMessage(summarizeEvent(input.event));
  }

  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    const body = JSON.stringify(this.message(input));
    return postAndClassify(this.url, body, {
      what: `slack ${this.id}`,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      timeoutMs: this.config.timeoutMs,
      clock: this.deps.clock,
    });
  }
}

/** Validates the options (throws `ConfigError`), resolves the webhook URL, builds the target. */
export function createSlackTarget(id: string, config: unknown, deps: TargetDeps): SlackTarget {
  const c = parseTargetOptions(slackTargetSchema, id, config);
  return new SlackTarget(id, c, resolveUrl(id, c, deps.env), deps);
}
