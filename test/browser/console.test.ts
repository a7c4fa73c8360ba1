import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/api/passwords.js';
import { startServe } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/pipeline/config.js';

/**
 * The console in a real browser against the real service: `serve` started in-process on a folder source holding a
 * copy of the workshop's logs (plus one record whose user agent is an HTML payload), two users, dry-run remediation.
 * Screenshots go to test-artifacts/browser/<step>.png.
 */

const XSS = '<img src=x onerror=alert(1)>';
const SHOTS = resolve('test-artifacts/browser');
const RESPONDER = { name: 'alice', password: 'alice-responds-1' };
const VIEWER = { name: 'bob', password: 'bob-only-looks-1' };
const EXFIL = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';

/** A CloudTrail file: an IAM user's recon call from the threat-listed address, with a user agent that is markup. */
const xssTrail = {
  Records: [
    {
      eventVersion: '1.08',
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLEXSSUSER01',
        arn: 'arn:aws:iam::111122223333:user/xss-probe',
        accountId: '111122223333',
        accessKeyId: 'AKIAEXAMPLEXSS000001',
        userName: 'xss-probe',
      },
      eventTime: '2021-03-08T18:40:00Z',
      eventSource: 'ssm.amazonaws.com',
      eventName: 'DescribeParameters',
      awsRegion: 'us-west-2',
      sourceIPAddress: '203.0.113.10',
      userAgent: XSS,
      requestParameters: null,
      responseElements: null,
      requestID: '0b9a6a0e-6c3e-4f7e-9d55-4c1f7f0c0001',
      eventID: '0b9a6a0e-6c3e-4f7e-9d55-4c1f7f0c0002',
      readOnly: true,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: '111122223333',
      eventCategory: 'Management',
    },
  ],
};

let dir: string;
let server: Awaited<ReturnType<typeof startServe>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];
const cspViolations: string[] = [];
const pageErrors: string[] = [];

/** The rendered text of the first element matching (the pages are server-rendered: no waiting for scripts). */
async function textOf(l: Locator): Promise<string> {
  return (await l.first().textContent({ timeout: 5000 })) ?? '';
}

async function shot(step: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${step}.png`), fullPage: true });
}

async function login(p: Page, who: { name: string; password: string }, path = '/'): Promise<void> {
  await p.goto(`${server.url}${path}`);
  await p.waitForURL(/\/login\?next=/);
  await p.fill('input[name=name]', who.name);
  await p.fill('input[name=password]', who.password);
  await Promise.all([p.waitForURL((u) => !u.pathname.startsWith('/login')), p.click('button[type=submit]')]);
}

function watch(p: Page): void {
  p.setDefaultTimeout(10_000);
  p.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  p.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  p.on('pageerror', (e) => pageErrors.push(e.message));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trailhound-console-'));
  await mkdir(SHOTS, { recursive: true });
  const logs = join(dir, 'logs');
  await cp('examples/workshop/logs', logs, { recursive: true });
  await cp('examples/workshop/threat-list.txt', join(dir, 'threat-list.txt'));
  await writeFile(
    join(logs, 'AWSLogs/111122223333/CloudTrail/us-west-2/2021/03/08/111122223333_CloudTrail_us-west-2_20210308T1840Z_xss.json'),
    JSON.stringify(xssTrail),
  );
  const config = {
    db: join(dir, 'trailhound.db'),
    threatLists: [{ name: 'Example-Threat-List', path: join(dir, 'threat-list.txt') }],
    detectors: { accounts: [{ id: '111122223333', egressAddresses: ['54.214.10.20'], affiliated: true }], globalServiceRegion: 'us-west-2' },
    targets: {
      'revoke-sessions': {
        type: 'remediation',
        playbook: 'revoke-role-sessions',
        mode: 'dry-run',
        audit: join(dir, 'audit.db'),
        scope: { accounts: ['111122223333'], regions: ['us-west-2'], roles: ['GuardDuty-Example-*'] },
      },
      'deactivate-key': {
        type: 'remediation',
        playbook: 'deactivate-access-key',
        mode: 'dry-run',
        audit: join(dir, 'audit.db'),
        scope: { accounts: ['111122223333'], regions: ['us-west-2'], users: ['*'] },
      },
    },
    rules: [
      {
        name: 'exfiltration-to-revoke',
        eventPattern: { source: ['aws.guardduty'], detail: { type: [{ prefix: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration' }] } },
        targets: [{ id: 'revoke', target: 'revoke-sessions' }],
      },
    ],
    serve: {
      users: [
        { name: RESPONDER.name, role: 'responder', passwordHash: await hashPassword(RESPONDER.password) },
        { name: VIEWER.name, role: 'viewer', passwordHash: await hashPassword(VIEWER.password) },
      ],
      sources: [{ type: 'folder', name: 'workshop', paths: [logs], intervalSeconds: 0.2, settleMs: 0 }],
    },
  };
  // YAML is a superset of JSON: the file goes through the same loader as a real configuration.
  const configPath = join(dir, 'trailhound.yaml');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  server = await startServe({ config: await loadConfig(configPath), host: '127.0.0.1', port: 0, log: () => {} });
  await server.idle();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  watch(page);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('console in a browser', () => {
  it('logs in and lists the workshop findings', async () => {
    await page.goto(`${server.url}/findings`);
    await page.waitForURL(/\/login\?next=%2Ffindings/);
    await shot('01-login');
    await page.fill('input[name=name]', RESPONDER.name);
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[type=submit]');
    expect(await textOf(page.locator('.error'))).toBe('Wrong name or password.');
    await page.fill('input[name=password]', RESPONDER.password);
    await Promise.all([page.waitForURL(/\/findings$/), page.click('button[type=submit]')]);
    const table = page.locator('table.findings');
    for (const type of [
      EXFIL,
      'Recon:IAMUser/MaliciousIPCaller.Custom',
      'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
      'Discovery:S3/MaliciousIPCaller.Custom',
    ]) {
      await table.getByRole('link', { name: type, exact: true }).first().waitFor({ state: 'visible' });
    }
    expect(await textOf(page.locator('header .who'))).toContain('alice');
    expect(await textOf(page.locator('header .who'))).toContain('responder');
    // The packaged address databases' attribution (their licence asks for it wherever results are shown).
    expect(await textOf(page.locator('footer.attribution'))).toContain('db-ip.com');
    await shot('02-findings');
  });

  it('filters by severity and type (the selects submit themselves)', async () => {
    // A click, not check(): check() verifies the box afterwards, on whichever page the submission has loaded by then.
    await Promise.all([page.waitForURL(/severity=High/), page.click('input[name=severity][value=High]')]);
    expect(await page.isChecked('input[name=severity][value=High]')).toBe(true);
    const severities = await page.locator('table.findings tbody .sev').allTextContents();
    expect(severities.length).toBeGreaterThan(0);
    for (const s of severities) expect(s).toMatch(/^High /);
    await Promise.all([page.waitForURL(/severity=High&type=/), page.selectOption('select[name=type]', EXFIL)]);
    await page.locator('table.findings tbody tr').first().waitFor();
    await shot('03-filtered');
    expect(await page.locator('table.findings tbody tr').count()).toBe(1);
  });

  it('opens a finding and follows it to the principal activity', async () => {
    await Promise.all([page.waitForURL(/\/findings\/[0-9a-f]+$/), page.getByRole('link', { name: EXFIL, exact: true }).click()]);
    const main = page.locator('main');
    expect(await textOf(main.locator('h1'))).toBe(EXFIL);
    for (const text of [
      'ASIAEXAMPLEEXFIL0001',
      'GuardDuty-Example-EC2-Compromised',
      'i-0a1b2c3d4e5f67890',
      '198.51.100.23',
      'ListTables',
      'AccessDeniedException',
    ]) {
      expect(await textOf(main)).toContain(text);
    }
    await shot('04-finding');
    const detail = page.url();
    await Promise.all([page.waitForURL(/\/principal\?who=ASIAEXAMPLEEXFIL0001&window=1d/), page.getByRole('link', { name: 'last day' }).first().click()]);
    const events = page.locator('table.events tbody tr');
    expect(await events.count()).toBeGreaterThan(0);
    expect(await textOf(page.locator('table.events'))).toContain('ListTables');
    expect(await textOf(page.locator('main'))).toContain('2021-03-08 18:31:40 UTC');
    await shot('05-principal');
    await page.goto(detail);
  });

  it('plans a dry run of a playbook', async () => {
    const detail = page.url();
    const row = page.locator('tr', { hasText: 'revoke-sessions' });
    await Promise.all([page.waitForURL(/\/plan$/), row.getByRole('button', { name: 'Plan (dry run)' }).click()]);
    expect(await textOf(page.locator('h1'))).toContain('revoke-role-sessions');
    expect(await textOf(page.locator('main'))).toContain('iam:');
    expect(await textOf(page.locator('main'))).toContain('dry-run mode');
    expect(await page.getByRole('button', { name: 'Confirm and execute' }).count()).toBe(0);
    await shot('06-plan');
    await page.goto(`${server.url}/audit`);
    expect(await page.locator('table tbody tr[id^=audit-]').count()).toBeGreaterThan(0);
    expect(await textOf(page.locator('main table'))).toContain('revoke-role-sessions');
    await shot('06b-audit');
    await page.goto(detail);
  });

  it('archives the finding', async () => {
    await Promise.all([page.waitForURL(/\/findings\/[0-9a-f]+$/), page.getByRole('button', { name: 'Archive' }).click()]);
    expect(await textOf(page.locator('main .tag').first())).toBe('archived');
    await page.getByRole('button', { name: 'Unarchive' }).waitFor({ state: 'visible' });
    await page.goto(`${server.url}/findings`);
    expect(await page.getByRole('link', { name: EXFIL, exact: true }).count()).toBe(0);
    await page.goto(`${server.url}/findings?archived=archived`);
    expect(await page.getByRole('link', { name: EXFIL, exact: true }).count()).toBe(1);
    await shot('07-archived');
  });

  it('renders the summary chart', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('svg.chart').waitFor({ state: 'visible' });
    expect(await page.locator('svg.chart rect').count()).toBeGreaterThan(0);
    expect(await textOf(page.locator('svg.chart rect title').first())).toContain('2021-03-08');
    expect(await textOf(page.locator('.cards'))).toContain('High');
    await shot('08-summary');
  });

  it('shows a markup user agent as text, and nothing runs', async () => {
    await page.goto(`${server.url}/findings?resource=AKIAEXAMPLEXSS000001`);
    await Promise.all([page.waitForURL(/\/findings\/[0-9a-f]+$/), page.locator('table.findings tbody a').first().click()]);
    expect(await textOf(page.locator('main'))).toContain(XSS);
    expect(await page.locator('main img').count()).toBe(0);
    await Promise.all([page.waitForURL(/\/principal/), page.getByRole('link', { name: 'last hour' }).first().click()]);
    expect(await textOf(page.locator('table.events'))).toContain(XSS);
    expect(await page.locator('main img').count()).toBe(0);
    await shot('09-xss-as-text');
    expect(dialogs).toEqual([]);
  });

  it('a viewer sees no responder controls', async () => {
    const viewer = await browser.newPage();
    watch(viewer);
    try {
      await login(viewer, VIEWER, '/findings?archived=all');
      await Promise.all([viewer.waitForURL(/\/findings\/[0-9a-f]+$/), viewer.getByRole('link', { name: EXFIL, exact: true }).click()]);
      expect(await textOf(viewer.locator('header .who'))).toContain('viewer');
      expect(await viewer.getByRole('button', { name: /Archive|Unarchive|Plan/ }).count()).toBe(0);
      await viewer.screenshot({ path: join(SHOTS, '10-viewer.png'), fullPage: true });
      await Promise.all([viewer.waitForURL(/\/login$/), viewer.getByRole('button', { name: 'Log out' }).click()]);
      await viewer.goto(`${server.url}/audit`);
      await viewer.waitForURL(/\/login\?next=%2Faudit/);
    } finally {
      await viewer.close();
    }
  });

  it('no dialog, no CSP violation, no script error on any page', () => {
    expect(dialogs).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
