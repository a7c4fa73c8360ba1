import { describe, expect, it } from 'vitest';
import { CLOCK, tempFile } from '../../test/helpers.js';
import { schemaErrors } from '../../test/schema.js';
import { validateConfig } from './config.js';
import { buildContext } from './context.js';
import { runDetect } from './detect.js';

/** Findings' remote addresses are enriched from the packaged offline databases (country, ASN), as GuardDuty does. */
const call = (ip: string) => ({
  eventVersion: '1.08',
  userIdentity: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEENRICH01',
    arn: 'arn:aws:iam::111122223333:user/e',
    accountId: '111122223333',
    accessKeyId: 'AKIAEXAMPLEENRICH01',
    userName: 'e',
  },
  eventTime: '2026-11-20T10:00:00Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'ListUsers',
  awsRegion: 'us-east-1',
  sourceIPAddress: ip,
  userAgent: 'aws-cli/2.15.0',
  eventID: `00000000-0000-4000-8000-${ip.replace(/\D/g, '').padStart(12, '0').slice(-12)}`,
  readOnly: true,
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
});

async function detect(enabled: boolean) {
  const list = tempFile('threats.txt', '8.8.8.8\n');
  const logs = tempFile('calls.json', JSON.stringify({ Records: [call('8.8.8.8')] }));
  const config = validateConfig({ threatLists: [{ name: 'public-resolvers', path: list }], enrichment: { enabled } }, 'test');
  return runDetect({ paths: [logs], ctx: await buildContext(config, {}), clock: CLOCK });
}

describe('enrichment of remote addresses', () => {
  it('adds organisation (ASN) and country to remoteIpDetails', async () => {
    const { findings } = await detect(true);
    expect(findings).toHaveLength(1);
    const remote = findings[0]?.service.action.awsApiCallAction?.remoteIpDetails;
    expect(remote?.ipAddressV4).toBe('8.8.8.8');
    expect(remote?.organization?.asn).toBe('15169');
    expect(remote?.organization?.asnOrg).toMatch(/Google/);
    expect(remote?.country?.countryCode).toBe('US');
    for (const f of findings) expect(schemaErrors(f)).toEqual([]);
  });

  it('leaves the address alone when enrichment is off', async () => {
    const { findings } = await detect(false);
    expect(findings[0]?.service.action.awsApiCallAction?.remoteIpDetails).toEqual({ ipAddressV4: '8.8.8.8' });
  });

  it('refuses a configured database that does not exist, naming it', async () => {
    const config = validateConfig({ enrichment: { asnDb: '/nonexistent/asn.mmdb' } }, 'test');
    const ctx = await buildContext(config, {});
    await expect(ctx.enrichment?.load()).rejects.toThrow(/nonexistent\/asn\.mmdb/);
  });
});
