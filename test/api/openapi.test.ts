import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { tokenSha256 } from '../../src/api/passwords.js';
import type { AppEnv } from '../../src/api/services.js';
import { composeServe, type ServeComposition } from '../../src/cli/serve.js';
import { validateConfig } from '../../src/pipeline/config.js';
import { tempDir } from '../helpers.js';

/**
 * docs/openapi.yaml against the app: the document is a well-formed OpenAPI 3.1 description, and it documents exactly
 * the routes createApp registers under /api/v1 plus /healthz and /metrics (a route added without documentation, or a
 * documented route removed from the app, fails here).
 */

type Json = Record<string, any>;

const require = createRequire(import.meta.url);
// ajv and ajv-formats are CommonJS (see test/schema.ts).
const { Ajv2020 } = require('ajv/dist/2020') as typeof import('ajv/dist/2020.js');
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;

const DOC_PATH = new URL('../../docs/openapi.yaml', import.meta.url);
const doc = parseYaml(readFileSync(DOC_PATH, 'utf8')) as Json;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const TOKEN = 'openapi-test-token-0123456789';

interface Operation {
  method: string;
  path: string;
  pathItem: Json;
  op: Json;
}

function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, pathItem] of Object.entries(doc.paths as Json)) {
    for (const method of METHODS) if (pathItem[method]) out.push({ method, path, pathItem, op: pathItem[method] });
  }
  return out;
}

/** The absolute path of a documented path: the path item's server (if any) or the document's, joined. */
function absolutePath(path: string, pathItem: Json): string {
  const base: string = pathItem.servers?.[0]?.url ?? doc.servers[0].url;
  return `${base.replace(/\/$/, '')}${path}`;
}

function resolvePointer(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

function collectRefs(node: unknown, at: string, out: Array<{ at: string; ref: string }>): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => {
      collectRefs(v, `${at}/${i}`, out);
    });
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push({ at, ref: v });
      else collectRefs(v, `${at}/${k}`, out);
    }
  }
}

/**
 * A validator for a schema of the document (OpenAPI 3.1 schemas are JSON Schema 2020-12): the component schemas are
 * added to ajv as one schema's `$defs`, references rewritten to match; strict, so a misspelt keyword fails.
 */
function schemaValidator() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addKeyword('externalDocs');
  ajv.addSchema({ $id: DOC_ID, $defs: absoluteRefs(doc.components.schemas) });
  return (schema: Json) => ajv.compile({ ...(absoluteRefs(schema) as Json), $id: `${DOC_ID}:${++compiledSchemas}` });
}
const DOC_ID = 'urn:trailhound:openapi';
let compiledSchemas = 0;

/** A copy of a schema whose references to `#/components/schemas/X` point at `X` in the schema added to ajv. */
function absoluteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(absoluteRefs);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
        ? `${DOC_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`
        : absoluteRefs(v),
    ]),
  );
}

/** The documented JSON schema of a response. */
function responseSchema(path: string, method: string, status: string): Json {
  const response = deref(doc.paths[path][method].responses[status]);
  return response.content['application/json'].schema;
}

/** A parameter object, following a $ref. */
function deref(p: Json): Json {
  return typeof p.$ref === 'string' ? (resolvePointer(p.$ref) as Json) : p;
}

describe('docs/openapi.yaml is an OpenAPI 3.1 document', () => {
  it('has openapi 3.1.x, info, servers and paths', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info?.title).toBe('string');
    expect(typeof doc.info?.version).toBe('string');
    expect(doc.servers?.[0]?.url).toBe('/api/v1');
    expect(Object.keys(doc.paths ?? {}).length).toBeGreaterThan(0);
    for (const path of Object.keys(doc.paths)) expect(path, path).toMatch(/^\/[^\s?#]*$/);
  });

  it('gives every operation a unique operationId, tags, a summary and responses with a description', () => {
    const seen = new Map<string, string>();
    for (const { method, path, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(typeof op.operationId, where).toBe('string');
      expect(seen.get(op.operationId), `${where}: operationId ${op.operationId} is also used by`).toBeUndefined();
      seen.set(op.operationId, where);
      expect(typeof op.summary, where).toBe('string');
      expect(Array.isArray(op.tags) && op.tags.length > 0, `${where}: tags`).toBe(true);
      const responses = Object.entries((op.responses ?? {}) as Json);
      expect(responses.length, `${where}: responses`).toBeGreaterThan(0);
      for (const [status, r] of responses) {
        expect(status, where).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        expect(typeof deref(r).description, `${where} ${status}: description`).toBe('string');
      }
    }
  });

  it('states the role each /api/v1 operation needs, and uses only declared security schemes', () => {
    const schemes = Object.keys(doc.components?.securitySchemes ?? {});
    expect(schemes).toEqual(expect.arrayContaining(['bearerAuth', 'sessionCookie', 'csrfHeader']));
    for (const { method, path, pathItem, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!pathItem.servers) expect(op.description ?? '', `${where}: role`).toMatch(/\b(viewer|responder|ingest|any authenticated)\b/i);
      for (const requirement of (op.security ?? doc.security) as Json[]) for (const name of Object.keys(requirement)) expect(schemes, where).toContain(name);
      // A state-changing request on a session needs the CSRF header, so every session requirement must include it.
      if (method !== 'get' && method !== 'head' && method !== 'options') {
        for (const requirement of (op.security ?? doc.security) as Json[]) {
          if ('sessionCookie' in requirement) expect(Object.keys(requirement), `${where}: CSRF`).toContain('csrfHeader');
        }
      }
    }
  });

  it('declares exactly the path parameters of each path template', () => {
    for (const { method, path, pathItem, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const params = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].map(deref);
      for (const p of params) {
        expect(['query', 'header', 'path', 'cookie'], where).toContain(p.in);
        expect(typeof p.name, where).toBe('string');
        if (p.in === 'path') expect(p.required, `${where}: path parameter ${p.name} must be required`).toBe(true);
      }
      const declared = params
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      expect(declared, where).toEqual(inTemplate);
    }
  });

  it('resolves every $ref within the document', () => {
    const refs: Array<{ at: string; ref: string }> = [];
    collectRefs(doc, '#', refs);
    expect(refs.length).toBeGreaterThan(0);
    const broken = refs.filter((r) => resolvePointer(r.ref) === undefined).map((r) => `${r.at}: ${r.ref}`);
    expect(broken).toEqual([]);
  });

  it('has schemas (components, parameters, bodies, responses) that compile as JSON Schema 2020-12 (strict)', () => {
    const validator = schemaValidator();
    for (const name of Object.keys(doc.components.schemas)) expect(() => validator({ $ref: `#/components/schemas/${name}` }), name).not.toThrow();
    const inline: Array<{ at: string; schema: Json }> = [];
    const collect = (node: unknown, at: string) => {
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (k === 'schema' && v !== null && typeof v === 'object' && !Array.isArray(v)) inline.push({ at: `${at}/schema`, schema: v as Json });
        else collect(v, `${at}/${k}`);
      }
    };
    collect(doc.paths, '#/paths');
    collect(doc.components.parameters, '#/components/parameters');
    collect(doc.components.responses, '#/components/responses');
    expect(inline.length).toBeGreaterThan(50);
    for (const { at, schema } of inline) expect(() => validator(schema), at).not.toThrow();
  });

  it('describes real findings: the golden workshop findings validate against Finding', () => {
    const validate = schemaValidator()({ $ref: '#/components/schemas/Finding' });
    const findings = JSON.parse(readFileSync(new URL('../golden/workshop-findings.json', import.meta.url), 'utf8')) as unknown[];
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) expect(validate(f) ? [] : validate.errors).toEqual([]);
  });

  it('documents the component schemas the API returns', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Finding', 'FindingPage', 'SuppressionRule', 'IntelList', 'RemediationResult', 'AuditEntry', 'StoredEvent', 'Summary', 'Error']),
    );
  });
});

describe('docs/openapi.yaml documents exactly the routes of createApp', () => {
  let app: Hono<AppEnv>;
  let composition: ServeComposition;

  // The app exactly as `serve` composes it (console mounted), neither listening nor polling.
  beforeAll(async () => {
    const config = validateConfig(
      { db: join(tempDir(), 'openapi.db'), serve: { tokens: [{ name: 'reader', role: 'viewer', sha256: tokenSha256(TOKEN) }] } },
      'openapi test',
    );
    composition = await composeServe({ config, env: {}, log: () => {} });
    app = composition.app;
  });

  afterAll(async () => {
    await composition?.shutdown();
  });

  /** `METHOD /path` of the app's API routes, hono's `:param` written `{param}`; middleware (ALL) and the console left out. */
  function appRoutes(): string[] {
    const routes = new Set<string>();
    for (const r of app.routes) {
      if (r.method === 'ALL') continue;
      if (!(r.path.startsWith('/api/v1/') || r.path === '/healthz' || r.path === '/metrics')) continue;
      routes.add(`${r.method.toUpperCase()} ${r.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}')}`);
    }
    return [...routes].sort();
  }

  function documentedRoutes(): string[] {
    return operations()
      .map(({ method, path, pathItem }) => `${method.toUpperCase()} ${absolutePath(path, pathItem)}`)
      .sort();
  }

  it('finds the API routes in the app', () => {
    const routes = appRoutes();
    expect(routes).toContain('GET /api/v1/findings');
    expect(routes).toContain('GET /healthz');
    expect(routes.length).toBeGreaterThan(20);
  });

  it('has no undocumented route and no documented route the app lacks', () => {
    const routes = appRoutes();
    const documented = documentedRoutes();
    expect({
      undocumented: routes.filter((r) => !documented.includes(r)),
      documentedButNotInApp: documented.filter((r) => !routes.includes(r)),
    }).toEqual({ undocumented: [], documentedButNotInApp: [] });
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('serves this document at /api/v1/openapi.json', async () => {
    const res = await app.request('/api/v1/openapi.json', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(doc);
  });

  it('answers GET requests with bodies that validate against the documented schemas', async () => {
    const validator = schemaValidator();
    const cases: Array<[url: string, path: string]> = [
      ['/healthz', '/healthz'],
      ['/api/v1/findings?archived=all&sort=lastSeen', '/findings'],
      ['/api/v1/findings/export?format=guardduty', '/findings/export'],
      ['/api/v1/summary?days=3', '/summary'],
      ['/api/v1/filters', '/filters'],
      ['/api/v1/events?principal=alice', '/events'],
      ['/api/v1/rules', '/rules'],
      ['/api/v1/targets', '/targets'],
      ['/api/v1/lists', '/lists'],
      ['/api/v1/remediation/audit', '/remediation/audit'],
      ['/api/v1/status', '/status'],
      ['/api/v1/actions?limit=5', '/actions'],
    ];
    for (const [url, path] of cases) {
      const res = await app.request(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status, url).toBe(200);
      const validate = validator(responseSchema(path, 'get', '200'));
      const body = await res.json();
      expect(validate(body) ? [] : validate.errors, url).toEqual([]);
    }
    const bad = await app.request('/api/v1/findings?sort=nope', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bad.status).toBe(400);
    const validate = validator(responseSchema('/findings', 'get', '400'));
    expect(validate(await bad.json())).toBe(true);
  });

  it('answers as documented about authentication: /healthz public, the API 401 with {error}', async () => {
    const health = await app.request('/healthz');
    expect(health.status).toBe(200);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    const res = await app.request('/api/v1/findings');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="trailhound"');
    expect(await res.json()).toEqual({ error: 'authentication required' });
    const page = await app.request('/api/v1/findings?severity=high&limit=5', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(page.status).toBe(200);
    expect(await page.json()).toEqual({ findings: [], total: 0 });
  });
});
