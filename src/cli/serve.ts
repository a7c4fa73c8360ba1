import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type ServerType, serve as serveHttp } from '@hono/node-server';
import type { Hono } from 'hono';
import { createApp } from '../api/app.js';
import { Auth, type AuthToken } from '../api/auth.js';
import { tokenSha256 } from '../api/passwords.js';
import { createServices, type ServicesImpl } from '../api/service-impl.js';
import type { AppEnv } from '../api/services.js';
import { type Clock, systemClock } from '../core/clock.js';
import { ConfigError, UsageError } from '../core/errors.js';
import type { DetectContext } from '../detectors/types.js';
import { FindingStore } from '../findings/store.js';
import { ListStore } from '../intel/list-store.js';
import { type ListChange, watchDomainList, watchList } from '../intel/threat-list.js';
import { buildBus } from '../pipeline/bus.js';
import { type Config, listSpec, type SourceConfig } from '../pipeline/config.js';
import { buildContext, type ConfigLists } from '../pipeline/context.js';
import { Ingestor } from '../pipeline/ingest.js';
import { Metrics } from '../pipeline/metrics.js';
import { Service, type ServiceOptions } from '../pipeline/service.js';
import { CheckpointStore } from '../sources/checkpoint.js';
import { FolderSource } from '../sources/folder-watch.js';
import { S3Source } from '../sources/s3.js';
import type { LogSource } from '../sources/source.js';
import { SqsS3Source } from '../sources/sqs.js';
import type { RemediationOverrides } from '../targets/remediation/target.js';
import { type ConsoleExtras, mountConsole } from '../web/console.js';

export interface ServeOptions {
  config: Config;
  /** Override the configuration's listen address (tests use port 0: any free port). */
  host?: string;
  port?: number;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
  /** AWS clients for the S3 and SQS sources (tests inject mocked ones); otherwise built per source from its settings. */
  aws?: { s3?: S3Client; sqs?: SQSClient };
  remediation?: RemediationOverrides;
  /** Called after each committed batch of a source. */
  onBatch?: ServiceOptions['onBatch'];
  /** Pages a composition adds to the console (the lab's inbox). */
  console?: ConsoleExtras;
}

export interface RunningServe {
  url: string;
  services: ServicesImpl;
  service: Service;
  /** Resolves when every source has polled and found nothing new, and deliveries due are sent. */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Everything `serve` runs, built and validated but not yet listening or polling. */
export interface ServeComposition {
  app: Hono<AppEnv>;
  services: ServicesImpl;
  service: Service;
  /** Stops the loops, closes targets, AWS clients and the database. */
  shutdown(): Promise<void>;
}

/**
 * Builds the service from a validated configuration: detection context, store, bus (every remediation target
 * connected, for the console), sources, ingestor, authentication, the API and the console on one hono app.
 */
export async function composeServe(o: ServeOptions): Promise<ServeComposition> {
  const { config } = o;
  const clock = o.clock ?? systemClock;
  const env = o.env ?? process.env;
  const log = o.log ?? ((m: string) => process.stderr.write(`trailhound: ${m}\n`));
  if (!config.db) throw new UsageError('serve needs a database: set db: in the configuration');
  const tokens = resolveTokens(config, env);
  if (config.serve.users.length === 0 && tokens.length === 0) log('no users or tokens are configured: nobody can use the console or the API');

  // The configuration's list files are watched: a changed file is reloaded and the index rebuilt, while detection
  // state (aggregates, instance credentials) stays; a file that no longer parses leaves the previous list in force.
  let services: ServicesImpl | undefined;
  const reload = (kind: string) => (change: ListChange<{ name: string; sha256: string }>) => {
    if ('error' in change) log(`${kind} list not reloaded (the previous one stays in force): ${change.error.message}`);
    else {
      log(`${kind} list ${change.list.name} reloaded (sha256 ${change.list.sha256})`);
      services?.reloadIntel();
    }
  };
  const watch = { intervalMs: config.serve.reloadListsSeconds * 1000 };
  const [threatW, trustedW, domainW] = await Promise.all([
    Promise.all(config.threatLists.map((l) => watchList(listSpec(l), reload('threat'), watch))),
    Promise.all(config.trustedLists.map((l) => watchList(l, reload('trusted'), watch))),
    Promise.all(config.threatDomainLists.map((l) => watchDomainList(listSpec(l), reload('domain'), watch))),
  ]);
  const watchers = [...threatW, ...trustedW, ...domainW];
  const configLists: ConfigLists = {
    get threat() {
      return threatW.map((w) => w.current);
    },
    get trusted() {
      return trustedW.map((w) => w.current);
    },
    get domains() {
      return domainW.map((w) => w.current);
    },
  };
  let ctx: DetectContext;
  try {
    ctx = await buildContext(config, env, log, configLists);
    // A long-running service opens the address databases once, now, so that a bad path stops it before it starts.
    await ctx.enrichment?.load();
  } catch (err) {
    for (const w of watchers) w.stop();
    throw err;
  }
  const store = new FindingStore(config.db);
  const clients: Array<{ destroy(): void }> = [];
  try {
    const checkpoints = new CheckpointStore(store.db);
    const bus = buildBus(config, store, { clock, env, connectAll: true, ...(o.remediation ? { remediation: o.remediation } : {}) });
    const metrics = new Metrics();
    const ingestor = new Ingestor(store, ctx, clock, checkpoints, bus, metrics, log);
    const sources = config.serve.sources.map((s) => ({
      source: buildSource(s, checkpoints, clock, o.aws, clients),
      kind: s.type,
      intervalMs: s.intervalSeconds * 1000,
    }));
    const service = new Service({
      store,
      ingestor,
      bus,
      sources,
      clock,
      metrics,
      batchObjects: config.serve.batchObjects,
      retentionMs: config.serve.retentionDays * 86_400_000,
      log,
      ...(o.onBatch ? { onBatch: o.onBatch } : {}),
    });
    const auth = new Auth(store.db, {
      users: config.serve.users,
      tokens,
      sessionHours: config.serve.sessionHours,
      secureCookies: config.serve.secureCookies,
      ...(config.serve.publicOrigin ? { publicOrigin: config.serve.publicOrigin } : {}),
      clock,
    });
    const s = createServices({
      config,
      store,
      clock,
      ctx,
      lists: new ListStore(store.db),
      configLists,
      targets: bus.targets,
      sources: () => service.status(),
    });
    services = s;
    const app = createApp({
      services: s,
      auth,
      metrics,
      service,
      maxIngestBytes: config.serve.maxIngestBytes,
      mount: (a) => mountConsole(a, s, auth, o.console ?? {}),
    });
    return {
      app,
      services: s,
      service,
      async shutdown() {
        for (const w of watchers) w.stop();
        await service.stop();
        await bus.close();
        for (const c of clients) c.destroy();
        store.close();
      },
    };
  } catch (err) {
    for (const w of watchers) w.stop();
    for (const c of clients) c.destroy();
    store.close();
    throw err;
  }
}

/**
 * `trailhound serve`: the pipeline as a long-running service (sources → detection → findings → bus → targets), with
 * the HTTP API and the console on one port. Everything is validated and loaded before the port opens.
 */
export async function startServe(o: ServeOptions): Promise<RunningServe> {
  const log = o.log ?? ((m: string) => process.stderr.write(`trailhound: ${m}\n`));
  const c = await composeServe(o);
  const host = o.host ?? o.config.serve.host;
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(c.app.fetch, host, o.port ?? o.config.serve.port);
  } catch (err) {
    await c.shutdown();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  c.service.start();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log(`serving on ${url} (${o.config.serve.sources.length} source(s), ${o.config.rules.length} rule(s))`);
  let closing: Promise<void> | undefined;
  return {
    url,
    services: c.services,
    service: c.service,
    idle: (timeoutMs) => c.service.idle(timeoutMs),
    close() {
      closing ??= (async () => {
        // Stop the loops first (synchronously flagged): the batch in hand is finished, no new one starts.
        const stopping = c.shutdown();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await stopping;
      })();
      return closing;
    },
  };
}

function listen(
  fetch: Parameters<typeof serveHttp>[0]['fetch'],
  hostname: string,
  port: number,
): Promise<ServerType & { address(): AddressInfo | string | null }> {
  return new Promise((resolve, reject) => {
    const server = serveHttp({ fetch, hostname, port }, () => resolve(server as never));
    server.once('error', reject);
  });
}

function resolveTokens(config: Config, env: NodeJS.ProcessEnv): AuthToken[] {
  const issues: Array<{ path: string; message: string }> = [];
  const tokens: AuthToken[] = [];
  config.serve.tokens.forEach((t, i) => {
    if (t.sha256) tokens.push({ name: t.name, role: t.role, sha256: t.sha256 });
    else {
      const value = env[t.env as string];
      if (!value || value.length < 20)
        issues.push({ path: `serve.tokens.${i}.env`, message: `the variable ${t.env} is not set or holds fewer than 20 characters` });
      else tokens.push({ name: t.name, role: t.role, sha256: tokenSha256(value) });
    }
  });
  if (issues.length > 0) throw new ConfigError('the environment', issues);
  return tokens;
}

function buildSource(s: SourceConfig, checkpoints: CheckpointStore, clock: Clock, aws: ServeOptions['aws'], clients: Array<{ destroy(): void }>): LogSource {
  const now = () => clock.now();
  switch (s.type) {
    case 'folder':
      return new FolderSource({ name: s.name, paths: s.paths, checkpoints, settleMs: s.settleMs, now });
    case 's3': {
      const s3 = aws?.s3 ?? track(clients, new S3Client({ region: s.region, ...(s.endpoint ? { endpoint: s.endpoint, forcePathStyle: true } : {}) }));
      return new S3Source({
        name: s.name,
        bucket: s.bucket,
        s3,
        checkpoints,
        now,
        lookbackDays: s.lookbackDays,
        logTypes: s.logTypes,
        ...(s.vpcs ? { vpcs: s.vpcs } : {}),
        ...(s.prefix !== undefined ? { prefix: s.prefix } : {}),
        ...(s.accounts ? { accounts: s.accounts } : {}),
        ...(s.regions ? { regions: s.regions } : {}),
        ...(s.organizationId ? { organizationId: s.organizationId } : {}),
        ...(s.startDate ? { startDate: s.startDate } : {}),
      });
    }
    case 'sqs': {
      const s3 = aws?.s3 ?? track(clients, new S3Client({ region: s.region, ...(s.endpoint ? { endpoint: s.endpoint, forcePathStyle: true } : {}) }));
      const sqs = aws?.sqs ?? track(clients, new SQSClient({ region: s.region, ...(s.endpoint ? { endpoint: s.endpoint } : {}) }));
      return new SqsS3Source({ name: s.name, queueUrl: s.queueUrl, sqs, s3, checkpoints, now, waitTimeSeconds: s.waitSeconds });
    }
  }
}

function track<T extends { destroy(): void }>(clients: Array<{ destroy(): void }>, client: T): T {
  clients.push(client);
  return client;
}
