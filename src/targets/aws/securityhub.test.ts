import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { toAsff } from './asff.js';
import { createSecurityHubTarget } from './securityhub.js';
import { awsError, eventOf, inputOf, workshopFinding } from './test-helpers.js';

const hub = mockClient(SecurityHubClient);
afterEach(() => hub.reset());

const ice = workshopFinding('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
const DEFAULT_PRODUCT = 'arn:aws:securityhub:us-west-2:111122223333:product/111122223333/default';

describe('securityhub target', () => {
  it('imports the ASFF mapping of the finding under the account default product', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    const t = createSecurityHubTarget('hub', {});
    const out = await t.deliver(inputOf(eventOf(ice)));
    expect(out).toEqual({ status: 'delivered', detail: `securityhub imported ${ice.arn}` });
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
    expect(hub.commandCalls(BatchImportFindingsCommand)[0]!.args[0].input).toEqual({ Findings: [toAsff(ice, { productArn: DEFAULT_PRODUCT })] });
  });

  it('can import under GuardDuty product ARN or an explicit one', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1 });
    await createSecurityHubTarget('hub', { productArn: 'guardduty' }).deliver(inputOf(eventOf(ice)));
    expect(hub.commandCalls(BatchImportFindingsCommand)[0]!.args[0].input.Findings![0]!.ProductArn).toBe(
      'arn:aws:securityhub:us-west-2::product/aws/guardduty',
    );
    const arn = 'arn:aws:securityhub:us-west-2:111122223333:product/111122223333/custom';
    await createSecurityHubTarget('hub', { productArn: arn }).deliver(inputOf(eventOf(ice)));
    expect(hub.commandCalls(BatchImportFindingsCommand)[1]!.args[0].input.Findings![0]!.ProductArn).toBe(arn);
  });

  it('refuses an event whose detail is not a finding', async () => {
    const event = { ...eventOf(ice), detail: { hello: 'world' } };
    expect((await createSecurityHubTarget('hub', {}).deliver(inputOf(event))).status).toBe('failed');
    expect(hub.calls()).toHaveLength(0);
  });

  it.each([
    ['InternalException', 'retry'],
    ['ThrottlingException', 'retry'],
    ['InvalidInput', 'failed'],
    ['AccessDeniedException', 'failed'],
  ])('a failed finding with %s -> %s', async (code, expected) => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 1, SuccessCount: 0, FailedFindings: [{ Id: ice.arn, ErrorCode: code, ErrorMessage: 'm' }] });
    const out = await createSecurityHubTarget('hub', {}).deliver(inputOf(eventOf(ice)));
    expect(out).toEqual({ status: expected, error: `securityhub BatchImportFindings in us-west-2: ${code}: m` });
  });

  it.each([
    ['TooManyRequestsException', 429, 'retry'],
    ['InternalException', 500, 'retry'],
    ['InvalidAccessException', 401, 'failed'],
    ['AccessDeniedException', 403, 'failed'],
    ['InvalidInputException', 400, 'failed'],
  ])('thrown %s (HTTP %d) -> %s', async (name, status, expected) => {
    hub.on(BatchImportFindingsCommand).rejects(awsError(name, status));
    const out = await createSecurityHubTarget('hub', {}).deliver(inputOf(eventOf(ice)));
    expect(out.status).toBe(expected);
  });

  it('rejects bad options', () => {
    expect(() => createSecurityHubTarget('hub', { productArn: 'x' })).toThrow(/product ARN/);
    expect(() => createSecurityHubTarget('hub', { region: 'nowhere' })).toThrow(/region/);
  });
});
