import { describe, expect, it } from 'vitest';
import { wildcardMatch } from '../../core/glob.js';
import { decodePolicyDocument, revokeOlderSessionsPolicy, samePolicy, tokenIssueCutoff } from './policy.js';
import { instanceInScope, ScopeSchema } from './scope.js';

describe('revocation policy', () => {
  it('writes the console document, minified, with a second-precision Z cutoff rounded up', () => {
    expect(tokenIssueCutoff(Date.parse('2026-03-01T12:34:56.789Z'))).toBe('2026-03-01T12:34:57Z');
    expect(tokenIssueCutoff(Date.parse('2026-03-01T12:34:56.000Z'))).toBe('2026-03-01T12:34:56Z');
    expect(revokeOlderSessionsPolicy('2026-03-01T12:34:57Z')).toBe(
      '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-03-01T12:34:57Z"}}}}',
    );
  });

  it('compares documents as JSON, URL-encoded or not', () => {
    const doc = revokeOlderSessionsPolicy('2026-03-01T12:34:57Z');
    expect(decodePolicyDocument(encodeURIComponent(doc))).toBe(doc);
    expect(samePolicy(encodeURIComponent(JSON.stringify(JSON.parse(doc), null, 2)), doc)).toBe(true);
    expect(samePolicy(doc, revokeOlderSessionsPolicy('2026-03-01T12:34:58Z'))).toBe(false);
  });
});

describe('scope', () => {
  const scope = ScopeSchema.parse({
    accounts: ['111122223333'],
    regions: ['us-west-2'],
    instanceIds: ['i-0123456789abcdef0'],
    instanceTags: [{ key: 'Env', value: '*' }],
  });

  it('matches whole names with * and ?', () => {
    expect(wildcardMatch('GuardDuty-Example-*', 'GuardDuty-Example-EC2-Compromised')).toBe(true);
    expect(wildcardMatch('GuardDuty-Example-*', 'x-GuardDuty-Example-EC2')).toBe(false);
    expect(wildcardMatch('app-?', 'app-1')).toBe(true);
    expect(wildcardMatch('a.b', 'axb')).toBe(false);
  });

  it('allows an instance by id or by tag; unknown tags stay undecided', () => {
    expect(instanceInScope(scope, 'i-0123456789abcdef0', undefined)).toEqual({ ok: true });
    expect(instanceInScope(scope, 'i-0aaaaaaaaaaaaaaaa', [{ key: 'Env', value: 'prod' }])).toEqual({ ok: true });
    expect(instanceInScope(scope, 'i-0aaaaaaaaaaaaaaaa', undefined)).toBe('unknown');
    expect(instanceInScope(scope, 'i-0aaaaaaaaaaaaaaaa', [])).toMatchObject({ ok: false });
  });

  it('allows nothing by default: roles, users and instances need explicit entries', () => {
    const s = ScopeSchema.parse({ accounts: ['111122223333'], regions: ['us-west-2'] });
    expect(s).toMatchObject({ roles: [], users: [], instanceIds: [], instanceTags: [] });
    expect(() => ScopeSchema.parse({ accounts: ['111122223333'] })).toThrow();
  });
});
