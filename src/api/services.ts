// CONTRACT (implemented in src/api/service-impl.ts by the API owner): what the HTTP API and the web console use.
import type { Clock } from '../core/clock.js';
import type { Finding } from '../core/finding.js';
import type { EventQuery, FindingStore, StoredEvent } from '../findings/store.js';
import type { SuppressionStore } from '../findings/suppression.js';
import type { AuditEntry } from '../targets/remediation/audit.js';
import type { PlaybookName } from '../targets/remediation/playbooks.js';
import type { RemediationResult } from '../targets/remediation/remediator.js';

export const ROLES = ['viewer', 'responder', 'ingest'] as const;
/** viewer: read everything; responder: viewer + archive, suppression rules, lists, remediation; ingest: POST /api/v1/ingest only (tokens). */
export type Role = (typeof ROLES)[number];

export interface Caller {
  name: string;
  role: Role;
  via: 'session' | 'token';
}

/** Hono context variables set by the authentication middleware (src/api/auth.ts) before any route runs. */
export interface AppEnv {
  Variables: {
    caller: Caller;
    /** The session's CSRF token (empty for token callers); forms post it as `_csrf`, scripts send `x-csrf-token`. */
    csrf: string;
    /** Attributions the data sources' licences ask for wherever results are shown (set by the console). */
    attribution?: string[];
    /** Pages beyond the standard ones (e.g. the lab's inbox), for the navigation (set by the console). */
    extraNav?: { href: string; label: string; key: string }[];
  };
}

export interface RuleInfo {
  name: string;
  state: 'ENABLED' | 'DISABLED';
  description: string;
  eventPattern: string;
  targets: Array<{ id: string; target: string; input: 'event' | 'Input' | 'InputPath' | 'InputTransformer' }>;
}

/** A configured target, settings summarised with secrets (URLs' paths and queries, passwords, tokens) removed. */
export interface TargetInfo {
  name: string;
  type: string;
  summary: string;
  /** For remediation targets. */
  playbook?: PlaybookName;
  mode?: 'dry-run' | 'execute';
}

export interface IntelListInfo {
  id: string;
  /** `threat` / `trusted`: lists of addresses; `domain`: threat lists of domain names (DNS findings). */
  kind: 'threat' | 'trusted' | 'domain';
  name: string;
  format: string;
  /** 'config' lists come from the configuration file and cannot be changed here; 'uploaded' ones can. */
  origin: 'config' | 'uploaded';
  active: boolean;
  entries: number;
  sha256: string;
  updatedAt: string;
  /**
   * Threat and domain lists: what the list feeds, and who decided it. Threat lists: `tor` (TorClient) or `threat` (the
   * .Custom findings); domain lists: `threat` (MaliciousDomainRequest.Custom), `c2` (C&CActivity.B!DNS) or `mining`
   * (BitcoinTool.B!DNS).
   */
  category?: 'threat' | 'tor' | 'c2' | 'mining';
  categoryFrom?: 'explicit' | 'name';
}

export interface RemediationOption {
  target: string;
  playbook: PlaybookName;
  /** The configured mode: only an `execute` target can be executed from the console or API; `dry-run` ones only plan. */
  mode: 'dry-run' | 'execute';
  /** Whether the playbook applies to this finding's resource (e.g. revoke-role-sessions needs an assumed role). */
  applicable: boolean;
  reason?: string;
}

/** An audit entry and the caller who asked for it through the console or API (absent for rule-driven runs). */
export type AuditRecord = AuditEntry & { requestedBy?: string };

export interface SourceStatus {
  name: string;
  kind: string;
  backlog: number;
  lastPollAt?: string;
  lastError?: string;
}

export interface Services {
  clock: Clock;
  store: FindingStore;
  suppression: SuppressionStore;
  events(q: EventQuery): StoredEvent[];
  rules(): RuleInfo[];
  targets(): TargetInfo[];
  lists: {
    list(): IntelListInfo[];
    /**
     * Parses (any GuardDuty format, given or detected from the content) and stores; throws an error naming each bad line.
     * `category` (threat lists: `threat` or `tor`; domain lists: `threat`, `c2` or `mining`; trusted lists: none);
     * absent, the list's name decides (intel/categories.ts). An active list feeds detection at once.
     */
    upload(kind: 'threat' | 'trusted' | 'domain', name: string, text: string, format?: string, category?: string): IntelListInfo;
    setActive(id: string, active: boolean): IntelListInfo;
    remove(id: string): boolean;
  };
  remediation: {
    options(finding: Finding): RemediationOption[];
    /** Dry run: plans the calls and audits the plan, sends nothing. */
    plan(findingId: string, target: string, actor: string): Promise<RemediationResult>;
    /** Executes (only on targets whose mode is `execute`); throws UsageError otherwise. */
    execute(findingId: string, target: string, actor: string): Promise<RemediationResult>;
    /** `target` names the remediation target whose log holds the entry (needed only when logs in different files share the number). */
    rollback(auditSeq: number, mode: 'dry-run' | 'execute', actor: string, target?: string): Promise<RemediationResult>;
    /** Every audit log's entries once (targets sharing a file share a log), newest first, with who asked when known. */
    audit(filter?: { findingId?: string }): AuditRecord[];
  };
  /** The service's sources and their state (for the console's status line). */
  sources(): SourceStatus[];
  /** Attributions of the address databases in use (their licences ask for them wherever results are shown). */
  attribution(): string[];
}

/** Session handling the console's login form uses (implemented in src/api/auth.ts). */
export interface AuthApi {
  /** Checks the password; on success creates a session and sets its cookie (HttpOnly, SameSite=Strict) on `c`. */
  login(c: import('hono').Context<AppEnv>, name: string, password: string): Promise<boolean>;
  /** Ends the caller's session and clears the cookie. */
  logout(c: import('hono').Context<AppEnv>): void;
}
