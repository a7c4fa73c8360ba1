import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../core/finding.js';
import { findingHeadline, findingLink, findingOf, formatSeverity, summarizeEvent, summarizeFinding } from './summary.js';

const findings = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'golden', 'workshop-findings.json'), 'utf8')) as Finding[];
const byType = (t: string) => findings.find((f) => f.type.startsWith(t)) as Finding;

describe('summarizeFinding', () => {
  it('says what, which resource, when, who, and links to the finding', () => {
    const f = byType('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration');
    const s = summarizeFinding(f);
    expect(s).toContain('[High 8.0] UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
    expect(s).toContain(f.title);
    expect(s).toMatch(/Severity: +High \(8\.0\)/);
    expect(s).toMatch(/Access key: +ASIAEXAMPLEEXFIL0001/);
    expect(s).toMatch(/Role: +GuardDuty-Example-EC2-Compromised \(AssumedRole\)/);
    expect(s).toMatch(/Instance: +i-0a1b2c3d4e5f67890/);
    expect(s).toMatch(/First seen: +2021-03-08T18:14:02Z/);
    expect(s).toMatch(/Last seen: +2021-03-08T18:31:40Z/);
    expect(s).toMatch(/Count: +8/);
    expect(s).toMatch(/Address: +198\.51\.100\.23/);
    expect(s).toMatch(/API: +ListTables/);
    expect(s).toMatch(/Service: +dynamodb\.amazonaws\.com/);
    expect(s).toMatch(/User agent: +aws-cli\/2\.1\.29 Python/);
    expect(s).toMatch(/Error code: +AccessDeniedException/);
    expect(s).toContain(
      'Link: https://us-west-2.console.aws.amazon.com/guardduty/home?region=us-west-2#/findings?macros=current&fId=05020899fafca4ac9cb826407ee0956b',
    );
  });

  it('names buckets for S3 findings, and users for IAM-user keys', () => {
    const s = summarizeFinding(byType('Policy:S3/BucketBlockPublicAccessDisabled'));
    expect(s).toMatch(/Bucket: +guardduty-example-finance/);
    expect(s).toMatch(/User: +GuardDuty-Example-Compromised2-Simulated \(IAMUser\)/);
    expect(s).toContain('[Low 2.0]');
    expect(findingHeadline(byType('Policy:S3/BucketBlockPublicAccessDisabled'))).toBe(
      '[Low 2.0] Policy:S3/BucketBlockPublicAccessDisabled (guardduty-example-finance-111122223333-us-west-2)',
    );
  });

  it('every golden finding summarises with its id and link', () => {
    for (const f of findings) {
      const s = summarizeFinding(f);
      expect(s).toContain(f.id);
      expect(s).toContain(findingLink(f));
    }
  });

  it('escapes control characters in attacker-controlled strings', () => {
    const f = structuredClone(byType('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration'));
    const a = f.service.action.awsApiCallAction;
    if (!a) throw new Error('no action');
    a.userAgent = 'evil\nAPI: FakeLine\u001b[31mred\u202eabc';
    const s = summarizeFinding(f);
    expect(s).not.toContain('\u001b');
    expect(s).not.toContain('\u202e');
    expect(s).not.toContain('\nAPI: FakeLine');
    expect(s).toContain('evil\\u{a}API: FakeLine\\u{1b}[31mred\\u{202e}abc');
  });

  it('the link follows a configured console URL', () => {
    const f = findings[0] as Finding;
    expect(findingLink(f, { consoleUrl: 'https://trailhound.example/findings/' })).toBe(`https://trailhound.example/findings/${f.id}`);
    expect(findingLink(f, { consoleUrl: 'https://t.example/{region}/{account}/f?id={id}' })).toBe(`https://t.example/us-west-2/111122223333/f?id=${f.id}`);
    expect(summarizeFinding(f, { consoleUrl: 'https://t.example/f/' })).toContain(`Link: https://t.example/f/${f.id}`);
    expect(findingLink({ ...f, partition: 'aws-cn', region: 'cn-north-1' })).toMatch(/^https:\/\/console\.amazonaws\.cn\/guardduty\/home\?region=cn-north-1#/);
  });

  it('helpers', () => {
    expect(formatSeverity(8)).toBe('8.0');
    expect(formatSeverity(5.5)).toBe('5.5');
    expect(findingHeadline(byType('Recon:IAMUser'))).toBe('[Medium 5.0] Recon:IAMUser/MaliciousIPCaller.Custom (AKIAEXAMPLESIMUSER01)');
    expect(findingOf({ detail: { foo: 1 } })).toBeUndefined();
    expect(findingOf({ detail: findings[0] })).toBe(findings[0]);
    expect(summarizeEvent({ id: 'e1', 'detail-type': 'X\u001b', source: 's', time: 't', detail: { a: 1 } })).toContain('X\\u{1b} from s');
  });
});
