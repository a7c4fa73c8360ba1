import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLOCK, detectPaths, prng, tempDir, testContext } from '../../test/helpers.js';
import { fixedClock } from '../core/clock.js';
import { ct, iamUser, instanceRole } from '../detectors/case-helpers.js';
import { DETECTORS } from '../detectors/registry.js';
import type { Detector } from '../detectors/types.js';
import { FindingStore } from '../findings/store.js';
import { runDetect } from './detect.js';

/** The workshop's CloudTrail logs (its flow logs, scenario 1, are beside them). */
const WORKSHOP_LOGS = join(import.meta.dirname, '..', '..', 'examples', 'workshop', 'logs', 'AWSLogs', '111122223333', 'CloudTrail');

/** All records of the bundled workshop logs, in file order. */
function workshopRecords(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(...JSON.parse(gunzipSync(readFileSync(p)).toString()).Records);
    }
  };
  walk(WORKSHOP_LOGS);
  return out;
}

const THREATS = { threatLists: { 'Example-Threat-List': ['203.0.113.10'] } };

function writeFiles(dir: string, records: unknown[], perFile: number): void {
  for (let i = 0; i * perFile < records.length; i++)
    writeFileSync(join(dir, `part-${String(i).padStart(3, '0')}.json`), JSON.stringify({ Records: records.slice(i * perFile, (i + 1) * perFile) }));
}

/** A deterministic shuffle. */
function shuffle<T>(items: T[], seed: number): T[] {
  const rnd = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('runDetect', () => {
  it('gives the same findings whatever the order of files and records', async () => {
    const records = workshopRecords();
    const baseline = await detectPaths([WORKSHOP_LOGS], THREATS);
    for (const [seed, perFile] of [
      [1, 7],
      [2, 50],
      [3, 1000],
    ] as const) {
      const dir = tempDir();
      writeFiles(dir, shuffle(records, seed), perFile);
      const shuffled = await detectPaths([dir], THREATS);
      expect(shuffled.findings).toEqual(baseline.findings);
    }
  });

  it('keeps findings across runs in a database; reading the same files again changes no count', async () => {
    const db = join(tempDir(), 'th.db');
    const first = new FindingStore(db);
    const r1 = await detectPaths([WORKSHOP_LOGS], { ...THREATS, store: first });
    first.close();
    const second = new FindingStore(db);
    const r2 = await detectPaths([WORKSHOP_LOGS], { ...THREATS, store: second });
    expect(r2.findings).toEqual([]);
    expect(r2.stats.events).toBe(0);
    expect(r2.stats.duplicates).toBe(r1.stats.events + r1.stats.duplicates);
    expect(second.findings()).toEqual(r1.findings);
    second.close();
  });

  it('adds later logs to existing findings: count grows, first seen and createdAt stay, last seen and updatedAt move', async () => {
    const records = workshopRecords().sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
    const half = Math.floor(records.length / 2);
    const [early, late] = [tempDir(), tempDir()];
    writeFiles(early, records.slice(0, half), 1000);
    writeFiles(late, records.slice(half), 1000);
    const db = join(tempDir(), 'th.db');
    const store = new FindingStore(db);
    const ctx = await testContext(THREATS);
    await runDetect({ paths: [early], ctx, clock: fixedClock('2026-01-01T00:00:00Z'), store });
    await runDetect({ paths: [late], ctx, clock: fixedClock('2026-01-02T00:00:00Z'), store });
    const incremental = store.findings();
    store.close();
    const once = await detectPaths([WORKSHOP_LOGS], THREATS);
    const strip = (fs: typeof incremental) => fs.map((f) => ({ ...f, createdAt: '', updatedAt: '' }));
    expect(strip(incremental)).toEqual(strip(once.findings));
    const recon = incremental.find((f) => f.type === 'Recon:IAMUser/MaliciousIPCaller.Custom');
    expect(recon?.createdAt).toBe('2026-01-01T00:00:00.000Z');
    expect(recon?.updatedAt).toBe('2026-01-02T00:00:00.000Z');
  });

  it('writes nothing when the run fails part-way (one transaction)', async () => {
    const db = join(tempDir(), 'th.db');
    const store = new FindingStore(db);
    const exploding: Detector = {
      meta: {
        id: 'exploding',
        findingType: 'Test:IAMUser/Exploding',
        severity: 2,
        dataSource: 'CloudTrail management events',
        summary: 'x',
        aggregation: 'x',
        eventNames: ['CreateUser'],
      },
      evaluate: () => {
        throw new Error('detector bug');
      },
      cases: [],
    };
    await expect(
      runDetect({ paths: [WORKSHOP_LOGS], ctx: await testContext(THREATS), clock: CLOCK, store, detectors: [...DETECTORS, exploding] }),
    ).rejects.toThrow('detector bug');
    expect(store.findings()).toEqual([]);
    expect((store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(0);
    store.close();
  });

  it('drops duplicate deliveries within one run by eventID', async () => {
    const dir = tempDir();
    const rec = ct({ eventName: 'CreateUser', sourceIPAddress: '203.0.113.10', userIdentity: iamUser() });
    writeFiles(dir, [rec, rec, rec], 1);
    const r = await detectPaths([dir], THREATS);
    expect(r.stats.events).toBe(1);
    expect(r.stats.duplicates).toBe(2);
    expect(r.findings[0]?.service.count).toBe(1);
  });

  it('ignores events from trusted addresses entirely, and counts them', async () => {
    const dir = tempDir();
    writeFiles(dir, [ct({ eventName: 'GetUser', sourceIPAddress: '198.51.100.9', userIdentity: instanceRole() })], 10);
    const r = await detectPaths([dir], { trustedList: ['198.51.100.0/24'] });
    expect(r.findings).toEqual([]);
    expect(r.stats.engine.trusted).toBe(1);
  });
});
