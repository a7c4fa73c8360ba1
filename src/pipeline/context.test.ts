import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempFile } from '../../test/helpers.js';
import { parseIp } from '../core/ip.js';
import { validateConfig } from './config.js';
import { buildContext } from './context.js';

const SAMPLES = join(import.meta.dirname, '..', '..', '..', 'shared', 'reference', 'examples', 'threat-lists');

describe('buildContext: threat lists in GuardDuty formats from the configuration', () => {
  it('loads a list with its format given, and one whose format is detected', async () => {
    const config = validateConfig(
      {
        threatLists: [
          { name: 'stix-list', path: join(SAMPLES, 'STIX.xml'), format: 'STIX' },
          { name: 'otx-list', path: join(SAMPLES, 'OTX_CSV.csv') },
        ],
      },
      'test',
    );
    const ctx = await buildContext(config, {});
    for (const address of ['198.51.100.1', '192.0.2.77']) {
      const ip = parseIp(address);
      expect(ip).toBeDefined();
      expect(ctx.intel.threat(ip!)?.sort()).toEqual(['otx-list', 'stix-list']);
    }
  });

  it('loads threat lists of domains (threatDomainLists)', async () => {
    const file = tempFile('domains.txt', '# C2\nevil.example.com\n*.bad.example.net\n');
    const ctx = await buildContext(validateConfig({ threatDomainLists: [{ name: 'domains', path: file }] }, 'test'), {});
    expect(ctx.intel.domainThreat('a.evil.example.com')).toEqual(['domains']);
    expect(ctx.intel.domainThreat('x.bad.example.net')).toEqual(['domains']);
    expect(ctx.intel.domainThreat('bad.example.net')).toBeUndefined();
    expect(ctx.intel.domainThreat('notevil.example.com')).toBeUndefined();
  });

  it('refuses an unknown format name with its path', () => {
    expect(() => validateConfig({ threatLists: [{ name: 'x', path: 'x.txt', format: 'CSV' }] }, 'test')).toThrow(/threatLists\.0\.format/);
  });
});
