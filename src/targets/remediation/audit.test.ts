import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../core/errors.js';
import { AuditLog, type NewAuditEntry } from './audit.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function entry(over: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    at: '2026-03-01T12:34:56.789Z',
    playbook: 'revoke-role-sessions',
    action: 'remediate',
    mode: 'execute',
    status: 'succeeded',
    findingId: 'f1',
    findingType: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    accountId: '111122223333',
    region: 'us-west-2',
    target: 'role/R',
    reason: 'why',
    calls: [{ service: 'iam', command: 'PutRolePolicy', input: { RoleName: 'R' }, sent: true }],
    result: { notes: [], notification: 'n' },
    rollback: { roleName: 'R' },
    rollsBack: null,
    ...over,
  };
}

describe('AuditLog', () => {
  it('appends and reads back entries with their calls, result and rollback data', () => {
    const log = new AuditLog(new Database(':memory:'));
    const a = log.append(entry());
    const b = log.append(entry({ findingId: 'f2', status: 'refused', rollback: null }));
    expect([a, b]).toEqual([1, 2]);
    expect(log.get(1)).toEqual({ seq: 1, ...entry() });
    expect(log.list({ findingId: 'f2' }).map((e) => e.seq)).toEqual([2]);
    expect(log.list()).toHaveLength(2);
    expect(log.get(3)).toBeUndefined();
  });

  it('is append-only: UPDATE and DELETE are refused by the database', () => {
    const db = new Database(':memory:');
    const log = new AuditLog(db);
    log.append(entry());
    expect(() => db.prepare("UPDATE remediation_audit SET status = 'failed'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM remediation_audit').run()).toThrow(/append-only/);
    expect(log.get(1)!.status).toBe('succeeded');
  });

  it('finds the last executed remediation with rollback data for a target', () => {
    const log = new AuditLog(new Database(':memory:'));
    log.append(entry({ rollback: { n: 1 } }));
    log.append(entry({ rollback: { n: 2 }, status: 'failed' }));
    log.append(entry({ mode: 'dry-run', status: 'planned', rollback: null }));
    log.append(entry({ status: 'refused', rollback: null }));
    log.append(entry({ target: 'role/other', rollback: { n: 9 } }));
    expect(log.lastExecuted('revoke-role-sessions', 'role/R')?.rollback).toEqual({ n: 2 });
    expect(log.lastExecuted('isolate-instance', 'role/R')).toBeUndefined();
  });

  it('opens a file path, keeps entries across opens, and reports a bad path as StoreError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'th-audit-'));
    dirs.push(dir);
    const path = join(dir, 'audit.db');
    const log = new AuditLog(path);
    log.append(entry());
    log.close();
    const again = new AuditLog(path);
    expect(again.list()).toHaveLength(1);
    again.close();
    expect(() => new AuditLog(join(dir, 'missing', 'dir', 'audit.db'))).toThrow(StoreError);
  });
});

describe('remediation target with an audit file', () => {
  it('opens the audit log at the configured path and closes it', async () => {
    const { createRemediationTarget } = await import('./target.js');
    const dir = mkdtempSync(join(tmpdir(), 'th-audit-'));
    dirs.push(dir);
    const path = join(dir, 'remediation.db');
    const t = createRemediationTarget('r', {
      playbook: 'revoke-role-sessions',
      audit: path,
      endpoints: { iam: 'http://127.0.0.1:1', ec2: 'http://127.0.0.1:2' },
      scope: { accounts: ['111122223333'], regions: ['us-west-2'] },
    });
    expect(t.auditLog().list()).toEqual([]);
    await t.close();
    expect(new AuditLog(path).list()).toEqual([]);
    expect(() => createRemediationTarget('r', { playbook: 'revoke-role-sessions', scope: { accounts: ['111122223333'], regions: ['us-west-2'] } })).toThrow(
      /audit: an audit log file is required/,
    );
  });
});
