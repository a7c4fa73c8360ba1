/**
 * Builders for the records in detectors' cases: a complete, plausible CloudTrail record with the fields a
 * case cares about overridden. Defaults: an IAM user's long-term key calling from a public address.
 */
let counter = 0;

export const CASE_ACCOUNT = '111122223333';

export function iamUser(name = 'alice', accessKeyId = 'AKIAEXAMPLEALICE0001'): Record<string, unknown> {
  return {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEALICE0001',
    arn: `arn:aws:iam::${CASE_ACCOUNT}:user/${name}`,
    accountId: CASE_ACCOUNT,
    accessKeyId,
    userName: name,
  };
}

export function instanceRole(
  role = 'AppRole',
  instanceId = 'i-0a1b2c3d4e5f67890',
  accessKeyId = 'ASIAEXAMPLEINSTANCE1',
  ec2RoleDelivery: string | undefined = '2.0',
): Record<string, unknown> {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLEROLE00001:${instanceId}`,
    arn: `arn:aws:sts::${CASE_ACCOUNT}:assumed-role/${role}/${instanceId}`,
    accountId: CASE_ACCOUNT,
    accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEROLE00001',
        arn: `arn:aws:iam::${CASE_ACCOUNT}:role/${role}`,
        accountId: CASE_ACCOUNT,
        userName: role,
      },
      attributes: { creationDate: '2024-05-01T09:00:00Z', mfaAuthenticated: 'false' },
      ...(ec2RoleDelivery ? { ec2RoleDelivery } : {}),
    },
  };
}

export function root(): Record<string, unknown> {
  return { type: 'Root', principalId: CASE_ACCOUNT, arn: `arn:aws:iam::${CASE_ACCOUNT}:root`, accountId: CASE_ACCOUNT, accessKeyId: 'ASIAEXAMPLEROOT00001' };
}

/** A CloudTrail record. `eventSource` may be given short (`iam`) or long. */
export function ct(fields: Record<string, unknown>): Record<string, unknown> {
  counter++;
  const source = String(fields.eventSource ?? 'iam');
  return {
    eventVersion: '1.09',
    userIdentity: iamUser(),
    eventTime: `2024-05-01T10:${String(counter % 60).padStart(2, '0')}:00Z`,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64',
    requestParameters: null,
    responseElements: null,
    eventID: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: CASE_ACCOUNT,
    eventCategory: 'Management',
    ...fields,
    eventSource: source.includes('.') ? source : `${source}.amazonaws.com`,
  };
}
