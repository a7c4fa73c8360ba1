import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, main } from '../src/cli/main.js';
import type { Finding } from '../src/core/finding.js';
import { tempDir } from './helpers.js';
import { startTestServe, type TestServe } from './serve-helpers.js';

/** `trailhound respond`: an analyst's playbook run through a running service's API, from the command line. */
let s: TestServe;
let finding: string;

beforeAll(async () => {
  const dir = tempDir();
  s = await startTestServe({
    dir,
    config: {
      targets: {
        'deactivate-key': {
          type: 'remediation',
          playbook: 'deactivate-access-key',
          mode: 'dry-run',
          audit: join(dir, 'audit.db'),
          scope: { accounts: ['111122223333'], regions: ['us-west-2'], users: ['*'] },
        },
      },
    },
  });
  await s.idle(30_000);
  const list = (await (await s.api('/api/v1/findings?limit=1000')).json()) as { findings: Finding[] };
  const f = list.findings.find((x) => x.type === 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom');
  if (!f) throw new Error('the workshop logs should give a MaliciousIPCaller.Custom finding');
  finding = f.id;
}, 60_000);
afterAll(async () => {
  await s?.close();
});

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (t) => (out += t), stderr: (t) => (err += t), isTTY: false, env };
  const code = await main(['node', 'trailhound', 'respond', '--url', s.url, ...args], io);
  return { code, out, err };
}

describe('trailhound respond', () => {
  it('lists the playbooks that could act on a finding', async () => {
    const r = await run(['--finding', finding], { TRAILHOUND_TOKEN: s.tokens.viewer });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { options: { options: { target: string }[] } };
    expect(out.options.options.map((o) => o.target)).toContain('deactivate-key');
  });

  it("plans the target's playbook and records it with the caller's name", async () => {
    const r = await run(['--finding', finding, '--target', 'deactivate-key'], { TRAILHOUND_TOKEN: s.tokens.responder });
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { plan: { status: string; calls: { command: string; sent: boolean }[] } };
    expect(out.plan.status).toBe('planned');
    expect(out.plan.calls.some((c) => c.command === 'UpdateAccessKey' && !c.sent)).toBe(true);
    const audit = (await (await s.api(`/api/v1/remediation/audit?findingId=${finding}`)).json()) as { entries: { requestedBy?: string }[] };
    expect(audit.entries.some((e) => e.requestedBy === 'responder-token')).toBe(true);
  });

  it('refuses to execute on a dry-run target, and a viewer may not plan', async () => {
    const exec = await run(['--finding', finding, '--target', 'deactivate-key', '--execute'], { TRAILHOUND_TOKEN: s.tokens.responder });
    expect(exec.code).toBe(2);
    expect(exec.err).toMatch(/execute/);
    const viewer = await run(['--finding', finding, '--target', 'deactivate-key'], { TRAILHOUND_TOKEN: s.tokens.viewer });
    expect(viewer.code).toBe(2);
    expect(viewer.err).toMatch(/HTTP 403/);
  });

  it('takes the token from the environment only', async () => {
    const r = await run(['--finding', finding], {});
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/TRAILHOUND_TOKEN/);
  });
});
