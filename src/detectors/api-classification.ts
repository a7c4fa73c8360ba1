/**
 * Recon or UnauthorizedAccess? GuardDuty defines the split in words only: Recon is an API "that can list or
 * describe AWS resources", UnauthorizedAccess is everything else. This table makes the choice explicit and
 * extensible: entries are `<service>:<ApiName>` (service = eventSource without `.amazonaws.com`).
 *
 * Default rule, applied when no entry matches: read-only names starting with List, Describe, Get, Lookup,
 * Search or BatchGet are Recon, unless the record says `readOnly: false`; everything else is UnauthorizedAccess.
 * The entries below override that rule for reads that return secrets, credentials or data.
 */
export type ApiCategory = 'recon' | 'unauthorized';

export const DEFAULT_API_CLASSIFICATION: Readonly<Record<string, ApiCategory>> = {
  // Secrets and parameters
  'ssm:GetParameter': 'unauthorized',
  'ssm:GetParameters': 'unauthorized',
  'ssm:GetParametersByPath': 'unauthorized',
  'ssm:GetParameterHistory': 'unauthorized',
  'secretsmanager:GetSecretValue': 'unauthorized',
  'secretsmanager:BatchGetSecretValue': 'unauthorized',
  // Credentials and tokens
  'sts:GetSessionToken': 'unauthorized',
  'sts:GetFederationToken': 'unauthorized',
  'sts:GetCallerIdentity': 'recon',
  'ecr:GetAuthorizationToken': 'unauthorized',
  'ecr-public:GetAuthorizationToken': 'unauthorized',
  'codeartifact:GetAuthorizationToken': 'unauthorized',
  'sso:GetRoleCredentials': 'unauthorized',
  'cognito-identity:GetCredentialsForIdentity': 'unauthorized',
  'cognito-identity:GetOpenIdToken': 'unauthorized',
  'redshift:GetClusterCredentials': 'unauthorized',
  'redshift:GetClusterCredentialsWithIAM': 'unauthorized',
  'redshift-serverless:GetCredentials': 'unauthorized',
  'rds:GenerateDbAuthToken': 'unauthorized',
  'kms:Decrypt': 'unauthorized',
  'kms:GenerateDataKey': 'unauthorized',
  // Reads that hand out data or secrets embedded in resources
  'ec2:GetPasswordData': 'unauthorized',
  'ec2:GetConsoleOutput': 'unauthorized',
  'ec2:GetConsoleScreenshot': 'unauthorized',
  'ec2:GetLaunchTemplateData': 'unauthorized',
  'ec2:DescribeInstanceAttribute.userData': 'unauthorized',
  'lambda:GetFunction': 'unauthorized',
  'glue:GetConnection': 'unauthorized',
  'glue:GetConnections': 'unauthorized',
  'ssm:GetCommandInvocation': 'unauthorized',
  'dynamodb:Scan': 'unauthorized',
  'dynamodb:Query': 'unauthorized',
  'dynamodb:GetItem': 'unauthorized',
  'dynamodb:BatchGetItem': 'unauthorized',
};

const RECON_PREFIX = /^(List|Describe|Get|Lookup|Search|BatchGet)/;

export class ApiClassifier {
  private table: Map<string, ApiCategory>;

  constructor(overrides: Record<string, ApiCategory> = {}) {
    this.table = new Map(Object.entries({ ...DEFAULT_API_CLASSIFICATION, ...overrides }));
  }

  /**
   * `requestParameters` refines one case the name cannot: `ec2:DescribeInstanceAttribute` of `userData` returns the
   * user data (often holding secrets), so it is classified as `ec2:DescribeInstanceAttribute.userData`.
   */
  classify(eventSource: string, eventName: string, readOnly: boolean | undefined, requestParameters?: unknown): ApiCategory {
    const service = eventSource.endsWith('.amazonaws.com') ? eventSource.slice(0, -'.amazonaws.com'.length) : eventSource;
    const attribute =
      eventName === 'DescribeInstanceAttribute' && requestParameters && typeof requestParameters === 'object'
        ? (requestParameters as Record<string, unknown>).attribute
        : undefined;
    if (attribute === 'userData') {
      const byAttribute = this.table.get(`${service}:${eventName}.userData`);
      if (byAttribute) return byAttribute;
    }
    const entry = this.table.get(`${service}:${eventName}`);
    if (entry) return entry;
    if (readOnly === false) return 'unauthorized';
    return RECON_PREFIX.test(eventName) ? 'recon' : 'unauthorized';
  }
}
