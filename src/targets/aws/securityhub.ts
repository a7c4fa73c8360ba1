import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { z } from 'zod';
import type { Finding } from '../../core/finding.js';
import type { DeliveryInput, DeliveryOutcome, Target, TargetDeps } from '../types.js';
import { toAsff } from './asff.js';
import { ClientOptionsSchema, clientConfig, entryErrorOutcome, errorOutcome, parseTargetConfig } from './common.js';

/**
 * `securityhub` target options. `productArn` selects the product the findings are imported under:
 * - `default` (the default): the account's own "default" product,
 *   `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`, the one BatchImportFindings accepts
 *   from a customer. Account and region are the finding's (unless `region` is configured).
 * - `guardduty`: GuardDuty's product ARN, as GuardDuty itself writes (only for an integration allowed to use it).
 * - any explicit product ARN.
 */
export const SecurityHubTargetConfigSchema = z.strictObject({
  type: z.literal('securityhub').optional(),
  productArn: z
    .union([
      z.literal('default'),
      z.literal('guardduty'),
      z.string().regex(/^arn:aws[a-z-]*:securityhub:[a-z0-9-]+:\d{0,12}:product\/.+$/, 'expected a product ARN'),
    ])
    .default('default'),
  ...ClientOptionsSchema,
});

export type SecurityHubTargetConfig = z.infer<typeof SecurityHubTargetConfigSchema>;

/** Recognises a GuardDuty finding in an event's `detail` (shape only: what `toAsff` reads). */
export function asFinding(detail: unknown): Finding | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const f = detail as Partial<Finding>;
  const ok =
    f.schemaVersion === '2.0' &&
    typeof f.id === 'string' &&
    typeof f.arn === 'string' &&
    typeof f.type === 'string' &&
    typeof f.accountId === 'string' &&
    typeof f.region === 'string' &&
    typeof f.partition === 'string' &&
    typeof f.severity === 'number' &&
    typeof f.resource === 'object' &&
    f.resource !== null &&
    typeof f.service === 'object' &&
    f.service !== null &&
    typeof f.service.action === 'object';
  return ok ? (detail as Finding) : undefined;
}

/** Imports the event's GuardDuty finding into Security Hub (BatchImportFindings, one finding per delivery). */
export class SecurityHubTarget implements Target {
  readonly kind = 'securityhub';
  private readonly clients = new Map<string, SecurityHubClient>();

  constructor(
    readonly id: string,
    private readonly config: SecurityHubTargetConfig,
    private readonly makeClient: (region: string) => SecurityHubClient,
  ) {}

  /** The product ARN a finding is imported under. */
  productArn(finding: Finding): string {
    const region = this.config.region ?? finding.region;
    if (this.config.productArn === 'default') return `arn:${finding.partition}:securityhub:${region}:${finding.accountId}:product/${finding.accountId}/default`;
    if (this.config.productArn === 'guardduty') return `arn:${finding.partition}:securityhub:${region}::product/aws/guardduty`;
    return this.config.productArn;
  }

  private client(region: string): SecurityHubClient {
    let c = this.clients.get(region);
    if (!c) {
      c = this.makeClient(region);
      this.clients.set(region, c);
    }
    return c;
  }

  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    const finding = asFinding(input.event.detail);
    if (!finding) return { status: 'failed', error: 'securityhub: the event detail is not a GuardDuty finding' };
    const asff = toAsff(finding, { productArn: this.productArn(finding) });
    const region = this.config.region ?? finding.region;
    const what = `securityhub BatchImportFindings in ${region}`;
    try {
      const out = await this.client(region).send(new BatchImportFindingsCommand({ Findings: [asff] }));
      const failed = out.FailedFindings?.[0];
      if ((out.FailedCount ?? 0) > 0 || failed) return entryErrorOutcome(what, failed?.ErrorCode, failed?.ErrorMessage);
      return { status: 'delivered', detail: `securityhub imported ${asff.Id}` };
    } catch (err) {
      return errorOutcome(what, err);
    }
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}

/**
 * Validates the options (throws `ConfigError`) and builds the target. One client per region (the finding's region
 * unless `region` is configured); `client` replaces them all (tests).
 */
export function createSecurityHubTarget(id: string, config: unknown, _deps?: TargetDeps, client?: SecurityHubClient): SecurityHubTarget {
  const c = parseTargetConfig(SecurityHubTargetConfigSchema, id, config);
  return new SecurityHubTarget(id, c, (region) => client ?? new SecurityHubClient(clientConfig(c, region)));
}
