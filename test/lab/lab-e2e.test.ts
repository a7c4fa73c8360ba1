import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLab, runLab } from '../../src/lab/run.js';

/**
 * The whole loop, for all four scenarios: the lab's account, the attacks as SDK calls, Trailhound's service reading
 * the trail through the lab's S3 API, the workshop's rules, e-mail into the inbox, the revoke playbook on its own, the
 * analyst's key deactivation through the API, and the attackers' next calls refused.
 */
// ajv is CommonJS; loading it through require keeps its typings usable under NodeNext (as test/schema.ts does).
const { default: Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');

let lab: RunningLab;
const lines: string[] = [];

beforeAll(async () => {
  lab = await runLab({ port: 0, autoRespond: true, log: (m) => lines.push(m) });
}, 120_000);
afterAll(async () => {
  await lab?.close();
});

const scenario = (id: number) => {
  const s = lab.report.scenarios.find((x) => x.id === id);
  if (!s) throw new Error(`no scenario ${id}`);
  return s;
};
const types = (id: number) =>
  scenario(id)
    .findings.map((f) => f.type)
    .sort();

describe('trailhound lab', () => {
  it('reports every scenario working, with no problem', () => {
    expect(lab.report.problems).toEqual([]);
    expect(lab.report.ok).toBe(true);
  });

  it('matches the report schema (the --format json contract)', () => {
    const schema = JSON.parse(readFileSync(new URL('../../docs/lab-report.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    expect(validate(lab.report), JSON.stringify(validate.errors)).toBe(true);
  });

  it('scenario 1: the instance talking to the threat-listed address, from flow logs, isolated by the rule', () => {
    const s = scenario(1);
    const f = s.findings.find((x) => x.type === 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom');
    expect(f).toBeDefined();
    // Ten flow records: five minutes of ICMP out and back.
    expect(f?.count).toBe(10);
    expect(s.notifications.length).toBeGreaterThan(0);
    expect(s.remediations).toContainEqual(expect.objectContaining({ playbook: 'isolate-instance', status: 'succeeded', requestedBy: 'rule' }));
  });

  it("scenario 2: the user's key from the threat-listed address; the analyst deactivates it; the next call fails authentication", () => {
    const s = scenario(2);
    expect(types(2)).toEqual(
      expect.arrayContaining([
        'Discovery:S3/MaliciousIPCaller.Custom',
        'Recon:IAMUser/MaliciousIPCaller.Custom',
        'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
      ]),
    );
    expect(s.notifications.length).toBeGreaterThan(0);
    expect(s.remediations).toContainEqual(expect.objectContaining({ playbook: 'deactivate-access-key', status: 'succeeded', requestedBy: 'analyst.respond' }));
    expect(s.afterRemediation).toEqual([{ api: 'dynamodb:ListTables', errorCode: 'UnrecognizedClientException' }]);
    expect(s.containment).toBe('contained');
  });

  it('scenario 3: credentials used outside AWS; sessions revoked by the rule; the next call denied; verified contained', () => {
    const s = scenario(3);
    expect(types(3)).toContain('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
    expect(s.remediations).toContainEqual(expect.objectContaining({ playbook: 'revoke-role-sessions', status: 'succeeded', requestedBy: 'rule' }));
    expect(s.afterRemediation).toEqual([{ api: 'dynamodb:ListTables', errorCode: 'AccessDeniedException' }]);
    expect(s.containment).toBe('contained');
    expect(s.notifications.length).toBeGreaterThanOrEqual(2); // the finding, and the remediation's message
  });

  it('scenario 4: bucket logging and Block Public Access turned off', () => {
    expect(types(4)).toEqual(['Policy:S3/BucketBlockPublicAccessDisabled', 'Stealth:S3/ServerAccessLoggingDisabled']);
    expect(scenario(4).notifications.length).toBe(2);
  });

  it("makes no finding of the background activity or of Trailhound's own calls", () => {
    expect(lab.report.background.calls).toBeGreaterThan(20);
    expect(lab.report.background.findings).toEqual([]);
  });

  it('prints where the console is and the login, and the console shows the inbox', async () => {
    expect(lines.join('\n')).toContain(lab.consoleUrl);
    expect(lines.join('\n')).toContain(lab.login.password);
    const login = await fetch(`${lab.consoleUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: lab.consoleUrl },
      body: new URLSearchParams({ name: lab.login.user, password: lab.login.password }),
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = await (await fetch(`${lab.consoleUrl}/inbox`, { headers: { cookie } })).text();
    expect(page).toContain('GuardDuty Finding | ID:');
    expect(page).toContain('GuardDuty Remediation | ID:');
  });

  it('removes the temporary folder it made when it closes (run last)', async () => {
    const dir = /the lab's files \(trail bucket, database, configuration\) are in (\S+)/.exec(lines.join('\n'))?.[1] as string;
    expect(existsSync(dir)).toBe(true);
    await lab.close();
    expect(existsSync(dir)).toBe(false);
  });
});
