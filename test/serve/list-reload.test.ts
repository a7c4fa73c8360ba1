import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { startTestServe, type TestServe } from '../serve-helpers.js';

/** A threat list file that changes while serve runs is reloaded in place; a broken rewrite keeps the previous list. */

let s: TestServe | undefined;
afterAll(async () => {
  await s?.close();
});

let n = 0;
function call(ip: string) {
  n++;
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLERELOAD01',
      arn: 'arn:aws:iam::111122223333:user/reload',
      accountId: '111122223333',
      accessKeyId: 'AKIAEXAMPLERELOAD01',
      userName: 'reload',
    },
    eventTime: '2026-11-20T10:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListUsers',
    awsRegion: 'us-east-1',
    sourceIPAddress: ip,
    userAgent: 'aws-cli/2.15.0',
    eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
  };
}

async function ingest(ip: string): Promise<string[]> {
  const r = await s!.api('/api/v1/ingest', { as: 'ingest', method: 'POST', body: JSON.stringify(call(ip)) });
  return ((await r.json()) as { findings: string[] }).findings;
}

async function eventually(ip: string, want: boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = (await ingest(ip)).length > 0;
    if (found === want) return;
    if (Date.now() > deadline) throw new Error(`${ip}: still ${found ? 'listed' : 'not listed'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('serve reloads changed list files', () => {
  it('picks up a new address, and keeps the previous list when the file no longer parses', async () => {
    const dir = tempDir();
    const list = join(dir, 'threats.txt');
    writeFileSync(list, '203.0.113.10\n');
    const logs: string[] = [];
    s = await startTestServe({
      dir,
      copyLogs: false,
      config: { threatLists: [{ name: 'Reloaded', path: list }] },
      serve: { sources: [], reloadListsSeconds: 0.05 },
      options: { log: (m) => logs.push(m) },
    });
    expect(await ingest('198.51.100.99')).toEqual([]);
    writeFileSync(list, '203.0.113.10\n198.51.100.99\n');
    await eventually('198.51.100.99', true);
    expect(logs.some((m) => m.includes('threat list Reloaded reloaded'))).toBe(true);
    writeFileSync(list, '203.0.113.10\nnot-an-address\n');
    const deadline = Date.now() + 10_000;
    while (!logs.some((m) => m.includes('not reloaded')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(logs.find((m) => m.includes('not reloaded'))).toMatch(/threats\.txt:2/);
    // The previous list is still in force.
    expect((await ingest('198.51.100.99')).length).toBe(1);
  });
});
