import { readFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import pc from 'picocolors';
import { hashPassword, newToken, tokenSha256 } from '../api/passwords.js';
import { Outbox } from '../bus/outbox.js';
import { systemClock } from '../core/clock.js';
import { describeError, TrailhoundError, UsageError } from '../core/errors.js';
import { parseMinSeverity } from '../core/finding.js';
import { DETECTORS } from '../detectors/registry.js';
import { FindingStore } from '../findings/store.js';
import { BUNDLED_AWS_RANGES, resolveAwsRanges, updateAwsRanges, userAwsRangesPath } from '../intel/aws-ranges.js';
import { Enricher } from '../intel/enrich.js';
import { buildBus } from '../pipeline/bus.js';
import { type Config, defaultConfig, loadConfig } from '../pipeline/config.js';
import { buildContext } from '../pipeline/context.js';
import { runDetect } from '../pipeline/detect.js';
import { createTarget } from '../targets/registry.js';
import type { RemediationTarget } from '../targets/remediation/target.js';
import { parseDuration, parseTimeArg } from './duration.js';
import { eventsTable, findingsTable, safeText, table } from './render.js';
import { registerRespond } from './respond.js';
import { startServe } from './serve.js';
import { runTestPattern } from './test-pattern.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal: colours and progress are shown. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export const defaultIo = (): Io => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
  env: process.env,
});

/** Exit codes: 0 success, 1 some input was rejected (everything else was processed), 2 usage or configuration error. */
export const EXIT = { ok: 0, rejected: 1, usage: 2 } as const;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * A command group added by a later stage (the lab): imports flow downstream only, so `src/main.ts` hands the later
 * stages' commands to the CLI instead of the CLI importing them. `setExit` sets the process's exit code.
 */
export type CliExtension = (program: Command, io: Io, setExit: (code: number) => void) => void;

/** The CLI. Returns the exit code instead of exiting, so it can run in-process in tests. */
export async function main(argv: string[], io: Io = defaultIo(), extensions: CliExtension[] = []): Promise<number> {
  let exitCode: number = EXIT.ok;
  /** Colours only on a terminal, and never when NO_COLOR is set (no-color.org). */
  const colour = io.isTTY && !io.env.NO_COLOR;
  const program = new Command('trailhound')
    .description('Threat detection for AWS: CloudTrail in, GuardDuty-compatible findings out.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('detect')
    .description('Read CloudTrail logs (files, directories in the S3 layout, - for stdin), detect, and print findings.')
    .argument('<paths...>', 'files or directories; - reads standard input')
    .option('--threat-list <[NAME=]FILE>', 'a threat list (TXT: one address or CIDR per line); repeatable', collect, [])
    .option('--trusted-list <FILE>', 'a trusted list: no finding is made for these addresses; repeatable', collect, [])
    .option('--config <FILE>', 'configuration file (YAML or JSON)')
    .option('--db <FILE>', 'SQLite file that keeps findings and event history across runs')
    .option('--aws-ip-ranges <FILE>', 'AWS ip-ranges.json to use instead of the bundled or updated copy')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('table'))
    .option('--no-progress', 'never show progress on stderr')
    .option('--deliver-for <duration>', 'keep delivering (waiting out retries) this long after detection, e.g. 30s', '0s')
    .action(async (paths: string[], opts) => {
      const config = await effectiveConfig(opts);
      const deliverFor = parseDuration(opts.deliverFor);
      if (deliverFor === undefined) throw new UsageError(`--deliver-for: expected a duration such as 30s or 5m, got ${JSON.stringify(opts.deliverFor)}`);
      const ctx = await buildContext(config, io.env, (m) => io.stderr(`trailhound: warning: ${m}\n`));
      const store = config.db ? new FindingStore(config.db) : undefined;
      const hasRules = config.rules.some((r) => r.state === 'ENABLED');
      const showProgress = io.isTTY && opts.progress !== false && opts.format === 'table';
      try {
        const result = await runDetect({
          paths,
          ctx,
          clock: systemClock,
          ...(store ? { store } : {}),
          ...(hasRules ? { bus: (s: FindingStore) => buildBus(config, s, { clock: systemClock, env: io.env }), deliverForMs: deliverFor } : {}),
          ...(showProgress
            ? {
                onProgress: (p) => {
                  const rate = p.elapsedMs > 0 ? Math.round((p.events * 1000) / p.elapsedMs) : 0;
                  io.stderr(`\r${pc.createColors(colour).dim(`files ${p.filesDone}/${p.filesTotal}  events ${p.events}  ${rate} events/s`)}   `);
                },
              }
            : {}),
        });
        if (showProgress) io.stderr('\n');
        for (const r of result.rejected) io.stderr(`trailhound: rejected ${safeText(r.message, 1000)}\n`);
        if (opts.format === 'json') io.stdout(`${JSON.stringify(result.findings, null, 2)}\n`);
        else {
          io.stdout(`${findingsTable(result.findings, colour)}\n`);
          const s = result.stats;
          const undecided = s.engine.detectors['unauthorized-access-iam-user-instance-credential-exfiltration-inside-aws']?.undecided ?? 0;
          io.stderr(
            `${pc
              .createColors(colour)
              .dim(
                `${s.files} files, ${s.events} events (${s.duplicates} duplicates skipped), ${result.findings.length} findings, ` +
                  (s.flowRecords || s.dnsQueries
                    ? `of which ${s.flowRecords} VPC flow records (${s.flowNoData} NODATA, ${s.flowSkipData} SKIPDATA not counted) and ${s.dnsQueries} DNS queries, `
                    : '') +
                  `${s.rejectedFiles} files and ${s.rejectedRecords} records rejected, ${(s.elapsedMs / 1000).toFixed(1)} s. ` +
                  `AWS IP ranges of ${ctx.intel.awsRanges.createDate}.` +
                  (s.unparseableSources ? ` ${s.unparseableSources} events had a source that is not an address.` : '') +
                  (s.engine.trusted ? ` ${s.engine.trusted} events from trusted addresses.` : '') +
                  (undecided ? ` ${undecided} instance-credential calls from AWS addresses not judged (instance's own addresses unknown).` : ''),
              )}\n`,
          );
        }
        if (hasRules) {
          const d = result.deliveries;
          io.stderr(
            `${pc.createColors(colour).dim(`${result.published} finding events published; deliveries: ${d.delivered} delivered, ${d.retried} retried, ${d.pending} pending, ${d.dead} dead-lettered.`)}\n`,
          );
        }
        if (hasRules && !config.db && result.deliveries.pending + result.deliveries.dead > 0) {
          // Without a database the outbox lives in memory: say plainly what this run could not deliver.
          io.stderr(
            `trailhound: ${result.deliveries.pending} deliveries still pending and ${result.deliveries.dead} dead-lettered are lost with this run: use --db to keep them and retry\n`,
          );
          exitCode = EXIT.rejected;
        }
        if (result.rejected.length > 0) exitCode = EXIT.rejected;
      } finally {
        store?.close();
      }
    });

  program
    .command('findings')
    .description('List stored findings.')
    .requiredOption('--db <FILE>', 'SQLite file written by detect --db')
    .option('--type <TYPE>', 'only this finding type; repeatable', collect, [])
    .option('--min-severity <low|medium|high|critical|N>', 'only findings at least this severe')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('table'))
    .action((opts) => {
      let minSeverity: number | undefined;
      if (opts.minSeverity !== undefined) {
        minSeverity = parseMinSeverity(opts.minSeverity);
        if (minSeverity === undefined)
          throw new UsageError(`--min-severity: expected low, medium, high, critical or a number, got ${JSON.stringify(opts.minSeverity)}`);
      }
      const store = new FindingStore(opts.db);
      try {
        const findings = store.findings({ types: opts.type, ...(minSeverity !== undefined ? { minSeverity } : {}) });
        io.stdout(opts.format === 'json' ? `${JSON.stringify(findings, null, 2)}\n` : `${findingsTable(findings, colour)}\n`);
      } finally {
        store.close();
      }
    });

  const events = program
    .command('events')
    .description('Everything one principal did in a time window: the investigation question "what else did this user do?".')
    .option('--principal <arn|user|role|access-key>', 'a principal ARN, IAM user name, role name or ARN, or access key id')
    .option('--db <FILE>', 'SQLite file written by detect --db')
    .option('--since <1h|1d|ISO>', 'start: a duration before --until (or now), or an ISO time', '1d')
    .option('--until <ISO|duration>', 'end (default: now)')
    .option('--limit <N>', 'at most this many events', '10000')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('table'))
    .action((opts) => {
      if (!opts.principal || !opts.db) throw new UsageError('events: --principal and --db are required (or use events test-pattern)');
      const now = systemClock.now();
      const until = opts.until ? parseTimeArg(opts.until, now, '--until') : now;
      const since = parseTimeArg(opts.since, until, '--since');
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: expected a positive whole number, got ${JSON.stringify(opts.limit)}`);
      const store = new FindingStore(opts.db);
      try {
        const events = store.eventsOf(opts.principal, since, until, limit);
        io.stdout(opts.format === 'json' ? `${JSON.stringify(events, null, 2)}\n` : `${eventsTable(events, colour)}\n`);
      } finally {
        store.close();
      }
    });

  events
    .command('test-pattern')
    .description('Test an EventBridge event pattern against an event: prints true or false (exit 0); an invalid pattern exits 2.')
    .option('--pattern <JSON|@FILE>', 'the event pattern')
    .option('--event <JSON|@FILE>', 'the event')
    .option('--cases <FILE.jsonl>', 'lines with pattern and event (or raw_pattern / raw_event); one verdict line per input line')
    .action(async (opts) => {
      exitCode = await runTestPattern(opts, { stdout: io.stdout, stderr: io.stderr, readFile: (p: string) => readFile(p, 'utf8') });
    });

  program
    .command('deliveries')
    .description('The delivery outbox: pending, delivered and dead-lettered deliveries of matched events.')
    .requiredOption('--db <FILE>', 'SQLite file written by detect --db')
    .addOption(new Option('--status <status>', 'only these').choices(['pending', 'delivered', 'dead']))
    .option('--requeue-dead', 'put dead-lettered deliveries back in the queue (after fixing their cause)')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('table'))
    .action((opts) => {
      const store = new FindingStore(opts.db);
      try {
        const outbox = new Outbox(store.db);
        if (opts.requeueDead) io.stderr(`${outbox.requeueDead(systemClock.now())} dead deliveries requeued\n`);
        const list = outbox.list(opts.status);
        if (opts.format === 'json')
          io.stdout(
            `${JSON.stringify(
              list.map(({ event: _e, ...rest }) => rest),
              null,
              2,
            )}\n`,
          );
        else
          io.stdout(
            `${table(
              ['ID', 'STATUS', 'RULE', 'TARGET', 'EVENT', 'ATTEMPTS', 'LAST ERROR'],
              list.map((d) => [String(d.id), d.status, d.rule, d.target, d.eventId, String(d.attempts), d.lastError ?? '']),
              colour,
            )}\n`,
          );
      } finally {
        store.close();
      }
    });

  const remediation = program.command('remediation').description('Remediation playbooks: the audit log and rollbacks.');
  remediation
    .command('audit')
    .description('The audit log of a remediation target: every planned or executed action, why, when and its result.')
    .requiredOption('--config <FILE>', 'configuration file')
    .requiredOption('--target <NAME>', 'a remediation target under targets:')
    .option('--finding <ID>', 'only actions for this finding')
    .action(async (opts) => {
      const target = await remediationTarget(opts.config, opts.target);
      try {
        io.stdout(`${JSON.stringify(target.auditLog().list(opts.finding ? { findingId: opts.finding } : {}), null, 2)}\n`);
      } finally {
        await target.close();
      }
    });
  remediation
    .command('rollback')
    .description('Undo a remediation recorded in the audit log (a dry run unless --execute).')
    .requiredOption('--config <FILE>', 'configuration file')
    .requiredOption('--target <NAME>', 'a remediation target under targets:')
    .requiredOption('--audit-seq <N>', 'the audit record of the remediation to undo')
    .option('--execute', 'send the calls (default: plan and record them only)')
    .action(async (opts) => {
      const seq = Number(opts.auditSeq);
      if (!Number.isInteger(seq) || seq < 1) throw new UsageError(`--audit-seq: expected a record number, got ${JSON.stringify(opts.auditSeq)}`);
      const target = await remediationTarget(opts.config, opts.target);
      try {
        const result = await target.remediator.rollback(seq, opts.execute ? 'execute' : 'dry-run');
        io.stdout(`${JSON.stringify(result, null, 2)}\n`);
        if (result.status !== 'succeeded' && result.status !== 'planned') exitCode = EXIT.rejected;
      } finally {
        await target.close();
      }
    });

  async function remediationTarget(configPath: string, name: string): Promise<RemediationTarget> {
    const config = await loadConfig(configPath);
    const targetConfig = config.targets[name];
    if (targetConfig?.type !== 'remediation') throw new UsageError(`--target: ${JSON.stringify(name)} is not a remediation target in ${configPath}`);
    return createTarget(name, targetConfig, { clock: systemClock, env: io.env }) as RemediationTarget;
  }

  program
    .command('detectors')
    .description('List the detectors: finding type, severity, data source, aggregation key.')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('table'))
    .action((opts) => {
      const metas = DETECTORS.map((d) => d.meta);
      if (opts.format === 'json') io.stdout(`${JSON.stringify(metas, null, 2)}\n`);
      else
        io.stdout(
          `${table(
            ['TYPE', 'SEVERITY', 'DATA SOURCE', 'AGGREGATION'],
            metas.map((m) => [m.findingType, String(m.severity), m.dataSource, m.aggregation]),
            io.isTTY,
          )}\n`,
        );
    });

  program
    .command('serve')
    .description('Run as a service: watch the configured sources, detect continuously, deliver, and serve the API and console.')
    .requiredOption('--config <FILE>', 'configuration file (YAML or JSON) with db:, serve.users/tokens and serve.sources')
    .option('--host <HOST>', 'listen address (default: serve.host, 127.0.0.1)')
    .option('--port <PORT>', 'listen port (default: serve.port, 8080; 0 = any free port)')
    .option('--once', 'ingest what the sources hold, deliver, and exit (a catch-up run)')
    .action(async (opts) => {
      const config = await loadConfig(opts.config);
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError('--port is 0-65535');
      const running = await startServe({
        config,
        env: io.env,
        log: (m) => io.stderr(`trailhound: ${m}\n`),
        ...(opts.host ? { host: opts.host } : {}),
        ...(port !== undefined ? { port } : {}),
      });
      if (opts.once) await running.idle(24 * 3_600_000);
      else
        await new Promise<void>((resolve) => {
          const stop = () => {
            io.stderr('trailhound: stopping (finishing the batch in hand, last delivery pass)\n');
            resolve();
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      await running.close();
    });

  program
    .command('hash-password')
    .description('Print the hash of a console password (read from standard input) for serve.users[].passwordHash; with --token, make an API token.')
    .option('--token', 'generate a random API token and print it with the sha256 to put in serve.tokens[]')
    .action(async (opts) => {
      if (opts.token) {
        const token = newToken();
        io.stdout(`token:  ${token}\nsha256: ${tokenSha256(token)}\n`);
        return;
      }
      const line = (await readStdinText()).split(/\r?\n/)[0] ?? '';
      try {
        io.stdout(`${await hashPassword(line)}\n`);
      } catch (err) {
        throw new UsageError((err as Error).message, { cause: err });
      }
    });

  const intel = program.command('intel').description('Threat intelligence and AWS address ranges.');
  intel
    .command('update-aws-ranges')
    .description("Refresh AWS's published IP ranges (ip-ranges.json) from a file or URL.")
    .option('--from <FILE|URL>', 'where to read ip-ranges.json', 'https://ip-ranges.amazonaws.com/ip-ranges.json')
    .option('--out <FILE>', 'where to write it (detect uses it when newer than the bundled copy)')
    .action(async (opts) => {
      const out = opts.out ?? userAwsRangesPath(io.env);
      const { ranges, previous } = await updateAwsRanges(opts.from, out);
      io.stdout(`AWS IP ranges ${ranges.createDate} (${ranges.prefixCount} prefixes) written to ${out}${previous ? `; replaced ${previous}` : ''}\n`);
    });
  intel
    .command('show')
    .description('Show which AWS IP ranges and address databases (enrichment) detect uses, their dates and licences.')
    .option('--aws-ip-ranges <FILE>', 'a specific ip-ranges.json')
    .option('--config <FILE>', 'configuration file (its enrichment databases)')
    .action(async (opts) => {
      const r = await resolveAwsRanges(opts.awsIpRanges, io.env, (m) => io.stderr(`trailhound: warning: ${m}\n`));
      io.stdout(
        `AWS IP ranges: ${r.createDate} (syncToken ${r.syncToken}, ${r.prefixCount} prefixes) from ${r.path}${r.path === BUNDLED_AWS_RANGES ? ' (bundled)' : ''}\n`,
      );
      const e = (opts.config ? await loadConfig(opts.config) : defaultConfig()).enrichment;
      if (!e.enabled) {
        io.stdout('Address enrichment: off\n');
        return;
      }
      const enricher = await Enricher.open({
        awsRanges: r,
        ...(e.countryDb ? { countryDb: e.countryDb } : {}),
        ...(e.cityDb ? { cityDb: e.cityDb } : {}),
        ...(e.asnDb ? { asnDb: e.asnDb } : {}),
      });
      for (const d of enricher.describe())
        io.stdout(
          `Address database (${d.role}): ${d.paths.join(', ')} [${d.source}${d.buildDate ? `, ${d.buildDate}` : ''}]; licence: ${d.licence}${d.attribution ? `; ${d.attribution}` : ''}\n`,
        );
    });

  registerRespond(program, io, (code) => {
    exitCode = code;
  });
  for (const extend of extensions)
    extend(program, io, (code) => {
      exitCode = code;
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.stderr(`trailhound: ${err instanceof TrailhoundError ? err.message : describeError(err)}\n`);
    return EXIT.usage;
  }
  return exitCode;
}

async function effectiveConfig(opts: { config?: string; threatList: string[]; trustedList: string[]; db?: string; awsIpRanges?: string }): Promise<Config> {
  const base = opts.config ? await loadConfig(opts.config) : defaultConfig();
  return {
    ...base,
    threatLists: [...base.threatLists, ...opts.threatList],
    trustedLists: [...base.trustedLists, ...opts.trustedList],
    ...(opts.db ? { db: opts.db } : {}),
    ...(opts.awsIpRanges ? { awsIpRanges: opts.awsIpRanges } : {}),
  };
}

async function readStdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
