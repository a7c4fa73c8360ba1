import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOCK, tempDir } from '../../test/helpers.js';
import { ConfigError } from '../core/errors.js';
import { parseIp } from '../core/ip.js';
import { compileMailServers } from '../detectors/vpcflow/backdoor-ec2-spambot.js';
import { validateConfig } from './config.js';
import { buildContext } from './context.js';
import { runDetect } from './detect.js';

const ENI = 'eni-0123456789abcdef0';
const INSTANCE = 'i-0fedcba9876543210';

/** A version-2 flow log (no instance-id) in its S3 layout: 10.0.0.12 sends to port 25 of 40 hosts, 198.51.100.1-40. */
function spamLog(): string {
  const dir = join(tempDir(), 'AWSLogs', '111122223333', 'vpcflowlogs', 'us-west-2', '2021', '03', '08');
  mkdirSync(dir, { recursive: true });
  const t0 = 1615225630;
  const lines = Array.from(
    { length: 40 },
    (_, i) => `2 111122223333 ${ENI} 10.0.0.12 198.51.100.${i + 1} ${40000 + i} 25 6 14 1830 ${t0 + i * 20 - 20} ${t0 + i * 20} ACCEPT OK`,
  );
  const file = join(dir, 'spam.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Spambot findings of a detect run with `detectors` as configured. */
async function spambots(detectors: Record<string, unknown>): Promise<number> {
  const ctx = await buildContext(validateConfig({ detectors }, 'test'), {});
  const result = await runDetect({ paths: [spamLog()], ctx, clock: CLOCK });
  expect(result.rejected).toEqual([]);
  return result.findings.filter((f) => f.type === 'Backdoor:EC2/Spambot').length;
}

describe('detectors.mailServers', () => {
  it('is validated with the configuration and reaches the detectors through the context', async () => {
    const mailServers = { instances: [INSTANCE], destinations: ['198.51.100.0/24', '203.0.113.5', '2001:db8::/32'] };
    const config = validateConfig({ detectors: { mailServers } }, 'test');
    const ctx = await buildContext(config, {});
    expect(ctx.settings.mailServers).toEqual(mailServers);
    expect((await buildContext(validateConfig({}, 'test'), {})).settings.mailServers).toBeUndefined();
    expect(validateConfig({ detectors: { mailServers: {} } }, 'test').detectors.mailServers).toEqual({});
  });

  it('refuses unknown keys, instance ids that are not, and destinations that are neither addresses nor CIDRs, each with its path', () => {
    const issues = (mailServers: unknown) => {
      try {
        validateConfig({ detectors: { mailServers } }, 'test');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).issues.map((i) => i.path);
      }
      throw new Error('expected a ConfigError');
    };
    expect(issues({ relays: ['198.51.100.1'] })).toEqual(['detectors.mailServers']);
    expect(issues({ instances: ['i-0fedcba9876543210', 'eni-0123456789abcdef0'] })).toEqual(['detectors.mailServers.instances.1']);
    expect(issues({ destinations: ['198.51.100.0/24', '198.51.100.0/33', 'smtp.example.com', '2001:db8::/129'] })).toEqual([
      'detectors.mailServers.destinations.1',
      'detectors.mailServers.destinations.2',
      'detectors.mailServers.destinations.3',
    ]);
    expect(issues({ destinations: '198.51.100.1' })).toEqual(['detectors.mailServers.destinations']);
    expect(() => validateConfig({ detectors: { mailServers: { destinations: ['smtp.example.com'] } } }, 'test')).toThrow(
      /mailServers\.destinations\.0: not an IPv4 or IPv6 address.*CIDR/,
    );
  });

  it('compiles destinations into an index (addresses and CIDRs, IPv4 and IPv6) and refuses bad entries from other callers', () => {
    const m = compileMailServers({ instances: [INSTANCE], destinations: ['198.51.100.0/28', '203.0.113.5', '2001:db8::/32'] });
    const has = (a: string) => m.destinations.has(parseIp(a) as NonNullable<ReturnType<typeof parseIp>>);
    expect(['198.51.100.0', '198.51.100.15', '203.0.113.5', '2001:db8:1::25'].map(has)).toEqual([true, true, true, true]);
    expect(['198.51.100.16', '203.0.113.6', '2001:db9::1'].map(has)).toEqual([false, false, false]);
    expect(m.instances.has(INSTANCE)).toBe(true);
    expect(() => compileMailServers({ destinations: ['198.51.100.0/40'] })).toThrow(ConfigError);
    expect(() => compileMailServers({ instances: ['web-1'] })).toThrow(/detectors\.mailServers\.instances\.0/);
  });

  it('end to end: an allowed instance, or relays covering the hosts, make no Spambot finding; other settings do', async () => {
    const interfaces = { [ENI]: INSTANCE };
    expect(await spambots({ interfaces })).toBe(1);
    expect(await spambots({ interfaces, mailServers: { instances: [INSTANCE] } })).toBe(0);
    expect(await spambots({ interfaces, mailServers: { instances: ['i-0aaaabbbbccccdddd'] } })).toBe(1);
    // The instance is unknown to the detector without the inventory (the record has no instance-id).
    expect(await spambots({ mailServers: { instances: [INSTANCE] } })).toBe(1);
    expect(await spambots({ mailServers: { destinations: ['198.51.100.0/26'] } })).toBe(0);
    // Relays cover 198.51.100.0-31, 31 of the 40 hosts: 9 remain, below the threshold of 10; 0-30: 10 remain.
    expect(await spambots({ mailServers: { destinations: ['198.51.100.0/27'] } })).toBe(0);
    expect(
      await spambots({ mailServers: { destinations: ['198.51.100.0/28', '198.51.100.16/29', '198.51.100.24/30', '198.51.100.28/31', '198.51.100.30'] } }),
    ).toBe(1);
  });
});
