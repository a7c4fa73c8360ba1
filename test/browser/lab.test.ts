import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLab, runLab } from '../../src/lab/run.js';

/**
 * `trailhound lab` as a person uses it: the lab runs the attacks and waits; the analyst logs into the console, opens
 * scenario 2's finding, plans and executes the deactivate-key playbook in a real browser; the attacker's next call then
 * fails authentication and the finding is verified contained. The inbox shows the workshop's e-mails.
 */
const SHOTS = resolve('test-artifacts/browser');
const lines: string[] = [];
let running: Promise<RunningLab>;
/** Stops the lab's wait for the analyst when a test fails before the key is deactivated. */
const stop = new AbortController();
let lab: RunningLab | undefined;
let browser: Browser;
let page: Page;
let consoleUrl = '';
let password = '';
let findingId = '';

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the lab said:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  running = runLab({ port: 0, signal: stop.signal, log: (m) => lines.push(m) });
  running.catch(() => {});
  const started = await until(
    'the console line',
    () => lines.map((l) => /console on (\S+) \(user analyst, password (\S+)\)/.exec(l)).find(Boolean) ?? undefined,
  );
  consoleUrl = started[1] as string;
  password = started[2] as string;
  const wait = await until(
    'scenario 2 to wait for the analyst',
    () => lines.map((l) => /scenario 2 waits for you: open \S+\/findings\/([0-9a-f]+)/.exec(l)).find(Boolean) ?? undefined,
  );
  findingId = wait[1] as string;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  page.setDefaultTimeout(15_000);
  page.on('dialog', (d) => void d.accept());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (!lab) stop.abort(new Error('the test ended'));
  lab ??= await running.catch(() => undefined);
  await lab?.close();
});

describe('the lab with an analyst at the console', () => {
  it('the analyst deactivates the key from the console; the attacker then fails authentication', async () => {
    await page.goto(`${consoleUrl}/findings/${findingId}`);
    await page.waitForURL(/\/login\?next=/);
    await page.fill('input[name=name]', 'analyst');
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForURL(/\/findings\/[0-9a-f]+$/), page.click('button[type=submit]')]);
    expect(await page.locator('h1').first().textContent()).toContain('MaliciousIPCaller.Custom');
    await page.screenshot({ path: join(SHOTS, 'lab-01-finding.png'), fullPage: true });
    const row = page.locator('tr', { hasText: 'deactivate-key' });
    await Promise.all([page.waitForURL(/\/plan$/), row.getByRole('button', { name: 'Plan (dry run)' }).click()]);
    expect(await page.locator('main').textContent()).toContain('UpdateAccessKey');
    await page.screenshot({ path: join(SHOTS, 'lab-02-plan.png'), fullPage: true });
    await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/plan')), page.getByRole('button', { name: 'Confirm and execute' }).click()]);
    expect(await page.locator('main').textContent()).toContain('succeeded');
    await page.screenshot({ path: join(SHOTS, 'lab-03-executed.png'), fullPage: true });

    lab = await running;
    const s2 = lab.report.scenarios.find((s) => s.id === 2);
    expect(s2?.remediations).toContainEqual(expect.objectContaining({ playbook: 'deactivate-access-key', status: 'succeeded', requestedBy: 'analyst' }));
    expect(s2?.afterRemediation).toEqual([{ api: 'dynamodb:ListTables', errorCode: 'UnrecognizedClientException' }]);
    expect(s2?.containment).toBe('contained');
    expect(lab.report.problems).toEqual([]);
  }, 90_000);

  it("the console's inbox shows the workshop's e-mails", async () => {
    await page.goto(`${consoleUrl}/inbox`);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('GuardDuty Finding');
    expect(await page.locator('main table tbody tr').count()).toBeGreaterThanOrEqual(8);
    await page.screenshot({ path: join(SHOTS, 'lab-04-inbox.png'), fullPage: true });
  });
});
