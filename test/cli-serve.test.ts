import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/api/passwords.js';
import { tempDir } from './helpers.js';
import { WORKSHOP } from './serve-helpers.js';

/** `trailhound serve` and `hash-password` through the built CLI (`npm test` builds dist/ first). */

const ROOT = join(import.meta.dirname, '..');
const cli = (args: string[], input?: string, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['bin/trailhound.js', ...args], { cwd: ROOT, encoding: 'utf8', input, env: { ...process.env, ...env }, timeout: 60_000 });

describe('trailhound serve (CLI)', () => {
  it('runs the example service config over the workshop logs with --once and exits 0', () => {
    const dir = tempDir();
    for (const f of ['serve.yaml', 'threat-list.txt']) cpSync(join(WORKSHOP, f), join(dir, f));
    cpSync(join(WORKSHOP, 'logs'), join(dir, 'logs'), { recursive: true });
    const r = cli(['serve', '--config', join(dir, 'serve.yaml'), '--once', '--port', '0']);
    expect(r.stderr).toMatch(/serving on http:\/\/127\.0\.0\.1:\d+/);
    expect(r.status).toBe(0);
    const db = new Database(join(dir, 'serve.db'), { readonly: true });
    try {
      const types = (db.prepare('SELECT DISTINCT type FROM findings ORDER BY type').all() as Array<{ type: string }>).map((t) => t.type);
      expect(types).toEqual(
        expect.arrayContaining([
          'Recon:IAMUser/MaliciousIPCaller.Custom',
          'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
          'Stealth:S3/ServerAccessLoggingDisabled',
          'Policy:S3/BucketBlockPublicAccessDisabled',
        ]),
      );
    } finally {
      db.close();
    }
  });

  it('reports every configuration error with its path before starting', () => {
    const dir = tempDir();
    const path = join(dir, 'bad.yaml');
    writeFileSync(
      path,
      [
        'db: t.db',
        'serve:',
        '  port: 99999',
        '  users: [{ name: alice, role: admin, passwordHash: plain }]',
        '  tokens: [{ name: ci, role: viewer }]',
        '  sources: [{ type: folder, name: a, paths: [] }, { type: s3, name: a, bucket: "Bad_Bucket" }, { type: ftp, name: c }]',
      ].join('\n'),
    );
    const r = cli(['serve', '--config', path]);
    expect(r.status).toBe(2);
    for (const p of [
      'serve.port',
      'serve.users.0.role',
      'serve.users.0.passwordHash',
      'serve.tokens.0.sha256',
      'serve.sources.0.paths',
      'serve.sources.1.bucket',
      'serve.sources.2.type',
    ])
      expect(r.stderr).toContain(`- ${p}:`);
    expect(r.stderr).not.toMatch(/serving on/);
  });

  it('refuses to start when a token variable is unset, naming it', () => {
    const dir = tempDir();
    const path = join(dir, 'c.yaml');
    writeFileSync(path, `db: ${join(dir, 't.db')}\nserve:\n  tokens: [{ name: ci, role: ingest, env: TH_TEST_TOKEN_UNSET }]\n`);
    const r = cli(['serve', '--config', path, '--port', '0'], undefined, { TH_TEST_TOKEN_UNSET: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('serve.tokens.0.env: the variable TH_TEST_TOKEN_UNSET is not set');
  });
});

describe('trailhound hash-password', () => {
  it('hashes a password from standard input (scrypt), verifiable and salted', async () => {
    const a = cli(['hash-password'], 'a long enough password\n');
    const b = cli(['hash-password'], 'a long enough password\n');
    expect(a.status).toBe(0);
    const hash = a.stdout.trim();
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hash).not.toBe(b.stdout.trim());
    expect(await verifyPassword('a long enough password', hash)).toBe(true);
    expect(await verifyPassword('a long enough passwore', hash)).toBe(false);
    expect(cli(['hash-password'], 'short\n').status).toBe(2);
  });

  it('makes an API token and prints its sha256', () => {
    const r = cli(['hash-password', '--token']);
    const token = /token:\s+(\S+)/.exec(r.stdout)?.[1] as string;
    const sha = /sha256:\s+([0-9a-f]{64})/.exec(r.stdout)?.[1];
    expect(token).toMatch(/^th_[A-Za-z0-9_-]{43}$/);
    expect(sha).toBe(createHash('sha256').update(token).digest('hex'));
  });
});
