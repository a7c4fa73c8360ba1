import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { tempDir } from '../helpers.js';

/** `trailhound lab --once --format json` through the built CLI (`npm test` builds dist/ first): the report contract. */
const ROOT = join(import.meta.dirname, '..', '..');
const { default: Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'trailhound.js'), 'lab', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('trailhound lab --once --format json', () => {
  it('writes exactly one JSON report, valid against its schema, and leaves nothing behind', async () => {
    const r = await run(['--once', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const schema = JSON.parse(readFileSync(join(ROOT, 'docs', 'lab-report.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.ok).toBe(true);
    expect(report.scenarios.map((s: { id: number }) => s.id)).toEqual([1, 2, 3, 4]);
    expect(report.durationMs).toBeLessThan(120_000);
    // The temporary folder is removed, and the console was on a free port (nothing stays open).
    const dir = /the lab's files \(trail bucket, database, configuration\) are in (\S+)/.exec(r.stderr)?.[1];
    expect(dir).toBeDefined();
    expect(existsSync(dir as string)).toBe(false);
    expect(r.stderr).not.toContain('127.0.0.1:8080');
  }, 120_000);

  it('refuses a --dir that is not empty and not a lab folder, and touches nothing in it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'keep.txt'), 'precious');
    const r = await run(['--once', '--format', 'json', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a lab folder');
    expect(readFileSync(join(dir, 'mine', 'keep.txt'), 'utf8')).toBe('precious');
  }, 60_000);

  it('a second run in the same lab folder starts clean and reports the same', async () => {
    const dir = join(tempDir(), 'lab');
    const first = await run(['--once', '--format', 'json', '--dir', dir]);
    const second = await run(['--once', '--format', 'json', '--dir', dir]);
    expect(second.code, second.stderr).toBe(0);
    const counts = (out: string) =>
      (JSON.parse(out).scenarios as { findings: { type: string; count: number }[] }[]).map((s) => s.findings.map((f) => `${f.type}#${f.count}`).sort());
    expect(counts(second.stdout)).toEqual(counts(first.stdout));
    expect(existsSync(join(dir, 'aws', 'credentials'))).toBe(true);
    // The configuration left in the folder can only ever remediate the lab: every remediation target names its endpoints.
    const config = parseYaml(readFileSync(join(dir, 'trailhound.yaml'), 'utf8')) as {
      targets: Record<string, { type: string; endpoints?: Record<string, string> }>;
    };
    const remediation = Object.values(config.targets).filter((t) => t.type === 'remediation');
    expect(remediation.length).toBe(3);
    for (const t of remediation)
      expect(t.endpoints).toEqual({ iam: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), ec2: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
  }, 120_000);
});
