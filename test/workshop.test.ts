import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/pipeline/config.js';
import { buildContext } from '../src/pipeline/context.js';
import { runDetect } from '../src/pipeline/detect.js';
import { CLOCK } from './helpers.js';
import { schemaErrors } from './schema.js';

const ROOT = join(import.meta.dirname, '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'workshop-findings.json');

async function runWorkshop() {
  const config = await loadConfig(join(ROOT, 'examples', 'workshop', 'trailhound.yaml'));
  return runDetect({ paths: [join(ROOT, 'examples', 'workshop', 'logs')], ctx: await buildContext(config, {}), clock: CLOCK });
}

describe('the bundled workshop examples', () => {
  it('give the golden findings (set UPDATE_GOLDEN=1 to rewrite after a reviewed change)', async () => {
    const result = await runWorkshop();
    expect(result.rejected).toEqual([]);
    const actual = JSON.parse(JSON.stringify(result.findings));
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 2)}\n`);
    expect(actual).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });

  it('cover the workshop scenarios 1 (flow logs), 2, 3 and 4 with the expected types and counts', async () => {
    const { findings, stats } = await runWorkshop();
    const summary = findings.map((f) => `${f.type} ${f.service.count}`).sort();
    expect(summary).toEqual([
      'Discovery:S3/MaliciousIPCaller.Custom 10',
      'Policy:S3/BucketBlockPublicAccessDisabled 5',
      'Recon:IAMUser/MaliciousIPCaller.Custom 40',
      'Stealth:S3/ServerAccessLoggingDisabled 5',
      'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom 60',
      'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS 8',
      'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom 20',
    ]);
    // The redelivered file changes no count.
    expect(stats.duplicates).toBe(10);
    const ua = findings.find((f) => f.type === 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom');
    expect(ua?.service.evidence?.threatIntelligenceDetails[0]?.threatListName).toBe('Example-Threat-List');
    expect(ua?.service.evidence?.threatIntelligenceDetails[0]?.threatFileSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ua?.resource.accessKeyDetails).toEqual({
      accessKeyId: 'AKIAEXAMPLESIMUSER01',
      principalId: 'AIDAEXAMPLEUSERID0001',
      userName: 'GuardDuty-Example-Compromised-Simulated',
      userType: 'IAMUser',
    });
    const ice = findings.find((f) => f.type.startsWith('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration'));
    expect(ice?.resource.accessKeyDetails?.userName).toBe('GuardDuty-Example-EC2-Compromised');
    expect(ice?.resource.instanceDetails?.instanceId).toBe('i-0a1b2c3d4e5f67890');
    // Details come from the latest event: the denied call after the sessions were revoked.
    expect(ice?.service.action.awsApiCallAction?.errorCode).toBe('AccessDeniedException');
    expect(ice?.service.eventLastSeen).toBe('2021-03-08T18:31:40.000Z');
  });

  it('validate against the GuardDuty finding JSON Schema', async () => {
    const { findings } = await runWorkshop();
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) expect(schemaErrors(f)).toEqual([]);
  });

  it('reject a finding that breaks the schema (the validation can fail)', async () => {
    const { findings } = await runWorkshop();
    const broken = JSON.parse(JSON.stringify(findings[0]));
    broken.service.count = '3';
    broken.service.acton = broken.service.action;
    const errors = schemaErrors(broken).map((e) => `${e.instancePath} ${e.message}`);
    expect(errors).toContain('/service/count must be integer');
    expect(errors.some((e) => e.includes('additional properties'))).toBe(true);
  });
});
