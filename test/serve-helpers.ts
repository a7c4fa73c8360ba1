import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword, newToken, tokenSha256 } from '../src/api/passwords.js';
import { type RunningServe, type ServeOptions, startServe } from '../src/cli/serve.js';
import { validateConfig } from '../src/pipeline/config.js';
import { tempDir } from './helpers.js';

export const WORKSHOP = join(import.meta.dirname, '..', 'examples', 'workshop');
export const PASSWORD = 'correct horse battery staple';

export interface TestServe extends RunningServe {
  dir: string;
  logs: string;
  db: string;
  /** Bearer tokens by role. */
  tokens: { viewer: string; responder: string; ingest: string };
  /** fetch against the service with a role's token. */
  api(path: string, init?: RequestInit & { as?: 'viewer' | 'responder' | 'ingest' | 'none' }): Promise<Response>;
}

let cachedHash: string | undefined;

/**
 * A real `serve` on 127.0.0.1 (any free port) over a copy of the workshop's logs, a SQLite file in a temp folder,
 * users `alice` (responder) and `victor` (viewer) with PASSWORD, and one token per role.
 */
export interface TestServeOptions {
  /** Configuration merged over the defaults (top-level keys). */
  config?: Record<string, unknown>;
  /** Keys merged into `serve:`. */
  serve?: Record<string, unknown>;
  dir?: string;
  copyLogs?: boolean;
  /** startServe's options other than the configuration. */
  options?: Omit<Partial<ServeOptions>, 'config'>;
}

export async function startTestServe(o: TestServeOptions = {}): Promise<TestServe> {
  const dir = o.dir ?? tempDir();
  const logs = join(dir, 'logs');
  if (o.copyLogs !== false) cpSync(join(WORKSHOP, 'logs'), logs, { recursive: true });
  cachedHash ??= await hashPassword(PASSWORD);
  const tokens = { viewer: newToken(), responder: newToken(), ingest: newToken() };
  const db = join(dir, 'trailhound.db');
  const config = validateConfig(
    {
      threatLists: [{ name: 'Example-Threat-List', path: join(WORKSHOP, 'threat-list.txt') }],
      db,
      detectors: { accounts: [{ id: '111122223333', egressAddresses: ['54.214.10.20'] }], globalServiceRegion: 'us-west-2' },
      ...o.config,
      serve: {
        users: [
          { name: 'alice', role: 'responder', passwordHash: cachedHash },
          { name: 'victor', role: 'viewer', passwordHash: cachedHash },
        ],
        tokens: Object.entries(tokens).map(([role, token]) => ({ name: `${role}-token`, role, sha256: tokenSha256(token) })),
        sources: [{ type: 'folder', name: 'logs', paths: [logs], intervalSeconds: 0.1, settleMs: 0 }],
        ...o.serve,
      },
    },
    'test',
  );
  const running = await startServe({ port: 0, log: () => {}, ...o.options, config });
  return {
    ...running,
    dir,
    logs,
    db,
    tokens,
    api(path, init = {}) {
      const { as = 'responder', ...rest } = init;
      const headers = new Headers(rest.headers);
      if (as !== 'none') headers.set('authorization', `Bearer ${tokens[as]}`);
      if (rest.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(`${running.url}${path}`, { ...rest, headers, redirect: 'manual' });
    },
  };
}

/** The JSON body of a response; a body that is not JSON fails with the status and the start of the text. */
export async function json<T = any>(r: Response | Promise<Response>): Promise<T> {
  const res = await r;
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${res.status}: ${text.slice(0, 300)}`);
  }
}
