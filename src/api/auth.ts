import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../core/clock.js';
import { verifyPassword } from './passwords.js';
import type { AppEnv, AuthApi, Caller, Role } from './services.js';

export const SESSION_COOKIE = 'th_session';

export interface AuthUser {
  name: string;
  role: 'viewer' | 'responder';
  passwordHash: string;
}

export interface AuthToken {
  name: string;
  role: Role;
  /** SHA-256 (hex) of the token. */
  sha256: string;
}

export interface AuthOptions {
  users: AuthUser[];
  tokens: AuthToken[];
  sessionHours: number;
  secureCookies: boolean;
  /** The origin browsers see, when it differs from the request's own (behind a proxy). */
  publicOrigin?: string;
  clock: Clock;
}

/** Paths reachable without credentials: the login form, the console's static assets, the health check. */
const PUBLIC = [/^\/login$/, /^\/assets\//, /^\/healthz$/];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Failed logins per user name before the name is locked for LOCK_MS (a slow-down for password guessing). */
const MAX_FAILURES = 5;
const LOCK_MS = 15 * 60_000;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authentication and CSRF protection for the API and the console.
 * - Browsers: local users with scrypt-hashed passwords log in and get a session cookie (HttpOnly, SameSite=Strict,
 *   Secure when configured). Sessions live in the database (only their SHA-256), so a restart keeps them.
 * - Scripts: `Authorization: Bearer <token>`; tokens are configured by their SHA-256. A token with role `ingest` can
 *   only post to the ingest endpoint.
 * - CSRF: a state-changing request on a session must come from our own origin (Sec-Fetch-Site / Origin) and carry
 *   the session's CSRF token (`x-csrf-token` header or `_csrf` form field). Bearer requests carry no ambient
 *   credential and need neither.
 */
export class Auth implements AuthApi {
  private users = new Map<string, AuthUser>();
  private tokens = new Map<string, AuthToken>();
  private failures = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly db: Database.Database,
    private readonly opts: AuthOptions,
  ) {
    for (const u of opts.users) this.users.set(u.name, u);
    for (const t of opts.tokens) this.tokens.set(t.sha256, t);
    db.exec(`CREATE TABLE IF NOT EXISTS sessions (
      id_sha256 TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
    db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(opts.clock.now());
  }

  middleware(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const path = new URL(c.req.url).pathname;
      const caller = this.fromBearer(c) ?? this.fromSession(c);
      if (!caller) {
        if (PUBLIC.some((p) => p.test(path))) {
          if (!SAFE_METHODS.has(c.req.method) && !this.sameOrigin(c)) return refuse(c, 403, 'cross-site request refused');
          c.set('csrf', '');
          return next();
        }
        if (path.startsWith('/api/') || path === '/metrics') {
          c.header('WWW-Authenticate', 'Bearer realm="trailhound"');
          return c.json({ error: 'authentication required' }, 401);
        }
        if (!SAFE_METHODS.has(c.req.method)) return refuse(c, 401, 'authentication required');
        const target = `${path}${new URL(c.req.url).search}`;
        return c.redirect(`/login?next=${encodeURIComponent(target)}`, 303);
      }
      const { caller: who, csrf } = caller;
      if (who.role === 'ingest' && !(path === '/api/v1/ingest' && c.req.method === 'POST'))
        return refuse(c, 403, 'an ingest token can only post events to /api/v1/ingest');
      if (who.via === 'session' && !SAFE_METHODS.has(c.req.method)) {
        if (!this.sameOrigin(c)) return refuse(c, 403, 'cross-site request refused');
        const presented = c.req.header('x-csrf-token') ?? (await formField(c, '_csrf'));
        if (!presented || !sameSecret(presented, csrf)) return refuse(c, 403, 'missing or wrong CSRF token');
      }
      c.set('caller', who);
      c.set('csrf', csrf);
      return next();
    };
  }

  async login(c: Context<AppEnv>, name: string, password: string): Promise<boolean> {
    const now = this.opts.clock.now();
    const failed = this.failures.get(name);
    if (failed && failed.count >= MAX_FAILURES && failed.until > now) return false;
    const user = this.users.get(name);
    // Verify against a fixed hash when the user does not exist, so the answer takes as long either way.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!ok || !user) {
      const f = failed && failed.until > now ? failed : { count: 0, until: 0 };
      this.failures.set(name, { count: f.count + 1, until: now + LOCK_MS });
      return false;
    }
    this.failures.delete(name);
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    const maxAge = Math.round(this.opts.sessionHours * 3600);
    this.db
      .prepare('INSERT INTO sessions (id_sha256, user, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(sha256(id), user.name, csrf, now, now + maxAge * 1000);
    setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: 'Strict', secure: this.opts.secureCookies, path: '/', maxAge });
    c.set('caller', { name: user.name, role: user.role, via: 'session' });
    c.set('csrf', csrf);
    return true;
  }

  logout(c: Context<AppEnv>): void {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) this.db.prepare('DELETE FROM sessions WHERE id_sha256 = ?').run(sha256(id));
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: this.opts.secureCookies });
  }

  private fromBearer(c: Context<AppEnv>): { caller: Caller; csrf: string } | undefined {
    const header = c.req.header('authorization');
    if (!header?.startsWith('Bearer ')) return undefined;
    const token = this.tokens.get(sha256(header.slice(7).trim()));
    return token ? { caller: { name: token.name, role: token.role, via: 'token' }, csrf: '' } : undefined;
  }

  private fromSession(c: Context<AppEnv>): { caller: Caller; csrf: string } | undefined {
    const id = getCookie(c, SESSION_COOKIE);
    if (!id) return undefined;
    const row = this.db.prepare('SELECT user, csrf, expires_at FROM sessions WHERE id_sha256 = ?').get(sha256(id)) as
      | { user: string; csrf: string; expires_at: number }
      | undefined;
    if (!row || row.expires_at <= this.opts.clock.now()) return undefined;
    // The role is the configuration's of today: a user removed or demoted since the login loses it at once.
    const user = this.users.get(row.user);
    return user ? { caller: { name: user.name, role: user.role, via: 'session' }, csrf: row.csrf } : undefined;
  }

  /** A browser's state-changing request must come from our own origin; non-browser clients send neither header. */
  private sameOrigin(c: Context<AppEnv>): boolean {
    const site = c.req.header('sec-fetch-site');
    if (site && site !== 'same-origin') return false;
    const origin = c.req.header('origin');
    if (!origin) return true;
    const own = this.opts.publicOrigin ? new URL(this.opts.publicOrigin).origin : new URL(c.req.url).origin;
    return origin === own;
  }
}

export function hasRole(caller: Caller, role: 'viewer' | 'responder'): boolean {
  if (role === 'viewer') return caller.role === 'viewer' || caller.role === 'responder';
  return caller.role === 'responder';
}

async function formField(c: Context<AppEnv>, name: string): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return undefined;
  try {
    const body = await c.req.parseBody();
    const v = body[name];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function refuse(c: Context<AppEnv>, status: 401 | 403, message: string) {
  const path = new URL(c.req.url).pathname;
  if (path.startsWith('/api/') || (c.req.header('accept') ?? '').includes('application/json')) return c.json({ error: message }, status);
  return c.text(message, status);
}

/** scrypt of a random password: compared against when a user name is unknown. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
