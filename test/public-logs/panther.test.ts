import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DETECTORS } from '../../src/detectors/registry.js';
import { detectRecords, PUBLIC_LOGS } from '../helpers.js';

/**
 * Panther's rule tests (panther-labs/panther-analysis, Apache-2.0) for the rules whose GuardDuty analog is a
 * finding type Trailhound implements. Each test event goes through the whole pipeline; Trailhound "alerts"
 * when it emits any finding of the types mapped to the rule, and must agree with the test's expect_alert,
 * except for the disagreements listed (with the reason) in `DISAGREEMENTS`. Events that are not CloudTrail
 * records are rejected by the parser; they are listed in `NOT_CLOUDTRAIL` with the expected reason.
 */

interface PantherTest {
  rule: string;
  name: string;
  expect_alert: boolean;
  event: Record<string, any>;
  guardduty_analog: string;
}

const TESTS: PantherTest[] = readFileSync(join(PUBLIC_LOGS, 'panther-tests.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));

const IMPLEMENTED = new Set(DETECTORS.map((d) => d.meta.findingType));

const MALICIOUS_IP_CALLER = [
  'Recon:IAMUser/MaliciousIPCaller.Custom',
  'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
  'Discovery:S3/MaliciousIPCaller.Custom',
  'UnauthorizedAccess:S3/MaliciousIPCaller.Custom',
];
const ROOT = ['Policy:IAMUser/RootCredentialUsage'];
const TRAIL_OFF = ['Stealth:IAMUser/CloudTrailLoggingDisabled'];
const S3_PUBLIC = ['Policy:S3/BucketAnonymousAccessGranted', 'Policy:S3/BucketPublicAccessGranted'];

/**
 * Panther rule -> the Trailhound finding types that answer it.
 *
 * | Panther rule                               | Trailhound finding type(s)                                                  |
 * |--------------------------------------------|-----------------------------------------------------------------------------|
 * | AWS.CloudTrail.IMDSCredentialExfiltration  | UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS, .InsideAWS |
 * | AWS.CloudTrail.Stopped                     | Stealth:IAMUser/CloudTrailLoggingDisabled                                   |
 * | AWS.CloudTrail.EventSelectorsDisabled      | Stealth:IAMUser/CloudTrailLoggingDisabled                                   |
 * | AWS.CloudTrail.SecurityConfigurationChange | Stealth:IAMUser/CloudTrailLoggingDisabled (its tests are all CloudTrail API) |
 * | AWS.S3.DisableBucketLogging                | Stealth:S3/ServerAccessLoggingDisabled                                      |
 * | AWS.S3.DeletePublicAccessBlock             | Policy:S3/BucketBlockPublicAccessDisabled, Policy:S3/AccountBlockPublicAccessDisabled |
 * | AWS.S3.BucketPolicyModified                | Policy:S3/BucketAnonymousAccessGranted, Policy:S3/BucketPublicAccessGranted |
 * | AWS.CloudTrail.ResourceMadePublic          | Policy:S3/BucketAnonymousAccessGranted, Policy:S3/BucketPublicAccessGranted |
 * | AWS.Root.Activity                          | Policy:IAMUser/RootCredentialUsage                                          |
 * | AWS.Console.RootLogin                      | Policy:IAMUser/RootCredentialUsage                                          |
 * | AWS.Console.RootLoginFailed                | Policy:IAMUser/RootCredentialUsage                                          |
 * | AWS.CloudTrail.RootAccessKeyCreated        | Policy:IAMUser/RootCredentialUsage                                          |
 * | AWS.CloudTrail.RootPasswordChanged         | Policy:IAMUser/RootCredentialUsage                                          |
 * | AWS.CloudTrail.Password.Policy.Discovery   | Stealth:IAMUser/PasswordPolicyChange                                        |
 * | Standard.GreyNoiseV3.MaliciousIP           | the four *MaliciousIPCaller.Custom types (threat list from p_enrichment)     |
 * | Standard.OTX.MaliciousIndicator            | the four *MaliciousIPCaller.Custom types (threat list from p_enrichment)     |
 * | AWS.IAMUser.ReconAccessDenied              | none: not applicable (reason below)                                         |
 * | AWS.STS.GetCallerIdentity.TruffleHog       | none: not applicable (reason below)                                         |
 */
type Mapping = { types: string[]; threatIntel?: true } | { notApplicable: string };
const MAPPING: Record<string, Mapping> = {
  'AWS.CloudTrail.IMDSCredentialExfiltration': {
    types: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS'],
  },
  'AWS.CloudTrail.Stopped': { types: TRAIL_OFF },
  'AWS.CloudTrail.EventSelectorsDisabled': { types: TRAIL_OFF },
  'AWS.CloudTrail.SecurityConfigurationChange': { types: TRAIL_OFF },
  'AWS.S3.DisableBucketLogging': { types: ['Stealth:S3/ServerAccessLoggingDisabled'] },
  'AWS.S3.DeletePublicAccessBlock': { types: ['Policy:S3/BucketBlockPublicAccessDisabled', 'Policy:S3/AccountBlockPublicAccessDisabled'] },
  'AWS.S3.BucketPolicyModified': { types: S3_PUBLIC },
  'AWS.CloudTrail.ResourceMadePublic': { types: S3_PUBLIC },
  'AWS.Root.Activity': { types: ROOT },
  'AWS.Console.RootLogin': { types: ROOT },
  'AWS.Console.RootLoginFailed': { types: ROOT },
  'AWS.CloudTrail.RootAccessKeyCreated': { types: ROOT },
  'AWS.CloudTrail.RootPasswordChanged': { types: ROOT },
  'AWS.CloudTrail.Password.Policy.Discovery': { types: ['Stealth:IAMUser/PasswordPolicyChange'] },
  'Standard.GreyNoiseV3.MaliciousIP': { types: MALICIOUS_IP_CALLER, threatIntel: true },
  'Standard.OTX.MaliciousIndicator': { types: MALICIOUS_IP_CALLER, threatIntel: true },
  'AWS.IAMUser.ReconAccessDenied': {
    notApplicable:
      "the rule flags a denied recon call by itself; GuardDuty's analog for that is Discovery:IAMUser/AnomalousBehavior " +
      '(a learned baseline, not implemented), and Recon:IAMUser/MaliciousIPCaller needs a threat-intel verdict that these tests do not give',
  },
  'AWS.STS.GetCallerIdentity.TruffleHog': {
    notApplicable:
      "GuardDuty's PenTest:IAMUser types recognise penetration-testing OS distributions (Kali, Parrot, Pentoo) in the user agent, " +
      'not tools; there is no GuardDuty (or Trailhound) type for the TruffleHog user agent',
  },
};

/** Where Trailhound and the Panther test disagree, and why. Each entry is asserted to still disagree. */
interface Disagreement {
  rule: string;
  name: string;
  ours: boolean;
  reason: string;
}
const OTHER_RESOURCE_PUBLIC =
  "Trailhound's public-access types are S3 bucket types, as GuardDuty's are; GuardDuty has no finding for a public ECR, OpenSearch, KMS or SQS policy";
const ANY_ROOT_REQUEST = 'RootCredentialUsage counts every request made with root credentials, ';
const DISAGREEMENTS: Disagreement[] = [
  {
    rule: 'AWS.CloudTrail.IMDSCredentialExfiltration',
    name: 'IMDS Credentials Used From Amazon.com ASN Source IP',
    ours: false,
    reason:
      "52.42.146.205 is in AWS's published EC2 ranges (52.40.0.0/14), so the use is not OutsideAWS; InsideAWS is only decided when the " +
      "instance's own addresses are known (configured or learned from two sessions), and one event gives none, so it is counted as undecided",
  },
  {
    rule: 'AWS.CloudTrail.ResourceMadePublic',
    name: 'ECR Made Public',
    ours: false,
    reason: `${OTHER_RESOURCE_PUBLIC} (ecr:SetRepositoryPolicy)`,
  },
  {
    rule: 'AWS.CloudTrail.ResourceMadePublic',
    name: 'Public Finding Keywords (Should Alert)',
    ours: false,
    reason: `${OTHER_RESOURCE_PUBLIC} (es:CreateElasticsearchDomain)`,
  },
  {
    rule: 'AWS.CloudTrail.ResourceMadePublic',
    name: 'Wildcard Principal No Conditions (Should Alert)',
    ours: false,
    reason: `${OTHER_RESOURCE_PUBLIC} (kms:PutKeyPolicy)`,
  },
  {
    rule: 'AWS.CloudTrail.ResourceMadePublic',
    name: 'Mixed Conditions Some Restrictive (Should Alert)',
    ours: false,
    reason: `${OTHER_RESOURCE_PUBLIC} (sqs:SetQueueAttributes)`,
  },
  {
    rule: 'AWS.S3.BucketPolicyModified',
    name: 'S3 Bucket Policy Modified',
    ours: false,
    reason:
      "Panther alerts on any successful bucket policy or ACL change; GuardDuty's Policy:S3 types only when the change grants public access, and this is PutBucketAcl with the canned ACL `private`",
  },
  {
    rule: 'AWS.S3.DisableBucketLogging',
    name: 'Logging Field Missing',
    ours: true,
    reason:
      'the PutBucketLogging record has no BucketLoggingStatus at all; Trailhound reads a status without a LoggingEnabled block (here: no status) as logging turned off, Panther requires the field to be present',
  },
  {
    rule: 'AWS.Root.Activity',
    name: 'Root Activity - CreateServiceLinkedRole',
    ours: true,
    reason: `${ANY_ROOT_REQUEST}Panther's rule allow-lists CreateServiceLinkedRole`,
  },
  {
    rule: 'AWS.Root.Activity',
    name: 'Root Read-Only Enumeration',
    ours: true,
    reason: `${ANY_ROOT_REQUEST}Panther's rule ignores read-only root calls (ListAccessKeys)`,
  },
  {
    rule: 'AWS.Console.RootLoginFailed',
    name: 'Successful Login',
    ours: true,
    reason: `${ANY_ROOT_REQUEST}successful sign-ins included; Panther's rule is about failed ones only`,
  },
  {
    rule: 'AWS.CloudTrail.RootPasswordChanged',
    name: 'Root Password Change Failed',
    ours: true,
    reason: `${ANY_ROOT_REQUEST}failed ones included; Panther's rule is about a successful password change only`,
  },
  {
    rule: 'AWS.CloudTrail.RootAccessKeyCreated',
    name: 'Root Created Access Key For User',
    ours: true,
    reason: `${ANY_ROOT_REQUEST}whoever the key is for; Panther's rule is about root creating a key for itself`,
  },
];

/** Test events that are not CloudTrail records: rejected by the parser with this reason; not applicable. */
interface NotCloudTrail {
  rule: string;
  name: string;
  rejection: RegExp;
  reason: string;
}
const LOWER_CASE = /keys are lower-case \(eventname, eventsource, eventtime(, useridentity)?\): not CloudTrail's format, whose keys are camelCase/;
const P_FIELDS_ONLY = /not a CloudTrail record: "eventName" is missing/;
const NOT_CLOUDTRAIL: NotCloudTrail[] = [
  ...['Non-Discovery Event', 'Password Discovery ARN', 'Password Discovery Service'].map((name) => ({
    rule: 'AWS.CloudTrail.Password.Policy.Discovery',
    name,
    rejection: LOWER_CASE,
    reason: "Panther's lower-cased copy of the record (eventname, useridentity, ...), not CloudTrail's camelCase format",
  })),
  {
    rule: 'AWS.Root.Activity',
    name: 'Root User Failed Activity',
    rejection: /"eventTime" is not an ISO-8601 time: "redacted"/,
    reason: 'a Panther alert export with redacted fields (eventTime, sourceIPAddress and account are "redacted")',
  },
  ...['Malicious IP Detected', 'No Enrichment Data'].map((name) => ({
    rule: 'Standard.GreyNoiseV3.MaliciousIP',
    name,
    rejection: P_FIELDS_ONLY,
    reason: 'only Panther p_* fields (p_any_ip_addresses, p_enrichment), no CloudTrail record',
  })),
  ...['Known Threat IP Detected - With Adversary and Malware', 'Benign IP - No Enrichment', 'Multiple Threat IPs Detected'].map((name) => ({
    rule: 'Standard.OTX.MaliciousIndicator',
    name,
    rejection: P_FIELDS_ONLY,
    reason: 'only Panther p_* fields (p_any_ip_addresses, p_enrichment), no CloudTrail record',
  })),
];

/**
 * The addresses Panther's enrichment calls malicious and that are the event's own addresses: GreyNoise
 * entries classified `malicious`, and every OTX pulse indicator.
 */
function threatListFromEnrichment(event: Record<string, any>): string[] {
  const own = new Set<string>([...(event.sourceIPAddress ? [event.sourceIPAddress] : []), ...(event.p_any_ip_addresses ?? [])]);
  const enrichment = event.p_enrichment ?? {};
  const greyNoise = Object.entries<any>(enrichment.greynoise_noise ?? {})
    .filter(([, v]) => v?.internet_scanner_intelligence?.classification === 'malicious')
    .map(([ip]) => ip);
  const otx = Object.keys(enrichment.pulses_otx ?? {});
  return [...new Set([...greyNoise, ...otx])].filter((ip) => own.has(ip)).sort();
}

/** Type stems a guardduty_analog text may use for an implemented type (`...MaliciousIPCaller` for `.Custom`, `PenTest:IAMUser/*`). */
function mentionsImplementedType(analog: string): boolean {
  for (const type of IMPLEMENTED) {
    const stems = [type, type.replace(/\.Custom$/, ''), `${type.slice(0, type.indexOf('/') + 1)}*`];
    if (stems.some((s) => analog.includes(s))) return true;
  }
  return false;
}

const key = (t: { rule: string; name: string }) => `${t.rule} / ${t.name}`;
const CASES = TESTS.filter((t) => t.rule in MAPPING);
const disagreement = new Map(DISAGREEMENTS.map((d) => [key(d), d]));
const notCloudTrail = new Map(NOT_CLOUDTRAIL.map((n) => [key(n), n]));

describe('Panther rule tests against Trailhound', () => {
  it('the mapping covers exactly the rules whose GuardDuty analog is a type Trailhound implements, and names only implemented types', () => {
    const inScope = [...new Set(TESTS.filter((t) => mentionsImplementedType(t.guardduty_analog)).map((t) => t.rule))].sort();
    expect(inScope).toEqual(Object.keys(MAPPING).sort());
    for (const m of Object.values(MAPPING)) if ('types' in m) for (const type of m.types) expect(IMPLEMENTED).toContain(type);
  });

  it('every listed disagreement and non-CloudTrail event names an existing test of a mapped rule, once', () => {
    const names = new Set(CASES.map(key));
    for (const k of [...disagreement.keys(), ...notCloudTrail.keys()]) expect(names).toContain(k);
    expect(disagreement.size).toBe(DISAGREEMENTS.length);
    expect(notCloudTrail.size).toBe(NOT_CLOUDTRAIL.length);
    for (const k of disagreement.keys()) expect(notCloudTrail.has(k)).toBe(false);
  });

  it('77 cases: 60 compared (48 agree, 12 disagree), 17 not applicable (9 not CloudTrail, 8 of rules without an analog)', () => {
    const notApplicableRules = CASES.filter((t) => 'notApplicable' in (MAPPING[t.rule] as Mapping));
    const compared = CASES.filter((t) => !notCloudTrail.has(key(t)) && 'types' in (MAPPING[t.rule] as Mapping));
    expect(CASES).toHaveLength(77);
    expect(notCloudTrail.size).toBe(9);
    expect(notApplicableRules).toHaveLength(8);
    expect(compared).toHaveLength(60);
    expect(compared.filter((t) => disagreement.has(key(t)))).toHaveLength(12);
  });

  it("the threat list is taken from p_enrichment only when it calls the event's address malicious", () => {
    const intel = CASES.filter((t) => (MAPPING[t.rule] as { threatIntel?: true }).threatIntel);
    expect(intel.map((t) => [t.name, threatListFromEnrichment(t.event)])).toEqual([
      ['Malicious IP Detected', ['142.93.204.250']],
      ['No Enrichment Data', []],
      ['Known Threat IP Detected - With Adversary and Malware', ['198.51.100.23']],
      ['Benign IP - No Enrichment', []],
      ['Multiple Threat IPs Detected', ['198.51.100.10', '198.51.100.20']],
    ]);
    for (const t of intel) expect(threatListFromEnrichment(t.event).length > 0).toBe(t.expect_alert);
  });

  describe.each(CASES.map((t) => [key(t), t] as const))('%s', (_name, t) => {
    const mapping = MAPPING[t.rule] as Mapping;
    const threatList = 'types' in mapping && mapping.threatIntel ? threatListFromEnrichment(t.event) : [];
    const opts = threatList.length > 0 ? { threatList } : {};

    if ('notApplicable' in mapping) {
      it(`not applicable (${mapping.notApplicable}); the record is accepted and gives no finding`, async () => {
        expect(await detectRecords([t.event], opts)).toEqual([]);
      });
      return;
    }
    const rejected = notCloudTrail.get(key(t));
    if (rejected) {
      it(`not applicable: rejected by the parser (${rejected.reason})`, async () => {
        await expect(detectRecords([t.event], opts)).rejects.toThrow(rejected.rejection);
      });
      return;
    }
    const d = disagreement.get(key(t));
    if (d) {
      it(`disagrees: Panther expects ${t.expect_alert ? 'an alert' : 'none'}, Trailhound ${d.ours ? 'alerts' : 'does not'} (${d.reason})`, async () => {
        const findings = await detectRecords([t.event], opts);
        const ours = findings.some((f) => mapping.types.includes(f.type));
        expect(ours).toBe(d.ours);
        expect(ours).not.toBe(t.expect_alert);
      });
      return;
    }
    it(`agrees: ${t.expect_alert ? 'alerts' : 'no alert'} (${mapping.types.join(' | ')})`, async () => {
      const findings = await detectRecords([t.event], opts);
      expect(findings.some((f) => mapping.types.includes(f.type))).toBe(t.expect_alert);
    });
  });

  it('Password.Policy.Discovery in CloudTrail form: its positive case (a GetAccountPasswordPolicy read) is still no PasswordPolicyChange, which is about changes', async () => {
    // The Panther test events are lower-case copies (not applicable above); this is the positive one in CloudTrail's form.
    const findings = await detectRecords([
      {
        eventVersion: '1.08',
        awsRegion: 'us-east-1',
        eventCategory: 'Management',
        eventID: '1808ca3b-4311-4b48-9d1f-21061acb2329',
        eventName: 'GetAccountPasswordPolicy',
        eventSource: 'iam.amazonaws.com',
        eventTime: '2023-01-10T23:10:06Z',
        eventType: 'AwsApiCall',
        managementEvent: true,
        userIdentity: { arn: 'arn:aws:test_arn' },
      },
    ]);
    expect(findings.filter((f) => f.type === 'Stealth:IAMUser/PasswordPolicyChange')).toEqual([]);
  });
});
