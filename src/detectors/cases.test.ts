import { describe, expect, it } from 'vitest';
import { detectLogCase, detectRecords } from '../../test/helpers.js';
import { schemaErrors } from '../../test/schema.js';
import { DNS_DETECTORS, FLOW_DETECTORS } from './network-registry.js';
import { DETECTORS } from './registry.js';
import type { LogCase } from './types.js';

/** Every detector's own positive and negative cases (declared in its module), through the whole pipeline. */
describe.each(DETECTORS.map((d) => [d.meta.id, d] as const))('%s', (id, detector) => {
  it('has an id equal to its file name, and both positive and negative cases', () => {
    expect(detector.cases.some((c) => c.expect > 0)).toBe(true);
    expect(detector.cases.some((c) => c.expect === 0)).toBe(true);
    expect(id).toMatch(/^[a-z0-9-]+$/);
  });

  it.each(detector.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const findings = await detectRecords(c.records, {
      ...(c.threatList ? { threatList: c.threatList } : {}),
      ...(c.trustedList ? { trustedList: c.trustedList } : {}),
      ...(c.settings ? { settings: c.settings } : {}),
    });
    const mine = findings.filter((f) => f.type === detector.meta.findingType);
    expect(mine.map((f) => ({ type: f.type, count: f.service.count }))).toHaveLength(c.expect);
    // Every finding any case produces is valid GuardDuty JSON (the model's schema, test/schema/).
    for (const f of findings) expect(schemaErrors(f)).toEqual([]);
  });
});

/** Flow and DNS detectors' cases: the lines are written as a log file in its S3 layout and run through detect. */
describe.each([...FLOW_DETECTORS.map((d) => ['vpcflowlogs', d] as const), ...DNS_DETECTORS.map((d) => ['vpcdnsquerylogs', d] as const)])(
  '%s: %s',
  (folder, detector) => {
    it('has both positive and negative cases', () => {
      expect(detector.cases.some((c) => c.expect > 0)).toBe(true);
      expect(detector.cases.some((c) => c.expect === 0)).toBe(true);
    });

    it.each(detector.cases.map((c: LogCase) => [c.name, c] as const))('%s', async (_name, c) => {
      const result = await detectLogCase(detector, c, folder === 'vpcflowlogs' ? 'vpcflow' : 'dns');
      expect(result.rejected.map((e) => e.message)).toEqual([]);
      const mine = result.findings.filter((f) => f.type === detector.meta.findingType);
      expect(mine).toHaveLength(c.expect);
      for (const f of result.findings) expect(schemaErrors(f)).toEqual([]);
    });
  },
);

describe('the detector registry', () => {
  it('has one module file per detector, named after its id, and every type is documented', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const files = new Set(
      ['cloudtrail', 'vpcflow', 'dns'].flatMap((d) => {
        try {
          return readdirSync(join(import.meta.dirname, d)).map((f) => f.replace(/\.ts$/, ''));
        } catch {
          return [];
        }
      }),
    );
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'detectors.md'), 'utf8');
    const types = new Set<string>();
    const all = [...DETECTORS, ...FLOW_DETECTORS, ...DNS_DETECTORS];
    for (const d of all) {
      expect(files.has(d.meta.id), d.meta.id).toBe(true);
      expect(doc).toContain(`\`${d.meta.findingType}\``);
      types.add(d.meta.findingType);
    }
    expect(types.size).toBe(all.length);
  });
});
