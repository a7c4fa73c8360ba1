import { z } from 'zod';
import type { Finding } from '../core/finding.js';
import { exactlyOneUrl, HttpUrlSchema, parseTargetOptions, postAndClassify, resolveUrl, UrlOptions } from './http.js';
import { findingFacts, findingOf, plain, summarizeEvent } from './summary.js';
import type { DeliveryInput, DeliveryOutcome, Target, TargetDeps } from './types.js';

/**
 * `teams` target: a Microsoft Teams Workflows webhook ("When a Teams webhook request is received"), which takes
 * Adaptive Cards only (the retired Office 365 connectors' MessageCard is not accepted): a `message` with one
 * `application/vnd.microsoft.card.adaptive` attachment (shared/reference/response.md §4.3). The workflow URL is a
 * signed secret: give it through `urlEnv`. Workflows answer `202 Accepted`.
 * TextBlock and FactSet text is Adaptive-Card markdown, so interpolated strings have markdown characters
 * backslash-escaped (no injected links or formatting) and control characters shown as `\u{..}`.
 */

export const teamsTargetSchema = z
  .strictObject({
    type: z.literal('teams').optional(),
    ...UrlOptions,
    consoleUrl: HttpUrlSchema.optional(),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  })
  .refine(exactlyOneUrl, { message: 'give exactly one of url and urlEnv (the workflow URL is a secret)', path: ['url'] });

export type TeamsTargetConfig = z.infer<typeof teamsTargetSchema>;

/**
 * Escapes the Adaptive-Card markdown that could format or link (`*`, `_`, `[`, `]`, `` ` ``, `~`, `\\`, and a list
 * marker at the start) and shows control characters as `\u{..}` (so no line breaks, hence no other line starts).
 */
export function teamsEscape(s: string, max = 1000): string {
  return plain(s, max)
    .replace(/[\\*_[\]`~]/g, '\\$&')
    .replace(/^(\s*)([-+])(\s)/, '$1\\$2$3')
    .replace(/^(\s*\d+)\.(\s)/, '$1\\.$2');
}

function card(body: unknown[], actions: unknown[]): unknown {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body, actions },
      },
    ],
  };
}

/** The Adaptive Card message for a finding. */
export function teamsFindingMessage(f: Finding, consoleUrl?: string): unknown {
  const facts = findingFacts(f, consoleUrl ? { consoleUrl } : {});
  const rows = [
    { label: 'Account', value: `${facts.account} (${facts.region})` },
    ...facts.resource,
    ...facts.actor,
    ...facts.when,
    { label: 'Finding ID', value: f.id },
  ];
  return card(
    [
      { type: 'TextBlock', size: 'Medium', weight: 'Bolder', text: teamsEscape(`Severity ${facts.severity} – ${f.type}`, 300), wrap: true },
      { type: 'TextBlock', text: teamsEscape(f.title, 1000), wrap: true },
      { type: 'FactSet', facts: rows.map((r) => ({ title: teamsEscape(r.label, 100), value: teamsEscape(r.value, 500) })) },
      { type: 'TextBlock', text: teamsEscape(f.description, 2000), wrap: true, isSubtle: true },
    ],
    [{ type: 'Action.OpenUrl', title: 'Open finding', url: facts.link }],
  );
}

/** The Adaptive Card message for a rule's own input (or an event that is not a finding). */
export function teamsTextMessage(text: string): unknown {
  return card([{ type: 'TextBlock', text: teamsEscape(text, 10_000), wrap: true }], []);
}

export class TeamsTarget implements Target {
  readonly kind = 'teams';

  constructor(
    readonly id: string,
    private readonly config: TeamsTargetConfig,
    private readonly url: string,
    private readonly deps: TargetDeps,
  ) {}

  message(input: DeliveryInput): unknown {
    if (input.custom) return teamsTextMessage(input.text);
    const f = findingOf(input.event);
    return f ? teamsFindingMessage(f, this.config.consoleUrl) : teamsTextMessage(summarizeEvent(input.event));
  }

  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    return postAndClassify(this.url, JSON.stringify(this.message(input)), {
      what: `teams ${this.id}`,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      timeoutMs: this.config.timeoutMs,
      clock: this.deps.clock,
    });
  }
}

/** Validates the options (throws `ConfigError`), resolves the workflow URL, builds the target. */
export function createTeamsTarget(id: string, config: unknown, deps: TargetDeps): TeamsTarget {
  const c = parseTargetOptions(teamsTargetSchema, id, config);
  return new TeamsTarget(id, c, resolveUrl(id, c, deps.env), deps);
}
