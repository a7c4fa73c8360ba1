import { describe, expect, it } from 'vitest';
import type { Finding } from '../../core/finding.js';
import { ASFF_TYPES, asffSeverityLabel, asffType, flattenService, guardDutyConsoleUrl, PRODUCT_FIELDS_MAX, toAsff } from './asff.js';
import { workshopFinding, workshopFindings } from './test-helpers.js';

const ICE = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';
const FINDING_ARN = 'arn:aws:guardduty:us-west-2:111122223333:detector/fb72f63dc3429fb30dbaacfb7b2d8775/finding/05020899fafca4ac9cb826407ee0956b';

describe('toAsff', () => {
  it('maps the workshop ICE finding field by field', () => {
    const asff = toAsff(workshopFinding(ICE));
    expect(asff).toEqual({
      SchemaVersion: '2018-10-08',
      Id: FINDING_ARN,
      ProductArn: 'arn:aws:securityhub:us-west-2::product/aws/guardduty',
      ProductName: 'GuardDuty',
      CompanyName: 'Amazon',
      Region: 'us-west-2',
      GeneratorId: 'arn:aws:guardduty:us-west-2:111122223333:detector/fb72f63dc3429fb30dbaacfb7b2d8775',
      AwsAccountId: '111122223333',
      Types: ['Effects/Data Exfiltration/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS'],
      FirstObservedAt: '2021-03-08T18:14:02.000Z',
      LastObservedAt: '2021-03-08T18:31:40.000Z',
      CreatedAt: '2026-01-01T00:00:00.000Z',
      UpdatedAt: '2026-01-01T00:00:00.000Z',
      Severity: { Product: 8, Label: 'HIGH' },
      Title: 'Credentials for instance role GuardDuty-Example-EC2-Compromised used from external IP address.',
      Description:
        'Credentials created exclusively for an EC2 instance using instance role GuardDuty-Example-EC2-Compromised have been used from external IP address 198.51.100.23.',
      SourceUrl: 'https://us-west-2.console.aws.amazon.com/guardduty/home?region=us-west-2#/findings?macros=current&fId=05020899fafca4ac9cb826407ee0956b',
      ProductFields: {
        'aws/guardduty/service/serviceName': 'guardduty',
        'aws/guardduty/service/detectorId': 'fb72f63dc3429fb30dbaacfb7b2d8775',
        'aws/guardduty/service/action/actionType': 'AWS_API_CALL',
        'aws/guardduty/service/action/awsApiCallAction/api': 'ListTables',
        'aws/guardduty/service/action/awsApiCallAction/serviceName': 'dynamodb.amazonaws.com',
        'aws/guardduty/service/action/awsApiCallAction/callerType': 'Remote IP',
        'aws/guardduty/service/action/awsApiCallAction/errorCode': 'AccessDeniedException',
        'aws/guardduty/service/action/awsApiCallAction/userAgent': 'aws-cli/2.1.29 Python/3.8.8 Darwin/20.3.0 exe/x86_64 prompt/off',
        'aws/guardduty/service/action/awsApiCallAction/remoteIpDetails/ipAddressV4': '198.51.100.23',
        'aws/guardduty/service/action/awsApiCallAction/affectedResources': '',
        'aws/guardduty/service/resourceRole': 'TARGET',
        'aws/guardduty/service/additionalInfo/value': '{}',
        'aws/guardduty/service/additionalInfo/type': 'default',
        'aws/guardduty/service/featureName': 'CloudTrail',
        'aws/guardduty/service/eventFirstSeen': '2021-03-08T18:14:02.000Z',
        'aws/guardduty/service/eventLastSeen': '2021-03-08T18:31:40.000Z',
        'aws/guardduty/service/archived': 'false',
        'aws/guardduty/service/count': '8',
        'aws/securityhub/FindingId': `arn:aws:securityhub:us-west-2::product/aws/guardduty/${FINDING_ARN}`,
        'aws/securityhub/ProductName': 'GuardDuty',
        'aws/securityhub/CompanyName': 'Amazon',
      },
      Resources: [
        {
          Type: 'AwsIamAccessKey',
          Id: 'AWS::IAM::AccessKey:ASIAEXAMPLEEXFIL0001',
          Partition: 'aws',
          Region: 'us-west-2',
          Details: {
            AwsIamAccessKey: {
              PrincipalId: 'AROAEXAMPLEROLEID0001:i-0a1b2c3d4e5f67890',
              PrincipalType: 'AssumedRole',
              PrincipalName: 'GuardDuty-Example-EC2-Compromised',
              AccessKeyId: 'ASIAEXAMPLEEXFIL0001',
              AccountId: '111122223333',
            },
          },
        },
        { Type: 'AwsEc2Instance', Id: 'arn:aws:ec2:us-west-2:111122223333:instance/i-0a1b2c3d4e5f67890', Partition: 'aws', Region: 'us-west-2' },
      ],
      Workflow: { Status: 'NEW' },
      RecordState: 'ACTIVE',
      Action: {
        ActionType: 'AWS_API_CALL',
        AwsApiCallAction: {
          Api: 'ListTables',
          ServiceName: 'dynamodb.amazonaws.com',
          CallerType: 'remoteip',
          FirstSeen: '2021-03-08T18:14:02.000Z',
          LastSeen: '2021-03-08T18:31:40.000Z',
          RemoteIpDetails: { IpAddressV4: '198.51.100.23' },
        },
      },
    });
  });

  it('maps every workshop finding type through the table', () => {
    const types = Object.fromEntries(workshopFindings().map((f) => [f.type, toAsff(f).Types]));
    expect(types).toEqual({
      [ICE]: ['Effects/Data Exfiltration/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS'],
      'Discovery:S3/MaliciousIPCaller.Custom': ['TTPs/Discovery:S3-MaliciousIPCaller.Custom'],
      'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom': ['TTPs/UnauthorizedAccess:IAMUser-MaliciousIPCaller.Custom'],
      'Recon:IAMUser/MaliciousIPCaller.Custom': ['TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller.Custom'],
      'Stealth:S3/ServerAccessLoggingDisabled': ['TTPs/Defense Evasion/Stealth:S3-ServerAccessLoggingDisabled'],
      'Policy:S3/BucketBlockPublicAccessDisabled': ['Effects/Data Exposure/Policy:S3-BucketBlockPublicAccessDisabled'],
      'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom': ['TTPs/Command and Control/UnauthorizedAccess:EC2-MaliciousIPCaller.Custom'],
    });
  });

  it('has the table of guardduty.md §6 for the workshop types, including the pre-2021 ICE name and EC2 MaliciousIPCaller', () => {
    expect(asffType('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration')).toBe(
      'Effects/Data Exfiltration/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration',
    );
    expect(asffType('UnauthorizedAccess:EC2/MaliciousIPCaller.Custom')).toBe('TTPs/Command and Control/UnauthorizedAccess:EC2-MaliciousIPCaller.Custom');
    for (const v of Object.values(ASFF_TYPES)) expect(v.split('/').length).toBeGreaterThanOrEqual(2);
  });

  it('falls back to TTPs/<type> for an unlisted type', () => {
    expect(asffType('Backdoor:EC2/C&CActivity.B')).toBe('TTPs/Backdoor:EC2-C&CActivity.B');
  });

  it.each([
    [1, 'LOW'],
    [2, 'LOW'],
    [3.9, 'LOW'],
    [4, 'MEDIUM'],
    [5, 'MEDIUM'],
    [6.9, 'MEDIUM'],
    [7, 'HIGH'],
    [8, 'HIGH'],
    [8.9, 'HIGH'],
    [9, 'CRITICAL'],
    [10, 'CRITICAL'],
  ])('severity %d -> %s (by band, not the legacy example mapping)', (severity, label) => {
    expect(asffSeverityLabel(severity)).toBe(label);
    expect(toAsff({ ...workshopFinding(ICE), severity }).Severity).toEqual({ Product: severity, Label: label });
  });

  it('puts the bucket first for an S3 finding, then the access key', () => {
    const f = workshopFinding('Stealth:S3/ServerAccessLoggingDisabled');
    const r = toAsff(f).Resources!;
    expect(r.map((x) => [x.Type, x.Id])).toEqual([
      ['AwsS3Bucket', 'arn:aws:s3:::guardduty-example-finance-111122223333-us-west-2'],
      ['AwsIamAccessKey', 'AWS::IAM::AccessKey:AKIAEXAMPLESIMUSER02'],
    ]);
    expect(toAsff(f).Severity).toEqual({ Product: 2, Label: 'LOW' });
  });

  it('maps instance details, tags and remote IP details', () => {
    const base = workshopFinding(ICE);
    const f: Finding = {
      ...base,
      type: 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom',
      resource: {
        resourceType: 'Instance',
        instanceDetails: {
          instanceId: 'i-0123456789abcdef0',
          instanceType: 't2.micro',
          imageId: 'ami-02354e95b39ca8dec',
          launchTime: '2020-08-03T23:21:57Z',
          networkInterfaces: [{ publicIp: '18.234.130.16', privateIpAddress: '172.31.43.6', vpcId: 'vpc-a0c2d7c7', subnetId: 'subnet-4975b475' }],
          tags: [{ key: 'Name', value: 'kubectl' }],
        },
      },
      service: {
        ...base.service,
        archived: true,
        action: {
          actionType: 'AWS_API_CALL',
          awsApiCallAction: {
            api: 'GetParameters',
            serviceName: 'ssm.amazonaws.com',
            callerType: 'Remote IP',
            remoteIpDetails: {
              ipAddressV4: '203.0.113.9',
              organization: { asn: '64496', asnOrg: 'EXAMPLE', isp: 'Ex', org: 'Ex' },
              country: { countryCode: 'US', countryName: 'United States' },
              city: { cityName: 'Dubuque' },
              geoLocation: { lat: 42.5, lon: -90.7 },
            },
          },
        },
      },
    };
    const asff = toAsff(f);
    expect(asff.RecordState).toBe('ARCHIVED');
    expect(asff.Resources).toEqual([
      {
        Type: 'AwsEc2Instance',
        Id: 'arn:aws:ec2:us-west-2:111122223333:instance/i-0123456789abcdef0',
        Partition: 'aws',
        Region: 'us-west-2',
        Tags: { Name: 'kubectl' },
        Details: {
          AwsEc2Instance: {
            Type: 't2.micro',
            ImageId: 'ami-02354e95b39ca8dec',
            IpV4Addresses: ['18.234.130.16', '172.31.43.6'],
            VpcId: 'vpc-a0c2d7c7',
            SubnetId: 'subnet-4975b475',
            LaunchedAt: '2020-08-03T23:21:57Z',
          },
        },
      },
    ]);
    expect(asff.Action!.AwsApiCallAction!.RemoteIpDetails).toEqual({
      IpAddressV4: '203.0.113.9',
      Organization: { Asn: 64496, AsnOrg: 'EXAMPLE', Isp: 'Ex', Org: 'Ex' },
      Country: { CountryCode: 'US', CountryName: 'United States' },
      City: { CityName: 'Dubuque' },
      GeoLocation: { Lat: 42.5, Lon: -90.7 },
    });
    expect(asff.ProductFields!['aws/guardduty/service/action/awsApiCallAction/remoteIpDetails/organization/asn']).toBe('64496');
  });

  it('uses the configured product ARN in ProductArn and the FindingId field', () => {
    const arn = 'arn:aws:securityhub:us-west-2:111122223333:product/111122223333/default';
    const asff = toAsff(workshopFinding(ICE), { productArn: arn });
    expect(asff.ProductArn).toBe(arn);
    expect(asff.ProductFields!['aws/securityhub/FindingId']).toBe(`${arn}/${FINDING_ARN}`);
  });

  it('keeps ProductFields within ASFF limits (50 pairs, reserved keys kept, values capped)', () => {
    const f = workshopFinding(ICE);
    f.service.additionalInfo = { value: 'x'.repeat(5000), type: 'default', ...Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, i])) };
    const fields = toAsff(f).ProductFields!;
    expect(Object.keys(fields)).toHaveLength(PRODUCT_FIELDS_MAX);
    expect(fields['aws/securityhub/FindingId']).toBeDefined();
    expect(fields['aws/guardduty/service/additionalInfo/value']).toHaveLength(2048);
  });

  it('flattens arrays, nulls and empty objects like GuardDuty', () => {
    expect(flattenService({ evidence: null, a: { b: [1, { c: 'x' }] }, e: {}, l: [] })).toEqual([
      ['aws/guardduty/service/evidence', ''],
      ['aws/guardduty/service/a/b/0', '1'],
      ['aws/guardduty/service/a/b/1/c', 'x'],
      ['aws/guardduty/service/e', ''],
      ['aws/guardduty/service/l', ''],
    ]);
  });

  it('links to the console of the partition', () => {
    const f = workshopFinding(ICE);
    expect(guardDutyConsoleUrl({ ...f, partition: 'aws-us-gov', region: 'us-gov-west-1' })).toBe(
      'https://console.amazonaws-us-gov.com/guardduty/home?region=us-gov-west-1#/findings?macros=current&fId=05020899fafca4ac9cb826407ee0956b',
    );
  });

  it('is pure', () => {
    const f = workshopFinding(ICE);
    const copy = structuredClone(f);
    expect(toAsff(f)).toEqual(toAsff(f));
    expect(f).toEqual(copy);
  });
});
